"""Capacity-constrained route planning on a pool of candidate routes (CCRP family).

Like CCRP (Lu, George and Shekhar 2005), it books trips earliest-arrival first against
time-aware reservations of road and checkpoint capacity. Three changes make it fast:

1. Candidate routes (`routes.py`): each origin has a few routes from shortest-path trees, so
   a booking never searches the time-expanded graph.
2. Arrival-step sweep: arrival steps are visited in order; in each, every route with vehicles
   left is checked at once (one vectorised gather over all routes' resources) for a departure
   that arrives exactly then, and the feasible ones are booked in tie-break order, each as
   many vehicles as its bottleneck allows in that step (batching).
3. Resources that can never be full (their capacity in every step covers all the demand routed
   through them) are not tracked at all (`ledger.binding_resources`).

Departures are booked inside the window first; the rest are then booked after it, so a plan
also says how long evacuating everyone would take.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from safepassage.plan.ledger import EPS, CapacityLedger, RouteBatch, binding_resources
from safepassage.plan.problem import PlanningProblem

#: Stop booking this many days after the window (what is left is reported as not served).
MAX_EXTRA_DAYS = 14
ORDERS = ("fullest-first", "longest-first", "index")


@dataclass(frozen=True)
class Booking:
    """`pcu` passenger-car units of cars leave on route `route` in step `step`."""

    route: int
    step: int
    pcu: float


@dataclass
class Schedule:
    """The bookings of a planner run, with what was left undone."""

    bookings: list[Booking]
    remaining_pcu: list[float]  # per origin: cars that could not be scheduled
    ledger: CapacityLedger


def new_ledger(
    problem: PlanningProblem, *, bus_pcu: NDArray[np.float64] | None = None
) -> CapacityLedger:
    """A ledger tracking every resource that the cars (and buses, `bus_pcu` per origin at
    most) could fill."""
    demand = np.array([o.car_pcu for o in problem.origins])
    if bus_pcu is not None:
        demand = demand + bus_pcu
    tracked, pressure = binding_resources(problem, problem.routes, demand)
    return CapacityLedger(problem, problem.routes, tracked, pressure, problem.window_steps * 2)


def plan_cars(
    problem: PlanningProblem,
    *,
    order: str = "fullest-first",
    ledger: CapacityLedger | None = None,
    remaining: NDArray[np.float64] | None = None,
    room: NDArray[np.float64] | None = None,
) -> Schedule:
    """Book every origin's cars onto its candidate routes, earliest arrival first.

    Among trips arriving in the same step, `order` decides who goes first: the fullest cars
    (default: more people per unit of scarce capacity), ties in route order; the longest
    route; or the route index (plain CCRP's arbitrary order). The effect of each is measured
    in docs/benchmarks.md (longest-first lost 2.4% on Porto, fullest-first gained 13% on
    Castlemaine). Priorities weigh in: fullest first means most weighted people per car.
    `remaining` (PCU per origin) and `room` (people per destination) replace the origins'
    cars and the reception capacities, to book what another planner left.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}")
    routes = problem.routes
    ledger = ledger or new_ledger(problem)
    remaining = (
        np.array([o.car_pcu for o in problem.origins])
        if remaining is None
        else np.array(remaining, dtype=np.float64)
    )
    room = (
        np.array([d.capacity_people for d in problem.destinations])
        if room is None
        else np.array(room, dtype=np.float64)
    )
    occupancy = np.array([o.occupancy for o in problem.origins])
    weighted = occupancy * np.array([o.priority for o in problem.origins])
    total = np.array([r.total_steps for r in routes], dtype=np.int64)
    origin = np.array([r.origin for r in routes], dtype=np.int64)
    dest = np.array([r.destination for r in routes], dtype=np.int64)
    if order == "fullest-first":
        rank = np.argsort(-weighted[origin], kind="stable")
    elif order == "longest-first":
        rank = np.argsort(-total, kind="stable")
    else:
        rank = np.arange(len(routes))
    priority = np.empty(len(routes), dtype=np.int64)
    priority[rank] = np.arange(len(routes))
    bookings: list[Booking] = []
    W = problem.window_steps
    limit = W + int(MAX_EXTRA_DAYS * 86400 / problem.step_s)
    for in_window in (True, False):
        active = np.flatnonzero((remaining[origin] > EPS) & (room[dest] > EPS))
        if active.size == 0:
            break
        batch = RouteBatch(ledger, active)
        first = int(total[active].min()) + (0 if in_window else W)
        last = W - 1 + int(total[active].max()) if in_window else limit
        for arrival in range(first, last + 1):
            alive = (remaining[origin[batch.routes]] > EPS) & (room[dest[batch.routes]] > EPS)
            if not alive.any():
                break
            if alive.sum() < 0.5 * batch.routes.shape[0]:
                batch = RouteBatch(ledger, batch.routes[alive])
                alive = np.ones(batch.routes.shape[0], dtype=bool)
            depart = arrival - total[batch.routes]
            ok = alive & (depart >= 0) & ((depart < W) if in_window else (depart >= W))
            if not ok.any():
                continue
            depart = np.maximum(depart, 0)
            key = batch.key_values(ledger, depart)
            positions = np.flatnonzero(ok & (key > EPS))
            positions = positions[np.argsort(priority[batch.routes[positions]], kind="stable")]
            dead = np.zeros(batch.routes.shape[0], dtype=bool)
            for p in positions.tolist():
                if dead[p]:
                    continue
                r = int(batch.routes[p])
                o, d, t = int(origin[r]), int(dest[r]), int(depart[p])
                if remaining[o] <= EPS or room[d] <= EPS:
                    continue
                values = ledger.cell_values(r, t)
                cap = float(values.min()) if values.size else np.inf
                if cap <= EPS:
                    batch.remember_block(ledger, p, int(np.argmin(values)))
                    continue
                amount = min(cap, remaining[o], room[d] / occupancy[o])
                ledger.reserve(r, t, amount)
                bookings.append(Booking(r, t, amount))
                remaining[o] -= amount
                room[d] -= amount * occupancy[o]
                if amount >= cap - EPS:
                    # Cells just filled up: everyone who needs them in this step is out.
                    for k in np.flatnonzero(values <= cap + EPS).tolist():
                        dead |= batch.mark_users(ledger, r, k, t, depart)
    return Schedule(bookings, remaining.tolist(), ledger)


def route_loads(problem: PlanningProblem, bookings: list[Booking]) -> dict[tuple[int, int], float]:
    """(resource, step) -> PCU booked, recomputed from the bookings alone (for checks)."""
    loads: dict[tuple[int, int], float] = {}
    for b in bookings:
        route = problem.routes[b.route]
        for res, off in zip(route.resources.tolist(), route.offsets.tolist(), strict=True):
            key = (res, b.step + off)
            loads[key] = loads.get(key, 0.0) + b.pcu
    return loads
