"""Derived numbers of a checkpoint from the register's figures: totals, the last hour's pace,
the queue and the wait, each per kind, unit, status and source, and each respecting the
intervals the counts were made over.

Nothing here adds across statuses, kinds or sources: a confirmed count of 40, a party's claim
of 1,000 and an unverified SMS of 30 are three paces, not "1,070 an hour". A count made over
23 hours adds to the last hour only the share of it that fell in that hour.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
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
    per_day,
    rate,
    totals,
    wait,
)
from safepassage.figures.arithmetic import (
    bounded_total,
    first_overlap,
    joined_source,
    joined_status,
    refs_of,
    value_sum,
)
from safepassage.figures.figure import BASIS_ORDER
from safepassage.figures.when import stamp, timed
from safepassage.ops.running import FLOW, PlaceTotals, order


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


def _prorated(f: Figure, share: float) -> Value:
    low = round((f.value.low or 0) * share)
    high = None if f.value.high is None else round(f.value.high * share)
    if high is None:
        return Value.at_least(low)
    if low != high:
        return Value.between(low, high)
    exact = share == 1.0 and f.value.qualifier == "exact"
    return Value.exact(low) if exact else Value(low, high, "about")


def in_window(figures: Iterable[Figure], start: datetime, end: datetime) -> list[Figure]:
    """Per key, what the interval figures count in [start, end], each pro-rated by the share
    of its interval inside (then "about": the count is assumed even over its interval).
    Reports of one key whose intervals overlap give a range, as in `totals`."""
    parts: dict[SumKey, list[tuple[Figure, float]]] = defaultdict(list)
    for f in figures:
        if f.span.kind != "interval" or f.kind not in FLOW:
            continue
        share = _share(f, start, end)
        if share is not None:
            parts[f.key].append((f, share))
    out = []
    for items in parts.values():
        originals = [f for f, _ in items]
        if first_overlap(originals) is not None:
            summed = bounded_total([replace(f, value=_prorated(f, x)) for f, x in items])
        else:  # the common case, in plain arithmetic: no figure made per count
            values = [_prorated(f, x) for f, x in items]
            last_one = max(originals, key=lambda f: f.as_of)
            summed = replace(
                last_one,
                source=joined_source(originals, last_one.source),
                value=value_sum(values),
                status=joined_status(originals),
                also=tuple(dict.fromkeys(s for f in originals for s in f.also)),
                refs=refs_of(originals),
            )
        # The time the counts cover inside the window: the pace is over that time, not the
        # whole window. A count without a stated interval covers nothing we know of: then
        # the whole window is the time (its count spread over the hour).
        if all(f.span.start is not None for f in originals):
            first = min(max(f.span.start, start) for f in originals if f.span.start is not None)
            last = max(min(f.span.end, end) for f in originals)
        else:
            first, last = start, end
        out.append(
            replace(
                summed,
                span=Span("interval", last, first),
                basis=max((f.basis for f in originals), key=BASIS_ORDER.index),
                method=(
                    f"{len(items)} count(s), each pro-rated by the share of its interval inside "
                    "the window (a count with no interval stated is taken at its time)"
                ),
            )
        )
    return sorted(out, key=lambda f: f.key)


class PlaceIndex:
    """One place's figures in the order of their as-of time, so that what a moment needs
    (the last hour, what came after a queue report) is found by bisection; the totals are
    kept for as long as the same figures stand before `now`."""

    def __init__(self, figures: Iterable[Figure]) -> None:
        self.figures = sorted(figures, key=lambda f: f.as_of)
        self.ends = [f.as_of for f in self.figures]
        self.waiting = [f for f in self.figures if f.kind == "waiting"]
        self.waiting_ends = [f.as_of for f in self.waiting]
        self.waiting_keys = Counter(f.key for f in self.waiting)
        self.totals: tuple[tuple[int, int], dict[str, Any]] | None = None
        self.running = PlaceTotals.of(self.figures)
        self.generation = 0  # moves with every figure added or taken back

    def add(self, f: Figure) -> None:
        """One more figure (a new claim): kept in order, its keys' totals updated."""
        at = bisect_right(self.figures, order(f), key=order)
        self.figures.insert(at, f)
        self.ends.insert(at, f.as_of)
        if f.kind == "waiting":
            at = bisect_right(self.waiting, order(f), key=order)
            self.waiting.insert(at, f)
            self.waiting_ends.insert(at, f.as_of)
            self.waiting_keys[f.key] += 1
        self.running.add(f)
        self.generation += 1

    def remove(self, f: Figure) -> bool:
        """Take a figure back (reviewed, corrected, withdrawn); False: it is not here."""
        at = bisect_left(self.figures, order(f), key=order)
        if at == len(self.figures) or order(self.figures[at]) != order(f):
            return False
        del self.figures[at], self.ends[at]
        if f.kind == "waiting":
            at = bisect_left(self.waiting, order(f), key=order)
            del self.waiting[at], self.waiting_ends[at]
            self.waiting_keys[f.key] -= 1
            if not self.waiting_keys[f.key]:
                del self.waiting_keys[f.key]
        self.generation += 1
        return self.running.remove(f)

    def upto(self, now: datetime) -> int:
        return bisect_right(self.ends, now)

    def after(self, start: datetime, now: datetime) -> list[Figure]:
        """Figures whose as-of time is in (start, now]."""
        return self.figures[bisect_right(self.ends, start) : self.upto(now)]

    def latest_queues(self, now: datetime) -> list[Figure]:
        """The latest queue report of each key up to `now`."""
        latest: dict[SumKey, Figure] = {}
        for f in reversed(self.waiting[: bisect_right(self.waiting_ends, now)]):
            old = latest.get(f.key)
            if old is None or (f.as_of, f.refs) > (old.as_of, old.refs):
                latest[f.key] = f
            elif f.as_of < old.as_of and len(latest) == len(self.waiting_keys):
                break  # every key has its latest; the rest are older
        return [latest[k] for k in sorted(latest)]

    def latest_stated(self, key: SumKey, now: datetime) -> Figure | None:
        """The latest figure of `key` up to `now` with a stated interval."""
        for f in reversed(self.figures[: self.upto(now)]):
            if f.key == key and f.span.duration:
                return f
        return None


def queues(index: PlaceIndex, now: datetime) -> list[tuple[Figure, Figure]]:
    """Per status and source, the last queue seen at a checkpoint less the vehicles the same
    source counted out since (never below 0). Arrivals to the queue are not counted, so each
    is a lower bound ("at least"). Each comes with the queue as it was seen."""
    out = []
    for seen in index.latest_queues(now):
        key = SumKey("crossed", seen.unit, seen.place, seen.status.state, seen.source.name)
        same = [f for f in index.after(seen.as_of, now) if f.key == key]
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
    index: PlaceIndex,
    recent: list[Figure],
    now: datetime,
) -> list[dict[str, Any]]:
    """The wait each queue means at the pace of the same source and status: the last
    window's (`recent`: `in_window` of it), else the pace of the latest count with a stated
    interval."""
    out = []
    by_key = {f.key: f for f in recent}
    for q, seen in queue_figures:
        key = SumKey("crossed", q.unit, q.place, q.status.state, q.source.name)
        pace_figure = by_key.get(key) or index.latest_stated(key, now)
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
    figures: PlaceIndex | list[Figure], now: datetime, window: timedelta = timedelta(hours=1)
) -> dict[str, Any]:
    """What a checkpoint's figures (all of one place) give at `now`."""
    index = figures if isinstance(figures, PlaceIndex) else PlaceIndex(figures)
    n = index.upto(now)
    if index.totals is None or index.totals[0] != (n, index.generation):
        index.totals = ((n, index.generation), _totals(index, n))
    recent = in_window(index.after(now - window, now), now - window, now)
    queue = queues(index, now)
    return {
        **index.totals[1],
        "paces": [{**rate(f).as_json(), "figure_key": list(f.key)} for f in recent],
        "queues": [{**f.as_json(), "seen": seen.as_json()} for f, seen in queue],
        "waits": waits(queue, index, recent, now),
    }


def _totals(index: PlaceIndex, n: int) -> dict[str, Any]:
    """The totals, sources that differ and per-day sums of the first `n` figures: from the
    running totals when that is all of them (the live case), else computed afresh."""
    if n == len(index.figures):
        run = index.running
        sums = run.totals()
        days = run.per_day()
        return {
            "totals": [_with_unreported(f, run.without_people(f.key)) for f in sums],
            "sources_differ": [comparison_json(c) for c in disagreements(sums)],
            "per_day": [
                {**f.as_json(), "day": day.isoformat()}
                for (_, day), f in sorted(days.items(), key=lambda kv: (kv[0][1], kv[0][0]))
            ],
        }
    current = index.figures[:n]
    sums = totals(f for f in current if f.kind != "waiting")
    return {
        "totals": [
            _with_unreported(f, _without_people(f, current) if f.unit == "people" else 0)
            for f in sums
        ],
        "sources_differ": [comparison_json(c) for c in disagreements(sums)],
        "per_day": _per_day(current),
    }


def _without_people(total: Figure, figures: list[Figure]) -> int:
    """Vehicles of the counts of a people total's key that stated no people."""
    with_people = {f.refs[0] for f in figures if f.unit == "people" and f.key == total.key}
    key = total.key._replace(unit="vehicles")
    return sum(
        f.value.high or 0
        for f in figures
        if f.key == key and f.refs[0] not in with_people and f.span.kind == "interval"
    )


def _with_unreported(total: Figure, missing: int) -> dict[str, Any]:
    """A total's JSON; a people total also says for how many vehicles of the same counts
    (same kind, place, status and source) people were not reported (`missing`), so that
    "420 people" beside "2,100 vehicles" is not read as everyone."""
    out = total.as_json()
    if total.unit != "people" or total.kind not in FLOW:
        return out
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


def _per_day(figures: list[Figure]) -> list[dict[str, Any]]:
    """Sums per local day of the counts whose interval lies within one day (per kind, unit,
    status and source); counts over midnight or without an interval are in no day."""
    days, _ = per_day(f for f in figures if f.kind != "waiting")
    return [
        {**f.as_json(), "day": day.isoformat()}
        for (_, day), f in sorted(days.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
