"""A figure that carries where it comes from: what it counts, where and over what time, who
said it (and whether they are a party to the conflict), how they know, how far it is verified,
and when, with the zone. Figures are values; arithmetic on them is in `arithmetic.py`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Generic, Literal, NamedTuple, TypeVar, get_args, overload

from safepassage.figures.when import moment, stamp, timed, zone_name

#: A sum of several reporters' counts names this many of them (and counts them all).
MAX_NAMED = 20

Kind = Literal[
    "killed",
    "injured",
    "missing",
    "evacuated",  # left the place (the city, the area)
    "crossed",  # passed a checkpoint outward
    "arrived",  # reached a place (reception point, checkpoint inward)
    "sheltering",
    "in_need",
    "waiting",  # queueing at a checkpoint
    "blocked",
    "seized",
]
Unit = Literal["people", "vehicles", "buses"]
Qualifier = Literal["exact", "about", "at_least", "as_many_as", "range"]
State = Literal[
    "reported", "unverified", "under_review", "confirmed", "unverifiable", "disputed", "denied"
]
Basis = Literal["observed", "reported", "claimed", "reconstructed", "assumed", "model_estimate"]
SpanKind = Literal["interval", "cumulative", "stock"]

KINDS: tuple[str, ...] = get_args(Kind)
UNITS: tuple[str, ...] = get_args(Unit)
STATES: tuple[str, ...] = get_args(State)
BASES: tuple[str, ...] = get_args(Basis)
#: Bases from the strongest to the weakest: a sum is only as good as its weakest part.
BASIS_ORDER: tuple[str, ...] = (
    "observed",
    "reported",
    "claimed",
    "reconstructed",
    "assumed",
    "model_estimate",  # a calibrated forecast (the service's model estimates), never a count
)

#: Words people read for each state (the public page and reports use these).
STATE_WORDS = {
    "reported": "reported, not verified",
    "unverified": "not verified",
    "under_review": "under review",
    "confirmed": "confirmed",
    "unverifiable": "cannot be independently verified",
    "disputed": "disputed",
    "denied": "denied",
}
BASIS_WORDS = {
    "observed": "observed",
    "reported": "reported",
    "claimed": "claimed by a party to the conflict",
    "reconstructed": "RECONSTRUCTED, not reported",
    "assumed": "ASSUMED, not reported",
    "model_estimate": "MODEL ESTIMATE, not an observation",
}
#: Kinds whose words already end in a preposition ("out through", "waiting at").
AT_PLACE = {"crossed", "arrived", "waiting"}
UNIT_WORDS = {"people": "people", "vehicles": "vehicles", "buses": "buses"}
KIND_WORDS = {
    "killed": "killed",
    "injured": "injured",
    "missing": "missing",
    "evacuated": "evacuated",
    "crossed": "out through",
    "arrived": "arrived at",
    "sheltering": "sheltering",
    "in_need": "in need",
    "waiting": "waiting at",
    "blocked": "blocked",
    "seized": "seized",
}


@dataclass(frozen=True)
class Value:
    """A number as stated: exact, about, at least, as many as, or a range. `low` None means no
    lower bound was stated (read as 0), `high` None no upper bound."""

    low: int | None
    high: int | None
    qualifier: Qualifier = "exact"

    def __post_init__(self) -> None:
        for bound in (self.low, self.high):
            if bound is not None and bound < 0:
                raise ValueError("a count cannot be negative")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"range {self.low}-{self.high}: the low end is above the high end")
        if self.low is None and self.high is None:
            raise ValueError("a value needs a number")

    @classmethod
    def exact(cls, n: int) -> Value:
        return _exact(n) if cls is Value else cls(n, n, "exact")

    @classmethod
    def about(cls, n: int) -> Value:
        return cls(n, n, "about")

    @classmethod
    def at_least(cls, n: int) -> Value:
        return cls(n, None, "at_least")

    @classmethod
    def as_many_as(cls, n: int) -> Value:
        return cls(None, n, "as_many_as")

    @classmethod
    def between(cls, low: int, high: int) -> Value:
        return cls(low, high, "range")

    @property
    def point(self) -> int | None:
        """The single number, when the value is one (exact or about)."""
        return self.low if self.low == self.high else None

    def numbers(self) -> list[int]:
        """Every number this value shows."""
        return sorted({n for n in (self.low, self.high) if n is not None})

    def text(self) -> str:
        lo, hi = self.low, self.high
        if self.qualifier == "at_least" or (hi is None and lo is not None):
            return f"at least {lo:,}"
        if self.qualifier == "as_many_as" or (lo is None and hi is not None):
            return f"as many as {hi:,}"
        assert lo is not None and hi is not None
        if lo != hi:
            return f"{lo:,} to {hi:,}"
        return f"about {lo:,}" if self.qualifier == "about" else f"{lo:,}"

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.point,
            "low": self.low,
            "high": self.high,
            "qualifier": self.qualifier,
        }


@lru_cache(maxsize=65_536)
def _exact(n: int) -> Value:
    return Value(n, n, "exact")  # values are immutable: one object per number


@dataclass(frozen=True)
class Source:
    """Who said it. `party`: a party to the conflict (True), not one (False), not known (None).
    `via`: who passed it on (a news agency); `reporter`: the user who entered it."""

    name: str
    party: bool | None = None
    via: str | None = None
    reporter: str | None = None  # the user who entered it: for coordinators, never public
    # A sum of counts by several reporters: who (the first MAX_NAMED by name) and how many;
    # `reporter` is then None, never one of them standing for all.
    reporters: tuple[str, ...] = ()
    reporter_count: int = 0

    def text(self) -> str:
        party = " (a party to the conflict)" if self.party else ""
        via = f" via {self.via}" if self.via else ""
        return f"{self.name}{party}{via}"

    def as_json(self) -> dict[str, Any]:
        named = list(self.reporters) or ([self.reporter] if self.reporter else [])
        return {
            "name": self.name,
            "party": self.party,
            "via": self.via,
            "reporter": self.reporter,
            "reporters": named,
            "reporter_count": self.reporter_count or len(named),
        }

    def names(self) -> tuple[str, ...]:
        """The reporters this source stands for (of a single figure: its reporter)."""
        return self.reporters or ((self.reporter,) if self.reporter else ())

    def of_reporters(self, names: Iterable[str]) -> Source:
        """This source, for a sum of the counts of `names` (one: named; several: all counted,
        the first MAX_NAMED named)."""
        every = sorted(set(names))
        if len(every) <= 1:
            one = every[0] if every else None
            if self.reporter == one and not self.reporters:
                return self
            return replace(self, reporter=one, reporters=(), reporter_count=0)
        return replace(
            self, reporter=None, reporters=tuple(every[:MAX_NAMED]), reporter_count=len(every)
        )


@dataclass(frozen=True)
class Verification:
    """How far a figure is verified: its state and, for confirmations, denials and disputes,
    by whom; `how` is the method of confirmation or the reason given."""

    state: State
    by: str | None = None
    how: str | None = None
    at: datetime | None = None
    denied_by: tuple[str, ...] = ()
    disputed_by: tuple[str, ...] = ()
    unverifiable: bool = False  # someone found it cannot be independently checked

    def text(self) -> str:
        words = STATE_WORDS[self.state]
        if (self.state == "denied" and self.denied_by) or (
            self.state == "disputed" and self.disputed_by
        ):
            words = ""  # "denied by X" below says it
        elif self.by and self.state not in ("denied", "disputed"):
            words += f" by {self.by}"
        if self.how:
            words += f" ({self.how})"
        extra = [f"denied by {who}" for who in self.denied_by]
        extra += [f"disputed by {who}" for who in self.disputed_by]
        if self.unverifiable and self.state != "unverifiable":
            extra.append(STATE_WORDS["unverifiable"])
        return "; ".join(w for w in [words, *extra] if w)

    def as_json(self, zone: str | None = None) -> dict[str, Any]:
        return {
            "state": self.state,
            "text": self.text(),
            "by": self.by,
            "how": self.how,
            "at": timed(self.at, zone),
            "denied_by": list(self.denied_by),
            "disputed_by": list(self.disputed_by),
            "unverifiable": self.unverifiable,
        }


@dataclass(frozen=True)
class Span:
    """Over what time a figure counts. `interval`: what happened between `start` and `end`
    (start None: not stated); `cumulative`: everything up to `end` (since `start` if known);
    `stock`: how many at the moment `end` (a queue, people sheltering)."""

    kind: SpanKind
    end: datetime
    start: datetime | None = None

    def __post_init__(self) -> None:
        moment(self.end)
        if self.start is not None:
            moment(self.start)
            if self.start > self.end:
                raise ValueError("the interval starts after it ends")
            if self.kind == "stock":
                raise ValueError("a stock is counted at one moment and has no start")

    @property
    def duration(self) -> timedelta | None:
        return self.end - self.start if self.start is not None else None

    def overlaps(self, other: Span) -> bool:
        """Whether two stated intervals share time (as half-open intervals, start excluded).
        A span without a start is read as the period since its source's previous report, so
        it overlaps nothing (the reporting rule of the SMS format: "since your last report")."""
        if self.start is None or other.start is None:
            return False
        if self.start == self.end or other.start == other.end:
            return self.start == other.start and self.end == other.end
        return self.start < other.end and other.start < self.end

    def text(self, zone: str | None) -> str:
        if self.kind == "stock":
            return f"at {stamp(self.end, zone)}"
        if self.kind == "cumulative":
            since = f" since {stamp(self.start, zone)}" if self.start else ""
            return f"in all{since} up to {stamp(self.end, zone)}"
        if self.start is None:
            return f"in an interval not stated, ending {stamp(self.end, zone)}"
        return f"from {stamp(self.start, zone)} to {stamp(self.end, zone)}"

    def as_json(self, zone: str | None) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start": timed(self.start, zone),
            "end": timed(self.end, zone),
            "text": self.text(zone),
        }


T = TypeVar("T")


class _once(Generic[T]):
    """A property computed on first read and kept in the instance, as `cached_property`,
    without its lock (Python 3.11 takes one per read until the value is kept: a rebuild
    reads millions of keys for the first time)."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute, self.name = compute, compute.__name__

    @overload
    def __get__(self, obj: None, owner: type) -> _once[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object | None, owner: type) -> _once[T] | T:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.compute(obj)
        return value


class SumKey(NamedTuple):
    """What must be the same for figures to be added: kind, unit, place, status, source."""

    kind: str
    unit: str
    place: str | None
    state: str
    source: str


#: One key object per key: a log of a million counts has a few hundred keys, not millions.
_sum_key = lru_cache(maxsize=4096)(SumKey)


@dataclass(frozen=True)
class Figure:
    """One figure with its provenance. `also` are further sources of the same figure (linked
    duplicates: one figure, several sources); `refs` the claims it comes from."""

    kind: Kind
    unit: Unit
    value: Value
    span: Span
    source: Source
    status: Verification
    basis: Basis
    zone: str = "UTC"
    place: str | None = None
    method: str | None = None
    also: tuple[Source, ...] = ()
    refs: tuple[str, ...] = field(default=())

    @_once
    def key(self) -> SumKey:
        return _sum_key(self.kind, self.unit, self.place, self.status.state, self.source.name)

    @property
    def as_of(self) -> datetime:
        return self.span.end

    def what(self) -> str:
        words = f"{UNIT_WORDS[self.unit]} {KIND_WORDS[self.kind]}"
        if not self.place:
            return words
        at = "" if self.kind in AT_PLACE else " in"
        return f"{words}{at} {self.place}"

    def text(self) -> str:
        """One line that says all of it: value, what, when, who, basis and status."""
        sources = ", ".join(s.text() for s in (self.source, *self.also))
        basis = "" if self.basis in ("observed", "reported") else f"; {BASIS_WORDS[self.basis]}"
        method = f"; method: {self.method}" if self.method else ""
        return (
            f"{self.value.text()} {self.what()} {self.span.text(self.zone)}: "
            f"said by {sources}{basis}{method}; {self.status.text()}"
        )

    def as_json(self) -> dict[str, Any]:
        """The figure for JSON outputs: every figure says what, source, status and as-of."""
        return {
            **self.value.as_json(),
            "text": self.text(),
            "what": {"kind": self.kind, "unit": self.unit, "place": self.place},
            "span": self.span.as_json(self.zone),
            "source": self.source.as_json(),
            "also_said_by": [s.as_json() for s in self.also],
            "status": self.status.as_json(self.zone),
            "basis": self.basis,
            "method": self.method,
            "as_of": timed(self.as_of, self.zone),
            "zone": zone_name(self.zone),
            "refs": list(self.refs),
        }
