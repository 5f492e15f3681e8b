"""Suggested duplicates come from an index of claims by place and time; they must be exactly
what comparing the claim with every other claim of its corridor finds (the brute force),
whatever the intervals, retractions and links."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from safepassage.ops import claims as claims_module
from safepassage.ops.claims import ClaimsRegister
from safepassage.ops.store import StoredEvent

T0 = datetime(2022, 3, 15, 12, 0, tzinfo=UTC)


def stored(seq: int, raw: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        seq, raw["id"], raw["type"], raw.get("corridor", "c"), raw["at"], raw["at"], "r",
        "unverified", None, raw.get("supersedes"), json.loads(json.dumps(raw["data"])), "",
    )  # fmt: skip


@st.composite
def logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(2, 16))):
        ident = str(uuid.UUID(int=draw(st.integers(1, 2**60))))
        if any(e["id"] == ident for e in out):
            continue
        at = T0 + timedelta(minutes=draw(st.integers(0, 600)))
        kind = draw(st.sampled_from(["count"] * 4 + ["claim", "retract", "link"]))
        made = [e["id"] for e in out if e["type"] != "retraction"]
        if kind == "retract" and made:
            out.append(
                {"id": ident, "type": "retraction", "at": at.isoformat(), "data": {"reason": "x"},
                 "supersedes": draw(st.sampled_from(made))}
            )  # fmt: skip
        elif kind == "link" and len(made) > 1:
            a, b = draw(st.permutations(made))[:2]
            data = {"claim": a, "action": "duplicate_of", "by": "d", "of": b}
            out.append({"id": ident, "type": "claim_review", "at": at.isoformat(), "data": data})
        elif kind == "claim":
            data = {
                "kind": "crossed", "unit": "vehicles", "value": draw(st.integers(95, 110)),
                "place": draw(st.sampled_from(["cp-a", "cp-b"])), "span": "interval",
                "said_by": "council", "qualifier": "exact",
                "since": (at - timedelta(minutes=draw(st.integers(1, 400)))).isoformat(),
            }  # fmt: skip
            out.append({"id": ident, "type": "claim", "at": at.isoformat(), "data": data})
        else:
            data = {"checkpoint": draw(st.sampled_from(["cp-a", "cp-b"])),
                    "vehicles": draw(st.integers(95, 110))}  # fmt: skip
            if draw(st.booleans()):
                start = at - timedelta(minutes=draw(st.integers(1, 300)))
                data["interval_start"] = start.isoformat()
            raw = {"id": ident, "type": "checkpoint_count", "at": at.isoformat(), "data": data}
            raw["corridor"] = draw(st.sampled_from(["c", "c", "other"]))
            out.append(raw)
    return out


def brute_force(reg: ClaimsRegister, cid: str) -> list[str]:
    links = reg.duplicate_links()
    e = reg.claims[cid]
    mine = claims_module.base_figures(e, "UTC")
    found = []
    for oid, other in sorted(reg.claims.items(), key=lambda kv: (kv[1].occurred_at, kv[0])):
        if other.corridor != e.corridor or links.get(oid, oid) == links.get(cid, cid):
            continue
        if claims_module._similar(mine, claims_module.base_figures(other, "UTC")):
            found.append(oid)
    return found


@settings(max_examples=80, deadline=None)
@given(log=logs(), early=st.integers(0, 16))
def test_suggestions_are_what_comparing_with_every_claim_finds(
    log: list[dict[str, Any]], early: int
) -> None:
    reg = ClaimsRegister()
    for seq, raw in enumerate(log, start=1):
        reg.apply(stored(seq, raw))
        if seq == early:
            reg.queue("c")  # the index is made here, then kept as claims come and go
    for cid in reg.claims:
        assert [s["claim"] for s in reg.suggestions(cid)] == brute_force(reg, cid)
