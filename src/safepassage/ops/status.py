"""A corridor's status as people should read it: who said it and how they know (its basis),
how old it is, and whether it is too old to stand (then it reads "unknown since ..."); the
window with what it rests on; and which incidents contradict an open status (only those on
the route by name, or near it by distance where positions are known)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
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


#: How far from the route an incident may be and still be "near" it, by default: the road and
#: the built-up edge of the towns it passes (docs/figures.md).
NEAR_ROUTE_KM = 2.0
EARTH_KM = 6371.0088  # mean radius
LatLon = tuple[float, float]


def distance_to_line_km(point: LatLon, line: list[LatLon]) -> float | None:
    """Kilometres from `point` to the nearest point of the polyline `line` (straight legs
    between its points, on a plane tangent at `point`: within 1 % up to 100 km, and far
    closer at the few km that decide "near"); None when the line has no point."""
    if not line:
        return None
    legs = list(pairwise(line)) or [(line[0], line[0])]
    lat0 = math.radians(point[0])

    def xy(p: LatLon) -> tuple[float, float]:
        return (math.radians(p[1] - point[1]) * math.cos(lat0) * EARTH_KM,
                math.radians(p[0] - point[0]) * EARTH_KM)  # fmt: skip

    best = math.inf
    for a, b in legs:
        (ax, ay), (bx, by) = xy(a), xy(b)
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


@dataclass(frozen=True)
class RouteGeometry:
    """Where the route's places are (from the served scenarios) and how near is near."""

    places: Mapping[str, LatLon]
    near_km: float = NEAR_ROUTE_KM

    def position(self, incident: StoredEvent) -> LatLon | None:
        """The incident's reported position, else that of its (known) place."""
        d = incident.data
        if d.get("at"):
            return (float(d["at"][0]), float(d["at"][1]))
        return self.places.get(d.get("place") or "")

    def distance_km(self, incident: StoredEvent, along: list[str]) -> float | None:
        """Kilometres from the incident to the line through the known places of `along`."""
        where = self.position(incident)
        line = [self.places[p] for p in along if p in self.places]
        return None if where is None else distance_to_line_km(where, line)


NO_GEOMETRY = RouteGeometry({})


def _on_route(d: dict[str, Any], where: list[str]) -> bool:
    """On the route by name: its place is one of `where`, or its segment joins two."""
    if d.get("place") in where:
        return True
    segment: list[str] = d.get("segment") or []
    return bool(segment) and all(w in where for w in segment)


def contradicts(
    incident: StoredEvent,
    status: StoredEvent,
    route: list[str],
    geometry: RouteGeometry = NO_GEOMETRY,
) -> bool:
    """Whether a violent incident after an open status contradicts it: only on the route (its
    place is a waypoint, or its segment joins two) or within `geometry.near_km` of it (by its
    position or its place's), or at (near) the checkpoint the status names. "Shelling in the
    city, the road is clear" does not."""
    d = incident.data
    if d["kind"] not in VIOLENT or incident.occurred_at <= status.occurred_at:
        return False
    checkpoint = status.data.get("checkpoint")
    where = [checkpoint] if checkpoint else route
    if checkpoint and (d.get("place") == checkpoint or checkpoint in (d.get("segment") or [])):
        return True
    if not checkpoint and _on_route(d, route):
        return True
    km = geometry.distance_km(incident, where)
    return km is not None and km <= geometry.near_km


def incident_place(
    incident: StoredEvent, route: list[str], geometry: RouteGeometry = NO_GEOMETRY
) -> str:
    """Where an incident was, as to the route: on it (by name), near it or off it (with the
    distance where the position is known), or not reported."""
    d = incident.data
    if _on_route(d, route):
        return "on the route"
    km = geometry.distance_km(incident, route)
    if km is not None:
        near = "near the route" if km <= geometry.near_km else "off the route"
        return f"{near} ({km:,.1f} km from it)"
    if d.get("place") or d.get("segment"):
        return "off the route"
    if d.get("at"):
        return "position reported (the route's positions are not known here)"
    return "place not reported"
