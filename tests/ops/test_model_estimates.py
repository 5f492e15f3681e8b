"""The service's model estimates (issue 14, "Live"): a refit on confirmed counts moves the
estimates where plain arithmetic on those counts says; unverified and claimed counts do not
move them; only coordinators and admins refit (audited, rate-limited); every model figure
carries status, source and as-of, under a key of its own."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.api.model_service import ModelEstimates, load_setups
from safepassage.errors import SafePassageError
from safepassage.forecast.calibrate import Observation
from safepassage.forecast.live import refit
from safepassage.model.prepare import prepare_scenario
from safepassage.ops.model_estimates import confirmed_counts
from safepassage.ops.state import Projection
from safepassage.ops.store import EventStore
from tests.ops.test_state_figures import T0, ev, figures_without_provenance

KYIV = ZoneInfo("Europe/Kyiv")
MARIUPOL = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022.yaml"
EXIT = "cp01-mariupol-exit"


def day(h: int, m: int = 0, d: int = 15) -> datetime:
    return datetime(2022, 3, d, h, m, tzinfo=KYIV)


# -- which counts a refit may use ------------------------------------------------------------


def test_only_confirmed_counts_of_one_source_are_fitted_on() -> None:
    p = Projection()

    def count(h: int, n: int, status: str, source: str | None, **extra: Any) -> str:
        start = (T0 + timedelta(hours=h - 1)).isoformat()
        data = {"checkpoint": "cp01", "vehicles": n, "interval_start": start, **extra}
        e = ev("checkpoint_count", T0 + timedelta(hours=h), data, status, source)
        p.apply(e)
        return e.id

    for h, n in ((1, 50), (2, 70), (3, 60)):
        count(h, n, "confirmed", "exit desk", people=3 * n)
    count(4, 80, "confirmed", "exit desk", waiting=400)  # no people: people stop here
    # Not checked, or a party's claim: the same source and right after, but never fitted on.
    count(5, 999, "unverified", "exit desk", waiting=5)
    claimed = count(5, 999, "claimed", "exit desk")
    # Even confirmed on review, a party's claim is not a count the model is fitted on.
    review = {"claim": claimed, "action": "confirm", "by": "desk", "how": "seen"}
    p.apply(ev("claim_review", T0 + timedelta(hours=5), review, "confirmed"))
    for h in range(1, 7):  # a source with more counts than the desk, none confirmed
        count(h, 999, "unverified", None)
    count(2, 40, "confirmed", "agency")  # fewer counts: another source, never added
    counts = confirmed_counts(p.register.figures("c"), "cp01", T0 + timedelta(hours=6))
    # Oracle: running sums of the desk's counts written out by hand.
    out = [(o.at, o.vehicles) for o in counts.observations if o.what == "out"]
    assert out == [(T0 + timedelta(hours=h), v) for h, v in ((1, 50), (2, 120), (3, 180), (4, 260))]
    people = [o.vehicles for o in counts.observations if o.what == "people"]
    assert people == [150, 360, 540]
    assert [o.vehicles for o in counts.observations if o.what == "waiting"] == [400]
    assert counts.source == "exit desk" and counts.opened == T0
    assert any("agency" in why for why in counts.left_out)
    # A gap stops the chain (cars counted after it would read as fewer than passed).
    start = (T0 + timedelta(hours=8)).isoformat()
    data = {"checkpoint": "cp01", "vehicles": 10, "interval_start": start}
    p.apply(ev("checkpoint_count", T0 + timedelta(hours=9), data, "confirmed", "exit desk"))
    later = confirmed_counts(p.register.figures("c"), "cp01", T0 + timedelta(hours=10))
    assert [o for o in later.observations if o.what == "out"][-1].vehicles == 260
    assert any("gap" in why for why in later.left_out)


def test_a_calibration_must_name_its_file_problem(tmp_path: Path) -> None:
    with pytest.raises(SafePassageError, match="no such file"):
        load_setups(["mariupol=" + str(tmp_path / "none.json")], [MARIUPOL])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "safepassage calibration", "checkpoint": "nowhere"}))
    with pytest.raises(SafePassageError, match="posterior draws"):
        load_setups([f"mariupol={bad}"], [MARIUPOL])
    with pytest.raises(SafePassageError, match="CORRIDOR=FILE"):
        load_setups([str(bad)], [MARIUPOL])


# -- the service -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = day(17, 30)

    def __call__(self) -> datetime:
        return self.now


def _event(kind: str, at: datetime, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": at.isoformat(),
        "corridor": "mariupol",
        "data": data,
        **extra,
    }


def _count(h: int, n: int, **extra: Any) -> dict[str, Any]:
    data = {"checkpoint": EXIT, "vehicles": n, "interval_start": day(h - 1).isoformat()}
    data.update(extra.pop("data", {}))
    return _event("checkpoint_count", day(h), data, **extra)


@pytest.fixture
def service(tmp_path: Path) -> Any:
    # The saved calibration: 40 cars an hour on 14 March (160 in four hours).
    prepared = prepare_scenario(MARIUPOL, cut_off="warning")
    seen = [Observation(day(15, d=14), 80), Observation(day(17, d=14), 160)]
    saved = tmp_path / "cal.json"
    saved.write_text(json.dumps(refit(prepared, EXIT, day(13, d=14), seen)))
    store = EventStore(str(tmp_path / "ops.db"))
    models = ModelEstimates(
        load_setups([f"mariupol={saved}"], [MARIUPOL]), runs=40, min_interval_s=60
    )
    clock = Clock()
    app = create_app(store, clock=clock, rate=1000, burst=1000, token_ttl_s=0, models=models)
    tokens = {
        "admin": store.add_user("admin-1", "admin"),
        "coord": store.add_user("exit-desk", "coordinator"),
        "rep": store.add_user("exit-reporter", "reporter", [EXIT], ["mariupol"]),
        "obs": store.add_user("observer", "observer"),
    }
    window = {"start": day(9).isoformat(), "end": day(18).isoformat()}
    route = [EXIT, "manhush", "berdyansk", "zaporizhzhia"]
    first = _event("corridor_announced", day(8), {"route": route, "window": window})
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {tokens['coord']}"}
        assert client.post("/api/v1/events", json=first, headers=headers).status_code == 201
        yield client, tokens, clock


def _h(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}"}


def _settled(client: TestClient, tokens: dict[str, str], origin: str) -> dict[str, Any]:
    """The model estimates once the latest job of `origin` is done (it runs in a worker)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        state = client.get("/api/v1/state/mariupol", headers=_h(tokens, "coord")).json()
        model = state["model_estimates"]
        cal = model["calibration"]
        if not model["refit"]["running"] and cal and origin in cal["origin"]:
            return state
        time.sleep(0.2)
    raise AssertionError(f"no estimate from {origin}: {model}")


def test_refit_on_confirmed_counts_only(service: Any) -> None:
    client, tokens, clock = service
    start = _settled(client, tokens, "saved calibration cal.json")["model_estimates"]
    assert start["calibration"]["throughput_vph"]["p50"] == pytest.approx(40, rel=0.15)

    # Only coordinators and admins refit.
    for who in ("rep", "obs"):
        r = client.post("/api/v1/state/mariupol/refit", headers=_h(tokens, who))
        assert r.status_code == 403, r.text

    # Nothing confirmed yet: nothing to refit on, said to the caller and in the state.
    r = client.post("/api/v1/state/mariupol/refit", headers=_h(tokens, "coord"))
    assert r.status_code == 409 and "no confirmed count" in r.json()["detail"]
    state = client.get("/api/v1/state/mariupol", headers=_h(tokens, "coord")).json()
    assert state["model_estimates"]["refit"]["last"]["outcome"] == "nothing_to_fit"

    # Confirmed counts of 120 cars an hour from 13:00 to 17:00, and 600 cars queued at 17:00.
    for h in (14, 15, 16, 17):
        extra = {"waiting": 600} if h == 17 else {}
        body = _count(h, 120, status="confirmed", source="exit desk", data=extra)
        assert client.post("/api/v1/events", json=body, headers=_h(tokens, "coord")).status_code
    r = client.post("/api/v1/state/mariupol/refit", headers=_h(tokens, "coord"))
    assert r.status_code == 202, r.text
    assert r.json()["counts"] == 5 and r.json()["source_of_counts"] == "exit desk"
    state = _settled(client, tokens, "refit on request by exit-desk")
    model = state["model_estimates"]
    cal = model["calibration"]
    # Independent arithmetic: 480 cars in 4 hours is 120 an hour; 600 queued at that pace
    # is 5 hours.
    assert cal["throughput_vph"]["p50"] == pytest.approx(480 / 4, rel=0.1)
    assert cal["counts"] == 5 and cal["source_of_counts"] == "exit desk"
    (wait,) = model["waits"]
    assert wait["p50"] == pytest.approx(600 / 120, rel=0.1)
    assert wait["p10"] <= wait["p50"] <= wait["p90"]
    assert model["etas"][-1]["what"]["place"] == "zaporizhzhia"

    # Every model figure says it is one, with status, source and as-of; none is observed.
    assert figures_without_provenance(state) == []
    for f in [*model["waits"], *model["etas"]]:
        assert f["basis"] == "model_estimate" and "MODEL ESTIMATE" in f["text"]
        assert f["status"] and f["source"]["name"].endswith(cal["id"]) and f["as_of"]
    observed = json.dumps({k: v for k, v in state.items() if k != "model_estimates"})
    assert "model_estimate" not in observed

    # A reporter's unverified counts and a party's claim do not move the model.
    # (The same source's name, so only their status keeps them out.)
    rep = _count(17, 1000, source="exit desk", data={"waiting": 5})
    assert client.post("/api/v1/events", json=rep, headers=_h(tokens, "rep")).status_code == 201
    claim = _event(
        "checkpoint_count",
        day(17, 20),
        {"checkpoint": EXIT, "vehicles": 300, "interval_start": day(17).isoformat()},
        status="claimed",
        source="exit desk",
    )
    assert client.post("/api/v1/events", json=claim, headers=_h(tokens, "coord")).status_code
    clock.now += timedelta(minutes=2)
    r = client.post("/api/v1/state/mariupol/refit", headers=_h(tokens, "admin"))
    assert r.status_code == 202, r.text
    again = _settled(client, tokens, "refit on request by admin-1")["model_estimates"]
    assert again["calibration"]["id"] == cal["id"]
    assert again["waits"][0]["p50"] == wait["p50"]

    # One refit a minute; every request, refused or not, is in the audit trail.
    r = client.post("/api/v1/state/mariupol/refit", headers=_h(tokens, "coord"))
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    audit = client.get("/api/v1/audit", headers=_h(tokens, "admin")).json()
    refits = [a for a in audit if a["action"] == "state.refit"]
    assert {a["user"] for a in refits} >= {"exit-reporter", "observer", "exit-desk", "admin-1"}
