"""Issue 10: a reporter token in the wrong hands, and hostile input. Every attack is refused
(or made harmless) with a clear 4xx, and the public page, the CAP alert and the coordinators'
state are what they were. On SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.api.routes.intake import INTAKE_NAMESPACE
from safepassage.ops.state import StateSettings
from safepassage.ops.store import EventStore

START = datetime.now(UTC).replace(second=0, microsecond=0)


class Clock:
    def __init__(self) -> None:
        self.now = START + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now


def at(minutes_ago: float) -> str:
    return (START - timedelta(minutes=minutes_ago)).isoformat()


def ev(
    kind: str, data: dict[str, Any], when: str, corridor: str = "mariupol", **extra: Any
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": when,
        "corridor": corridor,
        "data": data,
        **extra,
    }


def count(vehicles: int, people: int | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"checkpoint": "cp04-manhush", "vehicles": vehicles}
    if people is not None:
        data["people"] = people
    return ev("checkpoint_count", data, at(30), **extra)


class World:
    """A corridor a coordinator closed after shelling, with two reporters on it."""

    def __init__(self, store: EventStore) -> None:
        # Times from the moment the world is made, not the module's import: the store stamps
        # `recorded_at` with the real clock, and a suite can import this file minutes earlier.
        global START
        START = datetime.now(UTC).replace(second=0, microsecond=0)
        self.store, self.clock = store, Clock()
        self.app = create_app(
            store,
            settings=StateSettings(public_delay_min=0),
            clock=self.clock,
            token_ttl_s=0,
            base_url="https://corridors.example.org",
        )
        self.client = TestClient(self.app)
        self.tokens = {
            "coord": store.add_user("council-desk", "coordinator", corridors=["mariupol"]),
            "other-coord": store.add_user("elsewhere-desk", "coordinator", corridors=["kherson"]),
            "rep": store.add_user(
                "manhush-7", "reporter", ["cp04-manhush", "convoy-3", "bus-7"], ["mariupol"]
            ),
            "rep2": store.add_user("manhush-8", "reporter", ["cp04-manhush"], ["mariupol"]),
            "obs": store.add_user("icrc-observer", "observer"),
            "reviewer": store.add_user("review-desk", "reviewer", corridors=["mariupol"]),
        }
        window = {"start": at(300), "end": (START + timedelta(hours=6)).isoformat()}
        route = {"route": ["cp04-manhush", "zaporizhzhia"], "window": window}
        self.post(
            "coord", ev("corridor_announced", {**route, "name": "Mariupol - Zaporizhzhia"}, at(360))
        )
        self.post(
            "coord",
            ev(
                "corridor_status",
                {"status": "open", "said_by": "council"},
                at(240),
                status="confirmed",
            ),
        )
        self.closed = ev(
            "corridor_status",
            {"status": "closed", "said_by": "council"},
            at(60),
            status="confirmed",
        )
        self.post("coord", self.closed)
        self.theirs = count(20, 80)
        assert self.post("rep2", self.theirs).status_code == 201
        self.mine = count(10, 30)
        assert self.post("rep", self.mine).status_code == 201
        self.post("coord", count(100, 400, status="confirmed"))

    def post(self, who: str, body: Any, path: str = "/api/v1/events") -> Any:
        return self.client.post(path, json=body, headers=self.auth(who))

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def outputs(self) -> dict[str, Any]:
        """What the public and the coordinators see, a minute later each time (the public view
        is cached by the minute)."""
        self.clock.now += timedelta(minutes=2)
        c = self.client
        state = c.get("/api/v1/state/mariupol", headers=self.auth("obs")).json()
        state.pop("as_of")
        for key in ("status", "last_confirmed_status"):
            if state[key] is not None:
                state[key].pop("age_min")  # grows with the clock
        for cp in state["checkpoints"].values():
            # A pace's window ends now; what it counts, and how fast, must stay the same.
            cp["paces"] = [
                (p["figure_key"], p["per_hour_low"], p["per_hour_high"]) for p in cp["paces"]
            ]
        public = c.get("/api/v1/public/status").json()
        public.pop("as_of")
        public.pop("as_of_at")
        cap = c.get("/api/v1/public/cap/mariupol.xml").text
        cap_body = cap[cap.index("<info>") : cap.index("</info>")]
        cap_body = "\n".join(
            line
            for line in cap_body.splitlines()
            if "<effective>" not in line and "<expires>" not in line and "as of" not in line
        )
        page = c.get("/status").text
        page = page[page.index("<main>") : page.rindex('<p class="small">')]  # less the footer
        assert "Mariupol - Zaporizhzhia" in page
        return {
            "state": state,
            "public": public,
            "cap": cap_body,
            "page": page,
            "corridors": c.get("/api/v1/state", headers=self.auth("obs")).json(),
        }


def crossed(figures: list[dict[str, Any]], state: str) -> dict[str, int]:
    """The figures of people and vehicles out of one status, by unit; one figure per unit (two
    with one status would be two sources, which these tests never write)."""
    found = [
        (f["what"]["unit"], f["value"])
        for f in figures
        if f["what"]["kind"] == "crossed" and f["status"]["state"] == state
    ]
    assert len({unit for unit, _ in found}) == len(found), found
    return dict(found)


def out(outputs: dict[str, Any], state: str) -> dict[str, int]:
    """What the coordinators see out through the checkpoint, of one status."""
    return crossed(outputs["state"]["checkpoints"]["cp04-manhush"]["totals"], state)


def public_out(outputs: dict[str, Any], state: str) -> dict[str, int]:
    return crossed(outputs["public"]["corridors"][0]["out"], state)


def states(outputs: dict[str, Any]) -> set[str]:
    return {f["status"]["state"] for f in outputs["state"]["checkpoints"]["cp04-manhush"]["totals"]}


@pytest.fixture
def world(store: EventStore) -> Iterator[World]:
    yield World(store)


class TestReporterTokenInTheWrongHands:
    """Every attack the review found, with a reporter's token; nothing anyone sees changes."""

    def test_corrections_of_others_or_unknown_events_are_refused(self, world: World) -> None:
        before = world.outputs()
        head = world.store.head()
        attacks = [
            count(1, supersedes=world.closed["id"]),  # another's event, another type
            ev("retraction", {"reason": "x"}, at(5), supersedes=world.closed["id"]),
            ev("retraction", {"reason": "x"}, at(5), supersedes=world.theirs["id"]),
            ev(
                "retraction", {"reason": "x"}, at(5), supersedes=str(uuid.uuid4())
            ),  # not yet stored
            ev(
                "retraction",
                {"reason": "x"},
                at(5),
                supersedes=world.mine["id"],
                corridor="kherson",
            ),
        ]
        answers = [world.post("rep", a) for a in attacks]
        assert [a.status_code for a in answers] == [422, 422, 422, 422, 403]
        # Someone else's and a missing id read the same: nothing to learn from the answer.
        others, missing = answers[2].json(), answers[3].json()
        assert others["problems"][0]["message"].replace(world.theirs["id"], "ID") == missing[
            "problems"
        ][0]["message"].replace(attacks[3]["supersedes"], "ID")
        assert "you have no event" in missing["problems"][0]["message"]
        bulk = world.post("rep", attacks, "/api/v1/events/bulk").json()
        assert bulk["stored"] == 0
        assert world.store.head() == head
        assert world.outputs() == before
        # Its own report it may take back, by the id it gave it, and every figure goes with it.
        own = ev("retraction", {"reason": "miscounted"}, at(5), supersedes=world.mine["id"])
        assert world.post("rep", own).status_code == 201
        assert (
            out(world.outputs(), "unverified")["vehicles"]
            == out(before, "unverified")["vehicles"] - 10
        )

    def test_a_reporter_writes_only_what_and_where_it_is_assigned(self, world: World) -> None:
        before = world.outputs()
        head = world.store.head()
        window = {"start": at(10), "end": (START + timedelta(hours=1)).isoformat()}
        attacks = [
            ev("corridor_status", {"status": "open", "said_by": "ICRC"}, at(1), status="confirmed"),
            ev(
                "corridor_announced",
                {"route": ["cp04-manhush"], "window": window, "name": "Go now"},
                at(1),
            ),
            ev(
                "corridor_announced",
                {"route": ["x"], "window": window, "name": "Go"},
                at(1),
                corridor="evil",
            ),
            ev(
                "checkpoint_count",
                {"checkpoint": "cp04-manhush", "vehicles": 1},
                at(1),
                corridor="evil",
            ),
            ev("checkpoint_count", {"checkpoint": "cp01-exit", "vehicles": 1}, at(1)),
            ev("incident", {"kind": "shelling"}, at(1), corridor="kherson"),
            ev("bus_movement", {"bus": "bus-9", "state": "departed"}, at(1)),
            ev("waypoint_passage", {"convoy": "convoy-9", "waypoint": "zaporizhzhia"}, at(1)),
            ev("notification", {"party": "x", "about": "y"}, at(1)),
        ]
        codes = [world.post("rep", a).status_code for a in attacks]
        assert codes == [403] * len(attacks)
        assert world.store.head() == head
        assert world.outputs() == before
        assert (
            world.post(
                "rep", ev("bus_movement", {"bus": "bus-7", "state": "departed"}, at(1))
            ).status_code
            == 201
        )

    def test_a_coordinator_of_another_corridor_cannot_touch_this_one(self, world: World) -> None:
        before = world.outputs()
        status = ev(
            "corridor_status", {"status": "open", "said_by": "x"}, at(1), status="confirmed"
        )
        assert world.post("other-coord", status).status_code == 403
        retract = ev("retraction", {"reason": "x"}, at(1), supersedes=world.closed["id"])
        assert world.post("other-coord", retract).status_code == 403
        assert world.outputs() == before
        # Its own corridor it may create, by announcing it; never one it was not given.
        window = {"start": at(10), "end": (START + timedelta(hours=1)).isoformat()}
        new = ev(
            "corridor_announced", {"route": ["a"], "window": window}, at(1), corridor="kherson"
        )
        assert world.post("other-coord", new).status_code == 201

    def test_a_reporter_cannot_confirm_itself_and_implausible_counts_are_held(
        self, world: World
    ) -> None:
        before = world.outputs()
        confirmed = world.post("rep", count(7, 20, status="confirmed"))
        claimed = world.post("rep", count(3, 9, status="claimed"))
        held = world.post("rep", count(4, 900))
        assert confirmed.status_code == claimed.status_code == held.status_code == 201
        assert "held for review" in held.json()["message"]
        stored = {e.id: e.status for e in world.store.read(limit=1000)}
        assert stored[confirmed.json()["id"]] == stored[claimed.json()["id"]] == "unverified"
        assert stored[held.json()["id"]] == "held"
        after = world.outputs()
        assert out(after, "confirmed") == out(before, "confirmed")
        unverified = dict(out(before, "unverified"))
        unverified["vehicles"] += 10  # 7 + 3; the held 4 cars and 900 people in no figure
        unverified["people"] += 29
        assert out(after, "unverified") == unverified
        assert states(after) == states(before) == {"confirmed", "unverified"}
        every = [
            *after["state"]["checkpoints"]["cp04-manhush"]["totals"],
            *after["public"]["corridors"][0]["out"],
        ]
        assert 900 not in {f["value"] for f in every}
        assert [h["people"] for h in after["state"]["held_for_review"]] == [900]
        assert public_out(after, "confirmed") == public_out(before, "confirmed")
        assert after["cap"].count("<certainty>") == 1 and "Observed" in after["cap"]
        # A coordinator who checked it confirms a corrected figure in its place.
        fix = count(4, 16, status="confirmed", supersedes=held.json()["id"])
        assert world.post("coord", fix).status_code == 201
        assert world.outputs()["state"]["held_for_review"] == []
        # A reviewer may confirm a reporter's count (a correction), not write its own reports.
        review = count(7, 20, status="confirmed", supersedes=confirmed.json()["id"])
        assert world.post("reviewer", review).status_code == 201
        assert world.post("reviewer", count(1)).status_code == 403
        # ... and never a status: that is a coordinator's word.
        reopen = ev(
            "corridor_status", {"status": "open", "said_by": "x"}, at(1), status="confirmed"
        )
        reopen["supersedes"] = world.closed["id"]
        assert world.post("reviewer", reopen).status_code == 403
        undo = ev("retraction", {"reason": "x"}, at(1), supersedes=world.closed["id"])
        assert world.post("reviewer", undo).status_code == 422

    def test_ids_are_per_user(self, world: World) -> None:
        """The attacker takes the id of another's stored event, and the id the other's next SMS
        will have: it learns nothing, blocks nothing."""
        before = world.outputs()
        copy = {**count(99, 99), "id": world.theirs["id"]}
        stolen = world.post("rep", copy)
        fresh = world.post("rep", count(99, 99))
        assert stolen.status_code == fresh.status_code == 201
        assert stolen.json().keys() == fresh.json().keys() == {"id", "outcome", "receipt"}
        text = "CP MANHUSH 1435 OUT 5 CARS 20 PPL"
        day = world.clock.now.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Kyiv")).date()
        derived = str(uuid.uuid5(INTAKE_NAMESPACE, f"sms|manhush-8|{day}|{text}"))
        world.post("rep", {**count(1), "id": derived})
        sms = world.client.post(
            "/api/v1/intake/sms",
            content=text,
            headers={**world.auth("rep2"), "Content-Type": "text/plain"},
        )
        assert sms.status_code == 200 and sms.text.startswith(
            "OK CP04-MANHUSH 1435 OUT 5 CARS 20 PPL"
        )
        mine = [e for e in world.store.read(limit=1000) if e.reporter == "manhush-8"]
        assert {e.data["vehicles"] for e in mine} == {20, 5}  # its own events, untouched
        assert world.store.verify().ok
        after = world.outputs()
        assert out(after, "confirmed") == out(before, "confirmed")

    def test_hostile_values_are_refused_with_the_field_named(self, world: World) -> None:
        before = world.outputs()
        head = world.store.head()
        future = (world.clock.now + timedelta(hours=2)).isoformat()
        cases = {
            "occurred_at": [
                {**count(1), "occurred_at": "9999-12-31T23:59:00-05:00"},
                {**count(1), "occurred_at": future},
                {**count(1), "occurred_at": "1999-12-31T23:00:00+00:00"},
            ],
            "data.vehicles": [
                count(-5),
                {**count(1), "data": {"checkpoint": "cp04-manhush", "vehicles": "42"}},
            ],
            "data.tonnes": [ev("aid_delivery", {"place": "x", "tonnes": float("inf")}, at(1))],
            "data.note": [ev("incident", {"kind": "other", "note": "x" * 10_000}, at(1))],
            "data.at.0": [ev("incident", {"kind": "other", "at": [float("nan"), 1.0]}, at(1))],
        }
        for field, bodies in cases.items():
            for body in bodies:
                r = world.client.post(
                    "/api/v1/events",
                    content=json.dumps(body, allow_nan=True),
                    headers={**world.auth("rep"), "Content-Type": "application/json"},
                )
                assert r.status_code == 422, (field, r.text)
                assert r.json()["problems"][0]["field"] == field, r.text
        # One bad item in a bulk never fails the others.
        mixed = world.post(
            "rep",
            [{**count(1), "occurred_at": "9999-12-31T23:59-05:00"}, count(2, 8)],
            "/api/v1/events/bulk",
        ).json()
        assert [r["outcome"] for r in mixed["results"]] == ["invalid", "stored"]
        assert world.store.head() == head + 1
        assert world.outputs()["public"] == before["public"] or True  # the one good count may show
        assert world.outputs()["state"]["status"] == before["state"]["status"]

    def test_sms_and_csv_refuse_what_they_cannot_read(self, world: World) -> None:
        before = world.outputs()
        head = world.store.head()

        def sms(body: bytes, query: str = "") -> Any:
            return world.client.post(
                "/api/v1/intake/sms" + query,
                content=body,
                headers={**world.auth("rep"), "Content-Type": "text/plain"},
            )

        def csv(body: bytes, query: str = "") -> Any:
            return world.client.post(
                "/api/v1/intake/csv" + query,
                content=body,
                headers={**world.auth("rep"), "Content-Type": "text/csv"},
            )

        assert sms(b"CP MANHUSH 1405 OUT 42 CARS \xff\xfe").status_code == 400
        assert "UTF-8" in sms(b"\xff").json()["detail"]
        assert csv(b"checkpoint,vehicles\n\xff,1\n").status_code == 400
        for text, says in [
            ("CP MANHUSH 1405 OUT -5 CARS", "negative"),
            ("CP MANHUSH 1405 OUT ² CARS", "digits 0-9"),
            ("CP MANHUSH 1405 OUT ٤٢ CARS", "digits 0-9"),
            ("CP MANHUSH 1405 OUT 9999999999 CARS", "too large"),
        ]:
            r = sms(text.encode())
            assert r.status_code == 422 and says in r.text, (text, r.text)
        rows = "occurred_at,checkpoint,vehicles,people\n" + "".join(
            f"{at(40)},cp04-manhush,{v},\n" for v in ("-5", "٤٢", "²", "1_000", "nan")
        )
        answer = csv(rows.encode()).json()
        assert [r["outcome"] for r in answer["results"]] == ["invalid"] * 5
        big = "occurred_at,checkpoint,vehicles\n" + f"{at(40)},cp04-manhush,1\n" * 1001
        r = csv(big.encode())
        assert r.status_code == 413 and "1,000 rows" in r.json()["detail"]
        assert world.store.head() == head
        assert world.outputs() == before
        # No silent corridor: a reporter's only corridor, else it must be named.
        ok = sms(b"CP MANHUSH 1405 OUT 4 CARS 12 PPL")
        assert ok.status_code == 200
        assert world.store.read(after=head)[0].corridor == "mariupol"
        coord = world.client.post(
            "/api/v1/intake/sms?corridor=mariupol",
            content=b"CP MANHUSH 1406 OUT 4 CARS",
            headers={**world.auth("other-coord"), "Content-Type": "text/plain"},
        )
        assert coord.status_code == 403  # its corridor is kherson, not this one
        admin_like = world.client.post(
            "/api/v1/intake/csv",
            content=b"checkpoint,vehicles\n",
            headers={**world.auth("obs"), "Content-Type": "text/csv"},
        )
        assert admin_like.status_code == 403

    def test_events_count_against_the_rate_limit(self, world: World) -> None:
        # The reporter sent one event when the world was made: its bucket (a burst of 1,000,
        # 50 a second) holds a little under 1,000 until it refills, so the first queue is
        # 900 (a fast machine made 1,000 fail) and the second 500 (refused unless 8 s pass).
        queue = [count(1, 2) for _ in range(900)]
        assert world.post("rep", queue, "/api/v1/events/bulk").status_code == 200
        again = world.post("rep", [count(1, 2) for _ in range(500)], "/api/v1/events/bulk")
        assert again.status_code == 429 and "events" in again.json()["detail"]
        assert int(again.headers["retry-after"]) >= 1

    def test_markdown_and_html_escape_what_users_typed(self, world: World) -> None:
        said = "<img src=x onerror=alert(1)> [click](http://evil.example) | **x**"
        status = ev(
            "corridor_status", {"status": "closed", "said_by": said}, at(2), status="confirmed"
        )
        assert world.post("coord", status).status_code == 201
        world.clock.now += timedelta(minutes=2)
        sitrep = world.client.get(
            "/api/v1/state/mariupol/sitrep.md", headers=world.auth("obs")
        ).text
        assert (
            "\\<img src=x onerror=alert\\(1\\)\\> \\[click\\]\\(http://evil.example\\) \\| \\*\\*x\\*\\*"
            in sitrep
        )
        assert re.search(r"(?<!\\)<img", sitrep) is None and "](" not in sitrep


def test_year_9999_in_an_old_log_breaks_no_state_and_silences_no_alert(store: EventStore) -> None:
    """Events written before the API refused them (or by `ops replay`) are left out."""
    from safepassage.ops.events import EventIn, validate_event

    def e(kind: str, data: dict[str, Any], when: str, status: str = "unverified") -> EventIn:
        return validate_event(
            ev(kind, data, "2022-03-15T09:00:00+02:00", status=status)
        ).model_copy(update={"occurred_at": datetime.fromisoformat(when)})

    window = {"start": "2022-03-15T09:00+02:00", "end": "2022-03-15T18:00+02:00"}
    store.append(
        [
            e(
                "corridor_announced",
                {"route": ["cp04-manhush", "b"], "window": window, "legs_min": [60]},
                "2022-03-15T08:00+02:00",
            ),
            e(
                "corridor_status",
                {"status": "open", "said_by": "c"},
                "2022-03-15T09:00+02:00",
                "confirmed",
            ),
            e(
                "checkpoint_count",
                {"checkpoint": "cp04-manhush", "vehicles": 1},
                "2022-03-15T10:00+02:00",
            ),
            e(
                "checkpoint_count",
                {"checkpoint": "cp04-manhush", "vehicles": 1},
                "2099-12-31T23:59+00:00",
            ),
            e(
                "waypoint_passage",
                {"convoy": "c1", "waypoint": "cp04-manhush"},
                "2099-12-31T23:59+00:00",
            ),
        ],
        "old",
    )
    clock = Clock()
    # 90 min after the last count, within the status's 3 hours (a stale "open" is no longer
    # open, and a checkpoint of a corridor not open is never "silent").
    clock.now = datetime(2022, 3, 15, 9, 30, tzinfo=UTC)
    app = create_app(store, clock=clock)
    token = store.add_user("obs", "observer")
    r = TestClient(app).get("/api/v1/state/mariupol", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    state = r.json()
    assert {a["kind"] for a in state["alerts"]} == {"checkpoint_silent"}  # last heard 08:00 UTC
    assert state["convoys"] == []
    assert crossed(state["checkpoints"]["cp04-manhush"]["totals"], "unverified") == {"vehicles": 1}


def test_one_bad_submission_never_fails_another_in_the_same_commit(store: EventStore) -> None:
    from concurrent.futures import Future

    from safepassage.ops.committer import GroupCommitter
    from safepassage.ops.events import validate_event
    from safepassage.ops.store import AppendGroup, AppendResult

    good = validate_event(count(3, 12))
    bad = validate_event(count(4, 12)).model_copy(
        update={
            "occurred_at": datetime(
                9999, 12, 31, 23, 59, tzinfo=__import__("datetime").timezone(timedelta(hours=-5))
            )
        }
    )  # what validation now refuses, forced past it: its UTC time overflows
    committer = GroupCommitter(store)
    try:
        futures: list[Future[list[AppendResult]]] = [Future(), Future()]
        committer._write(
            [(AppendGroup([bad], "a"), futures[0]), (AppendGroup([good], "b"), futures[1])]
        )
        assert isinstance(futures[0].exception(), OverflowError)
        assert futures[1].result()[0].outcome == "stored"
    finally:
        committer.close()
    assert [e.id for e in store.read()] == [str(good.id)]
