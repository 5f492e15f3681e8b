"""The HTTP API through FastAPI's test client on a real SQLite store: roles and scope, bulk,
idempotency, intake, the public view (delayed, aggregate, nothing private), ETags, alerts."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.ops.state import StateSettings
from safepassage.ops.store import EventStore

NOW = datetime(2022, 3, 15, 14, 0, tzinfo=UTC)  # 16:00 in Kyiv


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def env(tmp_path: Path) -> dict[str, Any]:
    store = EventStore(str(tmp_path / "api.db"))
    clock = Clock()
    app = create_app(
        store,
        settings=StateSettings(public_delay_min=60),
        clock=clock,
        rate=1000,
        burst=1000,
        token_ttl_s=0,
    )
    tokens = {
        "admin": store.add_user("admin-1", "admin"),
        "coord": store.add_user("council-desk", "coordinator"),
        "rep": store.add_user(
            "manhush-reporter-7", "reporter", ["cp04-manhush", "convoy-3"], ["mariupol"]
        ),
        "obs": store.add_user("icrc-observer", "observer"),
    }
    client = TestClient(app)
    # Corridors exist once a coordinator announced them (earlier than the tests' own ones).
    first = announcement(["cp04-manhush", "zaporizhzhia"], at="2022-03-15T07:00:00+02:00")
    headers = {"Authorization": f"Bearer {tokens['coord']}"}
    assert client.post("/api/v1/events", json=first, headers=headers).status_code == 201
    return {"client": client, "store": store, "tokens": tokens, "clock": clock}


def auth(env: dict[str, Any], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {env['tokens'][who]}"}


def event(
    kind: str, data: dict[str, Any], at: str = "2022-03-15T13:30:00+02:00", **extra: Any
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": at,
        "corridor": "mariupol",
        "data": data,
        **extra,
    }


def count(vehicles: int, cp: str = "cp04-manhush", **extra: Any) -> dict[str, Any]:
    return event(
        "checkpoint_count",
        {"checkpoint": cp, "vehicles": vehicles, "people": vehicles * 4},
        **extra,
    )


def announcement(
    route: list[str],
    status: str = "unverified",
    at: str = "2022-03-15T08:00:00+02:00",
    **data: Any,
) -> dict[str, Any]:
    """A corridor announced at 08:00 for 09:00-18:00 (Kyiv time) on 15 March 2022, with a
    public name."""
    window = {"start": "2022-03-15T09:00:00+02:00", "end": "2022-03-15T18:00:00+02:00"}
    body = {"route": route, "window": window, "name": "Mariupol - Zaporizhzhia", **data}
    return event("corridor_announced", body, at=at, status=status)


def test_roles_scope_and_authentication(env: dict[str, Any]) -> None:
    c = env["client"]
    assert c.post("/api/v1/events", json=count(5)).status_code == 401
    assert (
        c.post(
            "/api/v1/events", json=count(5), headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
    ok = c.post("/api/v1/events", json=count(5), headers=auth(env, "rep"))
    # A reporter gets a receipt, not the log position (which would tell how busy others are).
    assert ok.status_code == 201 and "seq" not in ok.json() and len(ok.json()["receipt"]) == 8
    outside = c.post(
        "/api/v1/events", json=count(5, "cp01-mariupol-exit"), headers=auth(env, "rep")
    )
    assert outside.status_code == 403 and "outside your assignment" in outside.json()["message"]
    status = event("corridor_status", {"status": "closed", "said_by": "x"})
    assert c.post("/api/v1/events", json=status, headers=auth(env, "rep")).status_code == 403
    assert c.post("/api/v1/events", json=status, headers=auth(env, "coord")).status_code == 201
    assert c.post("/api/v1/events", json=count(1), headers=auth(env, "obs")).status_code == 403
    assert c.get("/api/v1/state/mariupol", headers=auth(env, "rep")).status_code == 403
    assert c.get("/api/v1/state/mariupol", headers=auth(env, "obs")).status_code == 200
    assert c.get("/api/v1/log/verify", headers=auth(env, "coord")).status_code == 403
    assert c.get("/api/v1/log/verify", headers=auth(env, "admin")).json()["ok"]
    env["store"].revoke_user("manhush-reporter-7")
    assert c.post("/api/v1/events", json=count(5), headers=auth(env, "rep")).status_code == 401
    audit = c.get("/api/v1/audit", headers=auth(env, "admin")).json()
    assert {a["user"] for a in audit} >= {"manhush-reporter-7", "council-desk"}
    assert env["store"].head() == 3  # the announcement and two events: nothing refused


def test_bulk_flush_is_safe_to_resend(env: dict[str, Any]) -> None:
    c = env["client"]
    queue = [count(i) for i in range(1, 6)]
    bad = count(3)
    bad["data"]["vehicles"] = -1
    first = c.post(
        "/api/v1/events/bulk", json=[*queue, bad, count(2, "cp09")], headers=auth(env, "rep")
    ).json()
    outcomes = [r["outcome"] for r in first["results"]]
    assert outcomes == ["stored"] * 5 + ["invalid", "forbidden"] and first["stored"] == 5
    assert first["results"][5]["problems"][0]["field"] == "data.vehicles"
    again = c.post("/api/v1/events/bulk", json=queue, headers=auth(env, "rep")).json()
    assert [r["outcome"] for r in again["results"]] == ["duplicate"] * 5
    assert env["store"].head() == 6  # the announcement and five counts
    assert (
        c.post("/api/v1/events/bulk", json=[count(1)] * 1001, headers=auth(env, "rep")).status_code
        == 422
    )


def test_sms_and_csv_intake(env: dict[str, Any]) -> None:
    c = env["client"]
    sms = "cp manhush 1405 out 42 cars 130 ppl"
    ok = c.post(
        "/api/v1/intake/sms?corridor=mariupol",
        content=sms,
        headers={**auth(env, "rep"), "Content-Type": "text/plain"},
    )
    assert ok.status_code == 200 and ok.text.startswith("OK CP04-MANHUSH 1405 OUT 42 CARS 130 PPL")
    resent = c.post(
        "/api/v1/intake/sms?corridor=mariupol",
        content=sms.upper(),
        headers={**auth(env, "rep"), "Content-Type": "text/plain"},
    )
    assert resent.text == ok.text and env["store"].head() == 2  # the same SMS twice: stored once
    stored = env["store"].read()[1]
    assert stored.occurred_at == "2022-03-15T12:05:00.000000+00:00"  # 14:05 Kyiv time
    bad = c.post(
        "/api/v1/intake/sms",
        content="cp manhush out 42 cars",
        headers={**auth(env, "rep"), "Content-Type": "text/plain"},
    )
    assert bad.status_code == 422 and bad.text.startswith("NOT RECORDED") and "HHMM" in bad.text
    body = "occurred_at,checkpoint,direction,vehicles,people\n2022-03-15T10:00+02:00,cp04-manhush,out,12,50\nyesterday,cp04-manhush,out,3,\n2022-03-15T11:00+02:00,cp04-manhush,out,many,\n"
    result = c.post(
        "/api/v1/intake/csv?corridor=mariupol",
        content=body,
        headers={**auth(env, "coord"), "Content-Type": "text/csv"},
    ).json()
    assert [(r["line"], r["outcome"]) for r in result["results"]] == [
        (2, "stored"),
        (3, "invalid"),
        (4, "invalid"),
    ]
    again = c.post(
        "/api/v1/intake/csv?corridor=mariupol",
        content=body,
        headers={**auth(env, "coord"), "Content-Type": "text/csv"},
    ).json()
    assert again["results"][0]["outcome"] == "duplicate"


def test_public_view_is_delayed_aggregate_and_private(env: dict[str, Any]) -> None:
    c = env["client"]
    post = lambda e, who="coord": c.post("/api/v1/events", json=e, headers=auth(env, who))  # noqa: E731
    post(announcement(["cp04-manhush", "berdyansk", "zaporizhzhia"], status="confirmed"))
    post(
        event(
            "corridor_status",
            {"status": "open", "said_by": "city council"},
            at="2022-03-15T09:00:00+02:00",
            status="confirmed",
        )
    )
    post(count(100, status="confirmed", at="2022-03-15T12:00:00+02:00"))  # a coordinator's
    post(count(50, status="claimed", at="2022-03-15T12:30:00+02:00"), "rep")
    post(
        event(
            "waypoint_passage",
            {"convoy": "convoy-3", "waypoint": "berdyansk"},
            at="2022-03-15T13:00:00+02:00",
        ),
        "rep",
    )
    post(
        event(
            "incident",
            {"kind": "shelling", "place": "berdyansk", "note": "reported by driver Ivan"},
            at="2022-03-15T13:10:00+02:00",
        ),
        "rep",
    )
    env["clock"].now = datetime.now(UTC)  # just recorded: not yet public
    assert c.get("/api/v1/public/status").json()["corridors"] == []
    env["clock"].now = datetime.now(UTC) + timedelta(hours=2)  # everything is older than the delay
    view = c.get("/api/v1/public/status")
    assert view.status_code == 200 and "max-age" in view.headers["cache-control"]
    text = view.text
    for secret in (
        "manhush-reporter-7",
        "council-desk",
        "convoy-3",
        "Ivan",
        "shelling",
        "reporter",
        "hash",
    ):
        assert secret not in text, secret
    (corridor,) = view.json()["corridors"]
    vehicles = {
        f["status"]["state"]: f["value"] for f in corridor["out"] if f["what"]["unit"] == "vehicles"
    }
    # The reporter's "claimed" is not its to give: its 50 land unverified, apart from the 100.
    assert vehicles == {"confirmed": 100, "unverified": 50}
    assert 150 not in [f["value"] for f in corridor["out"]]  # kept apart, never added
    detail = corridor["status_detail"]  # who stated the status, and that it is old now
    assert (detail["said"], detail["said_by"], detail["stale"]) == ("open", "city council", True)
    assert corridor["status"] == "unknown"  # an open status of 2022 is no answer today
    cap = c.get("/api/v1/public/cap/mariupol.xml")  # the same view as a CAP 1.2 alert
    assert cap.status_code == 200 and cap.headers["content-type"].startswith("application/cap+xml")
    assert "<certainty>Unknown</certainty>" in cap.text  # stale: not "Observed" any more
    for secret in ("manhush-reporter-7", "council-desk", "convoy-3", "Ivan", "shelling"):
        assert secret not in cap.text, secret
    assert c.get("/api/v1/public/cap/nowhere.xml").status_code == 404
    feed = c.get("/api/v1/public/cap.atom")  # for alert aggregators: one entry per corridor
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom")
    atom = {"a": "http://www.w3.org/2005/Atom"}
    (entry,) = ET.fromstring(feed.content).findall("a:entry", atom)
    link = entry.find("a:link", atom)
    assert link is not None and link.get("type") == "application/cap+xml"
    assert c.get(link.get("href", "")).content == cap.content  # the entry leads to the alert
    for secret in ("manhush-reporter-7", "council-desk", "convoy-3", "Ivan", "shelling"):
        assert secret not in feed.text, secret


def test_situation_report_and_hxl_for_readers(env: dict[str, Any]) -> None:
    c = env["client"]
    post = lambda e, who="coord": c.post("/api/v1/events", json=e, headers=auth(env, who))  # noqa: E731
    post(announcement(["cp04-manhush", "zaporizhzhia"]))
    post(count(100, status="confirmed", at="2022-03-15T12:00:00+02:00"))
    post(count(50, at="2022-03-15T12:30:00+02:00"), "rep")
    sitrep = c.get("/api/v1/state/mariupol/sitrep.md", headers=auth(env, "obs"))
    assert sitrep.status_code == 200 and sitrep.headers["content-type"].startswith("text/markdown")
    assert "- Total: 100 vehicles out through cp04-manhush" in sitrep.text
    assert "- Total: 50 vehicles out through cp04-manhush" in sitrep.text
    assert "150" not in sitrep.text
    hxl = c.get("/api/v1/state/mariupol/hxl.csv", headers=auth(env, "coord"))
    assert hxl.status_code == 200 and hxl.text.splitlines()[1].startswith("#date+reported")
    # header, hashtags, then vehicles and people for each status: four rows
    assert len(hxl.text.splitlines()) == 6
    assert c.get("/api/v1/state/mariupol/hxl.csv", headers=auth(env, "rep")).status_code == 403
    assert c.get("/api/v1/state/mariupol/sitrep.md").status_code == 401
    assert c.get("/api/v1/state/nowhere/sitrep.md", headers=auth(env, "obs")).status_code == 404


def test_state_alerts_and_etags(env: dict[str, Any]) -> None:
    c = env["client"]
    post = lambda e, who="coord": c.post("/api/v1/events", json=e, headers=auth(env, who))  # noqa: E731
    post(announcement(["cp04-manhush", "berdyansk", "tokmak"], legs_min=[60, 90]))
    post(
        event(
            "corridor_status",
            {"status": "open", "said_by": "council"},
            at="2022-03-15T14:00:00+02:00",  # two hours before the state's clock: fresh
            status="confirmed",
        )
    )
    post(count(40, at="2022-03-15T13:40:00+02:00"), "rep")
    post(
        event(
            "waypoint_passage",
            {"convoy": "convoy-3", "waypoint": "cp04-manhush"},
            at="2022-03-15T12:00:00+02:00",
        ),
        "rep",
    )
    post(
        event(
            "incident", {"kind": "shelling", "place": "berdyansk"}, at="2022-03-15T15:00:00+02:00"
        ),
        "rep",
    )
    r = c.get("/api/v1/state/mariupol", headers=auth(env, "obs"))
    state = r.json()
    kinds = {a["kind"] for a in state["alerts"]}
    # 16:00 Kyiv: convoy-3 left Manhush at 12:00 with a 60-minute leg to Berdyansk: overdue;
    # Manhush last heard 13:40 (over 60 min); shelling after "open".
    assert kinds == {"convoy_overdue", "checkpoint_silent", "status_contradicted"}
    convoy = state["convoys"][0]
    # Left Manhush at 12:00 Kyiv with a 60-minute leg; at 16:00 it should long be there.
    assert convoy["estimated_position"] == {
        "between": ["cp04-manhush", "berdyansk"],
        "share_of_leg": 1.0,
    }
    assert (
        convoy["next_waypoint"] == "berdyansk"
        and convoy["eta_destination"] == "2022-03-15T12:30+00:00"
    )  # 14:30 Kyiv
    assert state["checkpoints"]["cp04-manhush"]["paces"] == []  # nothing in the last hour
    etag = r.headers["etag"]
    assert (
        c.get(
            "/api/v1/state/mariupol", headers={**auth(env, "obs"), "If-None-Match": etag}
        ).status_code
        == 304
    )
    post(count(1, at="2022-03-15T15:50:00+02:00"), "rep")
    fresh = c.get("/api/v1/state/mariupol", headers={**auth(env, "obs"), "If-None-Match": etag})
    assert fresh.status_code == 200 and {
        p["of"]["what"]["unit"]: p["per_hour_low"]
        for p in fresh.json()["checkpoints"]["cp04-manhush"]["paces"]
    } == {"vehicles": 1.0, "people": 4.0}
    page = c.get("/api/v1/events?limit=2", headers=auth(env, "obs")).json()
    assert len(page["events"]) == 2 and page["next_after"] == 2
    assert c.get("/api/v1/state/nowhere", headers=auth(env, "obs")).status_code == 404


def test_rate_limit(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "r.db"))
    token = store.add_user("busy", "observer")
    c = TestClient(create_app(store, rate=1, burst=3))
    codes = [
        c.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"}).status_code
        for _ in range(5)
    ]
    assert codes[:3] == [200] * 3 and 429 in codes[3:]
    assert json.loads(c.get("/api/v1/health").text)["ok"]
