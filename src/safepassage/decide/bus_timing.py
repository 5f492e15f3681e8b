"""What a bus trip takes, step by step: its route's cells with a bus's own inspection time,
the residual capacity the cars leave, and the travel times between bases and assembly points.

Where a checkpoint gives `bus_inspection_s`, a bus there keeps one lane busy for that time:
one lane's worth of car inspections per step for as many steps as that lasts, and everything
after the checkpoint is later by the difference to a car's time. Without it, a bus is inspected
as the planner counts it: one vehicle in one step (at most 99% of the step's capacity), in a
car's time. On roads a bus takes `BUS_PCU` (never more than 99% of one step's capacity: a bus
is one vehicle)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from safepassage.model.prepare import PreparedScenario
from safepassage.plan.buses import LOAD_S, UNLOAD_S, bus_earliest_steps
from safepassage.plan.ccrp import Booking
from safepassage.plan.problem import BUS_PCU, PlanningProblem, TimedRoute
from safepassage.plan.steps import ceil_steps

EPS = 1e-7


@dataclass(frozen=True)
class BusRoute:
    """One route as a bus drives it: resources, step offsets and amounts, and steps to out."""

    route: int
    resources: NDArray[np.int64]
    offsets: NDArray[np.int64]
    need: NDArray[np.float64]
    total_steps: int
    first: dict[int, tuple[int, int]]  # resource: (first offset, steps it is used)


def bus_route(problem: PlanningProblem, route: TimedRoute, bus_s: list[float | None]) -> BusRoute:
    """The cells a bus on `route` uses; `bus_s[k]`: a lane's seconds per bus at checkpoint k
    (None: as the planner counts a bus)."""
    m, step = problem.graph.n_edges, problem.step_s
    res, offs, need = [], [], []
    first: dict[int, tuple[int, int]] = {}
    late = 0.0  # seconds a bus is behind a car after the checkpoints so far
    for r, off in zip(route.resources.tolist(), route.offsets.tolist(), strict=True):
        at = off + ceil_steps(late, step)
        if r < m:
            first.setdefault(r, (at, 1))
            res.append(r)
            offs.append(at)
            need.append(min(BUS_PCU, 0.99 * float(problem.edge_pcu_per_step[r])))
            continue
        c = problem.checkpoints[r - m]
        busy = bus_s[r - m]
        if busy is None:
            first.setdefault(r, (at, 1))
            res.append(r)
            offs.append(at)
            need.append(min(1.0, 0.99 * c.pcu_per_step))
            continue
        steps = max(1, ceil_steps(busy, step))
        first.setdefault(r, (at, steps))
        for i in range(steps):
            res.append(r)
            offs.append(at + i)
            need.append(min(step, busy - i * step) / c.service_s)  # one lane, car units
        late += max(0.0, busy - c.service_s)
    total = route.total_steps + ceil_steps(late, step)
    return BusRoute(
        route.index,
        np.array(res, dtype=np.int64),
        np.array(offs, dtype=np.int64),
        np.array(need),
        total,
        first,
    )


def bus_seconds(prepared: PreparedScenario, problem: PlanningProblem) -> list[float | None]:
    """A lane's seconds per bus at each checkpoint of the problem (None: not given)."""
    given = {c.id: c.bus_inspection_s for c in prepared.scenario.checkpoints}
    return [given.get(c.id) for c in problem.checkpoints]


def bus_units(problem: PlanningProblem, resource: int, bus_s: list[float | None]) -> float:
    """What one bus takes of a resource in all: PCU on a road, car inspections at a
    checkpoint."""
    m = problem.graph.n_edges
    if resource < m:
        return min(BUS_PCU, 0.99 * float(problem.edge_pcu_per_step[resource]))
    c = problem.checkpoints[resource - m]
    seconds = bus_s[resource - m]
    return min(1.0, 0.99 * c.pcu_per_step) if seconds is None else seconds / c.service_s


def earliest_steps(prepared: PreparedScenario, problem: PlanningProblem) -> list[int]:
    """The step each bus may leave its depot (0: the window's start)."""
    return bus_earliest_steps(prepared, problem)


class Residual:
    """Capacity the cars leave on a set of resources, per step (grown on demand)."""

    def __init__(self, problem: PlanningProblem, resources: NDArray[np.int64]) -> None:
        self.problem = problem
        self.resources = np.unique(resources)
        self.row_of = {int(r): i for i, r in enumerate(self.resources.tolist())}
        self.used = np.zeros((self.resources.shape[0], 0))
        self.cap = np.zeros((self.resources.shape[0], 0))

    def ensure(self, steps: int) -> None:
        have = self.cap.shape[1]
        if steps <= have:
            return
        new = max(steps, 2 * have, 64)
        block = self.problem.capacity_block(self.resources, have, new)
        self.cap = np.concatenate((self.cap, block), axis=1)
        self.used = np.concatenate((self.used, np.zeros_like(block)), axis=1)

    def rows(self, resources: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.array([self.row_of[int(r)] for r in resources.tolist()], dtype=np.int64)

    def add(
        self, rows: NDArray[np.int64], cols: NDArray[np.int64], amount: NDArray[np.float64]
    ) -> None:
        self.ensure(int(cols.max(initial=0)) + 1)
        np.add.at(self.used, (rows, cols), amount)

    def add_cars(self, routes: list[TimedRoute], bookings: list[Booking]) -> None:
        """Book the plan's cars (fluid PCU at the route's own offsets)."""
        lookup = np.full(self.problem.n_resources, -1, dtype=np.int64)
        lookup[self.resources] = np.arange(self.resources.shape[0])
        cells: dict[int, tuple[NDArray[np.int64], NDArray[np.int64]]] = {}
        all_rows, all_cols, amounts = [], [], []
        for b in bookings:
            if b.route not in cells:
                rows = lookup[routes[b.route].resources]
                keep = rows >= 0
                cells[b.route] = (rows[keep], routes[b.route].offsets[keep])
            rows, offs = cells[b.route]
            all_rows.append(rows)
            all_cols.append(offs + b.step)
            amounts.append(np.full(rows.shape[0], b.pcu))
        if all_rows:
            self.add(np.concatenate(all_rows), np.concatenate(all_cols), np.concatenate(amounts))

    def first_fit(
        self,
        rows: NDArray[np.int64],
        offs: NDArray[np.int64],
        need: NDArray[np.float64],
        t: int,
        limit: int,
    ) -> int:
        """The first departure step >= t at which every cell has room; `limit` if none."""
        block = 64
        span = int(offs.max(initial=0)) + 1
        while t < limit:
            self.ensure(t + block + span)
            cols = offs[:, None] + (t + np.arange(block))[None, :]
            room = self.cap[rows[:, None], cols] - self.used[rows[:, None], cols]
            hit = np.flatnonzero(np.all(room >= need[:, None] - EPS, axis=0))
            if hit.size:
                return min(t + int(hit[0]), limit)
            t += block
        return limit


def travel_s(problem: PlanningProblem, sources: list[int]) -> NDArray[np.float64]:
    """Free-flow seconds from each source node to each origin (inf: unreachable)."""
    nodes = [o.node for o in problem.origins]
    times = np.atleast_2d(dijkstra(problem.open_time_matrix, directed=True, indices=sources))
    return np.asarray(times[:, nodes])


def cycle_steps(problem: PlanningProblem, to_origin_s: float) -> int:
    """Steps from leaving a base to being loaded at an origin."""
    return ceil_steps(to_origin_s + LOAD_S, problem.step_s)


def unload_steps(problem: PlanningProblem) -> int:
    return ceil_steps(UNLOAD_S, problem.step_s)
