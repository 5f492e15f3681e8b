"""Exact optimum on the time-expanded network (OR-Tools), for small instances.

Nodes are (place, step); roads and checkpoints become arcs from step s to s + floor(time /
step) with that step's capacity (zero while closed: opening hours and timed hazards are exact
here); anyone may wait anywhere. Origins send their cars into any departure step of the
window; arcs into the sink exist for arrivals by the window's end. A min-cost flow with a
profit of people per vehicle gives the most people out by the window's end; the least
egress time is the smallest horizon whose max flow moves every car. Corridor order is
modelled by one layer per leg, as in the bound: exact when legs share no road.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow, min_cost_flow

from safepassage.errors import PlanningError
from safepassage.plan.bound import SCALE, _Network, _network
from safepassage.plan.expanded import _capacities, car_people_lp
from safepassage.plan.problem import PlanningProblem

#: The largest time-expanded network we build (arcs).
MAX_ARCS = 3_000_000
#: The largest multi-commodity LP (destinations fixed per origin) we build (variables).
MAX_LP_VARIABLES = 600_000


@dataclass(frozen=True)
class ExactResult:
    people_out_by_window_end: float
    egress_time_s: float | None
    arcs: int

    def as_dict(self) -> dict[str, object]:
        return {
            "people_out_by_window_end": round(self.people_out_by_window_end, 1),
            "egress_time_s": self.egress_time_s,
            "time_expanded_arcs": self.arcs,
        }


def _build(
    problem: PlanningProblem,
    net: _Network,
    horizon: int,
    depart_until: int,
    *,
    round_up: bool = False,
) -> tuple[list[NDArray[np.int64]], ...]:
    """The time-expanded network as integer arcs (tails, heads, capacity, cost); with
    `round_up`, capacities, supplies and profits are rounded up (for an upper bound)."""
    size = net.n_nodes
    whole = np.ceil if round_up else (lambda x: np.floor(np.asarray(x) + 1e-6))
    if (net.tail.shape[0] + size) * (horizon + 1) > MAX_ARCS:
        raise _too_large(net, horizon)
    caps = _capacities(problem, net, horizon)
    tails, heads, capacity, cost = [], [], [], []

    def node(v: NDArray[np.int64] | int, s: NDArray[np.int64] | int) -> NDArray[np.int64]:
        return np.asarray(s * size + v, dtype=np.int64)

    big = np.iinfo(np.int64).max // 4
    for s in range(horizon):
        arrive = s + net.steps
        ok = arrive < horizon
        tails.append(node(net.tail[ok], s))
        heads.append(node(net.head[ok], arrive[ok]))
        capacity.append(
            np.where(np.isinf(caps[ok, s]), big, whole(caps[ok, s] * SCALE)).astype(np.int64)
        )
        cost.append(np.zeros(int(ok.sum()), dtype=np.int64))
        if s + 1 < horizon:  # waiting
            tails.append(node(np.arange(size), s))
            heads.append(node(np.arange(size), s + 1))
            capacity.append(np.full(size, big, dtype=np.int64))
            cost.append(np.zeros(size, dtype=np.int64))
    source, sink = size * horizon, size * horizon + 1
    origin_hub = sink + 1 + np.arange(len(problem.origins))
    supply = np.array([whole(o.car_pcu * SCALE) for o in problem.origins], dtype=np.int64)
    occupancy = np.array([o.occupancy * 1000 for o in problem.origins])
    profit = (np.ceil(occupancy) if round_up else np.round(occupancy)).astype(np.int64)
    tails.append(np.full(len(problem.origins), source))
    heads.append(origin_hub)
    capacity.append(supply)
    cost.append(-profit)
    for i in range(len(problem.origins)):
        steps = np.arange(min(depart_until, horizon))
        tails.append(np.full(steps.size, origin_hub[i]))
        heads.append(node(net.origin_node[i], steps))
        capacity.append(np.full(steps.size, big, dtype=np.int64))
        cost.append(np.zeros(steps.size, dtype=np.int64))
    # One group of allowed destinations here (several go to the LP): only those are sinks.
    sinks = net.sinks_for(problem.origins[0].allowed) if problem.origins else net.sink_nodes
    for s in range(horizon):  # arrival at step s counts as out by s + 1
        tails.append(node(sinks, s))
        heads.append(np.full(sinks.size, sink))
        capacity.append(np.full(sinks.size, big, dtype=np.int64))
        cost.append(np.zeros(sinks.size, dtype=np.int64))
    return tails, heads, capacity, cost


def solve_exact(problem: PlanningProblem) -> ExactResult:
    """The most people out by the window's end and the least time to move every car."""
    net = _network(problem)
    horizon = problem.window_steps
    if len({frozenset(o.allowed) for o in problem.origins}) > 1:
        return _solve_assigned(problem, net)
    parts = _build(problem, net, horizon, horizon)
    people = _max_people(parts, net.n_nodes * horizon, len(problem.origins))
    egress = _least_horizon(problem, net)
    return ExactResult(
        people / SCALE / 1000,
        None if egress is None else egress * problem.step_s,
        sum(p.size for p in parts[0]),
    )


def _max_people(
    parts: tuple[list[NDArray[np.int64]], ...], ten_nodes: int, n_origins: int
) -> float:
    tails, heads, capacity, cost = (np.concatenate(p) for p in parts)
    source, sink = ten_nodes, ten_nodes + 1
    total = int(capacity[tails == source].sum())
    tails = np.concatenate((tails, [source]))
    heads = np.concatenate((heads, [sink]))
    capacity = np.concatenate((capacity, [total]))
    cost = np.concatenate((cost, [0]))
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacity, cost
    )
    supplies = np.zeros(ten_nodes + 2 + n_origins, dtype=np.int64)
    supplies[source], supplies[sink] = total, -total
    solver.set_nodes_supplies(np.arange(supplies.size, dtype=np.int32), supplies)
    if solver.solve() != solver.OPTIMAL:
        raise PlanningError("the exact solver found no optimal flow")
    return float(-solver.optimal_cost())


def _moves_everyone(problem: PlanningProblem, net: _Network, horizon: int) -> bool:
    tails, heads, capacity, _ = (np.concatenate(p) for p in _build(problem, net, horizon, horizon))
    source, sink = net.n_nodes * horizon, net.n_nodes * horizon + 1
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), capacity)
    if solver.solve(source, sink) != solver.OPTIMAL:
        raise PlanningError("the exact solver's max flow failed")
    return bool(solver.optimal_flow() >= capacity[tails == source].sum())


def _least_horizon(problem: PlanningProblem, net: _Network) -> int | None:
    """Smallest H (steps) by which every car can be out; None beyond 4 windows."""
    return _least(lambda h: _moves_everyone(problem, net, h), max(problem.window_steps, 1))


def _too_large(net: _Network, horizon: int, what: str = "") -> PlanningError:
    return PlanningError(
        f"the instance is too large for the exact solver{what} ({net.n_nodes:,} nodes x"
        f" {horizon:,} steps); plan without --exact, or use a longer --step"
    )


def _solve_assigned(problem: PlanningProblem, net: _Network) -> ExactResult:
    """Origins with different allowed destinations: the multi-commodity time-expanded LP."""
    horizon = problem.window_steps
    total = sum(o.car_people for o in problem.origins)

    def people_by(h: int) -> float:
        value = car_people_lp(problem, h, h, max_variables=MAX_LP_VARIABLES, guard=False)
        if value is None:
            raise _too_large(net, h, " with destinations fixed per origin")
        return value

    def moves_everyone(h: int) -> bool:
        return people_by(h) >= total - 1e-6 * (1.0 + total)

    people = people_by(horizon)

    egress = _least(moves_everyone, max(horizon, 1))
    arcs = (net.tail.shape[0] + net.n_nodes) * horizon
    return ExactResult(
        min(people, total), None if egress is None else egress * problem.step_s, arcs
    )


def _least(moves_everyone: Callable[[int], bool], window: int) -> int | None:
    """Smallest H with `moves_everyone(H)`; None beyond 4 windows."""
    hi, limit = window, 4 * window
    while not moves_everyone(hi):
        if hi >= limit:
            return None
        hi = min(2 * hi, limit)
    lo = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid > 0 and moves_everyone(mid):
            hi = mid
        else:
            lo = mid
    return hi


def car_people_flow_bound(problem: PlanningProblem, max_arcs: int) -> float | None:
    """An upper bound on car people out by the window's end from the time-expanded min-cost
    flow with every figure rounded up (one group of destinations only); None when the
    network would exceed `max_arcs` or origins differ in their destinations."""
    if len({frozenset(o.allowed) for o in problem.origins}) != 1:
        return None
    net = _network(problem)
    horizon = problem.window_steps
    if (net.tail.shape[0] + net.n_nodes) * horizon > max_arcs:
        return None
    parts = _build(problem, net, horizon, horizon, round_up=True)
    return _max_people(parts, net.n_nodes * horizon, len(problem.origins)) / SCALE / 1000
