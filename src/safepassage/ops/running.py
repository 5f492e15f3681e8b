"""Running totals of one place's figures, kept as each figure is added, so that a state read
after a new count costs the keys it changed, not the whole log.

Each key (kind, unit, place, status, source) keeps what `totals` would give for its figures:
the interval figures folded into one sum (value, span, joined status, weakest basis), the
latest cumulative figure and the latest level. Where the fold cannot say what `totals` says
without the figures themselves (stated intervals, which may overlap; further sources, whose
order is that of the figures), the key keeps its figures in order and is recomputed, only
when it changed. Figures are only added here: a retraction or a review rebuilds the place.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from safepassage.figures import Figure, SumKey, Value, per_day
from safepassage.figures.arithmetic import MAX_REFS, bounded_total
from safepassage.figures.figure import BASIS_ORDER, Basis, Span, Verification

FLOW = ("crossed", "arrived")


def order(f: Figure) -> tuple[Any, ...]:
    """The register's order of figures (as `ClaimsRegister.figures` sorts them)."""
    return (f.as_of, f.refs[:1], f.kind, f.unit)


@dataclass
class _Sum:
    """The interval figures of one key, folded as `bounded_total` adds them when none has a
    stated interval or a further source."""

    items: list[Figure] = field(default_factory=list)  # in the register's order
    exact: bool = True  # the fold holds (else: recompute from `items`)
    low: int = 0
    high: int | None = 0
    all_exact: bool = True
    low_missing: bool = False
    end: datetime | None = None
    head: Figure | None = None  # the one `total` takes its other fields from
    by: list[str | None] = field(default_factory=list)  # [value] while all agree, else []
    how: list[str | None] = field(default_factory=list)
    denied: set[str] = field(default_factory=set)
    disputed: set[str] = field(default_factory=set)
    unverifiable: bool = False
    basis: Basis = "observed"
    refs: int = 0

    def add(self, f: Figure, insert: bool) -> None:
        """Add `f`: at its place in the register's order (`insert`), else after the rest."""
        if insert:
            insort(self.items, f, key=order)
        else:
            self.items.append(f)
        if f.span.start is not None or f.also:
            self.exact = False
        if not self.exact:
            return
        v, s = f.value, f.status
        first = len(self.items) == 1
        self.low += v.low or 0
        self.high = None if self.high is None or v.high is None else self.high + v.high
        self.all_exact = self.all_exact and v.qualifier == "exact"
        self.low_missing = self.low_missing or v.low is None
        self.end = f.span.end if self.end is None else max(self.end, f.span.end)
        # `total` takes the last by end (ties: the later in order)
        if self.head is None or (
            order(f) > order(self.head) if insert else f.as_of >= self.head.as_of
        ):
            self.head = f
        self.by = [s.by] if first else [b for b in self.by if b == s.by]
        self.how = [s.how] if first else [h for h in self.how if h == s.how]
        self.denied.update(s.denied_by)
        self.disputed.update(s.disputed_by)
        self.unverifiable = self.unverifiable or s.unverifiable
        self.basis = f.basis if first else max(self.basis, f.basis, key=BASIS_ORDER.index)
        self.refs += len(f.refs)

    def fill(self, items: list[Figure]) -> None:
        """Take `items` (in order) at once, as `add` would one by one after them, but in
        bulk: the rebuild of a place folds every figure of the log."""
        self.items = items
        if any(f.span.start is not None or f.also for f in items):
            self.exact = False
            return
        values = [f.value for f in items]
        statuses = [f.status for f in items]
        highs = [v.high for v in values]
        self.low = sum(v.low or 0 for v in values)
        self.high = None if None in highs else sum(h or 0 for h in highs)
        self.all_exact = all(v.qualifier == "exact" for v in values)
        self.low_missing = any(v.low is None for v in values)
        self.head = max(reversed(items), key=lambda f: f.as_of)  # the last of the latest
        self.end = self.head.as_of
        bys, hows = {s.by for s in statuses}, {s.how for s in statuses}
        self.by = list(bys) if len(bys) == 1 else []
        self.how = list(hows) if len(hows) == 1 else []
        self.denied = {w for s in statuses for w in s.denied_by}
        self.disputed = {w for s in statuses for w in s.disputed_by}
        self.unverifiable = any(s.unverifiable for s in statuses)
        self.basis = max((f.basis for f in items), key=BASIS_ORDER.index)
        self.refs = sum(len(f.refs) for f in items)

    def result(self) -> Figure:
        if not self.exact:
            return bounded_total(self.items)
        if len(self.items) == 1:
            return self.items[0]
        assert self.head is not None and self.end is not None
        ordered = sorted(self.items, key=lambda f: f.span.end) if self.refs <= MAX_REFS else []
        return replace(
            self.head,
            value=self._value(),
            span=Span("interval", self.end, None),
            status=Verification(
                self.head.status.state,
                by=self.by[0] if self.by else None,
                how=self.how[0] if self.how else None,
                denied_by=tuple(sorted(self.denied)),
                disputed_by=tuple(sorted(self.disputed)),
                unverifiable=self.unverifiable,
            ),
            basis=self.basis,
            method=f"sum of {len(self.items)} figures",
            also=(),
            refs=tuple(r for f in ordered for r in f.refs),
        )

    def _value(self) -> Value:
        """What `value_sum` gives for the figures added."""
        low, high = self.low, self.high
        if high is not None and low == high:
            return Value(low, high, "exact" if self.all_exact else "about")
        if high is None:
            return Value(low, high, "at_least")
        if low == 0 and self.low_missing:
            return Value(None, high, "as_many_as")
        return Value(low, high, "range")


@dataclass
class _Key:
    """What `totals` gives for one key: the interval sum, the latest cumulative figure and
    the latest level."""

    sum: _Sum = field(default_factory=_Sum)
    latest: dict[str, Figure] = field(default_factory=dict)  # span kind -> latest figure

    def add(self, f: Figure, insert: bool) -> None:
        if f.span.kind == "interval":
            self.sum.add(f, insert)
            return
        old = self.latest.get(f.span.kind)
        if old is None or (f.as_of, f.refs) > (old.as_of, old.refs):
            self.latest[f.span.kind] = f

    def fill(self, items: list[Figure]) -> None:
        """Take a key's figures (in order) at once."""
        intervals = [f for f in items if f.span.kind == "interval"]
        if intervals:
            self.sum.fill(intervals)
        for kind in ("cumulative", "stock"):
            same = [f for f in items if f.span.kind == kind]
            if same:
                self.latest[kind] = max(same, key=lambda f: (f.as_of, f.refs))

    def totals(self) -> list[Figure]:
        out = [self.sum.result()] if self.sum.items else []
        return out + [self.latest[k] for k in ("cumulative", "stock") if k in self.latest]


@dataclass
class PlaceTotals:
    """Every key's totals, the per-day sums and the people-without-vehicles counts of one
    place, kept as figures are added (in any order)."""

    keys: dict[SumKey, _Key] = field(default_factory=dict)
    days: dict[tuple[SumKey, date], list[Figure]] = field(default_factory=dict)
    day_totals: dict[tuple[SumKey, date], Figure] = field(default_factory=dict)
    people: dict[SumKey, set[str]] = field(default_factory=dict)  # people key -> claims
    vehicles: dict[SumKey, dict[str, int]] = field(default_factory=dict)  # vehicles key
    missing: dict[SumKey, int] = field(default_factory=dict)  # people key -> vehicles
    changed: set[SumKey] = field(default_factory=set)
    changed_days: set[tuple[SumKey, date]] = field(default_factory=set)
    cache: dict[SumKey, list[Figure]] = field(default_factory=dict)

    @classmethod
    def of(cls, figures: list[Figure]) -> PlaceTotals:
        """The running totals of `figures` (in order), made in bulk."""
        out = cls()
        by_key: dict[SumKey, list[Figure]] = {}
        for f in figures:
            if f.kind != "waiting":
                by_key.setdefault(f.key, []).append(f)
                out._side(f, insert=False)
        for key, items in by_key.items():
            out.keys[key] = _Key()
            out.keys[key].fill(items)
            out.changed.add(key)
        return out

    def add(self, f: Figure, insert: bool = False) -> None:
        """Add `f` after the figures added so far, or at its place in the register's order
        (`insert`: a new claim among older ones)."""
        if f.kind == "waiting":
            return  # levels of the queue: in no total
        self.keys.setdefault(f.key, _Key()).add(f, insert)
        self.changed.add(f.key)
        self._side(f, insert)

    def _side(self, f: Figure, insert: bool) -> None:
        """The people-not-reported counts and the per-day buckets of a new figure."""
        self._unreported(f)
        if f.span.kind != "interval" or f.span.start is None:
            return  # in no day (`per_day` leaves it apart)
        days, _ = per_day([f])
        for day_key in days:
            if insert:
                insort(self.days.setdefault(day_key, []), f, key=order)
            else:
                self.days.setdefault(day_key, []).append(f)
            self.changed_days.add(day_key)

    def _unreported(self, f: Figure) -> None:
        """Keep, per people total, the vehicles of the same counts with no people stated."""
        if f.kind not in FLOW:
            return
        ref = f.refs[0]
        if f.unit == "people":
            seen = self.people.setdefault(f.key, set())
            if ref not in seen:
                seen.add(ref)
                gone = self.vehicles.get(f.key._replace(unit="vehicles"), {}).get(ref, 0)
                self.missing[f.key] = self.missing.get(f.key, 0) - gone
        elif f.unit == "vehicles" and f.span.kind == "interval":
            cars = self.vehicles.setdefault(f.key, {})
            cars[ref] = cars.get(ref, 0) + (f.value.high or 0)
            pkey = f.key._replace(unit="people")
            if ref not in self.people.get(pkey, set()):
                self.missing[pkey] = self.missing.get(pkey, 0) + (f.value.high or 0)

    def totals(self) -> list[Figure]:
        """What `totals` gives for all the figures added, in its order."""
        for key in self.changed:
            self.cache[key] = self.keys[key].totals()
        self.changed.clear()
        return sorted((f for fs in self.cache.values() for f in fs), key=lambda f: (f.key, f.as_of))

    def per_day(self) -> dict[tuple[SumKey, date], Figure]:
        """What `per_day` gives (its sums) for all the figures added."""
        for day_key in self.changed_days:
            self.day_totals[day_key] = bounded_total(self.days[day_key])
        self.changed_days.clear()
        return self.day_totals

    def without_people(self, key: SumKey) -> int:
        return self.missing.get(key, 0)
