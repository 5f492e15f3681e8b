"""A retraction or correction takes back every figure of what it names (totals, throughput,
the reported queue), whatever order the events arrive in: the projection after any permutation
equals an independent recomputation from the set of events that still stand."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from safepassage.ops.state import Projection
from safepassage.ops.store import StoredEvent

T0 = datetime(2022, 3, 15, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=50)
CHECKPOINTS = ("cp-a", "cp-b")


def _event(seq: int, raw: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        seq=seq,
        id=raw["id"],
        type=raw["type"],
        corridor="c",
        occurred_at=raw["occurred_at"],
        recorded_at=T0.isoformat(),
        reporter="r",
        status=raw.get("status", "unverified"),
        source=None,
        supersedes=raw.get("supersedes"),
        data=json.loads(json.dumps(raw["data"])),  # each arrival gets its own copy
        hash="",
    )


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
    """The figures recomputed from scratch: an event stands unless some event names it."""
    named = {e["supersedes"] for e in history if e.get("supersedes")}
    standing = [e for e in history if e["id"] not in named and e["type"] == "checkpoint_count"]
    totals: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
        lambda: {"vehicles": 0, "buses": 0, "people": 0, "vehicles_without_people": 0}
    )
    out_by_minute: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for e in standing:
        d, when = e["data"], datetime.fromisoformat(e["occurred_at"])
        verified = "confirmed" if e["status"] == "confirmed" else "unconfirmed"
        t = totals[(d["checkpoint"], d["direction"], verified)]
        t["vehicles"] += d["vehicles"]
        t["buses"] += d["buses"]
        t["people"] += d.get("people", 0)
        t["vehicles_without_people"] += 0 if "people" in d else d["vehicles"] + d["buses"]
        if d["direction"] == "out":
            out_by_minute[d["checkpoint"]][int(when.timestamp() // 60)] += (
                d["vehicles"] + d["buses"]
            )
    queues: dict[str, dict[str, Any] | None] = {}
    now_minute = int(NOW.timestamp() // 60)
    for cp in CHECKPOINTS:
        reports = [
            (datetime.fromisoformat(e["occurred_at"]), e["id"], e["data"]["waiting"], e)
            for e in standing
            if e["data"]["checkpoint"] == cp and "waiting" in e["data"]
        ]
        if not reports:
            queues[cp] = None
            continue
        when, _, seen, latest = max(reports, key=lambda r: (r[0], r[1]))
        since = int(when.timestamp() // 60)
        passed = sum(v for m, v in out_by_minute[cp].items() if since < m <= now_minute)
        queues[cp] = {
            "vehicles": max(0, seen - passed),
            "seen": seen,
            "seen_at": latest["occurred_at"],
        }
    window_from = now_minute - 60
    throughput = {
        cp: round(sum(v for m, v in out_by_minute[cp].items() if window_from < m <= now_minute), 1)
        for cp in CHECKPOINTS
    }
    return {"totals": dict(totals), "queues": queues, "throughput": throughput}


def projected(order: list[dict[str, Any]]) -> dict[str, Any]:
    p = Projection()
    for seq, raw in enumerate(order, start=1):
        p.apply(_event(seq, raw))
    state = p.corridor_state("c", NOW) if p.corridors else {"checkpoints": {}}
    totals: dict[tuple[str, str, str], dict[str, int]] = {}
    queues: dict[str, dict[str, Any] | None] = dict.fromkeys(CHECKPOINTS)
    throughput = dict.fromkeys(CHECKPOINTS, 0.0)
    for cp, figures in state["checkpoints"].items():
        for direction in ("out", "in"):
            for verified, sums in figures[direction].items():
                totals[(cp, direction, verified)] = sums
        q = figures["queue_estimate"]
        queues[cp] = None if q is None else {k: q[k] for k in ("vehicles", "seen", "seen_at")}
        throughput[cp] = figures["throughput_vph"]
    return {"totals": totals, "queues": queues, "throughput": throughput}


def _nonzero(totals: dict[Any, dict[str, int]]) -> dict[Any, dict[str, int]]:
    # A bucket whose events were all taken back stays, at zero; the oracle never makes it.
    return {k: v for k, v in totals.items() if any(v.values())}


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_arrival_order_gives_the_recomputed_figures(data: st.DataObject) -> None:
    history = data.draw(histories())
    order = data.draw(st.permutations(history))
    got, want = projected(list(order)), oracle(history)
    assert _nonzero(got["totals"]) == _nonzero(want["totals"])
    assert got["queues"] == want["queues"]
    assert got["throughput"] == want["throughput"]


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
        queue = projected(order)["queues"]["cp-a"]
        assert queue is not None and queue["seen"] == 40
