"""Bus allocation: the fleet shuttles between its bases and the assembly points in repeated
round trips, inside the capacity the plan's cars leave at every checkpoint and road.

Two parts, one optimal and one heuristic. Optimal: the linear programme of the fleet's flow
over time (`bus_lp`), whose optimum bounds the bus people out by the window's end. Heuristic:
the timetable, the best of three candidates: buses dispatched in time order, each to the
assembly point the LP's flows send its type from its base next (rounded) and booked at the
first step every cell of the route has room; the same dispatch without the LP (most people
waiting, nearest first); and the planner's own trips where they fit this model. The gap is to
the LP bound."""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from safepassage.decide.bus_lp import BusType, FleetModel, Leg, LpResult, solve_lp
from safepassage.decide.bus_timing import (
    BusRoute,
    Residual,
    bus_route,
    bus_seconds,
    bus_units,
    cycle_steps,
    earliest_steps,
    travel_s,
    unload_steps,
)
from safepassage.model.prepare import PreparedScenario
from safepassage.plan.buses import BusTrip, bus_need
from safepassage.plan.ccrp import MAX_EXTRA_DAYS, new_ledger
from safepassage.plan.problem import BUS_PCU, PlanningProblem
from safepassage.plan.result import Plan
from safepassage.plan.steps import floor_steps

HEURISTICS = {
    "lp": "buses dispatched in time order to the point the LP sends their type next (flows"
    " rounded), each on the route of the point that gets it out first with room at every"
    " checkpoint and road",
    "plain": "buses dispatched in time order to the point with most people waiting, nearest"
    " first, on the route that gets it out first with room (did better than the LP-guided"
    " dispatch here)",
    "planner": "the planner's own greedy bus trips (booked before the cars), re-timed and"
    " checked against the room the cars leave (did better than both dispatches here)",
}

#: The LP's time is cut into at most this many periods (longer periods on long horizons).
MAX_PERIODS = 240


@dataclass
class Fleet:
    """Everything the dispatch needs, built once per plan."""

    problem: PlanningProblem
    ids: list[str]
    seats: list[int]
    earliest: list[int]
    kind: list[int]  # bus type
    start_base: list[int]
    base_nodes: list[int]
    routes: list[list[tuple[BusRoute, int]]]  # per origin: its routes and their bases
    lead: np.ndarray  # [base, origin] steps, -1 unreachable
    unload: int
    need: list[int]
    residual: Residual  # with the cars booked
    types: list[BusType]
    bus_s: list[float | None]
    room: list[float]  # per destination: people it can still receive after the cars


@dataclass
class Allocation:
    trips: list[BusTrip]
    waiting: list[int]
    report: dict[str, Any]


def fleet_of(plan: Plan, prepared: PreparedScenario) -> Fleet | None:
    """The fleet, its bases and routes, and the room the cars leave; None without buses."""
    p = plan.problem
    buses = prepared.scenario.fleet.buses
    need = [o.bus_people for o in p.origins]
    if not buses or not any(need):
        return None
    bus_s = bus_seconds(prepared, p)
    depot_nodes = [prepared.node_of[b.depot] for b in buses]
    base_nodes = sorted(set(depot_nodes) | {d.node for d in p.destinations})
    index = {n: i for i, n in enumerate(base_nodes)}
    routes: list[list[tuple[BusRoute, int]]] = [[] for _ in p.origins]
    for r in p.routes:
        if need[r.origin] > 0:
            base = index[p.destinations[r.destination].node]
            routes[r.origin].append((bus_route(p, r, bus_s), base))
    seconds = travel_s(p, base_nodes)
    lead = np.full(seconds.shape, -1, dtype=np.int64)
    finite = np.isfinite(seconds)
    lead[finite] = [cycle_steps(p, s) for s in seconds[finite].tolist()]
    used = np.concatenate(
        [r.resources for own in routes for r, _ in own] or [np.zeros(0, dtype=np.int64)]
    )
    residual = Residual(p, used)
    residual.add_cars(p.routes, plan.bookings)
    room = [d.capacity_people for d in p.destinations]
    for booking in plan.bookings:
        route = p.routes[booking.route]
        room[route.destination] -= booking.pcu * p.origins[route.origin].occupancy
    earliest = earliest_steps(prepared, p)
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i, b in enumerate(buses):
        groups.setdefault((b.seats, index[depot_nodes[i]], earliest[i]), []).append(i)
    types = [BusType(s, base, e, members) for (s, base, e), members in groups.items()]
    kind = [0] * len(buses)
    for k, t in enumerate(types):
        for i in t.buses:
            kind[i] = k
    return Fleet(
        problem=p,
        ids=[b.id for b in buses],
        seats=[b.seats for b in buses],
        earliest=earliest,
        kind=kind,
        start_base=[index[n] for n in depot_nodes],
        base_nodes=base_nodes,
        routes=routes,
        lead=lead,
        unload=unload_steps(p),
        need=need,
        residual=residual,
        types=types,
        bus_s=bus_s,
        room=room,
    )


def dispatch(
    fleet: Fleet,
    limit: int,
    guide: dict[tuple[int, int], list[tuple[int, int, float]]] | None,
    period: int = 1,
) -> tuple[list[BusTrip], list[int], Residual]:
    """Buses in time order: each goes to the point `guide` sends its type from its base
    next (else the point with most people waiting, nearest first), loads, and leaves at the
    first step its route has room; it is ready again at the destination after unloading."""
    res = Residual(fleet.problem, fleet.residual.resources)
    res.cap, res.used = fleet.residual.cap, fleet.residual.used.copy()
    waiting = list(fleet.need)
    room = list(fleet.room)  # a bus goes only where someone can still be received
    plans = {key: [[t, o, x] for t, o, x in rows] for key, rows in (guide or {}).items()}
    rows_of = [[res.rows(r.resources) for r, _ in own] for own in fleet.routes]
    heap = [(fleet.earliest[i], i, fleet.start_base[i]) for i in range(len(fleet.ids))]
    heapq.heapify(heap)
    trips: list[BusTrip] = []
    while heap:
        ready, i, base = heapq.heappop(heap)
        if ready >= limit or not any(waiting):
            continue
        o = _choose(fleet, plans.get((fleet.kind[i], base)), waiting, base, ready // period)
        if o is None:
            continue
        at = ready + int(fleet.lead[base, o])
        best: tuple[int, int, int] | None = None  # out, option, departure
        for j, (route, _) in enumerate(fleet.routes[o]):
            if room[fleet.problem.routes[route.route].destination] < 1:
                continue
            depart = res.first_fit(rows_of[o][j], route.offsets, route.need, at, limit)
            if depart < limit and (best is None or depart + route.total_steps < best[0]):
                best = (depart + route.total_steps, j, depart)
        if best is None:
            continue
        out, j, depart = best
        route, dest = fleet.routes[o][j]
        res.add(rows_of[o][j], route.offsets + depart, route.need)
        destination = fleet.problem.routes[route.route].destination
        people = min(fleet.seats[i], waiting[o])
        if math.isfinite(room[destination]):
            people = min(people, math.floor(room[destination]))
        waiting[o] -= people
        room[destination] -= people
        trips.append(BusTrip(fleet.ids[i], o, route.route, ready, depart, out, people))
        heapq.heappush(heap, (out + fleet.unload, i, dest))
    return trips, waiting, res


def _choose(
    fleet: Fleet, plan: list[list[Any]] | None, waiting: list[int], base: int, now: int
) -> int | None:
    """The LP's next planned point for this bus (its earliest flow still at least a quarter
    bus), else the point with most people waiting, nearest first."""
    for row in plan or ():
        t, o, left = row
        if left > 0.25 and waiting[o] > 0 and fleet.lead[base, o] >= 0 and t >= now - 1:
            row[2] = left - 1.0
            return int(o)
    choices = [
        o
        for o in range(len(waiting))
        if waiting[o] > 0 and fleet.lead[base, o] >= 0 and fleet.routes[o]
    ]
    if not choices:
        return None
    return max(choices, key=lambda o: (waiting[o], -int(fleet.lead[base, o])))


def _model(fleet: Fleet, horizon: int, window: int, slot: int) -> FleetModel:
    p = fleet.problem
    period = max(slot, math.ceil(horizon / MAX_PERIODS))
    fleet.residual.ensure(horizon + (MAX_PERIODS + 4) * period)
    legs = []
    for o, own in enumerate(fleet.routes):
        for base in sorted({b for _, b in own}):
            legs.append(_leg(o, base, [r for r, b in own if b == base]))
    room, units = {}, {}
    end = fleet.residual.cap.shape[1]
    for r in sorted({r for leg in legs for r in leg.cells}):
        row = fleet.residual.row_of[r]
        left = np.maximum(fleet.residual.cap[row] - fleet.residual.used[row], 0.0)
        need = bus_units(p, r, fleet.bus_s)
        # Room for the whole fleet at once in every open step: it cannot bind.
        opened = fleet.problem.capacity_block(np.array([r]), 0, end)[0] > 0
        if left[opened[: left.shape[0]]].min(initial=np.inf) >= need * len(fleet.ids):
            continue
        room[r], units[r] = left, need
    legs = [replace(leg, cells={r: v for r, v in leg.cells.items() if r in room}) for leg in legs]
    return FleetModel(
        window_steps=window,
        period=period,
        periods=math.ceil(horizon / period) + 1,
        types=fleet.types,
        n_bases=len(fleet.base_nodes),
        legs=legs,
        lead=fleet.lead,
        unload=fleet.unload,
        need=fleet.need,
        units=units,
        room=room,
    )


def _leg(origin: int, base: int, routes: list[BusRoute]) -> Leg:
    """The routes of one point to one base, relaxed into one leg (see `bus_lp.Leg`)."""
    common = set.intersection(*(set(r.first) for r in routes))
    cells = {}
    for c in common:
        firsts = [r.first[c][0] for r in routes]
        busy = max(r.first[c][1] for r in routes)
        cells[c] = (min(firsts), max(firsts) - min(firsts) + busy)
    return Leg(origin, base, min(r.total_steps for r in routes), cells)


def _score(trips: list[BusTrip], window: int) -> tuple[int, int, int]:
    by_end = sum(t.people for t in trips if t.out_step <= window)
    last = max((t.out_step for t in trips), default=0)
    return by_end, sum(t.people for t in trips), -last


def allocate(plan: Plan, prepared: PreparedScenario) -> Allocation | None:
    """The optimised bus allocation for `plan`'s cars; None without buses or bus people."""
    fleet = fleet_of(plan, prepared)
    if fleet is None:
        return None
    p = plan.problem
    W = p.window_steps
    limit = W + int(MAX_EXTRA_DAYS * 86400 / p.step_s)
    plain, plain_wait, _ = dispatch(fleet, limit, None)
    last = max((t.out_step for t in plain), default=W)
    horizon = min(max(W, last + fleet.unload), limit)
    slot = max(1, floor_steps(p.slot_s, p.step_s))
    t0 = time.perf_counter()
    model = _model(fleet, horizon, W, slot)
    lp = solve_lp(model)
    lp_s = time.perf_counter() - t0
    guided, guided_wait, _ = dispatch(fleet, limit, lp.flows, model.period)
    candidates = {"lp": (guided, guided_wait), "plain": (plain, plain_wait)}
    kept = refit(fleet, plan.bus_trips)
    if kept is not None:
        candidates["planner"] = (kept, list(plan.waiting_for_bus))
    used = max(candidates, key=lambda k: _score(candidates[k][0], W))
    trips, waiting = candidates[used]
    scores = {k: _score(v[0], W)[0] for k, v in candidates.items()}
    report = _report(plan, trips, lp, model, lp_s, used, scores)
    return Allocation(trips, waiting, report)


def refit(fleet: Fleet, trips: list[BusTrip]) -> list[BusTrip] | None:
    """The planner's own bus trips, re-timed for the buses' inspection times, if they fit the
    room the cars leave and the buses' earliest starts; None where one does not."""
    res = Residual(fleet.problem, fleet.residual.resources)
    res.cap, res.used = fleet.residual.cap, fleet.residual.used.copy()
    routes = {r.route: r for own in fleet.routes for r, _ in own}
    index = {b: i for i, b in enumerate(fleet.ids)}
    free: dict[str, int] = {}
    out: list[BusTrip] = []
    for t in sorted(trips, key=lambda t: t.depart_step):
        route, i = routes.get(t.route), index[t.bus]
        if route is None or t.leave_depot_step < max(fleet.earliest[i], free.get(t.bus, 0)):
            return None
        rows = res.rows(route.resources)
        if (
            res.first_fit(rows, route.offsets, route.need, t.depart_step, t.depart_step + 1)
            > t.depart_step
        ):
            return None
        res.add(rows, route.offsets + t.depart_step, route.need)
        end = t.depart_step + route.total_steps
        free[t.bus] = end + fleet.unload
        out.append(replace(t, out_step=end))
    return out


def _report(
    plan: Plan,
    trips: list[BusTrip],
    lp: LpResult,
    model: FleetModel,
    lp_s: float,
    used: str,
    scores: dict[str, int],
) -> dict[str, Any]:
    W = plan.problem.window_steps
    out = sum(t.people for t in trips if t.out_step <= W)
    bound = math.floor(lp.bound + 1e-6) if math.isfinite(lp.bound) else None
    gap = None if bound is None else round(max(bound - out, 0) / bound, 4) if bound else 0.0
    minutes = model.period * plan.problem.step_s / 60
    return {
        "method": "OR-Tools GLOP: LP of the fleet's flow over time (bound); dispatch (timetable)",
        "optimal": (
            f"the LP relaxation (periods of {minutes:g} min, durations rounded down, a point's routes"
            " to one destination relaxed into one): its optimum bounds the bus people out by the window's end for"
            " every timetable on the planner's candidate routes"
        ),
        "heuristic": "the timetable: " + HEURISTICS[used],
        "timetable_from": used,
        "lp_status": lp.status,
        "lp_variables": lp.variables,
        "lp_seconds": round(lp_s, 3),
        "bound_bus_people_out_by_window_end": bound,
        "bus_people_out_by_window_end": out,
        "gap": gap,
        "candidates_bus_people_out_by_window_end": scores,
        "bus_people_served": sum(t.people for t in trips),
        "trips": len(trips),
    }


def with_buses(plan: Plan, allocation: Allocation, prepared: PreparedScenario) -> Plan:
    """`plan` with the allocation's bus trips in place of its own (cars, bound unchanged);
    its ledger books the cars and the new trips, as the planner books them."""
    p = plan.problem
    seats = min((b.seats for b in prepared.scenario.fleet.buses), default=0)
    bus_pcu = np.array(
        [math.ceil(o.bus_people / seats) * BUS_PCU if seats else 0.0 for o in p.origins]
    )
    ledger = new_ledger(p, bus_pcu=bus_pcu)
    for b in plan.bookings:
        ledger.reserve(b.route, b.step, b.pcu)
    for t in allocation.trips:
        ledger.reserve_cells(t.route, t.depart_step, bus_need(ledger, p, t.route))
    new = replace(
        plan, bus_trips=allocation.trips, waiting_for_bus=allocation.waiting, ledger=ledger
    )
    new.quality = dict(plan.quality)
    return new
