"""The figures a claim-bearing event states as entered, before any review: a `claim` gives
one (its value with its qualifier, span, source, basis and method), a `checkpoint_count` one
per number it counts (vehicles, buses, people, the queue). Used by the register of claims
(`ops/claims.py`)."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from safepassage.figures import Figure, Source, Span, Value, Verification
from safepassage.figures.figure import Basis, Kind, Unit
from safepassage.ops.store import StoredEvent

FIELD_SOURCE = "field report"


def time_or_none(text: str | None) -> datetime | None:
    """The time of ISO text, or None for none."""
    return datetime.fromisoformat(text) if text else None


def initial_status(e: StoredEvent) -> Verification:
    """A claim's state as entered: the event's status, read in the register's words. A
    `claim` never starts confirmed: its confirmation is a review, an event of its own."""
    if e.status == "confirmed" and e.type != "claim":
        return _ENTERED_CONFIRMED
    return _REPORTED if e.status == "claimed" else _UNVERIFIED


# Shared: a log holds millions of counts, and most keep the status they were entered with.
_ENTERED_CONFIRMED = Verification("confirmed", how="entered as confirmed by a coordinator")
_REPORTED = Verification("reported")
_UNVERIFIED = Verification("unverified")


@lru_cache(maxsize=65_536)
def _source(name: str, via: str | None, reporter: str | None) -> Source:
    return Source(name, None, via, reporter)


def _count_basis(e: StoredEvent) -> Basis:
    source = e.source or ""
    if "RECONSTRUCTION" in source.upper():
        return "reconstructed"
    if e.status == "claimed":
        return "claimed"
    if not e.source or _names_reporter(e):
        return "observed"  # our own field reporter's count
    return "reported"


def _names_reporter(e: StoredEvent) -> bool:
    """Whether a count's source text names the user who entered it (an SMS's "sms from X")."""
    return bool(e.source and e.reporter) and bool(
        re.search(rf"(?<![\w-]){re.escape(e.reporter)}(?![\w-])", e.source or "")
    )


def _count_source(e: StoredEvent) -> Source:
    """A count's source. A field report's source text that names its reporter (an SMS: "sms
    from NAME") becomes the field reports' source with the channel as `via`: the reporter
    stays with coordinators and never reaches a public output."""
    name = e.source or FIELD_SOURCE
    if _names_reporter(e):
        via = "SMS" if "sms" in name.lower() else None
        return _source(FIELD_SOURCE, via, e.reporter)
    return _source(name, None, e.reporter)


def base_figures(e: StoredEvent, zone: str) -> list[Figure]:
    """The figures one claim-bearing event states, before review (status as entered)."""
    status = initial_status(e)
    end = datetime.fromisoformat(e.occurred_at)
    d = e.data
    if e.type == "claim":
        if d["qualifier"] == "range":
            value = Value.between(d["low"], d["high"])
        else:
            value = {
                "exact": Value.exact,
                "about": Value.about,
                "at_least": Value.at_least,
                "as_many_as": Value.as_many_as,
            }[d["qualifier"]](d["value"])
        party = d.get("party")
        basis: Basis = d.get("basis", "reported")
        if party and basis in ("observed", "reported"):
            basis = "claimed"  # what a party to the conflict says is its claim
        return [
            Figure(
                kind=d["kind"],
                unit=d.get("unit", "people"),
                value=value,
                span=Span(d.get("span", "cumulative"), end, time_or_none(d.get("since"))),
                source=Source(d["said_by"], party, d.get("via"), e.reporter),
                status=status,
                basis=basis,
                zone=zone,
                place=d.get("place"),
                method=d.get("method"),
                refs=(e.id,),
            )
        ]
    # A checkpoint count: each of its numbers is a figure at the checkpoint.
    source = _count_source(e)
    kind: Kind = "crossed" if d.get("direction", "out") == "out" else "arrived"
    span = Span("interval", end, time_or_none(d.get("interval_start")))
    # No vehicles stated (a count of people, buses or a queue alone) is not a count of none:
    # a "0 vehicles" figure would stand beside other sources' as if the source had said it.
    # The payload defaults vehicles to 0, so 0 beside another number reads as not stated.
    others = bool(d.get("buses")) or d.get("people") is not None or d.get("waiting") is not None
    numbers: list[tuple[Kind, Unit, int, Span]] = []
    if d.get("vehicles", 0) or not others:
        numbers.append((kind, "vehicles", d.get("vehicles", 0), span))
    if d.get("buses"):
        numbers.append((kind, "buses", d["buses"], span))
    if d.get("people") is not None:
        numbers.append((kind, "people", d["people"], span))
    if d.get("waiting") is not None:
        numbers.append(("waiting", "vehicles", d["waiting"], Span("stock", end)))
    basis = _count_basis(e)
    return [
        Figure(
            kind=k,
            unit=u,
            value=Value.exact(n),
            span=s,
            source=source,
            status=status,
            basis=basis,
            zone=zone,
            place=d["checkpoint"],
            refs=(e.id,),
        )
        for k, u, n, s in numbers
    ]
