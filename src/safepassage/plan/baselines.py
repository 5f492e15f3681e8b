"""Baselines the planner is measured against (benchmarks/bench_plan.py).

- `shortest_path_assignment`: every origin sends all its cars by its single fastest route to
  the nearest destination, chosen without regard to capacity; the cars are then pushed through
  the capacities (each leaves at the earliest step its route has room), which gives the
  assignment's true egress time.
- `plain_ccrp`: CCRP as published (Lu, George and Shekhar 2005): repeatedly, an earliest-arrival
  search from a super source over the time-expanded residual network (waiting allowed at
  nodes) finds the path that gets someone out first; as many cars as its bottleneck allows
  are booked on it. It shares the capacity ledger with our planner, which tracks every road and
  checkpoint whose capacity in a step is less than all the cars (the others can never fill).
  It searches the whole graph, so it follows neither a corridor's `via` points nor the
  origins' allowed destinations (`to`): where those bind, its figures are not a valid plan.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from safepassage.plan.ccrp import Booking, Schedule, plan_cars
from safepassage.plan.ledger import EPS, CapacityLedger
from safepassage.plan.problem import PlanningProblem
from safepassage.plan.steps import ceil_steps, floor_steps


def shortest_path_assignment(problem: PlanningProblem) -> tuple[PlanningProblem, Schedule]:
    """Fastest route per origin, then pushed through the capacities."""
    best: dict[int, int] = {}
    for r in problem.routes:
        if r.origin not in best or r.total_s < problem.routes[best[r.origin]].total_s:
            best[r.origin] = r.index
    kept = [problem.routes[i] for i in sorted(best.values())]
    routes = [replace(r, index=i) for i, r in enumerate(kept)]
    single = replace(problem, routes=routes)
    return single, plan_cars(single, order="index")


@dataclass
class PlainResult:
    bookings: list[tuple[int, list[int], list[int], float]]  # origin, edges, entry steps, pcu
    remaining_pcu: list[float]
    iterations: int
    finished: bool
    seconds: float

    def out_steps(self, problem: PlanningProblem) -> list[tuple[int, float]]:
        """(out step, people) per booking; the last entry of `entries` is the out step."""
        return [
            (entries[-1], pcu * problem.origins[o].occupancy)
            for o, _, entries, pcu in self.bookings
        ]


def plain_ccrp(problem: PlanningProblem, *, budget_s: float = 600.0) -> PlainResult:
    """Plain CCRP on the whole road graph; stops after `budget_s` seconds if not finished."""
    ledger = _whole_graph_ledger(problem)
    tracked_row = np.full(problem.n_resources, -1, dtype=np.int64)
    tracked_row[ledger.resources] = np.arange(ledger.resources.shape[0])
    cp_of_node = {c.node: problem.graph.n_edges + i for i, c in enumerate(problem.checkpoints)}
    service = {problem.graph.n_edges + i: c.service_s for i, c in enumerate(problem.checkpoints)}
    remaining = np.array([o.car_pcu for o in problem.origins])
    started = time.perf_counter()
    found_clock = [0]
    result = PlainResult([], [], 0, False, 0.0)

    def free_step(resource: int, s: int) -> int:
        row = tracked_row[resource]
        if row < 0:
            return s
        while True:
            ledger.ensure(s + 64 + 1)
            window = ledger.residual[row, s : s + 64]
            hit = np.flatnonzero(window > EPS)
            if hit.size:
                return s + int(hit[0])
            s += 64

    while remaining.sum() > EPS and time.perf_counter() - started < budget_s:
        found, back, origin_at, clock = _earliest_arrival(
            problem, remaining, free_step, cp_of_node, service
        )
        found_clock[0] = 1 + ceil_steps(clock, problem.step_s)
        if found is None:
            break
        uses: list[tuple[int, int]] = []
        node = found
        while node not in origin_at:
            node, items = back[node]
            uses.extend(reversed(items))
        uses.reverse()
        o = origin_at[node]
        resources = np.array([r for r, _ in uses], dtype=np.int64)
        cols = np.array([c for _, c in uses], dtype=np.int64)
        rows = tracked_row[resources]
        keep = rows >= 0
        cap = float(ledger.residual[rows[keep], cols[keep]].min()) if keep.any() else np.inf
        amount = min(cap, float(remaining[o]))
        if keep.any():
            np.subtract.at(ledger.residual, (rows[keep], cols[keep]), amount)
        remaining[o] -= amount
        out = found_clock[0]
        result.bookings.append((o, resources.tolist(), [*cols.tolist(), out], amount))
        result.iterations += 1
    result.remaining_pcu = remaining.tolist()
    result.finished = bool(remaining.sum() <= EPS)
    result.seconds = time.perf_counter() - started
    return result


def _whole_graph_ledger(problem: PlanningProblem) -> CapacityLedger:
    """A ledger of every resource that all the cars together could fill in one step (the
    candidate routes' ledger would leave roads off them unchecked)."""
    demand = sum(o.car_pcu for o in problem.origins)
    resources = np.arange(problem.n_resources, dtype=np.int64)
    capacity = problem.base_capacity(resources)
    timed = np.zeros(resources.shape[0], dtype=bool)
    m = problem.graph.n_edges
    for mask, _, _ in problem.timed_closures:
        timed[:m] |= mask
    timed[m:] = [c.hours is not None for c in problem.checkpoints]
    closed = np.zeros(resources.shape[0], dtype=bool)
    closed[:m] = problem.closed_edges
    keep = (timed | (capacity < demand - 1e-9)) & ~closed
    tracked = resources[keep]
    pressure = np.where(timed[keep], np.inf, demand / np.maximum(capacity[keep], 1e-12))
    return CapacityLedger(problem, problem.routes, tracked, pressure, problem.window_steps * 2)


def _earliest_arrival(
    problem: PlanningProblem,
    remaining: NDArray[np.float64],
    free_step: Callable[[int, int], int],
    cp_of_node: dict[int, int],
    service: dict[int, float],
) -> tuple[int | None, dict[int, tuple[int, list[tuple[int, int]]]], dict[int, int], float]:
    """Dijkstra on the clock (seconds) from every origin with cars left, with waiting for
    free capacity; returns the first destination reached and the search tree."""
    g, step = problem.graph, problem.step_s
    open_edge = ~problem.closed_edges
    sinks = {d.node for d in problem.destinations}
    indptr, target, tt = g.indptr, g.edge_target, g.travel_time_s
    heap: list[tuple[float, int]] = []
    label: dict[int, float] = {}
    back: dict[int, tuple[int, list[tuple[int, int]]]] = {}
    origin_at: dict[int, int] = {}
    for i, o in enumerate(problem.origins):
        if remaining[i] > EPS and o.node not in origin_at:
            origin_at[o.node] = i
            label[o.node] = 0.0
            heapq.heappush(heap, (0.0, o.node))
    while heap:
        clock, u = heapq.heappop(heap)
        if label.get(u, np.inf) < clock:
            continue
        if u in sinks:
            return u, back, origin_at, clock
        for e in range(int(indptr[u]), int(indptr[u + 1])):
            if not open_edge[e]:
                continue
            v = int(target[e])
            enter = free_step(e, floor_steps(clock, step))
            c = max(clock, enter * step) + float(tt[e])
            items = [(e, enter)]
            if v in cp_of_node:
                cp = cp_of_node[v]
                inspect = free_step(cp, floor_steps(c, step))
                items.append((cp, inspect))
                c = max(c, inspect * step) + service[cp]
            if c < label.get(v, np.inf):
                label[v] = c
                back[v] = (u, items)
                heapq.heappush(heap, (c, v))
    return None, back, origin_at, 0.0


def booking_out_steps(problem: PlanningProblem, bookings: list[Booking]) -> list[tuple[int, float]]:
    return [
        (
            b.step + problem.routes[b.route].total_steps,
            b.pcu * problem.origins[problem.routes[b.route].origin].occupancy,
        )
        for b in bookings
    ]
