"""A corridor's status as people should read it: who said it and how they know (its basis),
how old it is, and whether it is too old to stand (then it reads "unknown since ..."); the
window with what it rests on; and which incidents contradict an open status (only those on
or near the route)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from safepassage.figures.when import stamp, timed
from safepassage.ops.store import StoredEvent

#: Incidents that contradict a corridor said to be open.
VIOLENT = {"shelling", "shooting", "mines", "detention", "blocked"}


def basis_of(e: StoredEvent, explicit: str | None = None) -> str:
    """How the sayer knows: as given, else from the event's source and status (a
    RECONSTRUCTION or ASSUMPTION in the source says so; a claim is a party's)."""
    if explicit:
        return explicit
    source = (e.source or "").upper()
    if "RECONSTRUCTION" in source or "RECONSTRUCTED" in source:
        return "reconstructed"
    if "ASSUMPTION" in source or "ASSUMED" in source:
        return "assumed"
    if e.status == "claimed":
        return "claimed"
    return "observed" if e.status == "confirmed" else "reported"


def status_view(
    e: StoredEvent | None, now: datetime, stale_after: timedelta, zone: str
) -> dict[str, Any] | None:
    """The status with its basis and age; past `stale_after` without a newer report it is
    `unknown` (`stale`: True, `unknown_since`), whatever it said."""
    if e is None:
        return None
    said_at = datetime.fromisoformat(e.occurred_at)
    age = now - said_at
    stale = age > stale_after
    unknown_since = said_at + stale_after if stale else None
    basis = basis_of(e, e.data.get("basis"))
    said = e.data["status"]
    text = (
        f"{said} according to {e.data['said_by']} ({basis}; {_verification(e.status)}), "
        f"said {stamp(said_at, zone)}"
    )
    if stale:
        text = f"unknown since {stamp(said_at + stale_after, zone)} (last report: {text})"
    return {
        "status": "unknown" if stale else said,
        "said": said,
        "said_by": e.data["said_by"],
        "checkpoint": e.data.get("checkpoint"),
        "at": e.occurred_at,
        "as_of": timed(said_at, zone),
        "verification": e.status,
        "basis": basis,
        "source": e.source,
        "age_min": round(age.total_seconds() / 60),
        "stale": stale,
        "unknown_since": timed(unknown_since, zone),
        "text": text,
    }


def _verification(status: str) -> str:
    return {"confirmed": "confirmed", "claimed": "not confirmed", "unverified": "not verified"}[
        status
    ]


def window_view(announced: StoredEvent | None, zone: str) -> dict[str, Any] | None:
    """The window with what it rests on: agreed (by whom), announced, claimed by one side, a
    reconstruction or a planning assumption; only an agreed window is called agreed."""
    if announced is None:
        return None
    d = announced.data
    basis = d.get("window_basis") or {
        "reconstructed": "reconstructed",
        "assumed": "assumed",
        "claimed": "claimed",
    }.get(basis_of(announced), "announced")
    words = {
        "agreed": "agreed window"
        + (f" (agreed by {d['window_agreed_by']})" if d.get("window_agreed_by") else ""),
        "announced": "announced window (not confirmed as agreed)",
        "claimed": "window as announced by one party (not confirmed)",
        "reconstructed": "window RECONSTRUCTED (not reported)",
        "assumed": "window ASSUMED for planning (not agreed)",
    }[basis]
    return {
        "start": d["window"]["start"],
        "end": d["window"]["end"],
        "start_at": timed(d["window"]["start"], zone),
        "end_at": timed(d["window"]["end"], zone),
        "basis": basis,
        "agreed": basis == "agreed",
        "words": words,
        "source": announced.source,
    }


def contradicts(incident: StoredEvent, status: StoredEvent, route: list[str]) -> bool:
    """Whether a violent incident after an open status contradicts it: only on the route (its
    place is a waypoint, or its segment joins two), or at the checkpoint the status names.
    "Shelling in the city, the road is clear" does not."""
    d = incident.data
    if d["kind"] not in VIOLENT or incident.occurred_at <= status.occurred_at:
        return False
    where = set(route)
    if status.data.get("checkpoint"):
        where = {status.data["checkpoint"]}
    if d.get("place") in where:
        return True
    segment: list[str] = d.get("segment") or []
    return bool(segment) and all(w in route for w in segment)


def incident_place(incident: StoredEvent, route: list[str]) -> str:
    d = incident.data
    if d.get("place") in route:
        return "on the route"
    if d.get("segment") and all(w in route for w in d["segment"]):
        return "on the route"
    if d.get("place") or d.get("segment"):
        return "off the route"
    return "place not reported"
