"""The fleet as a flow over time, solved as a linear programme (OR-Tools GLOP): its optimum
bounds the bus people out by the window's end, and its flows guide the dispatch.

Time is cut into periods of P steps. A bus of a type (seats, depot, earliest start) waits at a
base (its depot or a destination) or leaves it in period t for an assembly point, loads, drives
the point's route out and is back at that route's destination, ready again. Every duration is
rounded down to whole periods, a passage of a checkpoint or road in period q may use the room
of periods q and q+1 (and of the periods the bus keeps a lane busy), people per trip are at most its seats
and per point at most those who need a seat. Any timetable on the real steps maps onto this
model (leave the base in the period of its departure less the trip's lead time), so the LP
optimum is an upper bound for every timetable that uses these routes."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from ortools.linear_solver import pywraplp  # type: ignore[attr-defined,unused-ignore]

#: Weight of getting people out earlier, beside the window's count (per person, at most).
EARLY = 1e-3


@dataclass(frozen=True)
class BusType:
    seats: int
    base: int
    earliest: int  # step
    buses: list[int]  # indices into the fleet


@dataclass(frozen=True)
class Leg:
    """An assembly point's routes to one base (destination), as the LP sees them: the least
    steps to out over those routes, and each resource (checkpoint or road that could bind) on
    all of them with its least offset and the steps its use may come later (other routes, a
    lane kept busy)."""

    origin: int
    base: int
    steps: int
    cells: dict[int, tuple[int, int]]  # resource: (least offset, extra steps)


@dataclass
class FleetModel:
    window_steps: int
    period: int  # steps
    periods: int
    types: list[BusType]
    n_bases: int
    legs: list[Leg]
    lead: NDArray[np.int64]  # [base, origin]: steps from leaving the base to loaded (-1: none)
    unload: int
    need: list[int]
    units: dict[int, float]  # resource: what one bus takes of it (PCU, car inspections)
    room: dict[int, NDArray[np.float64]] = field(default_factory=dict)  # resource: per step


@dataclass
class LpResult:
    bound: float  # people out by the window's end, at most
    objective: float
    flows: dict[tuple[int, int], list[tuple[int, int, float]]]  # (type, base): (period, origin, x)
    status: str
    variables: int


def solve_lp(model: FleetModel, early: float = EARLY) -> LpResult:
    """Build the fleet LP and solve it twice: with earlier arrivals weighed by `early` (its
    flows guide the dispatch), then with the window's count alone (its optimum is the
    bound; GLOP starts from the first solution)."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    inf = solver.infinity()
    P, T = model.period, model.periods
    wp = model.window_steps // P
    arrive: dict[tuple[int, int, int], list[pywraplp.Variable]] = defaultdict(list)
    leave: dict[tuple[int, int, int], list[pywraplp.Variable]] = defaultdict(list)
    people_of: dict[int, list[pywraplp.Variable]] = defaultdict(list)
    passes: dict[tuple[int, int], list[tuple[float, int, pywraplp.Variable]]] = defaultdict(list)
    trips: list[tuple[int, int, int, int, pywraplp.Variable, float]] = []
    in_window: list[tuple[pywraplp.Variable, bool]] = []
    objective = solver.Objective()
    for k, bt in enumerate(model.types):
        for b in range(model.n_bases):
            for leg in model.legs:
                o, dest = leg.origin, leg.base
                lead = int(model.lead[b, o])
                if lead < 0 or model.need[o] <= 0:
                    continue
                out_after = (lead + leg.steps) // P
                ready_after = (lead + leg.steps + model.unload) // P
                for t in range(bt.earliest // P, T - out_after):
                    x = solver.NumVar(0.0, len(bt.buses), "")
                    p = solver.NumVar(0.0, float(bt.seats * len(bt.buses)), "")
                    row = solver.Constraint(-inf, 0.0)
                    row.SetCoefficient(p, 1.0)
                    row.SetCoefficient(x, -float(bt.seats))
                    out = t + out_after
                    weight = (1.0 if out <= wp else 0.0) + early * (T - out) / T
                    objective.SetCoefficient(p, weight)
                    in_window.append((p, out <= wp))
                    people_of[o].append(p)
                    leave[(k, b, t)].append(x)
                    if t + ready_after < T:
                        arrive[(k, dest, t + ready_after)].append(x)
                    for c, (offset, extra) in leg.cells.items():
                        q = t + (lead + offset) // P
                        passes[(c, q)].append((model.units[c], extra, x))
                    trips.append((k, b, o, t, p, float(bt.seats)))
    objective.SetMaximization()
    for o, ps in people_of.items():
        row = solver.Constraint(-inf, float(model.need[o]))
        for p in ps:
            row.SetCoefficient(p, 1.0)
    _flow_rows(solver, model, leave, arrive)
    _room_rows(solver, model, passes)
    status = solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        return LpResult(math.inf, math.inf, {}, "not solved", len(trips))
    flows: dict[tuple[int, int], list[tuple[int, int, float]]] = defaultdict(list)
    for k, b, o, t, p, seats in trips:
        # Buses that carry people (the LP may also move empty ones at no cost).
        if p.solution_value() > 1e-6:
            flows[(k, b)].append((t, o, p.solution_value() / seats))
    for rows in flows.values():
        rows.sort()
    guided = objective.Value()
    for p, counts in in_window:
        objective.SetCoefficient(p, 1.0 if counts else 0.0)
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return LpResult(math.inf, guided, dict(flows), "bound not solved", 2 * len(trips))
    return LpResult(objective.Value(), guided, dict(flows), "optimal", 2 * len(trips))


def _flow_rows(
    solver: pywraplp.Solver,
    model: FleetModel,
    leave: dict[tuple[int, int, int], list[pywraplp.Variable]],
    arrive: dict[tuple[int, int, int], list[pywraplp.Variable]],
) -> None:
    """Buses at each base in each period: those there before, arriving and starting, less
    those leaving; the rest wait (never below zero)."""
    for k, bt in enumerate(model.types):
        for b in range(model.n_bases):
            waiting: pywraplp.Variable | None = None
            start = bt.earliest // model.period
            for t in range(model.periods):
                came = arrive.get((k, b, t), [])
                went = leave.get((k, b, t), [])
                supply = float(len(bt.buses)) if (b == bt.base and t == start) else 0.0
                if not came and not went and waiting is None and supply == 0.0:
                    continue
                stay = solver.NumVar(0.0, solver.infinity(), "")
                row = solver.Constraint(supply, supply)  # stay + went - waiting - came = supply
                row.SetCoefficient(stay, 1.0)
                for x in went:
                    row.SetCoefficient(x, 1.0)
                for x in came:
                    row.SetCoefficient(x, -1.0)
                if waiting is not None:
                    row.SetCoefficient(waiting, -1.0)
                waiting = stay


def _room_rows(
    solver: pywraplp.Solver,
    model: FleetModel,
    passes: dict[tuple[int, int], list[tuple[float, int, pywraplp.Variable]]],
) -> None:
    """What buses take of a resource passed in period q fits the room of periods q, q+1 and
    those its use may come later (a real passage in period q or q+1 of the LP's rounding)."""
    P = model.period
    for (c, q), uses in passes.items():
        room = model.room[c]
        span = 2 + math.ceil(max(extra for _, extra, _ in uses) / P)
        lo, hi = q * P, min((q + span) * P, room.shape[0])
        cap = float(room[lo:hi].sum()) if lo < room.shape[0] else 0.0
        row = solver.Constraint(-solver.infinity(), max(cap, 0.0))
        total: dict[pywraplp.Variable, float] = defaultdict(float)
        for units, _, x in uses:
            total[x] += units
        for x, units in total.items():
            row.SetCoefficient(x, units)
