"""Live state of each corridor, projected from the log and rebuildable from it.

The projection is incremental (events are applied in log order) and its result does not depend
on that order: sums are order-free, "latest" means latest by the time it happened (then by
id), and a correction or retraction removes the event it names whether it arrives before or
after it. Confirmed and unconfirmed figures are kept apart and never added together.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from safepassage.ops.store import StoredEvent

#: Incidents that contradict a corridor said to be open.
VIOLENT = {"shelling", "shooting", "mines", "detention", "blocked"}


@dataclass(frozen=True)
class StateSettings:
    silent_after_min: float = 60.0  # a checkpoint not heard from for this long is "silent"
    overdue_grace_min: float = 30.0  # a convoy this late at its next waypoint is "overdue"
    throughput_window_min: float = 60.0
    public_delay_min: float = 60.0  # the public view shows the state as of this long ago


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _key(e: StoredEvent) -> tuple[str, str]:
    return (e.occurred_at, e.id)


def _bucket() -> dict[str, int]:
    # People are summed only from counts that gave them; vehicles_without_people says how many
    # vehicles (and buses) came in counts without a people figure, so "0 people" is never
    # read where nobody counted people.
    return {"vehicles": 0, "buses": 0, "people": 0, "vehicles_without_people": 0}


class _Contribution(NamedTuple):
    """What one checkpoint count adds to the state."""

    corridor: str
    checkpoint: str
    direction: str
    verified: str
    vehicles: int
    buses: int
    people: int
    without_people: int
    minute: int


def _contribution(e: StoredEvent) -> _Contribution:
    d = e.data
    return _Contribution(
        e.corridor,
        d["checkpoint"],
        d.get("direction", "out"),
        "confirmed" if e.status == "confirmed" else "unconfirmed",
        d.get("vehicles", 0),
        d.get("buses", 0),
        d.get("people", 0),
        0 if "people" in d else d.get("vehicles", 0) + d.get("buses", 0),
        int(parse_time(e.occurred_at).timestamp() // 60),
    )


@dataclass
class _Checkpoint:
    totals: dict[tuple[str, str], dict[str, int]] = field(
        default_factory=lambda: defaultdict(_bucket)
    )  # (direction, confirmed|unconfirmed) -> sums
    by_minute: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # vehicles out
    last_heard: str = ""
    # Queue reports by event id (so a retraction takes its report back), and the latest of
    # them, kept up to date as reports come and go.
    queue_reports: dict[str, tuple[tuple[str, str], int]] = field(default_factory=dict)
    waiting: tuple[tuple[str, str], int] | None = None  # (key, vehicles waiting)

    def latest_queue(self) -> None:
        self.waiting = max(self.queue_reports.values(), default=None)


@dataclass
class _Corridor:
    announced: dict[str, StoredEvent] = field(default_factory=dict)
    statuses: dict[str, StoredEvent] = field(default_factory=dict)
    incidents: dict[str, StoredEvent] = field(default_factory=dict)
    passages: dict[str, StoredEvent] = field(default_factory=dict)
    passages_version: int = 0  # bumped whenever `passages` changes (invalidates the cache)
    convoy_cache: tuple[Any, dict[str, tuple[dict[str, Any], datetime | None]]] | None = None
    checkpoints: dict[str, _Checkpoint] = field(default_factory=lambda: defaultdict(_Checkpoint))
    other: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Projection:
    """Apply stored events one by one; `corridor_state` reads it."""

    def __init__(self, settings: StateSettings | None = None) -> None:
        self.settings = settings or StateSettings()
        self.corridors: dict[str, _Corridor] = defaultdict(_Corridor)
        # What each applied event contributed, by id, so that a correction can take it back:
        # a compact tuple for counts (there are millions), the event itself otherwise.
        self.applied: dict[str, _Contribution | StoredEvent] = {}
        self.voided: set[str] = set()
        self.last_seq = 0

    # -- applying -----------------------------------------------------------------------
    def apply(self, e: StoredEvent) -> None:
        self.last_seq = max(self.last_seq, e.seq)
        c = self.corridors[e.corridor]
        if e.type == "checkpoint_count":
            # Hearing from a checkpoint counts even if the report is later withdrawn.
            cp = c.checkpoints[e.data["checkpoint"]]
            cp.last_heard = max(cp.last_heard, e.occurred_at)
        if e.supersedes:
            self._void(e.supersedes)
        if e.id in self.voided or e.type == "retraction":
            return
        if e.type == "checkpoint_count":
            contribution = _contribution(e)
            self._add(contribution, +1)
            self.applied[e.id] = contribution
            cp = self.corridors[e.corridor].checkpoints[e.data["checkpoint"]]
            if "waiting" in e.data:
                report = (_key(e), int(e.data["waiting"]))
                cp.queue_reports[e.id] = report
                if cp.waiting is None or report > cp.waiting:
                    cp.waiting = report
        elif e.type in ("corridor_announced", "corridor_status", "incident", "waypoint_passage"):
            bucket = {
                "corridor_announced": c.announced,
                "corridor_status": c.statuses,
                "incident": c.incidents,
                "waypoint_passage": c.passages,
            }[e.type]
            bucket[e.id] = e
            if e.type == "waypoint_passage":
                c.passages_version += 1
            self.applied[e.id] = e
        else:
            c.other[e.type] += 1
            self.applied[e.id] = e

    def _void(self, target: str) -> None:
        """Take back everything `target` contributed (if it was applied); a later arrival of
        it is then skipped, so the result does not depend on the order."""
        self.voided.add(target)
        old = self.applied.pop(target, None)
        if isinstance(old, _Contribution):
            self._add(old, -1)
            cp = self.corridors[old.corridor].checkpoints[old.checkpoint]
            if cp.queue_reports.pop(target, None) is not None:
                cp.latest_queue()
        elif old is not None:
            c = self.corridors[old.corridor]
            if old.type in (
                "corridor_announced",
                "corridor_status",
                "incident",
                "waypoint_passage",
            ):
                for bucket in (c.announced, c.statuses, c.incidents, c.passages):
                    bucket.pop(target, None)
                c.passages_version += 1
            else:
                c.other[old.type] -= 1

    def _add(self, c: _Contribution, sign: int) -> None:
        cp = self.corridors[c.corridor].checkpoints[c.checkpoint]
        sums = cp.totals[(c.direction, c.verified)]
        sums["vehicles"] += sign * c.vehicles
        sums["buses"] += sign * c.buses
        sums["people"] += sign * c.people
        sums["vehicles_without_people"] += sign * c.without_people
        if c.direction == "out":
            cp.by_minute[c.minute] += sign * (c.vehicles + c.buses)

    # -- reading ------------------------------------------------------------------------
    def corridor_ids(self) -> list[str]:
        return sorted(self.corridors)

    def corridor_state(self, corridor: str, now: datetime | None = None) -> dict[str, Any]:
        """Everything a coordinator sees for one corridor at `now`."""
        now = now or datetime.now(UTC)
        s = self.settings
        c = self.corridors.get(corridor)
        if c is None:
            return {"corridor": corridor, "known": False}
        announced = max(c.announced.values(), key=_key, default=None)
        route: list[str] = announced.data["route"] if announced else []
        status = max(c.statuses.values(), key=_key, default=None)
        confirmed = max(
            (e for e in c.statuses.values() if e.status == "confirmed"), key=_key, default=None
        )
        checkpoints = {}
        alerts: list[dict[str, Any]] = []
        is_open = status is not None and status.data["status"] == "open"
        window_from = int((now.timestamp() - s.throughput_window_min * 60) // 60)
        now_minute = int(now.timestamp() // 60)
        for cp_id, cp in sorted(c.checkpoints.items()):
            recent = sum(cp.by_minute.get(m, 0) for m in range(window_from + 1, now_minute + 1))
            throughput = round(recent * 60 / s.throughput_window_min, 1)
            queue = _queue_estimate(cp, now_minute)
            checkpoints[cp_id] = {
                "out": {k[1]: dict(v) for k, v in cp.totals.items() if k[0] == "out"},
                "in": {k[1]: dict(v) for k, v in cp.totals.items() if k[0] == "in"},
                "throughput_vph": throughput,
                "queue_estimate": queue,
                "wait_estimate": _wait_estimate(queue, throughput),
                "last_heard": cp.last_heard or None,
            }
            silent_min = (now - parse_time(cp.last_heard)).total_seconds() / 60
            if is_open and silent_min > s.silent_after_min:
                alerts.append(
                    {
                        "kind": "checkpoint_silent",
                        "checkpoint": cp_id,
                        "minutes": round(silent_min),
                    }
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
        if status is not None and is_open:
            for inc in sorted(c.incidents.values(), key=_key):
                if inc.occurred_at > status.occurred_at and inc.data["kind"] in VIOLENT:
                    alerts.append(
                        {
                            "kind": "status_contradicted",
                            "incident": inc.id,
                            "incident_kind": inc.data["kind"],
                            "at": inc.occurred_at,
                        }
                    )
        return {
            "corridor": corridor,
            "known": True,
            "as_of": now.isoformat(timespec="seconds"),
            "route": route,
            "window": announced.data["window"] if announced else None,
            "expected_trip_min": _trip_min(announced),
            "status": _status(status),
            "last_confirmed_status": _status(confirmed),
            "checkpoints": checkpoints,
            "convoys": list(convoys.values()),
            "incidents": [
                {"id": e.id, "at": e.occurred_at, "status": e.status, **e.data}
                for e in sorted(c.incidents.values(), key=_key)
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
    for passes in by_convoy.values():
        seen = {
            position[p.data["waypoint"]]: parse_time(p.occurred_at)
            for p in passes
            if p.data["waypoint"] in position
        }
        for i, t in seen.items():
            if i + 1 in seen:
                legs[i].append((seen[i + 1] - t).total_seconds() / 60)
    announced_legs = announced.data.get("legs_min") if announced else None

    def leg_min(i: int) -> float | None:
        if legs.get(i):
            return statistics.median(legs[i])
        if announced_legs and i < len(announced_legs):
            return float(announced_legs[i])
        return None

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
        }
        out[convoy] = (row, eta_next)
    return out


def _trip_min(announced: StoredEvent | None) -> float | None:
    """The announced minutes from the first station to the last (the plan's legs), if given."""
    legs = announced.data.get("legs_min") if announced else None
    return round(sum(legs)) if legs else None


def _status(e: StoredEvent | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {
        "status": e.data["status"],
        "said_by": e.data["said_by"],
        "at": e.occurred_at,
        "verification": e.status,
    }


def _queue_estimate(cp: _Checkpoint, now_minute: int) -> dict[str, Any] | None:
    """The last queue a reporter saw, less the vehicles counted out since (never below 0):
    vehicles joining the queue since are not seen, so this is a lower bound."""
    if cp.waiting is None:
        return None
    (at, _), seen = cp.waiting
    since = int(parse_time(at).timestamp() // 60)
    if now_minute - since <= len(cp.by_minute):
        passed = sum(cp.by_minute.get(m, 0) for m in range(since + 1, now_minute + 1))
    else:
        passed = sum(v for m, v in cp.by_minute.items() if since < m <= now_minute)
    return {"vehicles": max(0, seen - passed), "seen": seen, "seen_at": at, "kind": "lower bound"}


def _wait_estimate(queue: dict[str, Any] | None, throughput_vph: float) -> dict[str, Any] | None:
    """How long the queue takes to clear at the last hour's pace: a lower bound like the queue
    itself (and only as good as that pace holds); none without a queue or a pace."""
    if queue is None or throughput_vph <= 0:
        return None
    return {
        "minutes": round(queue["vehicles"] / throughput_vph * 60),
        "queue_seen_at": queue["seen_at"],
        "kind": "lower bound, at the last hour's pace",
    }


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
        """Per corridor its status, route, window and people and vehicles out (confirmed and
        unconfirmed apart). No reporter, no convoy position, no incident details."""
        corridors = []
        for cid in self.projection.corridor_ids():
            full = self.projection.corridor_state(cid, cutoff)
            status = full["status"]
            out: dict[str, dict[str, int]] = {"confirmed": _bucket(), "unconfirmed": _bucket()}
            first = full["route"][0] if full["route"] else None
            exits = [first] if first in full["checkpoints"] else list(full["checkpoints"])[:1]
            for cp in exits:
                for verified, sums in full["checkpoints"][cp]["out"].items():
                    for k, v in sums.items():
                        out[verified][k] += v
            corridors.append(
                {
                    "corridor": cid,
                    "status": status["status"] if status else "unknown",
                    "status_verification": status["verification"] if status else None,
                    "status_at": status["at"] if status else None,
                    "route": full["route"],
                    "window": full["window"],
                    "expected_trip_min": full["expected_trip_min"],
                    "left_through": exits[0] if exits else None,
                    "exit_wait": full["checkpoints"][exits[0]]["wait_estimate"] if exits else None,
                    "out": out,
                }
            )
        return {
            "as_of": cutoff.isoformat(timespec="minutes"),
            "delay_min": self.settings.public_delay_min,
            "corridors": corridors,
            "note": "Aggregate and delayed. Confirmed and unconfirmed figures are never added together.",
        }
