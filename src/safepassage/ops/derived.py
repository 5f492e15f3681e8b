"""Derived numbers of a checkpoint from the register's figures: totals, the last hour's pace,
the queue and the wait, each per kind, unit, status and source, and each respecting the
intervals the counts were made over.

Nothing here adds across statuses, kinds or sources: a confirmed count of 40, a party's claim
of 1,000 and an unverified SMS of 30 are three paces, not "1,070 an hour". A count made over
23 hours adds to the last hour only the share of it that fell in that hour.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from safepassage.figures import (
    Comparison,
    Figure,
    MixedFigures,
    Span,
    SumKey,
    Value,
    rate,
    totals,
    wait,
)
from safepassage.figures.arithmetic import bounded_total
from safepassage.figures.figure import BASIS_ORDER
from safepassage.figures.when import stamp, timed

FLOW = ("crossed", "arrived")


def _share(f: Figure, start: datetime, end: datetime) -> float | None:
    """The share of a figure's interval that lies in [start, end]; a count without a stated
    interval counts wholly at its time. None: nothing of it in the window."""
    if f.span.start is None or f.span.start == f.span.end:
        return 1.0 if start < f.span.end <= end else None
    inside = min(f.span.end, end) - max(f.span.start, start)
    if inside <= timedelta(0):
        return None
    duration = f.span.duration
    assert duration is not None
    return inside / duration


def in_window(figures: Iterable[Figure], start: datetime, end: datetime) -> list[Figure]:
    """Per key, what the interval figures count in [start, end], each pro-rated by the share
    of its interval inside (then "about": the count is assumed even over its interval)."""
    parts: dict[Any, list[Figure]] = defaultdict(list)
    for f in figures:
        if f.span.kind != "interval" or f.kind not in FLOW:
            continue
        share = _share(f, start, end)
        if share is None:
            continue
        low = round((f.value.low or 0) * share)
        high = None if f.value.high is None else round(f.value.high * share)
        qualifier = f.value.qualifier if share == 1.0 else "about"
        if high is None:
            value = Value.at_least(low)
        elif low != high:
            value = Value.between(low, high)
        else:
            value = Value(low, high, "exact" if qualifier == "exact" else "about")
        parts[f.key].append(replace(f, value=value))
    out = []
    for items in parts.values():
        summed = bounded_total([replace(f, span=Span("interval", f.span.end, None)) for f in items])
        # The time the counts cover inside the window: the pace is over that time, not the
        # whole window. A count without a stated interval covers nothing we know of: then
        # the whole window is the time (its count spread over the hour).
        if all(f.span.start is not None for f in items):
            first = min(max(f.span.start, start) for f in items if f.span.start is not None)
            last = max(min(f.span.end, end) for f in items)
        else:
            first, last = start, end
        out.append(
            replace(
                summed,
                span=Span("interval", last, first),
                basis=max((f.basis for f in items), key=BASIS_ORDER.index),
                method=(
                    f"{len(items)} count(s), each pro-rated by the share of its interval inside "
                    "the window (a count with no interval stated is taken at its time)"
                ),
            )
        )
    return sorted(out, key=lambda f: f.key)


def paces(figures: Iterable[Figure], now: datetime, window: timedelta) -> list[dict[str, Any]]:
    """Per key, the pace over the last `window` (vehicles, buses or people an hour)."""
    out = []
    for f in in_window(figures, now - window, now):
        r = rate(f)
        out.append({**r.as_json(), "figure_key": list(f.key)})
    return out


def queues(figures: list[Figure], now: datetime) -> list[tuple[Figure, Figure]]:
    """Per status and source, the last queue seen at a checkpoint less the vehicles the same
    source counted out since (never below 0). Arrivals to the queue are not counted, so each
    is a lower bound ("at least"). Each comes with the queue as it was seen."""
    latest: dict[Any, Figure] = {}
    for f in figures:
        if f.kind == "waiting" and f.as_of <= now:
            old = latest.get(f.key)
            if old is None or (f.as_of, f.refs) > (old.as_of, old.refs):
                latest[f.key] = f
    out = []
    for key, seen in sorted(latest.items()):
        same = [
            f
            for f in figures
            if f.kind == "crossed"
            and (f.unit, f.place, f.status.state, f.source.name)
            == (seen.unit, seen.place, key.state, key.source)
        ]
        passed = in_window(same, seen.as_of, now)
        gone = passed[0].value.high if passed else 0
        left = max(0, (seen.value.low or 0) - (gone or 0)) if gone is not None else 0
        out.append(
            (
                replace(
                    seen,
                    value=Value.at_least(left),
                    span=Span("stock", now),
                    method=(
                        f"last queue seen ({seen.value.text()} at {stamp(seen.as_of, seen.zone)})"
                        " less the vehicles this source counted out since; arrivals are not "
                        "counted, so at least"
                    ),
                ),
                seen,
            )
        )
    return out


def waits(
    queue_figures: list[tuple[Figure, Figure]],
    figures: list[Figure],
    now: datetime,
    window: timedelta,
) -> list[dict[str, Any]]:
    """The wait each queue means at the pace of the same source and status: the last
    window's, else the pace of the latest count with a stated interval."""
    out = []
    recent = {f.key: f for f in in_window(figures, now - window, now)}
    for q, seen in queue_figures:
        key = SumKey("crossed", q.unit, q.place, q.status.state, q.source.name)
        pace_figure = recent.get(key)
        if pace_figure is None:
            stated = [f for f in figures if f.key == key and f.span.duration and f.as_of <= now]
            pace_figure = max(stated, key=lambda f: f.as_of, default=None)
        if pace_figure is None:
            continue
        try:
            pace = rate(pace_figure)
            w = wait(q, pace)
        except MixedFigures:
            continue
        if not pace.low:
            continue
        out.append(
            {
                "minutes_low": None if w.minutes_low is None else round(w.minutes_low),
                "minutes_high": None if w.minutes_high is None else round(w.minutes_high),
                "kind": "lower bound" if q.value.high is None else "estimate",
                "text": w.text(),
                "queue": q.as_json(),
                "queue_seen": seen.as_json(),
                "pace": pace.as_json(),
                "source": q.source.as_json(),
                "status": q.status.as_json(q.zone),
                "as_of": timed(now, q.zone),
            }
        )
    return out


def disagreements(figures: Iterable[Figure]) -> list[Comparison]:
    """Totals of the same thing at the same place from different sources that give
    different numbers: each (with its status and time) and the range."""
    by_what: dict[Any, list[Figure]] = defaultdict(list)
    for f in figures:
        by_what[(f.kind, f.unit, f.place)].append(f)
    out = []
    for items in by_what.values():
        if len({f.source.name for f in items}) > 1:
            c = Comparison(tuple(sorted(items, key=lambda f: (f.status.state, f.source.name))))
            if c.disagree:
                out.append(c)
    return out


def checkpoint_figures(
    figures: list[Figure], now: datetime, window: timedelta = timedelta(hours=1)
) -> dict[str, Any]:
    """What a checkpoint's figures (all of one place) give at `now`."""
    current = [f for f in figures if f.as_of <= now]
    sums = totals(f for f in current if f.kind != "waiting")
    queue = queues(current, now)
    return {
        "totals": [_with_unreported(f, current) for f in sums],
        "paces": paces(current, now, window),
        "queues": [{**f.as_json(), "seen": seen.as_json()} for f, seen in queue],
        "waits": waits(queue, current, now, window),
        "sources_differ": [comparison_json(c) for c in disagreements(sums)],
    }


def _with_unreported(total: Figure, figures: list[Figure]) -> dict[str, Any]:
    """A total's JSON; a people total also says for how many vehicles of the same counts
    (same kind, place, status and source) people were not reported, so that "420 people"
    beside "2,100 vehicles" is not read as everyone."""
    out = total.as_json()
    if total.unit != "people" or total.kind not in FLOW:
        return out
    with_people = {f.refs[0] for f in figures if f.unit == "people" and f.key == total.key}
    key = total.key._replace(unit="vehicles")
    missing = sum(
        f.value.high or 0
        for f in figures
        if f.key == key and f.refs[0] not in with_people and f.span.kind == "interval"
    )
    out["vehicles_without_people"] = missing
    if missing:
        out["text"] += f" (people not reported for {missing:,} vehicles of this source)"
    return out


def comparison_json(c: Comparison) -> dict[str, Any]:
    """Sources that disagree: the range, and each figure with its own provenance."""
    latest = max(c.figures, key=lambda f: f.as_of)
    return {
        "low": c.low,
        "high": c.high,
        "text": c.text(),
        "status": sorted({f.status.state for f in c.figures}),
        "source": sorted({f.source.name for f in c.figures}),
        "as_of": timed(latest.as_of, latest.zone),
        "figures": [f.as_json() for f in c.figures],
    }
