"""Running totals of one place's figures, kept as each figure is added, so that a state read
after a new count costs the keys it changed, not the whole log.

Each key (kind, unit, place, status, source) keeps what `totals` would give for its figures:
the interval figures folded into one sum (value, span, joined status, weakest basis), the
latest cumulative figure and the latest level. Where the fold cannot say what `totals` says
without the figures themselves (stated intervals, which may overlap; further sources, whose
order is that of the figures), the key keeps its figures in order and is recomputed, only
when it changed. A figure taken back (a review changed it, a correction or a retraction
withdrew it) is subtracted from what its key counts.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from operator import attrgetter
from typing import Any, TypeVar

from safepassage.figures import Figure, SumKey, Value, per_day
from safepassage.figures.arithmetic import MAX_REFS, bounded_total
from safepassage.figures.figure import BASIS_ORDER, Basis, Span, Verification

FLOW = ("crossed", "arrived")
T = TypeVar("T")


def order(f: Figure) -> tuple[Any, ...]:
    """The register's order of figures (as `ClaimsRegister.figures` sorts them)."""
    return (f.as_of, f.refs[:1], f.kind, f.unit)


@lru_cache(maxsize=4096)
def _with_unit(key: SumKey, unit: str) -> SumKey:
    """`key` in another unit (made once per key: a rebuild asks for each of millions)."""
    return key._replace(unit=unit)


def _bump(counts: Counter[Any], key: Any, by: int) -> None:
    counts[key] += by
    if not counts[key]:
        del counts[key]


def _tally(objects: list[T]) -> list[tuple[T, int]]:
    """Each distinct object of `objects` with how many times it is there, told apart by
    identity: the figures of a log share their values, statuses and sources (made once),
    so a million figures have a handful of each to read."""
    counts = Counter(map(id, objects))
    first = dict(zip(map(id, objects), objects, strict=True))
    return [(first[i], n) for i, n in counts.items()]


def _find(items: list[Figure], f: Figure) -> int | None:
    """Where `f` is in `items` (in the register's order, where a figure's place in it is its
    own: one claim states one figure of a kind and unit), or None."""
    at = bisect_left(items, order(f), key=order)
    return at if at < len(items) and order(items[at]) == order(f) else None


@dataclass
class _Sum:
    """The interval figures of one key (in the register's order), with what `bounded_total`
    needs of them counted, so that a figure is added or taken back at the cost of its own
    numbers; the sum is folded from the counts when no figure has a stated interval or a
    further source, else computed from the figures."""

    items: list[Figure] = field(default_factory=list)
    inexact: int = 0  # figures with a stated interval or further sources
    low: int = 0
    high: int = 0
    no_high: int = 0  # figures with no upper bound
    not_exact: int = 0
    low_missing: int = 0
    by: Counter[str | None] = field(default_factory=Counter)
    how: Counter[str | None] = field(default_factory=Counter)
    denied: Counter[str] = field(default_factory=Counter)
    disputed: Counter[str] = field(default_factory=Counter)
    unverifiable: int = 0
    basis: Counter[Basis] = field(default_factory=Counter)
    refs: int = 0
    reporters: Counter[str] = field(default_factory=Counter)

    def add(self, f: Figure) -> None:
        insort(self.items, f, key=order)
        self._count(f, 1)

    def remove(self, f: Figure) -> bool:
        at = _find(self.items, f)
        if at is None:
            return False
        self._count(self.items.pop(at), -1)
        return True

    def _count(self, f: Figure, sign: int) -> None:
        v, s = f.value, f.status
        self.inexact += sign if f.span.start is not None or f.also else 0
        self.low += sign * (v.low or 0)
        if v.high is None:
            self.no_high += sign
        else:
            self.high += sign * v.high
        self.not_exact += sign if v.qualifier != "exact" else 0
        self.low_missing += sign if v.low is None else 0
        _bump(self.by, s.by, sign)
        _bump(self.how, s.how, sign)
        for who in s.denied_by:
            _bump(self.denied, who, sign)
        for who in s.disputed_by:
            _bump(self.disputed, who, sign)
        self.unverifiable += sign if s.unverifiable else 0
        _bump(self.basis, f.basis, sign)
        self.refs += sign * len(f.refs)
        for name in f.source.names():
            _bump(self.reporters, name, sign)

    def fill(self, items: list[Figure]) -> None:
        """Take `items` (in order) at once, as `add` would one by one, but in bulk: the
        rebuild of a place folds every figure of the log."""
        self.items = items
        self.inexact = sum(1 for f in items if f.span.start is not None or f.also)
        values = _tally(list(map(attrgetter("value"), items)))
        self.low = sum((v.low or 0) * n for v, n in values)
        self.high = sum(v.high * n for v, n in values if v.high is not None)
        self.no_high = sum(n for v, n in values if v.high is None)
        self.not_exact = sum(n for v, n in values if v.qualifier != "exact")
        self.low_missing = sum(n for v, n in values if v.low is None)
        self.by, self.how = Counter(), Counter()
        self.denied, self.disputed = Counter(), Counter()
        self.unverifiable = 0
        for s, n in _tally(list(map(attrgetter("status"), items))):
            self.by[s.by] += n
            self.how[s.how] += n
            for who in s.denied_by:
                self.denied[who] += n
            for who in s.disputed_by:
                self.disputed[who] += n
            self.unverifiable += n if s.unverifiable else 0
        self.basis = Counter(map(attrgetter("basis"), items))
        self.refs = sum(map(len, map(attrgetter("refs"), items)))
        self.reporters = Counter()
        for source, n in _tally(list(map(attrgetter("source"), items))):
            for name in source.names():
                self.reporters[name] += n

    def result(self) -> Figure:
        if self.inexact:
            return bounded_total(self.items)
        if len(self.items) == 1:
            return self.items[0]
        # `total` takes its other fields from the last of the latest: the last in order.
        head = self.items[-1]
        ordered = sorted(self.items, key=lambda f: f.span.end) if self.refs <= MAX_REFS else []
        return replace(
            head,
            source=head.source.of_reporters(self.reporters),
            value=self._value(),
            span=Span("interval", head.as_of, None),
            status=Verification(
                head.status.state,
                by=next(iter(self.by)) if len(self.by) == 1 else None,
                how=next(iter(self.how)) if len(self.how) == 1 else None,
                denied_by=tuple(sorted(self.denied)),
                disputed_by=tuple(sorted(self.disputed)),
                unverifiable=self.unverifiable > 0,
            ),
            basis=max(self.basis, key=BASIS_ORDER.index),
            method=f"sum of {len(self.items)} figures",
            also=(),
            refs=tuple(r for f in ordered for r in f.refs),
        )

    def _value(self) -> Value:
        """What `value_sum` gives for the figures added."""
        low, high = self.low, None if self.no_high else self.high
        if high is not None and low == high:
            return Value(low, high, "about" if self.not_exact else "exact")
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
    others: list[Figure] = field(default_factory=list)  # cumulative and stock, in order
    latest: dict[str, Figure] = field(default_factory=dict)  # span kind -> latest figure

    def add(self, f: Figure) -> None:
        if f.span.kind == "interval":
            self.sum.add(f)
            return
        insort(self.others, f, key=order)
        old = self.latest.get(f.span.kind)
        if old is None or (f.as_of, f.refs) > (old.as_of, old.refs):
            self.latest[f.span.kind] = f

    def remove(self, f: Figure) -> bool:
        if f.span.kind == "interval":
            return self.sum.remove(f)
        at = _find(self.others, f)
        if at is None:
            return False
        del self.others[at]
        self._latest(f.span.kind)
        return True

    def _latest(self, kind: str) -> None:
        same = [f for f in self.others if f.span.kind == kind]
        if same:
            self.latest[kind] = max(same, key=lambda f: (f.as_of, f.refs))
        else:
            self.latest.pop(kind, None)

    def fill(self, items: list[Figure]) -> None:
        """Take a key's figures (in order) at once."""
        intervals = [f for f in items if f.span.kind == "interval"]
        if intervals:
            self.sum.fill(intervals)
        self.others = [f for f in items if f.span.kind != "interval"]
        for kind in ("cumulative", "stock"):
            self._latest(kind)

    def empty(self) -> bool:
        return not self.sum.items and not self.others

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
        """The running totals of `figures` (in order), made in bulk: what `add` would make
        of them one by one."""
        out = cls()
        by_key: dict[SumKey, list[Figure]] = {}
        for f in figures:
            if f.kind != "waiting":
                by_key.setdefault(f.key, []).append(f)
        for key, items in by_key.items():
            out.keys[key] = _Key()
            out.keys[key].fill(items)
            out.changed.add(key)
            for f in items:
                if f.span.start is not None and f.span.kind == "interval":
                    out._in_days(f, 1)
        out._fill_unreported(by_key)
        return out

    def _fill_unreported(self, by_key: dict[SumKey, list[Figure]]) -> None:
        """The people-not-reported counts of every key at once: per people key, the
        vehicles of the counts whose claim stated no people (what `_unreported` keeps)."""
        for key, items in by_key.items():
            if key.kind not in FLOW:
                continue
            if key.unit == "people":
                self.people[key] = {f.refs[0] for f in items}
            elif key.unit == "vehicles" and any(f.span.kind == "interval" for f in items):
                cars = self.vehicles[key] = {}
                for f in items:
                    if f.span.kind == "interval":
                        cars[f.refs[0]] = cars.get(f.refs[0], 0) + (f.value.high or 0)
        for key, cars in self.vehicles.items():
            pkey = _with_unit(key, "people")
            seen = self.people.get(pkey, set())
            gone = sum(n for ref, n in cars.items() if ref not in seen)
            self.missing[pkey] = self.missing.get(pkey, 0) + gone

    def add(self, f: Figure) -> None:
        """Add `f` at its place in the register's order."""
        if f.kind == "waiting":
            return  # levels of the queue: in no total
        self.keys.setdefault(f.key, _Key()).add(f)
        self.changed.add(f.key)
        self._side(f, 1)

    def remove(self, f: Figure) -> bool:
        """Take `f` back; False: it is not here (the caller rebuilds)."""
        if f.kind == "waiting":
            return True
        key = self.keys.get(f.key)
        if key is None or not key.remove(f):
            return False
        self.changed.add(f.key)
        self._side(f, -1)
        return True

    def _side(self, f: Figure, sign: int) -> None:
        """The people-not-reported counts and the per-day buckets of a figure added (+1) or
        taken back (-1)."""
        self._unreported(f, sign)
        if f.span.kind == "interval" and f.span.start is not None:
            self._in_days(f, sign)  # else in no day (`per_day` leaves it apart)

    def _in_days(self, f: Figure, sign: int) -> None:
        """Add (+1) or take back (-1) a figure with a stated interval in its day's bucket."""
        days, _ = per_day([f])
        for day_key in days:
            bucket = self.days.setdefault(day_key, [])
            if sign > 0:
                insort(bucket, f, key=order)
            else:
                at = _find(bucket, f)
                if at is not None:
                    del bucket[at]
            self.changed_days.add(day_key)

    def _unreported(self, f: Figure, sign: int) -> None:
        """Keep, per people total, the vehicles of the same counts with no people stated."""
        if f.kind not in FLOW:
            return
        ref = f.refs[0]
        if f.unit == "people":
            seen = self.people.setdefault(f.key, set())
            gone = self.vehicles.get(_with_unit(f.key, "vehicles"), {}).get(ref, 0)
            if sign > 0 and ref not in seen:
                seen.add(ref)
                self.missing[f.key] = self.missing.get(f.key, 0) - gone
            elif sign < 0 and ref in seen:
                seen.discard(ref)
                self.missing[f.key] = self.missing.get(f.key, 0) + gone
        elif f.unit == "vehicles" and f.span.kind == "interval":
            cars = self.vehicles.setdefault(f.key, {})
            cars[ref] = cars.get(ref, 0) + sign * (f.value.high or 0)
            pkey = _with_unit(f.key, "people")
            if ref not in self.people.get(pkey, set()):
                self.missing[pkey] = self.missing.get(pkey, 0) + sign * (f.value.high or 0)

    def totals(self) -> list[Figure]:
        """What `totals` gives for all the figures added, in its order."""
        for key in self.changed:
            if self.keys[key].empty():
                del self.keys[key]
                self.cache.pop(key, None)
            else:
                self.cache[key] = self.keys[key].totals()
        self.changed.clear()
        return sorted((f for fs in self.cache.values() for f in fs), key=lambda f: (f.key, f.as_of))

    def per_day(self) -> dict[tuple[SumKey, date], Figure]:
        """What `per_day` gives (its sums) for all the figures added."""
        for day_key in self.changed_days:
            if self.days[day_key]:
                self.day_totals[day_key] = bounded_total(self.days[day_key])
            else:
                del self.days[day_key]
                self.day_totals.pop(day_key, None)
        self.changed_days.clear()
        return self.day_totals

    def without_people(self, key: SumKey) -> int:
        return self.missing.get(key, 0)
