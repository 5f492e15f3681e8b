"""Residual capacity of every resource that can bind, in every time step, grown on demand."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from safepassage.plan.problem import PlanningProblem, TimedRoute

#: Amounts below this many PCU are treated as zero (fluid rounding noise).
EPS = 1e-7


def binding_resources(
    problem: PlanningProblem, routes: list[TimedRoute], demand: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Resources that could ever be full, and their pressure. A resource whose capacity in every step is at least
    the whole demand of every origin routed through it can never bind, so it need not be
    tracked (exact, not an approximation). Timed closures and opening hours always bind."""
    if not routes:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    res = np.concatenate([r.resources for r in routes])
    owner = np.repeat([r.origin for r in routes], [r.resources.shape[0] for r in routes])
    route_id = np.repeat(np.arange(len(routes)), [r.resources.shape[0] for r in routes])
    resources, inverse = np.unique(res, return_inverse=True)
    # Demand through a resource: each origin using it counted once.
    pairs = np.unique(inverse.astype(np.int64) * len(demand) + owner)
    total = np.bincount(
        pairs // len(demand), weights=demand[pairs % len(demand)], minlength=resources.shape[0]
    )
    # A route may pass one resource twice (a loop): count the worst repetition, to stay exact.
    _, repeats = np.unique(
        route_id.astype(np.int64) * resources.shape[0] + inverse, return_counts=True
    )
    loops = int(repeats.max(initial=1))
    capacity = problem.base_capacity(resources)
    m = problem.graph.n_edges
    timed = np.zeros(resources.shape[0], dtype=bool)
    for mask, _, _ in problem.timed_closures:
        timed |= (resources < m) & mask[np.minimum(resources, m - 1)]
    for i, resource in enumerate(resources.tolist()):
        if resource >= m and problem.checkpoints[resource - m].hours is not None:
            timed[i] = True
    keep = timed | (total * loops > capacity - 1e-9)
    # Pressure: demand routed through a resource per unit of its capacity (for checking order).
    pressure = np.where(timed, np.inf, total / np.maximum(capacity, 1e-12))
    return resources[keep], pressure[keep]


class CapacityLedger:
    """`residual[row, step]` of the tracked resources; routes keep only their tracked uses."""

    def __init__(
        self,
        problem: PlanningProblem,
        routes: list[TimedRoute],
        tracked: NDArray[np.int64],
        pressure: NDArray[np.float64],
        initial_steps: int,
    ) -> None:
        self.pressure = pressure
        self.problem = problem
        self.resources = tracked
        row_of = np.full(problem.n_resources, -1, dtype=np.int64)
        row_of[tracked] = np.arange(tracked.shape[0])
        self.rows: list[NDArray[np.int64]] = []
        self.offsets: list[NDArray[np.int64]] = []
        for r in routes:
            rows = row_of[r.resources]
            keep = rows >= 0
            self.rows.append(rows[keep])
            self.offsets.append(r.offsets[keep])
        self.residual = problem.capacity_block(tracked, 0, max(initial_steps, 1))
        self.max_offset = max((int(o.max()) for o in self.offsets if o.size), default=0)

    @property
    def horizon(self) -> int:
        return int(self.residual.shape[1])

    def ensure(self, steps: int) -> None:
        """Grow the ledger to at least `steps` steps (doubling, so growth is rare)."""
        if steps <= self.horizon:
            return
        new = max(steps, 2 * self.horizon)
        extra = self.problem.capacity_block(self.resources, self.horizon, new)
        self.residual = np.concatenate((self.residual, extra), axis=1)

    def first_fit(self, route: int, t: int, need: NDArray[np.float64], limit: int) -> int:
        """The first departure step >= t where `fits` holds (scanned 64 steps at a time);
        `limit` if none before it."""
        rows = self.rows[route]
        if rows.size == 0:
            return t
        block = 64
        while t < limit:
            self.ensure(t + block + self.max_offset + 1)
            cols = self.offsets[route][:, None] + (t + np.arange(block))[None, :]
            ok = np.all(self.residual[rows[:, None], cols] >= need[:, None] - EPS, axis=0)
            hit = np.flatnonzero(ok)
            if hit.size:
                return min(t + int(hit[0]), limit)
            t += block
        return limit

    def reserve_cells(self, route: int, t: int, need: NDArray[np.float64]) -> None:
        rows = self.rows[route]
        if rows.size:
            self.ensure(t + self.max_offset + 1)
            np.subtract.at(self.residual, (rows, self.offsets[route] + t), need)

    def cell_values(self, route: int, t: int) -> NDArray[np.float64]:
        """Residual of each tracked cell of `route` for a departure in step t."""
        rows = self.rows[route]
        if rows.size == 0:
            return np.zeros(0)
        self.ensure(t + self.max_offset + 1)
        return np.asarray(self.residual[rows, self.offsets[route] + t])

    def reserve(self, route: int, t: int, amount: float) -> None:
        rows = self.rows[route]
        if rows.size:
            self.ensure(t + self.max_offset + 1)
            np.subtract.at(self.residual, (rows, self.offsets[route] + t), amount)


class RouteBatch:
    """The tracked cells of a set of routes, for vectorised checks in one arrival step."""

    def __init__(self, ledger: CapacityLedger, routes: NDArray[np.int64]) -> None:
        self.routes = routes
        lengths = np.array([ledger.rows[r].shape[0] for r in routes.tolist()], dtype=np.int64)
        self.free = lengths == 0  # routes with nothing that can bind
        nonempty = routes[~self.free].tolist()
        self.rows = (
            np.concatenate([ledger.rows[r] for r in nonempty])
            if nonempty
            else np.zeros(0, np.int64)
        )
        self.offsets = (
            np.concatenate([ledger.offsets[r] for r in nonempty])
            if nonempty
            else np.zeros(0, np.int64)
        )
        self.lengths = lengths[~self.free]
        self._users: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]] | None = None
        # Each route's blocking cell: first its most pressed one, then whichever last blocked
        # it. Checked first, it rules most routes out cheaply (a full cell stays full, and a
        # bottleneck full in one step is usually full in the next).
        self.key_row = np.zeros(routes.shape[0], dtype=np.int64)
        self.key_off = np.zeros(routes.shape[0], dtype=np.int64)
        for i, r in enumerate(routes.tolist()):
            rows = ledger.rows[r]
            if rows.size:
                k = int(np.argmax(ledger.pressure[rows]))
                self.key_row[i], self.key_off[i] = rows[k], ledger.offsets[r][k]

    def key_values(self, ledger: CapacityLedger, t: NDArray[np.int64]) -> NDArray[np.float64]:
        """Residual of each route's blocking cell for a departure at its own step `t`
        (inf for routes with no cells): zero means surely blocked, else maybe free."""
        values = np.full(self.routes.shape[0], np.inf)
        has = ~self.free
        if has.any():
            ledger.ensure(int(t.max(initial=0)) + ledger.max_offset + 1)
            values[has] = ledger.residual[self.key_row[has], self.key_off[has] + t[has]]
        return values

    def remember_block(self, ledger: CapacityLedger, position: int, cell: int) -> None:
        """Route at `position` was blocked by its `cell`-th cell: check that one first."""
        r = int(self.routes[position])
        self.key_row[position] = ledger.rows[r][cell]
        self.key_off[position] = ledger.offsets[r][cell]

    def mark_users(
        self, ledger: CapacityLedger, route: int, cell: int, t: int, depart: NDArray[np.int64]
    ) -> NDArray[np.bool_]:
        """Routes of the batch that use the now-full cell (`cell`-th of `route`, departing at
        t) for their own departure `depart`; they remember it as their blocking cell."""
        if self._users is None:
            order = np.argsort(self.rows, kind="stable")
            owner = np.repeat(np.flatnonzero(~self.free), self.lengths)
            self._users = (self.rows[order], owner[order], self.offsets[order])
        rows_sorted, owners, offsets = self._users
        row = int(ledger.rows[route][cell])
        column = int(ledger.offsets[route][cell]) + t
        lo, hi = np.searchsorted(rows_sorted, [row, row + 1])
        hit = owners[lo:hi][depart[owners[lo:hi]] + offsets[lo:hi] == column]
        self.key_row[hit] = row
        self.key_off[hit] = column - depart[hit]
        marked = np.zeros(self.routes.shape[0], dtype=bool)
        marked[hit] = True
        return marked
