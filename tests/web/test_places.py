"""Places for maps from the served scenarios: coordinators get every place, hazard and the
corridor, named in their language; the public gets the main towns and destinations only."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.model.load import load_scenario
from safepassage.ops.store import EventStore
from tests.model.test_scenario import MARIUPOL


def test_places_full_for_readers_and_main_towns_only_for_the_public(tmp_path: Path) -> None:
    scenario, _ = load_scenario(MARIUPOL)
    store = EventStore(str(tmp_path / "ops.db"))
    desk = store.add_user("desk", "coordinator")
    client = TestClient(create_app(store, scenarios=[scenario]))

    full = client.get("/api/v1/places?lang=uk", headers={"Authorization": f"Bearer {desk}"})
    assert full.status_code == 200
    features = full.json()["features"]
    by_kind: dict[str, list[str]] = {}
    for f in features:
        by_kind.setdefault(f["properties"]["kind"], []).append(f["properties"].get("name", ""))
    assert len(by_kind["checkpoint"]) == len(scenario.checkpoints) == 18
    assert len(by_kind["origin"]) == 3 and by_kind["destination"] == ["Запоріжжя"]
    assert "Мангуш, блокпост" in by_kind["checkpoint"]
    (route,) = [f for f in features if f["properties"]["kind"] == "route"]
    assert len(route["geometry"]["coordinates"]) == len(scenario.corridor.via) + 1  # type: ignore[union-attr]
    # GeoJSON order: [longitude, latitude].
    zap = next(f for f in features if f["properties"].get("id") == "zaporizhzhia")
    assert zap["geometry"]["coordinates"] == [35.1171, 47.8517]

    public = client.get("/api/v1/public/places?lang=en").json()["features"]
    names = [f["properties"]["name"] for f in public if f["properties"]["kind"] != "route"]
    assert names == [
        "Zaporizhzhia",
        "Mariupol (exit)",
        "Manhush",
        "Berdiansk",
        "Tokmak",
        "Vasylivka",
    ]
    kinds = {f["properties"]["kind"] for f in public}
    assert "origin" not in kinds and "hazard" not in kinds  # no crowd or closure is published
    hidden = {c.id for c in scenario.checkpoints if not c.public}
    assert not hidden & {f["properties"].get("id") for f in public}
    (public_route,) = [f for f in public if f["properties"]["kind"] == "route"]
    assert len(public_route["geometry"]["coordinates"]) == 6  # through the towns alone

    rep = store.add_user(
        "manhush-7", "reporter", ["cp04-manhush", "convoy-3"], ["mariupol-zaporizhzhia"]
    )
    me = client.get("/api/v1/me?lang=uk", headers={"Authorization": f"Bearer {rep}"}).json()
    assert me["role"] == "reporter" and sorted(me["scope"]) == ["convoy-3", "cp04-manhush"]
    assert me["scope_names"] == {"cp04-manhush": "Мангуш, блокпост"}  # a convoy has no place

    assert client.get("/api/v1/places").status_code == 401
    assert client.get("/api/v1/public/places?lang=Ukrainian").status_code == 422
    store.close()
