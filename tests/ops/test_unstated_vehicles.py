"""A count that states people (or buses, or a queue) and no vehicles is not a count of no
vehicles: "6,426 people arrived" must not become "0 vehicles arrived", beside another source's
570 cars as if the two disagreed (the bundled 2022 log showed "sources differ: from 0 to 570")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from safepassage.ops.state import Projection
from safepassage.ops.store import StoredEvent
from tests.ops.stored import stored_event

T0 = datetime(2022, 3, 16, 10, 0, tzinfo=UTC)


def _event(seq: int, data: dict[str, Any], source: str) -> StoredEvent:
    raw = {
        "id": str(uuid.uuid4()),
        "type": "checkpoint_count",
        "occurred_at": (T0 + timedelta(minutes=seq)).isoformat(),
        "source": source,
        "data": data,
    }
    return stored_event(seq, raw, T0)


def _state(*counts: tuple[dict[str, Any], str]) -> dict[str, Any]:
    p = Projection()
    for seq, (data, source) in enumerate(counts, start=1):
        p.apply(_event(seq, data, source))
    return p.corridor_state("c", T0 + timedelta(hours=1))


def _units(state: dict[str, Any], cp: str) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for f in state["checkpoints"][cp]["totals"]:
        out.setdefault(f["what"]["unit"], []).append((f["value"], f["source"]["name"]))
    return out


def test_people_alone_give_no_vehicles_figure() -> None:
    people = {"checkpoint": "reception", "direction": "in", "people": 6426, "vehicles": 0}
    cars = {"checkpoint": "reception", "direction": "in", "vehicles": 570}
    state = _state((people, "deputy prime minister"), (cars, "regional officials"))
    units = _units(state, "reception")
    assert units["people"] == [(6426, "deputy prime minister")]
    assert units["vehicles"] == [(570, "regional officials")]  # no 0 from the other source
    assert state["checkpoints"]["reception"]["sources_differ"] == []  # one vehicles source


def test_a_queue_report_is_not_a_count_of_nobody_crossing() -> None:
    queue = {"checkpoint": "exit", "waiting": 300, "vehicles": 0}
    units = _units(_state((queue, "checkpoint team")), "exit")
    assert "vehicles" not in units


def test_a_count_of_none_still_counts() -> None:
    """A reporter who says nothing passed (and nothing else) is a figure: 0 vehicles."""
    nothing = {"checkpoint": "exit", "vehicles": 0}
    assert _units(_state((nothing, "checkpoint team")), "exit") == {
        "vehicles": [(0, "checkpoint team")]
    }
