"""The live state keeps running totals as claims arrive (`ops/running.py`); whatever the
arrival order and whatever is read in between, a read must give exactly what a projection
built from scratch on the same events gives (the same JSON), and the totals must be what
`totals` computes from the figures."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepassage.figures import Figure, SumKey, per_day, totals
from safepassage.ops import claims
from safepassage.ops.derived import PlaceIndex
from safepassage.ops.state import Projection
from safepassage.ops.store import StoredEvent
from tests.ops.stored import stored_event

T0 = datetime(2022, 3, 15, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=90)


def _event(seq: int, raw: dict[str, Any]) -> StoredEvent:
    return stored_event(seq, raw, T0)


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Counts (with and without a stated interval, people, a queue; two sources), claims
    away from the checkpoints, reviews, corrections and retractions, in arrival order."""
    out: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 14))):
        ident = str(uuid.UUID(int=draw(st.integers(0, 2**64))))
        if any(e["id"] == ident for e in out):
            continue
        minute = draw(st.integers(0, 80) | st.just(40))  # ties in time are a case of their own
        at = (T0 + timedelta(minutes=minute)).isoformat()
        kind = draw(st.sampled_from(["count"] * 5 + ["claim", "review", "retract", "correct"]))
        claims = [e["id"] for e in out if e["type"] in ("checkpoint_count", "claim")]
        if kind == "claim":
            data: dict[str, Any] = {
                "kind": "evacuated",
                "qualifier": draw(st.sampled_from(["exact", "about", "at_least"])),
                "value": draw(st.integers(0, 5000)),
                "said_by": draw(st.sampled_from(["city council", "UNHCR"])),
                "place": "Zaporizhzhia",
                "span": draw(st.sampled_from(["cumulative", "interval"])),
            }
            out.append({"id": ident, "type": "claim", "occurred_at": at, "data": data})
        elif kind == "review" and claims:
            review = {"claim": draw(st.sampled_from(claims)), "by": "desk"}
            review["action"] = draw(
                st.sampled_from(["confirm", "dispute", "assign", "deny", "duplicate_of"])
            )
            review["to"] = "ana"
            if review["action"] == "duplicate_of":
                others = [c for c in claims if c != review["claim"]]
                if not others:
                    continue
                review["of"] = draw(st.sampled_from(others))
            out.append({"id": ident, "type": "claim_review", "occurred_at": at, "data": review})
        elif kind == "retract" and out:
            target = draw(st.sampled_from([e["id"] for e in out]))
            out.append(
                {
                    "id": ident,
                    "type": "retraction",
                    "occurred_at": at,
                    "supersedes": target,
                    "data": {"reason": "wrong"},
                }
            )
        else:
            data = {
                "checkpoint": draw(st.sampled_from(["cp-a", "cp-b"])),
                "direction": draw(st.sampled_from(["out", "out", "in"])),
                "vehicles": draw(st.integers(0, 50)),
            }
            if draw(st.booleans()):
                data["people"] = draw(st.integers(0, 200))
            if draw(st.booleans()):
                data["waiting"] = draw(st.integers(0, 300))
            if draw(st.booleans()):
                # From half a minute to 40 minutes: stated intervals that may overlap (the
                # per-day sums then give a range).
                seconds = draw(st.sampled_from([30, 600, 2400]))
                start = T0 + timedelta(minutes=minute, seconds=-seconds)
                data["interval_start"] = start.isoformat()
            event = {
                "id": ident,
                "type": "checkpoint_count",
                "occurred_at": at,
                "status": draw(st.sampled_from(["confirmed", "unverified"])),
                "source": draw(st.sampled_from([None, "sms from r", "UNHCR monitor"])),
                "data": data,
            }
            if kind == "correct" and claims:
                event["supersedes"] = draw(st.sampled_from(claims))
            out.append(event)
    return out


def _fresh(events: list[StoredEvent], now: datetime) -> dict[str, Any]:
    p = Projection()
    for e in events:
        p.apply(e)
    return p.corridor_state("c", now)


@settings(max_examples=80, deadline=None)
@given(history=histories(), now_minutes=st.integers(0, 90))
def test_a_read_after_each_event_equals_a_projection_built_from_scratch(
    history: list[dict[str, Any]], now_minutes: int
) -> None:
    events = [_event(seq, raw) for seq, raw in enumerate(history, start=1)]
    live = Projection()
    for i, e in enumerate(events):
        live.apply(e)
        for now in (NOW, T0 + timedelta(minutes=now_minutes)):
            got = json.dumps(live.corridor_state("c", now), sort_keys=True)
            want = json.dumps(_fresh(events[: i + 1], now), sort_keys=True)
            assert got == want
        # Awaiting review, kept as claims change, is what the queue finds afresh; the queue
        # (its order kept as claims come and go) is what a fresh register lists.
        queue = live.register.queue("c", 1000)
        assert live.register.pending("c") == len(queue)
        fresh = claims.ClaimsRegister()
        for e in events[: i + 1]:
            fresh.apply(e)
        assert queue == fresh.queue("c", 1000)


@settings(max_examples=60, deadline=None)
@given(history=histories())
def test_running_totals_are_the_totals_of_the_figures(history: list[dict[str, Any]]) -> None:
    p = Projection()
    for seq, raw in enumerate(history, start=1):
        p.apply(_event(seq, raw))
        p.corridor_state("c", NOW)  # read between events: the totals are kept, not rebuilt
    for index in p._place_cache.get("c", (None, {}, []))[1].values():
        figures = list(index.figures)
        want = totals(f for f in figures if f.kind != "waiting")
        bulk = PlaceIndex(figures).running  # made at once, as after a start
        assert index.running.totals() == want
        assert bulk.totals() == want
        days, _ = per_day(f for f in figures if f.kind != "waiting")
        assert index.running.per_day() == days
        assert bulk.per_day() == days
        for total in want:
            if total.unit == "people" and total.kind in ("crossed", "arrived"):
                missing = _vehicles_without_people(total.key, figures)
                assert index.running.without_people(total.key) == missing
                assert bulk.without_people(total.key) == missing


def _vehicles_without_people(key: SumKey, figures: list[Figure]) -> int:
    """The oracle: vehicles counted over an interval, of the same kind, place, status and
    source as a people total, by claims that stated no people of that key."""
    with_people = {f.refs[0] for f in figures if f.key == key}
    return sum(
        f.value.high or 0
        for f in figures
        if (f.kind, f.place, f.status.state, f.source.name, f.unit)
        == (key.kind, key.place, key.state, key.source, "vehicles")
        and f.span.kind == "interval"
        and f.refs[0] not in with_people
    )


def test_counts_at_one_moment_from_two_channels_total_as_totals_does() -> None:
    """Two counts of one key at the same moment, by SMS and from the desk (one source name,
    two channels): the sum takes its other fields from the one `total` takes them from."""
    at = (T0 + timedelta(minutes=5)).isoformat()
    raws = [
        {
            "id": str(uuid.UUID(int=i)),
            "type": "checkpoint_count",
            "occurred_at": at,
            "source": source,
            "data": {"checkpoint": "cp-a", "vehicles": 10 + i, "people": 30},
        }
        for i, source in enumerate(["sms from r", None, "sms from r"])
    ]
    for order in (raws, raws[::-1]):
        p = Projection()
        for seq, raw in enumerate(order, start=1):
            p.apply(_event(seq, raw))
        state = p.corridor_state("c", NOW)
        index = p._place_cache["c"][1]["cp-a"]
        want = totals(f for f in index.figures if f.kind != "waiting")
        assert index.running.totals() == want
        vehicles = [
            t for t in state["checkpoints"]["cp-a"]["totals"] if t["what"]["unit"] == "vehicles"
        ]
        assert [t["value"] for t in vehicles] == [33]


def test_a_reader_far_behind_rebuilds_and_one_up_to_date_keeps_adding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The register lists only the latest new claims (here 4): a read after more than that
    rebuilds, a read after fewer adds; both give what a fresh projection gives."""
    monkeypatch.setattr(claims, "MAX_ADDED", 4)
    events = [
        _event(
            i + 1,
            {
                "id": str(uuid.UUID(int=i + 1)),
                "type": "checkpoint_count",
                "occurred_at": (T0 + timedelta(minutes=i)).isoformat(),
                "data": {"checkpoint": "cp-a", "vehicles": i, "people": 2 * i},
            },
        )
        for i in range(30)
    ]
    live = Projection()
    for i, e in enumerate(events):
        live.apply(e)
        if i in (0, 9, 10, 12, 13, 25, 29):  # gaps of 9, 1, 2, 1, 12 and 4 new claims
            got = live.corridor_state("c", NOW)
            assert got == _fresh(events[: i + 1], NOW)
    assert len(live.register._changes) <= 4


def test_overlapping_intervals_on_one_day_give_a_range_not_a_crash() -> None:
    """Two counts of one source whose stated intervals overlap on one local day (a reporter can
    send that) once made every state read raise MixedFigures; the day's sum is a range now."""

    def count(n: int, start_min: int, vehicles: int) -> StoredEvent:
        return _event(
            n,
            {
                "id": str(uuid.UUID(int=n)),
                "type": "checkpoint_count",
                "occurred_at": (T0 + timedelta(minutes=start_min + 60)).isoformat(),
                "data": {
                    "checkpoint": "cp",
                    "vehicles": vehicles,
                    "interval_start": (T0 + timedelta(minutes=start_min)).isoformat(),
                },
            },
        )

    for live in (True, False):
        p = Projection()
        for e in (count(1, 0, 40), count(2, 30, 50)):
            p.apply(e)
            if live:
                p.corridor_state("c", NOW)
        days = p.corridor_state("c", NOW)["checkpoints"]["cp"]["per_day"]
        vehicles = [d for d in days if d["what"]["unit"] == "vehicles"]
        assert len(vehicles) == 1
        assert vehicles[0]["text"].startswith("50 to 90 vehicles")
