"""Levers: changes to a scenario that a negotiator can ask for, applied to a copy of it.

Each lever is plain data (picklable: it travels to worker processes) and `apply` returns the
changed scenario; the same function writes the changed scenario for an independent re-plan."""

from __future__ import annotations

from dataclasses import dataclass

from safepassage.model.instants import after, elapsed_s
from safepassage.model.scenario import Bus, Scenario, Waypoint

#: Inspection time cut by this much at every checkpoint (never below 5 s a vehicle).
INSPECTION_CUT_S = 30.0
MIN_INSPECTION_S = 5.0


@dataclass(frozen=True)
class Lever:
    """`kind` is one of lane, inspection, window, buses, remove, route; `target` a checkpoint
    id (lane, remove), the comma-joined `via` ids (route) or empty; `amount` lanes, seconds or
    buses."""

    kind: str
    target: str = ""
    amount: float = 1.0

    @property
    def label(self) -> str:
        if self.kind == "lane":
            n = int(self.amount)
            return f"{n} more inspection lane{'s' if n > 1 else ''} at {self.target}"
        if self.kind == "inspection":
            return f"inspection {self.amount:.0f} s shorter at every checkpoint"
        if self.kind == "window":
            return f"window {self.amount / 3600:g} h longer"
        if self.kind == "buses":
            return f"{int(self.amount)} more buses"
        if self.kind == "remove":
            return f"checkpoint {self.target} removed"
        if self.kind == "route":
            return f"route via {self.target.replace(',', ' - ')}"
        return f"window of {self.amount / 3600:.2f} h"  # "window_length"


def apply(scenario: Scenario, lever: Lever) -> Scenario:
    """A copy of `scenario` with `lever` applied."""
    s = scenario.model_copy(deep=True)
    if lever.kind == "lane":
        for c in s.checkpoints:
            if c.id == lever.target:
                c.lanes += int(lever.amount)
    elif lever.kind == "inspection":
        for c in s.checkpoints:
            c.inspection_s.mean = max(c.inspection_s.mean - lever.amount, MIN_INSPECTION_S)
    elif lever.kind in ("window", "window_length"):
        _set_window(s, lever)
    elif lever.kind == "buses":
        _add_buses(s, int(lever.amount))
    elif lever.kind == "remove":
        _remove_checkpoint(s, lever.target)
    elif lever.kind == "route":
        if s.corridor is None:
            raise ValueError("the scenario has no corridor to route")
        s.corridor.via = lever.target.split(",")
    else:
        raise ValueError(f"unknown lever {lever.kind!r}")
    return s


def _set_window(s: Scenario, lever: Lever) -> None:
    if s.corridor is None:
        raise ValueError("the scenario has no corridor window to change")
    w = s.corridor.window.localized(s.timezone)
    length = elapsed_s(w.start, w.end) + lever.amount if lever.kind == "window" else lever.amount
    s.corridor.window.start = w.start
    s.corridor.window.end = after(w.start, length)


def _add_buses(s: Scenario, n: int) -> None:
    like = s.fleet.buses[-1] if s.fleet.buses else None
    depot = like.depot if like else s.destinations[0].id
    seats = like.seats if like else 50
    taken = {b.id for b in s.fleet.buses}
    k = 0
    while n > 0:
        k += 1
        bus_id = f"extra-bus-{k:03d}"
        if bus_id not in taken:
            s.fleet.buses.append(Bus(id=bus_id, seats=seats, depot=depot))
            n -= 1


def _remove_checkpoint(s: Scenario, target: str) -> None:
    """No inspection there any more; the place stays (as a waypoint: routes and the corridor
    still pass it)."""
    kept = [c for c in s.checkpoints if c.id != target]
    gone = [c for c in s.checkpoints if c.id == target]
    s.checkpoints = kept
    s.waypoints = [*s.waypoints, *(Waypoint(id=c.id, at=c.at) for c in gone)]


def window_length_s(scenario: Scenario) -> float | None:
    w = scenario.window()
    return None if w is None else elapsed_s(w.start, w.end)
