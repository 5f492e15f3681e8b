"""A retraction or correction takes back every figure of what it names (totals, paces, the
reported queue), whatever order the events arrive in: the projection after any permutation
equals an independent recomputation from the set of events that still stand."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from safepassage.ops.state import Projection
from safepassage.ops.store import StoredEvent
from tests.ops.stored import stored_event

T0 = datetime(2022, 3, 15, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=50)
CHECKPOINTS = ("cp-a", "cp-b")


def _event(seq: int, raw: dict[str, Any]) -> StoredEvent:
    return stored_event(seq, raw, T0)


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Counts (some with a queue figure), other events, and corrections or retractions that
    name any earlier event (also other corrections)."""
    out: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(2, 12))):
        ident = str(uuid.UUID(int=draw(st.integers(0, 2**64))))
        if any(e["id"] == ident for e in out):
            continue
        at = (T0 + timedelta(minutes=draw(st.integers(0, 45)))).isoformat()
        kind = draw(st.sampled_from(["count", "count", "count", "retract", "correct", "bus"]))
        target = draw(st.sampled_from([e["id"] for e in out])) if out else None
        if kind == "bus" or (kind == "retract" and target is None):
            out.append(
                {
                    "id": ident,
                    "type": "bus_movement",
                    "occurred_at": at,
                    "data": {"bus": "b1", "state": "departed"},
                }
            )
        elif kind == "retract":
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
            data: dict[str, Any] = {
                "checkpoint": draw(st.sampled_from(CHECKPOINTS)),
                "direction": draw(st.sampled_from(["out", "out", "in"])),
                "vehicles": draw(st.integers(0, 50)),
                "buses": draw(st.integers(0, 3)),
            }
            if draw(st.booleans()):
                data["people"] = draw(st.integers(0, 200))
            if draw(st.booleans()):
                data["waiting"] = draw(st.integers(0, 300))
            event = {
                "id": ident,
                "type": "checkpoint_count",
                "occurred_at": at,
                "status": draw(st.sampled_from(["confirmed", "unverified"])),
                "data": data,
            }
            if kind == "correct" and target is not None:
                event["supersedes"] = target
            out.append(event)
    return out


def oracle(history: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures recomputed from scratch: an event stands unless some event names it. Per
    checkpoint, kind, unit and status (all counts here come from one source)."""
    named = {e["supersedes"] for e in history if e.get("supersedes")}
    standing = [e for e in history if e["id"] not in named and e["type"] == "checkpoint_count"]
    totals: dict[tuple[str, str, str, str], int] = defaultdict(int)
    paces: dict[tuple[str, str, str, str], float] = defaultdict(float)
    for e in standing:
        d = e["data"]
        kind = "crossed" if d["direction"] == "out" else "arrived"
        # 0 vehicles beside another number is "not stated", not a count of none.
        others = bool(d["buses"]) or "people" in d or "waiting" in d
        units = [("vehicles", d["vehicles"])] if d["vehicles"] or not others else []
        units += [("buses", d["buses"])] if d["buses"] else []
        units += [("people", d["people"])] if "people" in d else []
        for unit, n in units:
            totals[(d["checkpoint"], kind, unit, e["status"])] += n
            # Every count is within the last hour of NOW and states no interval: its pace
            # is its number an hour.
            paces[(d["checkpoint"], kind, unit, e["status"])] += n
    queues: dict[tuple[str, str], dict[str, Any]] = {}
    for cp in CHECKPOINTS:
        for status in ("confirmed", "unverified"):
            mine = [e for e in standing if e["data"]["checkpoint"] == cp and e["status"] == status]
            reports = [
                (datetime.fromisoformat(e["occurred_at"]), e["id"], e["data"]["waiting"])
                for e in mine
                if "waiting" in e["data"]
            ]
            if not reports:
                continue
            when, _, seen = max(reports)
            passed = sum(
                e["data"]["vehicles"]
                for e in mine
                if e["data"]["direction"] == "out"
                and when < datetime.fromisoformat(e["occurred_at"]) <= NOW
            )
            queues[(cp, status)] = {"low": max(0, seen - passed), "seen": seen}
    return {"totals": dict(totals), "queues": queues, "paces": dict(paces)}


def projected(order: list[dict[str, Any]]) -> dict[str, Any]:
    p = Projection()
    for seq, raw in enumerate(order, start=1):
        p.apply(_event(seq, raw))
    state = p.corridor_state("c", NOW) if p.corridors else {"checkpoints": {}}
    totals: dict[tuple[str, str, str, str], int] = {}
    queues: dict[tuple[str, str], dict[str, Any]] = {}
    paces: dict[tuple[str, str, str, str], float] = {}
    for cp, figures in state["checkpoints"].items():
        for f in figures["totals"]:
            totals[(cp, f["what"]["kind"], f["what"]["unit"], f["status"]["state"])] = f["value"]
        for q in figures["queues"]:
            queues[(cp, q["status"]["state"])] = {"low": q["low"], "seen": q["seen"]["value"]}
        for r in figures["paces"]:
            what = r["of"]["what"]
            key = (cp, what["kind"], what["unit"], r["status"]["state"])
            paces[key] = r["per_hour_low"]
    return {"totals": totals, "queues": queues, "paces": paces}


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_arrival_order_gives_the_recomputed_figures(data: st.DataObject) -> None:
    history = data.draw(histories())
    order = data.draw(st.permutations(history))
    got, want = projected(list(order)), oracle(history)
    assert got["totals"] == want["totals"]
    assert got["queues"] == want["queues"]
    assert got["paces"] == want["paces"]


def test_a_retracted_queue_report_no_longer_sets_the_queue() -> None:
    """The case found in review: the latest queue report retracted after it arrived."""
    early = {
        "id": "00000000-0000-4000-8000-000000000001",
        "type": "checkpoint_count",
        "occurred_at": (T0 + timedelta(minutes=5)).isoformat(),
        "data": {
            "checkpoint": "cp-a",
            "direction": "out",
            "vehicles": 0,
            "buses": 0,
            "waiting": 40,
        },
    }
    late = {**early, "id": "00000000-0000-4000-8000-000000000002"}
    late["occurred_at"] = (T0 + timedelta(minutes=9)).isoformat()
    late["data"] = {**early["data"], "waiting": 900}
    retract = {
        "id": "00000000-0000-4000-8000-000000000003",
        "type": "retraction",
        "occurred_at": (T0 + timedelta(minutes=10)).isoformat(),
        "supersedes": late["id"],
        "data": {"reason": "typo"},
    }
    for order in ([early, late, retract], [retract, late, early], [late, retract, early]):
        queue = projected(order)["queues"][("cp-a", "unverified")]
        assert queue["seen"] == 40
