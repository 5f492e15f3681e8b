"""A sum of one source's counts entered by several reporters names every one of them (or,
past MAX_NAMED, how many and the first by name), never one reporter standing for all: in
the totals, the last hour's pace and the per-day sums; and no reporter reaches the public."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from safepassage.figures import totals
from safepassage.figures.figure import MAX_NAMED
from safepassage.ops.state import Projection, PublicProjection, StateSettings
from tests.ops.test_state_figures import T0, announced, ev


def counts(reporters: list[str], stated: bool) -> list[Any]:
    out = []
    for i, who in enumerate(reporters):
        at = T0 + timedelta(minutes=2 * i + 2)
        data: dict[str, Any] = {"checkpoint": "cp01", "vehicles": 10 + i}
        if stated:
            data["interval_start"] = (at - timedelta(minutes=1)).isoformat()
        out.append(ev("checkpoint_count", at, data, source=f"sms from {who}", reporter=who))
    return out


def vehicles(rows: list[dict[str, Any]]) -> dict[str, Any]:
    [row] = [r for r in rows if r["what"]["unit"] == "vehicles"]
    return row


@pytest.mark.parametrize("stated", [False, True])
def test_a_sum_of_several_reporters_names_them_all(stated: bool) -> None:
    reporters = ["olena", "andriy", "maria"]
    events = counts(reporters, stated)
    p = Projection()
    for e in [announced(), *events]:
        p.apply(e)
    cp = p.corridor_state("c", T0 + timedelta(minutes=30))["checkpoints"]["cp01"]
    expected = sorted({e.reporter for e in events})  # the oracle: who entered the counts
    paces = [{**r["of"], "source": r["source"]} for r in cp["paces"]]
    for row in (vehicles(cp["totals"]), vehicles(paces)):
        source = row["source"]
        assert source["name"] == "field report"
        assert source["reporter"] is None  # no one of them stands for all
        assert source["reporters"] == expected and source["reporter_count"] == 3
        assert row["value"] == sum(10 + i for i in range(3))
    if stated:
        assert vehicles(cp["per_day"])["source"]["reporters"] == expected
    # One reporter's single count still names that reporter.
    one = Projection()
    for e in [announced(), events[0]]:
        one.apply(e)
    single = vehicles(
        one.corridor_state("c", T0 + timedelta(minutes=30))["checkpoints"]["cp01"]["totals"]
    )
    assert single["source"]["reporter"] == "olena" and single["source"]["reporter_count"] == 1


def test_many_reporters_are_counted_and_the_first_named() -> None:
    reporters = [f"r{i:02d}" for i in range(MAX_NAMED + 5)]
    events = counts(reporters, stated=False)
    p = Projection()
    for e in [announced(), *events]:
        p.apply(e)
    cp = p.corridor_state("c", T0 + timedelta(hours=2))["checkpoints"]["cp01"]
    source = vehicles(cp["totals"])["source"]
    assert source["reporter_count"] == MAX_NAMED + 5
    assert source["reporters"] == sorted(reporters)[:MAX_NAMED]
    # The arithmetic of `totals` says the same as the running totals.
    index = p._place_cache["c"][1]["cp01"]
    [want] = [f for f in totals(index.figures) if f.unit == "vehicles"]
    assert want.source.reporter_count == MAX_NAMED + 5 and want.source.reporter is None


def test_no_reporter_reaches_the_public_view() -> None:
    public = PublicProjection(StateSettings(public_delay_min=0))
    events = [announced(), *counts(["olena", "andriy"], stated=False)]
    view = public.advance(
        lambda after: [e for e in events if e.seq > after], T0 + timedelta(hours=1)
    )
    text = json.dumps(public.view(view))
    assert "olena" not in text and "andriy" not in text and "reporter" not in text
