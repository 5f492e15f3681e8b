"""Live state of each corridor, projected from the log and rebuildable from it.

The projection is incremental (events are applied in log order) and its result does not depend
on that order: sums are order-free, "latest" means latest by the time it happened (then by
id), and a correction or retraction removes the event it names whether it arrives before or
after it. Figures come from the register of claims (`ops/claims.py`): every count or claim
with its source, status and time, and every derived number (`ops/derived.py`) per kind,
status and source, never added across them.
"""

from __future__ import annotations

import gc
import statistics
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from safepassage.figures import Figure, totals
from safepassage.figures.when import timed
from safepassage.ops.claims import Changed, ClaimsRegister
from safepassage.ops.derived import (
    PlaceIndex,
    checkpoint_figures,
    comparison_json,
    disagreements,
)
from safepassage.ops.running import order
from safepassage.ops.status import (
    NEAR_ROUTE_KM,
    VIOLENT,
    RouteGeometry,
    basis_of,
    contradicts,
    incident_place,
    status_view,
    window_view,
)
from safepassage.ops.store import StoredEvent

__all__ = ["VIOLENT", "Projection", "PublicProjection", "StateSettings", "parse_time"]


@dataclass(frozen=True)
class StateSettings:
    silent_after_min: float = 60.0  # a checkpoint not heard from for this long is "silent"
    overdue_grace_min: float = 30.0  # a convoy this late at its next waypoint is "overdue"
    throughput_window_min: float = 60.0
    public_delay_min: float = 60.0  # the public view shows the state as of this long ago
    # An event said to happen more than this after it was recorded is not applied: a year-9999
    # time must not silence alerts or break ETAs (the API refuses such events; this guards
    # logs written before it did, or by `ops replay`).
    future_limit_min: float = 24 * 60
    # A status not reported again for this long reads "unknown since ..." everywhere.
    status_stale_after_min: float = 180.0
    # Where places are (id, latitude, longitude; from the served scenarios) and how far from
    # the route an incident contradicts an open status (docs/figures.md).
    places: tuple[tuple[str, float, float], ...] = ()
    near_route_km: float = NEAR_ROUTE_KM


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _at_place(f: Figure, heard: set[str]) -> bool:
    """Whether a figure is one of a checkpoint's (else: among the corridor's others)."""
    return bool(f.place) and (f.place in heard or f.kind in ("crossed", "arrived", "waiting"))


def _key(e: StoredEvent) -> tuple[str, str]:
    return (e.occurred_at, e.id)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Run a bulk build without the cyclic garbage collector: it makes millions of objects
    that all stay (figures, indexes), and each collection would walk every one of them
    again for no garbage. Restored as it was, whatever happens."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@dataclass
class _Corridor:
    announced: dict[str, StoredEvent] = field(default_factory=dict)
    statuses: dict[str, StoredEvent] = field(default_factory=dict)
    incidents: dict[str, StoredEvent] = field(default_factory=dict)
    passages: dict[str, StoredEvent] = field(default_factory=dict)
    held: dict[str, StoredEvent] = field(default_factory=dict)  # counts held for review
    passages_version: int = 0  # bumped whenever `passages` changes (invalidates the cache)
    convoy_cache: tuple[Any, dict[str, tuple[dict[str, Any], datetime | None]]] | None = None
    last_heard: dict[str, str] = field(default_factory=dict)  # checkpoint -> latest report
    other: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def checkpoints(self) -> dict[str, str]:
        """The checkpoints heard from (id -> time of the latest report)."""
        return self.last_heard


class Projection:
    """Apply stored events one by one; `corridor_state` reads it."""

    def __init__(self, settings: StateSettings | None = None) -> None:
        self.settings = settings or StateSettings()
        self.corridors: dict[str, _Corridor] = defaultdict(_Corridor)
        self.register = ClaimsRegister()
        self.applied: dict[str, StoredEvent] = {}  # by id, so that a correction takes it back
        self._place_cache: dict[
            str, tuple[tuple[int, int], dict[str, PlaceIndex], list[Figure]]
        ] = {}
        self.voided: set[str] = set()
        self.last_seq = 0
        self.geometry = RouteGeometry(
            {p: (lat, lon) for p, lat, lon in self.settings.places}, self.settings.near_route_km
        )

    # -- applying -----------------------------------------------------------------------
    def apply(self, e: StoredEvent) -> None:
        self.last_seq = max(self.last_seq, e.seq)
        if self._from_the_future(e):
            self.corridors[e.corridor].other["future_dated"] += 1
            return
        self.register.apply(e)
        c = self.corridors[e.corridor]
        if e.type == "checkpoint_count":
            # Hearing from a checkpoint counts even if the report is later withdrawn.
            cp = e.data["checkpoint"]
            c.last_heard[cp] = max(c.last_heard.get(cp, ""), e.occurred_at)
        if e.supersedes:
            self._void(e.supersedes)
        if e.id in self.voided or e.type == "retraction":
            return
        if e.type == "checkpoint_count" and e.status == "held":
            c.held[e.id] = e  # heard from, but in no figure until corrected
            self.applied[e.id] = e
            return
        buckets = {
            "corridor_announced": c.announced,
            "corridor_status": c.statuses,
            "incident": c.incidents,
            "waypoint_passage": c.passages,
        }
        if e.type in buckets:
            buckets[e.type][e.id] = e
            if e.type == "waypoint_passage":
                c.passages_version += 1
            self.applied[e.id] = e
        elif e.type not in ("checkpoint_count", "claim", "claim_review"):
            c.other[e.type] += 1
            self.applied[e.id] = e

    def _void(self, target: str) -> None:
        """Take back everything `target` contributed (if it was applied); a later arrival of
        it is then skipped, so the result does not depend on the order."""
        self.voided.add(target)
        old = self.applied.pop(target, None)
        if old is not None:
            c = self.corridors[old.corridor]
            if old.type in (
                "corridor_announced",
                "corridor_status",
                "incident",
                "waypoint_passage",
                "checkpoint_count",  # a count held for review (counted ones are contributions)
            ):
                for bucket in (c.announced, c.statuses, c.incidents, c.passages, c.held):
                    bucket.pop(target, None)
                c.passages_version += 1
            else:
                c.other[old.type] -= 1

    def _from_the_future(self, e: StoredEvent) -> bool:
        try:
            ahead = parse_time(e.occurred_at) - parse_time(e.recorded_at)
        except ValueError:
            return True
        return ahead > timedelta(minutes=self.settings.future_limit_min)

    # -- reading ------------------------------------------------------------------------
    def _places(self, corridor: str, heard: set[str]) -> tuple[dict[str, PlaceIndex], list[Figure]]:
        """The corridor's figures by checkpoint (indexed for `checkpoint_figures`) and the
        others; kept up to date with the register's changes, rebuilt when that cannot be."""
        version = (self.register.version, len(heard))
        cached = self._place_cache.get(corridor)
        if cached is not None and cached[0] != version and cached[0][1] == len(heard):
            changes = self.register.changed_since(cached[0][0])
            if changes is not None and self._update(corridor, heard, changes, cached[1], cached[2]):
                cached = (version, cached[1], cached[2])
                self._place_cache[corridor] = cached
        if cached is None or cached[0] != version:
            with _collector_paused():
                cached = (version, *self._build_places(corridor, heard))
            self._place_cache[corridor] = cached
        return cached[1], cached[2]

    def _build_places(
        self, corridor: str, heard: set[str]
    ) -> tuple[dict[str, PlaceIndex], list[Figure]]:
        """The corridor's figures by checkpoint and the others, made from the register."""
        by_place: dict[str, list[Figure]] = defaultdict(list)
        other: list[Figure] = []
        for f in self.register.figures(corridor):
            if _at_place(f, heard):
                by_place[f.place or ""].append(f)
            else:
                other.append(f)
        places = {p: PlaceIndex(by_place.get(p, [])) for p in sorted(set(by_place) | heard)}
        return places, other

    def _update(
        self,
        corridor: str,
        heard: set[str],
        changes: Changed,
        places: dict[str, PlaceIndex],
        other: list[Figure],
    ) -> bool:
        """Take back the figures the changed claims showed before and add those they show
        now (a review costs the figures it changed); False: rebuild instead."""
        for cid, (where, before) in changes.items():
            if where != corridor:
                continue
            for f in before:
                if _at_place(f, heard):
                    if f.place not in places or not places[f.place].remove(f):
                        return False
                else:
                    at = bisect_left(other, order(f), key=order)
                    if at == len(other) or order(other[at]) != order(f):
                        return False
                    del other[at]
            for f in self.register.shown(cid):
                if _at_place(f, heard):
                    if f.place not in places:
                        return False  # a place of its own: rebuild, in the order of places
                    places[f.place].add(f)
                else:
                    insort(other, f, key=order)
        return True

    def corridor_ids(self) -> list[str]:
        return sorted(self.corridors)

    def corridor_names(self) -> dict[str, str]:
        """The name each announced corridor was given (by its latest announcement)."""
        out: dict[str, str] = {}
        for ident, c in self.corridors.items():
            announced = max(c.announced.values(), key=_key, default=None)
            if announced is not None and announced.data.get("name"):
                out[ident] = str(announced.data["name"])
        return out

    def corridor_state(self, corridor: str, now: datetime | None = None) -> dict[str, Any]:
        """Everything a coordinator sees for one corridor at `now`."""
        now = now or datetime.now(UTC)
        s = self.settings
        c = self.corridors.get(corridor)
        if c is None:
            return {"corridor": corridor, "known": False}
        zone = self.register.zone(corridor)
        announced = max(c.announced.values(), key=_key, default=None)
        route: list[str] = announced.data["route"] if announced else []
        latest = max(c.statuses.values(), key=_key, default=None)
        confirmed = max(
            (e for e in c.statuses.values() if e.status == "confirmed"), key=_key, default=None
        )
        stale_after = timedelta(minutes=s.status_stale_after_min)
        status = status_view(latest, now, stale_after, zone)
        is_open = status is not None and status["status"] == "open"
        window = timedelta(minutes=s.throughput_window_min)
        places, other_figures = self._places(corridor, set(c.last_heard))
        checkpoints: dict[str, dict[str, Any]] = {}
        alerts: list[dict[str, Any]] = []
        for cp_id, index in places.items():
            heard = c.last_heard.get(cp_id)
            if heard is not None and parse_time(heard) > now:
                heard = None  # heard of only after `now`
            if index.upto(now) == 0 and heard is None:
                continue  # nothing from it yet at `now`
            checkpoints[cp_id] = {
                **checkpoint_figures(index, now, window),
                "last_heard": timed(heard, zone),
            }
            if heard is None:
                continue
            silent_min = (now - parse_time(heard)).total_seconds() / 60
            if is_open and silent_min > s.silent_after_min:
                alerts.append(
                    {"kind": "checkpoint_silent", "checkpoint": cp_id, "minutes": round(silent_min)}
                )
        convoys = self._convoys(c, route, announced, now)
        for convoy in convoys.values():
            if convoy["overdue_min"] is not None:
                alerts.append(
                    {
                        "kind": "convoy_overdue",
                        "convoy": convoy["id"],
                        "at": convoy["next_waypoint"],
                        "minutes": convoy["overdue_min"],
                    }
                )
        if status is not None and status["stale"]:
            alerts.append({"kind": "status_stale", "said": status["said"], **_since(status)})
        if latest is not None and is_open:
            for inc in sorted(c.incidents.values(), key=_key):
                if contradicts(inc, latest, route, self.geometry):
                    alerts.append(
                        {
                            "kind": "status_contradicted",
                            "incident": inc.id,
                            "incident_kind": inc.data["kind"],
                            "place": inc.data.get("place"),
                            "at": timed(inc.occurred_at, zone),
                        }
                    )
        other_totals = totals(f for f in other_figures if f.as_of <= now)
        return {
            "corridor": corridor,
            "known": True,
            "zone": zone,
            "as_of": timed(now, zone),
            "name": announced.data.get("name") if announced else None,
            "route": route,
            "window": window_view(announced, zone),
            "expected_trip_min": _trip_min(announced),
            "expected_trip": _trip(announced),
            "status": status,
            "last_confirmed_status": status_view(confirmed, now, stale_after, zone),
            "checkpoints": checkpoints,
            "figures": [f.as_json() for f in other_totals],
            "sources_differ": [comparison_json(d) for d in disagreements(other_totals)],
            "awaiting_review": self.register.pending(corridor),
            "convoys": list(convoys.values()),
            "incidents": [
                {
                    # The report's own fields first: its `at` (a position) is `position`
                    # here, so that it never takes the place of the time.
                    **{k: v for k, v in e.data.items() if k != "at"},
                    "position": e.data.get("at"),
                    "id": e.id,
                    "at": timed(e.occurred_at, zone),
                    "status": e.status,
                    "source": e.source,
                    "where": incident_place(e, route, self.geometry),
                }
                for e in sorted(c.incidents.values(), key=_key)
            ],
            "held_for_review": [
                {"id": e.id, "at": e.occurred_at, **e.data}
                for e in sorted(c.held.values(), key=_key)
            ],
            "alerts": alerts,
            "events_applied": self.last_seq,
        }

    def _convoys(
        self, c: _Corridor, route: list[str], announced: StoredEvent | None, now: datetime
    ) -> dict[str, dict[str, Any]]:
        """Convoy positions and ETAs (cached until a passage or the route changes), with how
        overdue each is at `now`."""
        key = (c.passages_version, tuple(route), announced.id if announced else None)
        if c.convoy_cache is None or c.convoy_cache[0] != key:
            c.convoy_cache = (key, _convoy_positions(c, route, announced))
        out = {}
        for convoy, (row, eta_next) in c.convoy_cache[1].items():
            overdue = None
            position = None
            if eta_next is not None:
                late = (now - eta_next).total_seconds() / 60
                if late > self.settings.overdue_grace_min:
                    overdue = round(late)
                # Share of the leg to the next waypoint covered at the expected pace (capped:
                # a late convoy is somewhere before it, not past it).
                leg = (eta_next - parse_time(row["at"])).total_seconds()
                done = (now - parse_time(row["at"])).total_seconds() / leg if leg > 0 else 1.0
                position = {
                    "between": [row["last_waypoint"], row["next_waypoint"]],
                    "share_of_leg": round(min(max(done, 0.0), 1.0), 2),
                }
            out[convoy] = {**row, "estimated_position": position, "overdue_min": overdue}
        return out


def _convoy_positions(
    c: _Corridor, route: list[str], announced: StoredEvent | None
) -> dict[str, tuple[dict[str, Any], datetime | None]]:
    """Last waypoint of each convoy and ETAs from observed leg times (median of the other
    convoys), or the announced leg times when none has been observed yet."""
    by_convoy: dict[str, list[StoredEvent]] = defaultdict(list)
    for e in c.passages.values():
        by_convoy[e.data["convoy"]].append(e)
    position = {w: i for i, w in enumerate(route)}
    legs: dict[int, list[float]] = defaultdict(list)
    leg_statuses: dict[int, set[str]] = defaultdict(set)  # what the observed legs rest on
    for passes in by_convoy.values():
        seen = {
            position[p.data["waypoint"]]: (parse_time(p.occurred_at), p.status)
            for p in passes
            if p.data["waypoint"] in position
        }
        for i, (t, status) in seen.items():
            if i + 1 in seen:
                legs[i].append((seen[i + 1][0] - t).total_seconds() / 60)
                leg_statuses[i] |= {status, seen[i + 1][1]}
    announced_legs = announced.data.get("legs_min") if announced else None

    def leg_min(i: int) -> float | None:
        if legs.get(i):
            return statistics.median(legs[i])
        if announced_legs and i < len(announced_legs):
            return float(announced_legs[i])
        return None

    def leg_basis(i: int) -> str:
        if legs.get(i):
            return "observed legs of other convoys (" + ", ".join(sorted(leg_statuses[i])) + ")"
        return "the announced plan's leg times (planned)"

    out: dict[str, tuple[dict[str, Any], datetime | None]] = {}
    for convoy, passes in sorted(by_convoy.items()):
        last = max(passes, key=_key)
        here = position.get(last.data["waypoint"])
        at = parse_time(last.occurred_at)
        eta_next = eta_end = None
        nxt = None
        if here is not None and here + 1 < len(route):
            nxt = route[here + 1]
            minutes = [leg_min(i) for i in range(here, len(route) - 1)]
            if minutes[0] is not None:
                eta_next = at + timedelta(minutes=minutes[0])
            if all(m is not None for m in minutes):
                eta_end = at + timedelta(minutes=sum(m for m in minutes if m is not None))
        row = {
            "id": convoy,
            "last_waypoint": last.data["waypoint"],
            "at": last.occurred_at,
            "next_waypoint": nxt,
            "eta_next": eta_next.isoformat(timespec="minutes") if eta_next else None,
            "eta_destination": eta_end.isoformat(timespec="minutes") if eta_end else None,
            # A passage whose time was not reported (a reconstruction) says so wherever shown.
            "basis": basis_of(last),
            "status": last.status,
            "source": last.source,
            "eta_based_on": sorted(
                {leg_basis(i) for i in range(here, len(route) - 1) if leg_min(i) is not None}
                if nxt and here is not None
                else set()
            ),
        }
        out[convoy] = (row, eta_next)
    return out


def _trip_min(announced: StoredEvent | None) -> float | None:
    """The announced minutes from the first station to the last (the plan's legs), if given."""
    legs = announced.data.get("legs_min") if announced else None
    return round(sum(legs)) if legs else None


def _trip(announced: StoredEvent | None) -> dict[str, Any] | None:
    """The announced journey time and what it rests on: a plan's leg times, not observed."""
    minutes = _trip_min(announced)
    if minutes is None or announced is None:
        return None
    return {
        "minutes": minutes,
        "basis": "planned",
        "words": "planned journey time from the scenario's plan (not observed; no waiting)",
        "source": announced.source,
    }


def _since(status: dict[str, Any]) -> dict[str, Any]:
    return {"unknown_since": status["unknown_since"], "last_said_at": status["as_of"]}


class PublicProjection:
    """The state as the public sees it: only events recorded and happened at least
    `public_delay_min` ago. Kept incrementally as the cut-off moves forward (events are read in
    log order, whose recorded times only grow), so a view costs what is new, not the log."""

    def __init__(self, settings: StateSettings | None = None) -> None:
        self.settings = settings or StateSettings()
        self.projection = Projection(self.settings)
        self.after = 0  # the last log position considered
        self.pending: list[StoredEvent] = []  # recorded in time, but said to happen later

    def advance(self, read: Callable[[int], list[StoredEvent]], now: datetime) -> datetime:
        """Apply what the cut-off now admits; `read(after)` returns the next page of the log."""
        cutoff = (now - timedelta(minutes=self.settings.public_delay_min)).astimezone(UTC)
        cut = cutoff.isoformat(timespec="microseconds")
        still = []
        for e in self.pending:
            if parse_time(e.occurred_at) <= cutoff:
                self.projection.apply(e)
            else:
                still.append(e)
        self.pending = still
        while page := read(self.after):
            for e in page:
                if e.recorded_at > cut:
                    return cutoff
                self.after = e.seq
                if parse_time(e.occurred_at) <= cutoff:
                    self.projection.apply(e)
                else:
                    self.pending.append(e)
        return cutoff

    def view(self, cutoff: datetime) -> dict[str, Any]:
        """Per corridor its status (who said it, how they know, how old), route, window (with
        what it rests on) and the figures out through the exit, each with its source, status
        and time. No reporter, no convoy position, no incident details."""
        corridors = []
        for cid in self.projection.corridor_ids():
            full = self.projection.corridor_state(cid, cutoff)
            if not full["name"]:
                continue  # public only once a coordinator announced it with a public name
            # The exit is the announced route's first station (a coordinator's word), never a
            # checkpoint id a reporter typed.
            first = full["route"][0] if full["route"] else None
            exits = [first] if first in full["checkpoints"] else []
            exit_cp = full["checkpoints"][exits[0]] if exits else None
            status = full["status"]
            corridors.append(
                _public(
                    {
                        "corridor": cid,
                        "name": full["name"],
                        "zone": full["zone"],
                        "status": status["status"] if status else "unknown",
                        "status_detail": _public_status(status),
                        "last_confirmed": _public_status(full["last_confirmed_status"]),
                        "route": full["route"],
                        "window": full["window"],
                        "expected_trip_min": full["expected_trip_min"],
                        "expected_trip": full["expected_trip"],
                        "left_through": first,
                        "out": [f for f in exit_cp["totals"] if f["what"]["kind"] == "crossed"]
                        if exit_cp
                        else [],
                        "out_sources_differ": exit_cp["sources_differ"] if exit_cp else [],
                        "exit_waits": exit_cp["waits"] if exit_cp else [],
                        "figures": full["figures"],
                        "sources_differ": full["sources_differ"],
                    }
                )
            )
        return {
            "as_of": cutoff.isoformat(timespec="seconds"),
            "as_of_at": timed(cutoff, corridors[0]["zone"] if corridors else "UTC"),
            "delay_min": self.settings.public_delay_min,
            "corridors": corridors,
            "note": "Aggregate and delayed. Every figure says who stated it, how far it is "
            "verified and when; figures of different statuses or sources are never added.",
        }


def _public_status(status: dict[str, Any] | None) -> dict[str, Any] | None:
    if status is None:
        return None
    keep = ("status", "said", "said_by", "checkpoint", "as_of", "verification", "basis")
    return {
        **{k: status[k] for k in keep},
        "stale": status["stale"],
        "unknown_since": status["unknown_since"],
        "text": status["text"],
    }


def _public(node: Any) -> Any:
    """A copy without who entered what (reporters) or event ids."""
    if isinstance(node, dict):
        hidden = ("reporter", "reporters", "reporter_count", "refs")
        return {k: _public(v) for k, v in node.items() if k not in hidden}
    if isinstance(node, list):
        return [_public(v) for v in node]
    return node
