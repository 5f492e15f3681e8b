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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

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
    free = [(0, i, prepared.node_of[b.depot]) for i, b in enumerate(buses)]
    heapq.heapify(free)
    trips: list[BusTrip] = []
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
        booked = _book(ledger, problem, by_origin[o], at_origin, max_steps)
        if booked is None:
            continue
        route, depart = booked
        seats = buses[i].seats
        people = min(seats, waiting[o])
        waiting[o] -= people
        out = depart + problem.routes[route].total_steps
        trips.append(BusTrip(buses[i].id, o, route, ready, depart, out, people))
        dest_node = problem.destinations[problem.routes[route].destination].node
        heapq.heappush(free, (out + ceil_steps(UNLOAD_S, step), i, dest_node))
    return trips, waiting


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
    """Upper bounds for the bound: bus trips that can be out by step H, and their seats."""

    trips_by: Callable[[int], int]
    seats: int
    need: int  # people who need a seat


def bus_bound(
    prepared: PreparedScenario, problem: PlanningProblem, gates: Sequence[int] = ()
) -> BusCapacity | None:
    """Every bus runs back to back on the shortest free-flow legs (depot or destination to the
    nearest origin, load, fastest route out, unload), always full. Where every evacuee must
    pass a checkpoint with opening hours (`gates`, checkpoint indices), a bus that reaches it
    while closed waits for it to open: still a lower bound on each trip's time."""
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
    to_gate, after_gate, next_open = _gate_timing(problem, gates, limit)
    out_steps: list[int] = []
    for bus in buses:
        ready = (reach[prepared.node_of[bus.depot]] + LOAD_S) / step
        while ready < limit:
            at_gate = floor_steps(ready * step, step) + to_gate
            if at_gate >= limit or next_open[at_gate] < 0:
                break
            out = int(next_open[at_gate]) + after_gate
            out_steps.append(out)
            ready = out + (UNLOAD_S + back + LOAD_S) / step
    outs = np.sort(np.array(out_steps, dtype=np.int64))
    seats = max(b.seats for b in buses)

    def trips(horizon: int) -> int:
        return int(np.searchsorted(outs, horizon, side="right"))

    return BusCapacity(trips, seats, need)


def _gate_timing(
    problem: PlanningProblem, gates: Sequence[int], limit: int
) -> tuple[int, int, np.ndarray]:
    """Least steps from leaving an origin to the gate and from the gate to out, and for each
    step the next step the gate is open (-1: never again). Without a gate with hours: the
    fastest route's time, split at its start, and always open."""
    m = problem.graph.n_edges
    hours = [g for g in gates if problem.checkpoints[g].hours is not None]
    if not hours:
        shortest = min(r.total_steps for r in problem.routes)
        return 0, shortest, np.arange(limit + 1, dtype=np.int64)
    gate = m + hours[0]
    before, after = [], []
    for r in problem.routes:
        where = np.flatnonzero(r.resources == gate)
        if where.size:
            before.append(int(r.offsets[where[0]]))
            after.append(r.total_steps - int(r.offsets[where[0]]))
    open_ = problem.capacity_block(np.array([gate], dtype=np.int64), 0, limit + 1)[0] > 0
    nxt = np.full(limit + 1, -1, dtype=np.int64)
    upcoming = -1
    for s in range(limit, -1, -1):
        if open_[s]:
            upcoming = s
        nxt[s] = upcoming
    return min(before), min(after), nxt
