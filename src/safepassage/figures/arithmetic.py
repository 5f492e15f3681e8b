"""Arithmetic on figures that cannot mix what must stay apart.

Figures add only within one kind, unit, place, status and source (`Figure.key`), over
intervals that do not overlap; anything else is refused with `MixedFigures` (a TypeError: as
wrong as adding metres to seconds). Rates divide by the figure's own interval. Where sources
disagree, `compare` shows each one and the range, never a sum or an average.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from safepassage.figures.figure import (
    BASIS_ORDER,
    Basis,
    Figure,
    Qualifier,
    Source,
    Span,
    SumKey,
    Value,
    Verification,
)
from safepassage.figures.when import stamp, timed, zone


class MixedFigures(TypeError):
    """Figures that must not be combined into one number (different kind, unit, place,
    status or source; overlapping intervals; levels at different moments)."""


def _describe(key: SumKey) -> str:
    place = f" at {key.place}" if key.place else ""
    return f"{key.unit} {key.kind}{place} ({key.state}, said by {key.source})"


def _check_same(figures: Sequence[Figure]) -> SumKey:
    if not figures:
        raise ValueError("nothing to add")
    key = figures[0].key
    for f in figures[1:]:
        if f.key != key:
            raise MixedFigures(
                f"cannot add {_describe(f.key)} to {_describe(key)}: figures add only within "
                "one kind, unit, place, status and source"
            )
    return key


def value_sum(values: Iterable[Value]) -> Value:
    values = list(values)
    low = sum(v.low or 0 for v in values)
    highs = [v.high for v in values]
    high = None if any(h is None for h in highs) else sum(h for h in highs if h is not None)
    qualifier: Qualifier
    if high is not None and low == high:
        qualifier = "exact" if all(v.qualifier == "exact" for v in values) else "about"
    elif high is None:
        qualifier = "at_least"
    elif low == 0 and any(v.low is None for v in values):
        return Value(None, high, "as_many_as")
    else:
        qualifier = "range"
    return Value(low, high, qualifier)


def _weakest(bases: Iterable[Basis]) -> Basis:
    return max(bases, key=BASIS_ORDER.index)


def joined_source(figures: Sequence[Figure], head: Source) -> Source:
    """The source of a sum: `head`'s, naming every reporter whose counts it adds (or, past
    MAX_NAMED of them, the first by name and how many), never one for all."""
    return head.of_reporters(name for f in figures for name in f.source.names())


def joined_status(figures: Sequence[Figure]) -> Verification:
    first = figures[0].status
    by = first.by if all(f.status.by == first.by for f in figures) else None
    how = first.how if all(f.status.how == first.how for f in figures) else None
    return Verification(
        first.state,
        by=by,
        how=how,
        denied_by=tuple(sorted({w for f in figures for w in f.status.denied_by})),
        disputed_by=tuple(sorted({w for f in figures for w in f.status.disputed_by})),
        unverifiable=any(f.status.unverifiable for f in figures),
    )


def total(figures: Sequence[Figure]) -> Figure:
    """The sum of figures that may be added: same key, intervals that do not overlap (a
    cumulative figure or a level counts everything up to its moment, so two never add)."""
    _check_same(figures)
    if len(figures) == 1:
        return figures[0]
    if any(f.span.kind != "interval" for f in figures):
        raise MixedFigures(
            "cumulative figures and levels (queues, people sheltering) are not added over "
            "time: take the latest (`latest`)"
        )
    ordered = sorted(figures, key=lambda f: (f.span.end, f.span.start or f.span.end))
    clash = first_overlap(figures)
    if clash is not None:
        a, b = clash
        raise MixedFigures(
            f"intervals overlap ({a.span.text(a.zone)}; {b.span.text(b.zone)}): "
            "the same vehicles or people may be in both"
        )
    starts = [f.span.start for f in figures]
    start = None if any(s is None for s in starts) else min(s for s in starts if s is not None)
    first = ordered[-1]
    return replace(
        first,
        source=joined_source(figures, first.source),
        value=value_sum(f.value for f in figures),
        span=Span("interval", max(f.span.end for f in figures), start),
        status=joined_status(figures),
        basis=_weakest(f.basis for f in figures),
        method=f"sum of {len(figures)} figures",
        also=tuple(dict.fromkeys(s for f in figures for s in f.also)),
        refs=refs_of(ordered),
    )


#: A sum lists the claims it adds up to this many; beyond, its method says how many.
MAX_REFS = 20


def refs_of(figures: Sequence[Figure]) -> tuple[str, ...]:
    refs = tuple(r for f in figures for r in f.refs)
    return refs if len(refs) <= MAX_REFS else ()


def first_overlap(figures: Sequence[Figure]) -> tuple[Figure, Figure] | None:
    """Two figures whose stated intervals overlap, if any (a sweep by start: n log n)."""
    stated = sorted(
        (f for f in figures if f.span.start is not None),
        key=lambda f: (f.span.start, f.span.end),
    )
    reach: Figure | None = None  # the interval seen so far that ends last
    instants: dict[datetime, Figure] = {}  # an instant overlaps only the same instant
    for f in stated:
        if f.span.start == f.span.end:
            if f.span.end in instants:
                return instants[f.span.end], f
            instants[f.span.end] = f
            continue
        if reach is not None and reach.span.overlaps(f.span):
            return reach, f
        if reach is None or f.span.end > reach.span.end:
            reach = f
    return None


def _overlapping(figures: Sequence[Figure]) -> bool:
    return first_overlap(figures) is not None


def bounded_total(figures: Sequence[Figure]) -> Figure:
    """`total`, except that intervals which overlap give a range instead of a refusal: at
    least the largest sum of figures whose intervals do not overlap (they count different
    moments, so different vehicles), at most all of them added (if each counted others)."""
    _check_same(figures)
    if not _overlapping(figures):
        return total(figures)
    # Weighted interval scheduling on the low ends, over the stated intervals (sorted by end,
    # each one's predecessor found by bisection); a figure without a stated interval
    # overlaps nothing, so its low end always counts.
    stated = sorted((f for f in figures if f.span.start is not None), key=lambda f: f.span.end)
    ends = [f.span.end for f in stated]
    best = [0] * (len(stated) + 1)
    for i, f in enumerate(stated):
        assert f.span.start is not None
        before = bisect_right(ends, f.span.start, 0, i)
        if f.span.start == f.span.end:  # an instant overlaps an equal instant only
            before = bisect_left(ends, f.span.start, 0, i)
        best[i + 1] = max(best[i], best[before] + (f.value.low or 0))
    floor = best[-1] + sum(f.value.low or 0 for f in figures if f.span.start is None)
    highs = [f.value.high for f in figures]
    high = None if any(h is None for h in highs) else sum(h for h in highs if h is not None)
    loose = [replace(f, span=Span("interval", f.span.end, None)) for f in figures]
    summed = total(loose)
    starts = [f.span.start for f in figures]
    return replace(
        summed,
        value=Value(floor, high, "range" if high != floor else "exact"),
        span=Span(
            "interval",
            summed.span.end,
            None if any(t is None for t in starts) else min(t for t in starts if t is not None),
        ),
        method=(
            f"{len(figures)} figures with overlapping intervals: at least the largest sum of "
            "those that do not overlap, at most all added"
        ),
    )


def latest(figures: Sequence[Figure]) -> Figure:
    """The latest of figures of one key (for cumulative figures and levels)."""
    _check_same(figures)
    return max(figures, key=lambda f: (f.as_of, f.refs))


def group(figures: Iterable[Figure]) -> dict[SumKey, list[Figure]]:
    """Figures by what may be added together."""
    out: dict[SumKey, list[Figure]] = defaultdict(list)
    for f in figures:
        out[f.key].append(f)
    return dict(out)


def totals(figures: Iterable[Figure]) -> list[Figure]:
    """One total per key: intervals added, cumulative figures and levels by their latest."""
    out = []
    for items in group(figures).values():
        intervals = [f for f in items if f.span.kind == "interval"]
        others = [f for f in items if f.span.kind != "interval"]
        if intervals:
            out.append(bounded_total(intervals))
        for kind in ("cumulative", "stock"):
            same = [f for f in others if f.span.kind == kind]
            if same:
                out.append(latest(same))
    return sorted(out, key=lambda f: (f.key, f.as_of))


def per_day(figures: Iterable[Figure]) -> tuple[dict[tuple[SumKey, date], Figure], list[Figure]]:
    """Interval figures added per local day (in each figure's zone) and key. An interval that
    runs over midnight, or has no start, belongs to no single day: it comes back apart."""
    days: dict[tuple[SumKey, date], list[Figure]] = defaultdict(list)
    apart = []
    for f in figures:
        if f.span.kind != "interval" or f.span.start is None:
            apart.append(f)
            continue
        tz = zone(f.zone)
        first, last = f.span.start.astimezone(tz), f.span.end.astimezone(tz)
        if first.date() != last.date() and last.time() != datetime.min.time():
            apart.append(f)
            continue
        days[(f.key, first.date())].append(f)
    return {k: bounded_total(v) for k, v in days.items()}, apart


@dataclass(frozen=True)
class Rate:
    """A figure divided by its own interval: so many per `per` on average over it."""

    figure: Figure
    low: float | None
    high: float | None
    per: timedelta

    def text(self) -> str:
        unit = "h" if self.per == timedelta(hours=1) else f"{self.per.total_seconds() / 60:g} min"
        f = self.figure
        if self.low is not None and self.low == self.high:
            number = f"{self.low:,.0f}"
        elif self.high is None:
            number = f"at least {self.low or 0:,.0f}"
        else:
            number = f"{self.low or 0:,.0f} to {self.high:,.0f}"
        return f"{number} {f.unit}/{unit} ({f.span.text(f.zone)}; {f.source.text()}; {f.status.text()})"

    def as_json(self) -> dict[str, Any]:
        return {
            "per_hour_low": self.low,
            "per_hour_high": self.high,
            "per_minutes": self.per.total_seconds() / 60,
            "text": self.text(),
            "of": self.figure.as_json(),
            "source": self.figure.source.as_json(),
            "status": self.figure.status.as_json(self.figure.zone),
            "as_of": timed(self.figure.as_of, self.figure.zone),
        }


def rate(figure: Figure, per: timedelta = timedelta(hours=1)) -> Rate:
    """The average rate of a figure over its interval (1,840 cars over 23 h: 80 an hour)."""
    span = figure.span
    if span.kind == "stock":
        raise MixedFigures("a level (a queue, people sheltering) has no rate")
    if span.duration is None or span.duration <= timedelta(0):
        raise MixedFigures(
            f"{figure.what()} {span.text(figure.zone)}: no interval stated, so no rate"
        )
    scale = per / span.duration
    v = figure.value
    return Rate(
        figure,
        (v.low or 0) * scale,
        None if v.high is None else v.high * scale,
        per,
    )


@dataclass(frozen=True)
class Wait:
    """How long a queue takes to clear at a pace, from one source and one status."""

    queue: Figure
    pace: Rate
    minutes_low: float | None  # None: no lower bound (no queue floor)
    minutes_high: float | None  # None: no upper bound

    def text(self) -> str:
        def hm(minutes: float) -> str:
            h, m = divmod(round(minutes), 60)
            return f"{h} h {m:02d} min" if h else f"{m} min"

        lo, hi = self.minutes_low, self.minutes_high
        if lo is not None and hi is not None and round(lo) == round(hi):
            number = f"about {hm(lo)}"
        elif hi is None:
            number = f"at least {hm(lo or 0)}"
        elif lo is None:
            number = f"up to {hm(hi)}"
        else:
            number = f"{hm(lo)} to {hm(hi)}"
        q = self.queue
        return (
            f"{number}: {q.value.text()} {q.unit} queueing at {stamp(q.as_of, q.zone)} at the "
            f"pace of {self.pace.text()}"
        )


def wait(queue: Figure, pace: Rate) -> Wait:
    """The wait a queue means at a pace; both must come from one source with one status."""
    p = pace.figure
    if queue.span.kind != "stock" or queue.kind != "waiting":
        raise MixedFigures("a wait needs a queue (a level of vehicles or people waiting)")
    if (queue.unit, queue.place, queue.status.state, queue.source.name) != (
        p.unit,
        p.place,
        p.status.state,
        p.source.name,
    ):
        raise MixedFigures(
            "a queue and a pace from different sources, statuses, units or places do not "
            f"make a wait ({_describe(queue.key)}; {_describe(p.key)})"
        )
    per_min = pace.per.total_seconds() / 60
    lo_q, hi_q = queue.value.low, queue.value.high
    lo = None if lo_q is None or pace.high in (None, 0) else lo_q / (pace.high or 1) * per_min
    hi = None if hi_q is None or not pace.low else hi_q / pace.low * per_min
    return Wait(queue, pace, lo, hi)


@dataclass(frozen=True)
class Comparison:
    """Figures of the same thing from different sources or statuses: each one, and the range
    they span (the smallest low end to the largest high end). Never a sum or a mean."""

    figures: tuple[Figure, ...]

    @property
    def low(self) -> int | None:
        lows = [f.value.low for f in self.figures if f.value.low is not None]
        return min(lows) if lows else None

    @property
    def high(self) -> int | None:
        highs = [f.value.high for f in self.figures]
        return None if any(h is None for h in highs) else max(h for h in highs if h is not None)

    @property
    def disagree(self) -> bool:
        return len({(f.value.low, f.value.high) for f in self.figures}) > 1

    def text(self) -> str:
        lines = [f"- {f.text()}" for f in self.figures]
        if self.disagree:
            lo = f"{self.low:,}" if self.low is not None else "0"
            hi = f"{self.high:,}" if self.high is not None else "no upper bound"
            lines.append(f"- sources differ: from {lo} to {hi} (not added, not averaged)")
        return "\n".join(lines)


def compare(figures: Iterable[Figure]) -> list[Comparison]:
    """Group figures of the same kind, unit, place and moment (to the hour) across sources
    and statuses, each group with its range."""
    groups: dict[tuple[Any, ...], list[Figure]] = defaultdict(list)
    for f in figures:
        hour = f.as_of.timestamp() // 3600
        groups[(f.kind, f.unit, f.place, f.span.kind, hour)].append(f)
    return [
        Comparison(tuple(sorted(g, key=lambda f: (f.source.name, f.status.state))))
        for g in groups.values()
    ]


def add_sources(figure: Figure, sources: Iterable[Source]) -> Figure:
    """The same figure, also said by `sources` (a linked duplicate is a source, not a count)."""
    extra = tuple(s for s in sources if s != figure.source and s not in figure.also)
    return replace(figure, also=figure.also + extra)
