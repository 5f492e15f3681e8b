"""Bus allocation: buses shuttle from their depots to the origins with the most people who
need a seat, and carry them out on the origins' routes.

Greedy, in time order: a free bus goes to the origin with the most people still waiting for a
seat (nearest first on ties), loads, and takes the earliest-arriving candidate route with room
for a whole bus (`BUS_PCU` at every cell) in the capacity ledger; after unloading it is free
again at that destination. Buses are booked before cars: a bus carries ten times the people of
a car per unit of road and checkpoint capacity. Trips to the origin are not capacity-checked
(inbound traffic is light); their inspections are not modelled: buses were stopped and seized
in 2022, so a plan that depends on them is marked as such.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from safepassage.model.instants import elapsed_s
from safepassage.model.prepare import PreparedScenario
from safepassage.plan.ledger import CapacityLedger
from safepassage.plan.problem import BUS_PCU, PlanningProblem
from safepassage.plan.steps import ceil_steps, floor_steps

LOAD_S = 900.0  # boarding at an assembly point
UNLOAD_S = 600.0


@dataclass(frozen=True)
class BusTrip:
    bus: str
    origin: int
    route: int
    leave_depot_step: int
    depart_step: int  # from the origin, on `route`
    out_step: int  # counted out (at the destination)
    people: int


def plan_buses(
    prepared: PreparedScenario, problem: PlanningProblem, ledger: CapacityLedger, *, max_steps: int
) -> tuple[list[BusTrip], list[int]]:
    """Book bus trips into `ledger`; returns the trips and the people still waiting per origin."""
    waiting = [o.bus_people for o in problem.origins]
    buses = prepared.scenario.fleet.buses
    if not buses or not any(waiting):
        return [], waiting
    step = problem.step_s
    matrix = problem.open_time_matrix
    origin_nodes = [o.node for o in problem.origins]
    by_origin: dict[int, list[int]] = {}
    for r in problem.routes:
        by_origin.setdefault(r.origin, []).append(r.index)
    # A bus leaves its depot no earlier than the scenario allows (`earliest`).
    starts = bus_earliest_steps(prepared, problem)
    free = [(starts[i], i, prepared.node_of[b.depot]) for i, b in enumerate(buses)]
    heapq.heapify(free)
    trips: list[BusTrip] = []
    # Reception capacity left per destination: a bus goes only where someone can be received.
    room = [d.capacity_people for d in problem.destinations]
    while free:
        ready, i, node = heapq.heappop(free)
        if ready >= max_steps or not any(waiting[o] > 0 for o in by_origin):
            continue
        to_origin = np.asarray(dijkstra(matrix, directed=True, indices=node))[origin_nodes]
        choices = [o for o in by_origin if waiting[o] > 0 and np.isfinite(to_origin[o])]
        if not choices:
            continue
        o = max(choices, key=lambda k: (waiting[k], -to_origin[k]))
        at_origin = ready + ceil_steps(to_origin[o] + LOAD_S, step)
        open_routes = [r for r in by_origin[o] if room[problem.routes[r].destination] >= 1]
        booked = _book(ledger, problem, open_routes, at_origin, max_steps)
        if booked is None:
            continue
        route, depart = booked
        seats = buses[i].seats
        destination = problem.routes[route].destination
        people = min(seats, waiting[o])
        if math.isfinite(room[destination]):
            people = min(people, math.floor(room[destination]))
        waiting[o] -= people
        room[destination] -= people
        out = depart + problem.routes[route].total_steps
        trips.append(BusTrip(buses[i].id, o, route, ready, depart, out, people))
        dest_node = problem.destinations[problem.routes[route].destination].node
        heapq.heappush(free, (out + ceil_steps(UNLOAD_S, step), i, dest_node))
    return trips, waiting


def bus_earliest_steps(prepared: PreparedScenario, problem: PlanningProblem) -> list[int]:
    """The step each bus may leave its depot (0: the window's start; `earliest` in the
    scenario, in its zone when it names none)."""
    out = []
    for b in prepared.scenario.fleet.buses:
        if b.earliest is None:
            out.append(0)
            continue
        when = b.earliest
        if when.tzinfo is None:
            when = when.replace(tzinfo=problem.start.tzinfo)
        out.append(max(0, ceil_steps(elapsed_s(problem.start, when), problem.step_s)))
    return out


def for_cars(problem: PlanningProblem, trips: list[BusTrip]) -> PlanningProblem:
    """`problem` with each destination's reception capacity less the people the buses bring
    there: what the car planners may still fill (the bound keeps the whole capacity)."""
    delivered = [0.0] * len(problem.destinations)
    for t in trips:
        delivered[problem.routes[t.route].destination] += t.people
    if not any(delivered):
        return problem
    left = [
        replace(d, capacity_people=max(0.0, d.capacity_people - delivered[j]))
        for j, d in enumerate(problem.destinations)
    ]
    return replace(problem, destinations=left)


def bus_need(ledger: CapacityLedger, problem: PlanningProblem, route: int) -> np.ndarray:
    """What one bus takes from each tracked cell of a route: `BUS_PCU` on roads (never more
    than one step's capacity: a bus is one vehicle), one vehicle at checkpoints (inspected as
    one; a longer inspection of a full bus is not modelled)."""
    resources = ledger.resources[ledger.rows[route]]
    base = problem.base_capacity(resources)
    need = np.minimum(BUS_PCU, 0.99 * base)
    at_checkpoint = resources >= problem.graph.n_edges
    need[at_checkpoint] = np.minimum(1.0, 0.99 * base[at_checkpoint])
    return need


def _book(
    ledger: CapacityLedger, problem: PlanningProblem, routes: list[int], earliest: int, limit: int
) -> tuple[int, int] | None:
    """The earliest-arriving (route, departure) with room for a whole bus; books it."""
    best: tuple[int, int, int] | None = None
    for r in routes:
        t = earliest
        need = bus_need(ledger, problem, r)
        t = ledger.first_fit(r, t, need, limit)
        if t < limit:
            arrival = t + problem.routes[r].total_steps
            if best is None or arrival < best[0]:
                best = (arrival, r, t)
    if best is None:
        return None
    _, r, t = best
    ledger.reserve_cells(r, t, bus_need(ledger, problem, r))
    return r, t


@dataclass(frozen=True)
class BusCapacity:
    """Upper bounds for the bound: bus trips that can be out by step H, and their seats;
    `units` gives the least a bus takes of each resource (car units, PCU on roads)."""

    trips_by: Callable[[int], int]
    seats: int
    need: int  # people who need a seat
    units: Callable[[NDArray[np.int64]], NDArray[np.float64]]


def bus_units_floor(
    prepared: PreparedScenario, problem: PlanningProblem, grid: int = 1
) -> Callable[[NDArray[np.int64]], NDArray[np.float64]]:
    """The least a bus takes of each resource under any of the planners' rules (`bus_need`
    here; `decide.bus_timing.bus_units` with the scenario's `bus_inspection_s`), at the plan's
    steps: `grid` of this problem's steps make one of the plan's."""
    m = problem.graph.n_edges
    bus_s = {c.id: c.bus_inspection_s for c in prepared.scenario.checkpoints}
    ratios: list[float] = []
    for c in problem.checkpoints:
        seconds = bus_s.get(c.id)
        ratios.append(np.inf if seconds is None else seconds / c.service_s)
    ratio = np.array([*ratios, np.inf], dtype=np.float64)

    def units(resources: NDArray[np.int64]) -> NDArray[np.float64]:
        base = problem.base_capacity(resources) * grid
        is_cp = resources >= m
        out = np.minimum(BUS_PCU, 0.99 * base)
        out[is_cp] = np.minimum(np.minimum(1.0, 0.99 * base[is_cp]), ratio[resources[is_cp] - m])
        return np.asarray(out, dtype=np.float64)

    return units


def bus_bound(
    prepared: PreparedScenario, problem: PlanningProblem, gates: Sequence[int] = (), grid: int = 1
) -> BusCapacity | None:
    """Every bus runs back to back on the shortest free-flow legs (depot or destination to the
    nearest origin, load, fastest route out, unload), always full. Where every evacuee must
    pass a checkpoint (`gates`, checkpoint indices; one with opening hours first), the buses
    pass it one after another in the order they reach it, each taking the least it can of the
    checkpoint's capacity (`bus_units_floor`) and waiting while it is closed: first come,
    first served gives every n-th trip its earliest time, since every bus then runs the same
    cycle. Still a lower bound on each trip's time (cars are left out: they only delay buses)."""
    buses = prepared.scenario.fleet.buses
    need = sum(o.bus_people for o in problem.origins)
    if not buses or not need or not problem.routes:
        return None
    step = problem.step_s
    matrix = problem.open_time_matrix
    origin_nodes = [o.node for o in problem.origins]
    depots = sorted(
        {prepared.node_of[b.depot] for b in buses} | {d.node for d in problem.destinations}
    )
    to_origin = np.atleast_2d(dijkstra(matrix, directed=True, indices=depots))[:, origin_nodes]
    reach = dict(zip(depots, to_origin.min(axis=1).tolist(), strict=True))
    back = min(reach[d.node] for d in problem.destinations)
    limit = problem.window_steps + int(14 * 86400 / step)
    units = bus_units_floor(prepared, problem, grid)
    gate = _gate_of(problem, gates)
    to_gate, after_gate, capacity, next_open = _gate_timing(problem, gate, limit)
    per_bus = float(units(np.array([problem.graph.n_edges + gate]))[0]) if gate >= 0 else 0.0
    server = _GateServer(capacity, next_open, per_bus)
    cycle = (UNLOAD_S + back + LOAD_S) / step
    # A bus whose depot reaches no origin makes no trip; one that cannot come back, one.
    starts = bus_earliest_steps(prepared, problem)
    arrivals = [
        (starts[i] + floor_steps(reach[prepared.node_of[b.depot]] + LOAD_S, step) + to_gate, i)
        for i, b in enumerate(buses)
        if math.isfinite(reach[prepared.node_of[b.depot]])
    ]
    heapq.heapify(arrivals)
    out_steps: list[int] = []
    while arrivals:
        at_gate, i = heapq.heappop(arrivals)
        # From the start of the plan's step it reaches the gate in: the plan gives a bus
        # that whole step's capacity (as the cuts' entry grid, plan/cuts.py).
        passed = server.pass_at(at_gate // grid * grid) if at_gate < limit else -1
        if passed < 0:
            continue
        out = passed + after_gate
        out_steps.append(out)
        if math.isfinite(cycle):
            heapq.heappush(arrivals, (floor_steps((out + cycle) * step, step) + to_gate, i))
    outs = np.sort(np.array(out_steps, dtype=np.int64))
    seats = max(b.seats for b in buses)

    def trips(horizon: int) -> int:
        return int(np.searchsorted(outs, horizon, side="right"))

    return BusCapacity(trips, seats, need, units)


class _GateServer:
    """A checkpoint passing buses first come, first served as a fluid: each bus takes
    `per_bus` of its capacity, spread over steps if need be (looser than any planner's rule,
    so still a bound); closed steps are skipped."""

    def __init__(self, capacity: NDArray[np.float64], next_open: NDArray[np.int64], per_bus: float):
        self.capacity, self.next_open, self.per_bus = capacity, next_open, per_bus
        self.step, self.left = -1, 0.0

    def pass_at(self, arrival: int) -> int:
        """The step the bus that reaches the checkpoint in step `arrival` has passed (-1:
        not within the horizon)."""
        if arrival > self.step:
            self.step, self.left = arrival, float(self.capacity[arrival])
        need = self.per_bus
        while need > self.left + 1e-12:
            need -= self.left
            nxt = self.step + 1
            if nxt >= self.capacity.shape[0]:
                return -1
            nxt = int(self.next_open[nxt])
            if nxt < 0:
                return -1
            self.step, self.left = nxt, float(self.capacity[nxt])
        self.left -= need
        return self.step


def _gate_of(problem: PlanningProblem, gates: Sequence[int]) -> int:
    """The gate whose passing limits the buses: the first with opening hours, else the
    first; -1 without a gate."""
    hours = [g for g in gates if problem.checkpoints[g].hours is not None]
    return (hours or list(gates) or [-1])[0]


def _gate_timing(
    problem: PlanningProblem, gate: int, limit: int
) -> tuple[int, int, NDArray[np.float64], NDArray[np.int64]]:
    """Least steps from leaving an origin to the gate and from the gate to out, the gate's
    capacity in each step, and for each step the next step it is open (-1: never again).
    Without a gate: the fastest route's time, split at its start, and no limit."""
    if gate < 0:
        shortest = min(r.total_steps for r in problem.routes)
        return 0, shortest, np.full(limit + 1, np.inf), np.arange(limit + 1, dtype=np.int64)
    resource = problem.graph.n_edges + gate
    before, after = [], []
    for r in problem.routes:
        where = np.flatnonzero(r.resources == resource)
        if where.size:
            before.append(int(r.offsets[where[0]]))
            after.append(r.total_steps - int(r.offsets[where[0]]))
    if not before:  # no candidate route passes it (cannot be a gate then): no limit
        return _gate_timing(problem, -1, limit)
    capacity = problem.capacity_block(np.array([resource], dtype=np.int64), 0, limit + 1)[0]
    open_steps = np.flatnonzero(capacity > 0)
    at = np.searchsorted(open_steps, np.arange(limit + 1))  # the first open step from each
    nxt = np.full(limit + 1, -1, dtype=np.int64)
    ahead = at < open_steps.size
    nxt[ahead] = open_steps[at[ahead]]
    return min(before), min(after), capacity, nxt
