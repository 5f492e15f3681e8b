"""Derived checkpoint numbers (pace, queue, wait, totals) from the register: the findings of
issue 11 as regression tests. Nothing is added across statuses or sources, and a count made
over many hours adds to the last hour only its share."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from typing import Any

import pytest

from safepassage.ops.claims import ClaimsRegister
from safepassage.ops.derived import checkpoint_figures
from safepassage.ops.store import StoredEvent

_seq = itertools.count(1)
NOW = datetime.fromisoformat("2022-03-15T14:00:00+02:00")


def stored(
    at: str,
    data: dict[str, Any],
    status: str = "unverified",
    source: str | None = None,
    kind: str = "checkpoint_count",
    reporter: str = "r",
) -> StoredEvent:
    return StoredEvent(
        seq=next(_seq),
        id=str(uuid.uuid4()),
        type=kind,
        corridor="c",
        occurred_at=at,
        recorded_at=at,
        reporter=reporter,
        status=status,
        source=source,
        supersedes=None,
        data=data,
        hash="",
    )


def derive(events: list[StoredEvent], now: datetime = NOW) -> dict[str, Any]:
    reg = ClaimsRegister()
    for e in events:
        reg.apply(e)
    return checkpoint_figures(reg.figures(), now)


def numbers(node: Any) -> list[float]:
    """Every number anywhere in a JSON-like value."""
    if isinstance(node, bool):
        return []
    if isinstance(node, int | float):
        return [node]
    if isinstance(node, dict):
        return [n for v in node.values() for n in numbers(v)]
    if isinstance(node, list):
        return [n for v in node for n in numbers(v)]
    return []


def test_confirmed_claimed_and_unverified_paces_stay_apart() -> None:
    start = "2022-03-15T13:00:00+02:00"
    events = [
        stored(
            "2022-03-15T14:00:00+02:00",
            {"checkpoint": "cp", "interval_start": start, "vehicles": 40},
            "confirmed",
        ),
        stored(
            "2022-03-15T14:00:00+02:00",
            {"checkpoint": "cp", "interval_start": start, "vehicles": 1000},
            "claimed",
            "a party",
        ),
        stored(
            "2022-03-15T14:00:00+02:00",
            {"checkpoint": "cp", "interval_start": start, "vehicles": 30},
        ),
    ]
    got = derive(events)
    by_state = {p["status"]["state"]: p["per_hour_low"] for p in got["paces"]}
    assert by_state == {"confirmed": 40 * 60 / 60, "reported": 1000.0, "unverified": 30.0}
    everything = numbers(got)
    assert 1070 not in everything and 1030 not in everything and 1040 not in everything
    assert 70 not in everything


def test_a_count_over_23_hours_is_80_an_hour_and_its_queue_25_hours() -> None:
    source = "Interfax-Ukraine, 15 Mar 2022"
    events = [
        stored(
            "2022-03-15T14:00:00+02:00",
            {
                "checkpoint": "cp",
                "interval_start": "2022-03-14T15:00:00+02:00",
                "vehicles": 1840,
                "waiting": 2000,
            },
            "claimed",
            source,
        ),
    ]
    got = derive(events)
    [pace] = got["paces"]
    assert pace["per_hour_low"] == pytest.approx(80, abs=1)  # 1,840 / 23 h, not 1,840
    [w] = got["waits"]
    assert w["minutes_low"] == pytest.approx(25 * 60, rel=0.02)
    assert "25 h" in w["text"]
    [queue] = got["queues"]
    assert queue["low"] == 2000 and queue["qualifier"] == "at_least"


def test_a_claimed_count_never_empties_a_confirmed_queue() -> None:
    events = [
        stored(
            "2022-03-15T13:00:00+02:00",
            {"checkpoint": "cp", "vehicles": 0, "waiting": 300},
            "confirmed",
        ),
        stored(
            "2022-03-15T13:30:00+02:00",
            {"checkpoint": "cp", "vehicles": 1000},
            "claimed",
            "a party",
        ),
        stored("2022-03-15T13:40:00+02:00", {"checkpoint": "cp", "vehicles": 100}, "confirmed"),
    ]
    got = derive(events)
    [queue] = got["queues"]
    assert queue["status"]["state"] == "confirmed"
    assert (queue["low"], queue["qualifier"]) == (200, "at_least")  # 300 less the confirmed 100
    assert queue["value"] is None  # a lower bound is never shown as an exact count


def test_sources_that_disagree_are_shown_each_with_the_range() -> None:
    events = [
        stored(
            "2022-03-15T14:00:00+02:00",
            {"checkpoint": "cp", "interval_start": "2022-03-14T13:00:00+02:00", "vehicles": 2000},
            "claimed",
            "news agency",
        ),
        stored(
            "2022-03-15T13:00:00+02:00",
            {"checkpoint": "cp", "interval_start": "2022-03-14T13:00:00+02:00", "vehicles": 4000},
            "claimed",
            "regional officials",
        ),
    ]
    got = derive(events)
    [differ] = [d for d in got["sources_differ"] if d["figures"][0]["what"]["unit"] == "vehicles"]
    assert (differ["low"], differ["high"]) == (2000, 4000)
    assert 6000 not in numbers(got)
    assert sorted(f["source"]["name"] for f in differ["figures"]) == [
        "news agency",
        "regional officials",
    ]
