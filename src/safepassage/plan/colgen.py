"""Path (column) generation: a linear programme over routes with departure steps.

In the spirit of conflict-based path generation (Pillac, Van Hentenryck and Even 2016). A
column is a route with a departure step: x PCU leave origin o on route r in step t, use each
road and checkpoint cell (resource, t + offset) on the way, and are out in step t + total.
The master LP (HiGHS, kept between rounds: `master_lp.py`) sends every origin's cars (equality, with a costly "not
served" slack so it is always feasible), never above a cell's capacity (less what the buses
take) or a destination's reception, and maximises, per person weighted by the origin's
priority, K for out by the window's end, minus the out step over the horizon (earlier is
better). The optional fairness rule bounds the spread of the origins' mean departure steps.

Duals of saturated cells, origins, destinations and fairness rows price new columns:
every (route, step) of the pool exactly, and new routes by a time-expanded programme
(`pricing.py`) where the instance is small enough. The first columns are the greedy's
bookings, so the LP never does worse than the greedy. Then the plan is made enforceable:
each origin keeps its few most used routes, the LP is solved again on those, and what that
costs against the unrestricted LP is measured (`rounding_loss_people`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safepassage.plan.buses import BusTrip
from safepassage.plan.ccrp import Booking
from safepassage.plan.ledger import EPS, binding_resources
from safepassage.plan.master_lp import MasterLP
from safepassage.plan.pricing import (
    PricingNetwork,
    cheapest_paths,
    fits,
    pricing_network,
    to_candidate,
)
from safepassage.plan.problem import BUS_PCU, PlanningProblem, TimedRoute, time_route

#: Weight of a person out by the window's end against the earliness term (at most 1).
K_WINDOW = 10.0
#: New departure columns per route and round.
PER_ROUTE = 6
#: New departure columns per round, at most (the best by reduced cost).
MAX_NEW = 8000
TOL = 1e-7
#: Stop when a round raised the LP's objective by less than this fraction (heuristic pricing
#: only: with the exact pricing the rounds end with a proof).
STALL = 2e-4
#: Rounds of path generation where only departures of known routes are priced.
HEURISTIC_ROUNDS = 3


@dataclass
class ColgenResult:
    problem: PlanningProblem  # with the generated routes appended
    bookings: list[Booking]
    unrouted_pcu: NDArray[np.float64]  # per origin: what the LP did not send (for the greedy)
    report: dict[str, Any] = field(default_factory=dict)


def bus_loads(problem: PlanningProblem, trips: list[BusTrip]) -> dict[tuple[int, int], float]:
    """(resource, step) -> PCU of the buses, by the bus rule (`buses.bus_need`) on every cell."""
    loads: dict[tuple[int, int], float] = {}
    m = problem.graph.n_edges
    for trip in trips:
        route = problem.routes[trip.route]
        base = problem.base_capacity(route.resources)
        need = np.where(
            route.resources >= m, np.minimum(1.0, 0.99 * base), np.minimum(BUS_PCU, 0.99 * base)
        )
        for res, off, amount in zip(
            route.resources.tolist(), route.offsets.tolist(), need.tolist(), strict=True
        ):
            key = (res, trip.depart_step + off)
            loads[key] = loads.get(key, 0.0) + amount
    return loads


@dataclass
class _Solution:
    """An LP solution: column values and the duals that price new columns."""

    x: NDArray[np.float64]
    col_r: NDArray[np.int64]
    col_t: NDArray[np.int64]
    origin: NDArray[np.float64]
    dest: NDArray[np.float64]
    fair: NDArray[np.float64]  # per origin: the fairness rows' price per departure step
    cell_res: NDArray[np.int64]
    cell_step: NDArray[np.int64]
    cell_price: NDArray[np.float64]
    objective: float


class _Master:
    """The restricted master LP and its columns."""

    def __init__(
        self,
        problem: PlanningProblem,
        supply: NDArray[np.float64],
        bus_pcu: NDArray[np.float64],
        buses: dict[tuple[int, int], float],
        horizon: int,
    ) -> None:
        self.problem = problem
        self.routes: list[TimedRoute] = list(problem.routes)
        self.supply = supply
        self.bus_pcu = bus_pcu
        self.buses = buses
        self.H = horizon
        self.steps: list[list[int]] = [[] for _ in self.routes]
        self.enabled = np.ones(len(self.routes), dtype=bool)
        o = problem.origins
        self.occ = np.array([x.occupancy for x in o])
        self.weight = np.array([x.priority for x in o]) * self.occ
        self.fair = problem.fairness_steps
        self.looped = False  # the last path pricing cut a loop it could not replace
        self.lagrange = np.inf  # Lagrangian bound on the LP, from the last departure pricing
        self.active_res = np.zeros(0, dtype=np.int64)  # cells with a row: resource, step
        self.active_step = np.zeros(0, dtype=np.int64)
        self._track()

    # -- rows ------------------------------------------------------------------------------
    def _track(self) -> None:
        p = self.problem
        tracked, _ = binding_resources(p, self.routes, self.supply + self.bus_pcu)
        self.tracked = tracked
        self.row_of = np.full(p.n_resources, -1, dtype=np.int64)
        self.row_of[tracked] = np.arange(tracked.shape[0])
        self.max_off = max((int(r.offsets.max()) for r in self.routes if r.offsets.size), default=0)
        self.width = self.H + self.max_off + 2
        cap = p.capacity_block(tracked, 0, self.width)
        for (res, step), amount in self.buses.items():
            row = self.row_of[res]
            if row >= 0 and step < self.width:
                cap[row, step] -= amount
        self.cap = np.maximum(cap, 0.0)
        self.r_total = np.array([r.total_steps for r in self.routes], dtype=np.int64)
        self.r_origin = np.array([r.origin for r in self.routes], dtype=np.int64)
        self.r_dest = np.array([r.destination for r in self.routes], dtype=np.int64)
        self.cells = [
            (
                self.row_of[r.resources][self.row_of[r.resources] >= 0],
                r.offsets[self.row_of[r.resources] >= 0],
            )
            for r in self.routes
        ]
        self.lp: MasterLP | None = None  # rebuilt at the next solve: rows were renumbered
        sizes = [rows.size for rows, _ in self.cells]
        self.ent_route = np.repeat(np.arange(len(self.cells)), sizes)
        self.ent_row = np.concatenate([rows for rows, _ in self.cells] or [np.zeros(0, np.int64)])
        self.ent_off = np.concatenate([offs for _, offs in self.cells] or [np.zeros(0, np.int64)])
        self.ent_by_row = np.argsort(self.ent_row, kind="stable")
        self.ent_row_sorted = self.ent_row[self.ent_by_row]
        self._closed: NDArray[np.bool_] | None = None  # routes x departures through a closed cell

    def add_routes(self, routes: list[TimedRoute]) -> None:
        """Append routes and re-track: rows may be added and renumbered, so prices computed
        before this call no longer fit `row_of`."""
        if not routes:
            return
        self.routes.extend(routes)
        self.steps.extend([] for _ in routes)
        self.enabled = np.append(self.enabled, np.ones(len(routes), dtype=bool))
        self._track()

    def value(self, route: TimedRoute, t: NDArray[np.int64]) -> NDArray[np.float64]:
        """Objective per PCU of departures in steps t on `route`."""
        out = t + route.total_steps
        w = float(self.weight[route.origin])
        gain = K_WINDOW * (out <= self.problem.window_steps) - out / (self.H + 1)
        return np.asarray(w * gain, dtype=np.float64)

    def values(self, routes: NDArray[np.int64], t: NDArray[np.int64]) -> NDArray[np.float64]:
        """Objective per PCU of columns (route, step), any shapes that broadcast."""
        total, origin = self.r_total[routes], self.r_origin[routes]
        out = t + total
        gain = K_WINDOW * (out <= self.problem.window_steps) - out / (self.H + 1)
        return np.asarray(self.weight[origin] * gain, dtype=np.float64)

    # -- the LP ------------------------------------------------------------------------------
    def solve(self) -> _Solution:
        """Solve the master over the current columns (adding cell rows as needed), starting
        from the last solve's basis."""
        if self.lp is None:
            self._new_lp()
        self._sync_columns()
        assert self.lp is not None
        cap = self.cap.ravel()
        while True:
            sol = self.lp.solve()
            key, col = self._entries()
            load = np.bincount(key, weights=sol.x[col], minlength=cap.size)
            # Row generation: only cells that bind or were once overfilled get a row; a cell
            # without one is checked after each solve and added if the solution overfills it.
            over = np.flatnonzero((load > cap + 1e-9) & (self.key_row < 0))
            if over.size == 0:
                break
            self._add_cell_rows(over)
        return _Solution(
            x=sol.x,
            col_r=self.col_r,
            col_t=self.col_t,
            origin=sol.origin,
            dest=sol.dest,
            fair=sol.fair,
            cell_res=self.tracked[self.cell_keys // self.width],
            cell_step=self.cell_keys % self.width,
            cell_price=sol.cell,
            objective=sol.objective,
        )

    def _new_lp(self) -> None:
        """A fresh LP over every column so far (after the rows were renumbered)."""
        p = self.problem
        self.lp = MasterLP(
            self.supply,
            np.array([d.capacity_people for d in p.destinations], dtype=np.float64),
            -2.0 * self.weight,
            self.fair,
            self.H,
        )
        self.key_row = np.full(self.cap.size, -1, dtype=np.int64)
        self.cell_keys = np.zeros(0, dtype=np.int64)
        self.col_r = np.zeros(0, dtype=np.int64)
        self.col_t = np.zeros(0, dtype=np.int64)
        self.n_in_lp = np.zeros(len(self.routes), dtype=np.int64)
        self.ent_key: list[NDArray[np.int64]] = []
        self.ent_col: list[NDArray[np.int64]] = []
        self._add_cell_rows(np.unique(self._active_keys()))

    def _entries(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Every column's tracked cells (key) with the column's index."""
        if len(self.ent_key) > 1:
            self.ent_key = [np.concatenate(self.ent_key)]
            self.ent_col = [np.concatenate(self.ent_col)]
        if not self.ent_key:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return self.ent_key[0], self.ent_col[0]

    def _sync_columns(self) -> None:
        """Put the departures added to `steps` since the last solve into the LP."""
        assert self.lp is not None
        new_r, new_t, keys, owners = [], [], [], []
        first = 0
        for r, ts in enumerate(self.steps):
            done = int(self.n_in_lp[r])
            if len(ts) <= done:
                continue
            steps = np.array(ts[done:], dtype=np.int64)
            self.n_in_lp[r] = len(ts)
            rows, offs = self.cells[r]
            keys.append((rows[:, None] * self.width + offs[:, None] + steps[None, :]).ravel())
            owners.append(np.tile(first + np.arange(steps.size), rows.size))
            new_r.append(np.full(steps.size, r, dtype=np.int64))
            new_t.append(steps)
            first += steps.size
        if not new_r:
            return
        col_r, col_t = np.concatenate(new_r), np.concatenate(new_t)
        key, owner = np.concatenate(keys), np.concatenate(owners)
        base = self.col_r.size
        self.ent_key.append(key)
        self.ent_col.append(owner + base)
        has = self.key_row[key] >= 0
        origin = self.r_origin[col_r]
        self.lp.add_columns(
            self.values(col_r, col_t),
            origin,
            self.r_dest[col_r],
            self.occ[origin].astype(np.float64),
            col_t,
            owner[has],
            self.key_row[key[has]],
        )
        self.col_r = np.concatenate((self.col_r, col_r))
        self.col_t = np.concatenate((self.col_t, col_t))
        off = ~self.enabled[col_r]
        if off.any():
            self.lp.disable(base + np.flatnonzero(off))

    def _add_cell_rows(self, keys: NDArray[np.int64]) -> None:
        """Rows for cells `keys` (tracked keys without a row yet)."""
        assert self.lp is not None
        if keys.size == 0:
            return
        new = np.full(self.cap.size, -1, dtype=np.int64)
        new[keys] = np.arange(keys.size)
        key, col = self._entries()
        hit = new[key] >= 0
        self.lp.add_cell_rows(self.cap.ravel()[keys], col[hit], new[key[hit]])
        self.key_row[keys] = self.cell_keys.size + np.arange(keys.size)
        self.cell_keys = np.concatenate((self.cell_keys, keys))
        self.active_res = np.concatenate((self.active_res, self.tracked[keys // self.width]))
        self.active_step = np.concatenate((self.active_step, keys % self.width))

    def disable_routes(self, routes: NDArray[np.int64]) -> None:
        """Routes no longer used: no new departures, and their columns fixed at zero."""
        self.enabled[routes] = False
        if self.lp is not None:
            cols = np.flatnonzero(~self.enabled[self.col_r])
            self.lp.disable(cols)

    def seed_rows(self, bookings: list[Booking]) -> None:
        """Rows for the cells the greedy filled: they are the likely bottlenecks, and giving
        them rows at once saves the first solves of the row generation."""
        load = np.zeros(self.cap.size)
        for b in bookings:
            if b.step + self.r_total[b.route] > self.H:
                continue  # not a column: its cells would be rows without an entry
            rows, offs = self.cells[b.route]
            keys = rows * self.width + offs + b.step
            np.add.at(load, keys[keys < load.size], b.pcu)
        full = np.flatnonzero((load > EPS) & (load >= self.cap.ravel() - 1e-6))
        if self.lp is not None:
            self._add_cell_rows(full[self.key_row[full] < 0])
            return
        self.active_res = np.concatenate((self.active_res, self.tracked[full // self.width]))
        self.active_step = np.concatenate((self.active_step, full % self.width))

    def _active_keys(self) -> NDArray[np.int64]:
        rows = self.row_of[self.active_res]
        keep = rows >= 0
        return np.asarray(rows[keep] * self.width + self.active_step[keep], dtype=np.int64)

    # -- pricing -----------------------------------------------------------------------------
    def cell_prices(self, duals: _Solution) -> NDArray[np.float64]:
        """Dual price of every tracked cell (inf where closed), in the current tracking."""
        prices = np.where(self.cap <= EPS, np.inf, 0.0)
        rows = self.row_of[duals.cell_res]
        steps = duals.cell_step
        prices[rows, steps] = np.where(self.cap[rows, steps] <= EPS, np.inf, duals.cell_price)
        return prices

    def price_departures(self, duals: _Solution) -> int:
        """Add the enabled routes' best departures with positive reduced cost (at most
        `PER_ROUTE` a route, `MAX_NEW` in all, best first); how many. Also sets `lagrange`,
        the Lagrangian bound on the LP over every departure of the enabled routes."""
        n_r, span = len(self.routes), self.H + 1
        total, origin, dest = self.r_total, self.r_origin, self.r_dest
        t = np.arange(span)
        ok = self.enabled & (self.supply[origin] > EPS) & (total <= self.H)
        rc = (
            self.values(np.arange(n_r)[:, None], t[None, :])
            - (duals.origin[origin] + self.occ[origin] * duals.dest[dest])[:, None]
            - duals.fair[origin][:, None] * t[None, :]
            - self._route_costs(duals, span)
        )
        rc[~ok] = -np.inf
        rc[t[None, :] > (self.H - total)[:, None]] = -np.inf
        # Each origin sends its supply over its columns: no column pays more than its best.
        best = np.full(len(self.supply), 0.0)
        np.maximum.at(best, origin, rc.max(axis=1))
        self.lagrange = duals.objective + float((self.supply * best).sum())
        rc[duals.col_r, duals.col_t] = -np.inf  # already columns
        k = min(PER_ROUTE, span)
        top = np.argpartition(-rc, k - 1, axis=1)[:, :k]
        val = np.take_along_axis(rc, top, axis=1).ravel()
        step = top.ravel()
        good = np.flatnonzero(val > TOL)
        if good.size > MAX_NEW:
            good = good[np.argpartition(-val[good], MAX_NEW - 1)[:MAX_NEW]]
        for j, t_new in zip((good // k).tolist(), step[good].tolist(), strict=True):
            self.steps[j].append(t_new)
        return int(good.size)

    def _route_costs(self, duals: _Solution, span: int) -> NDArray[np.float64]:
        """cost[r, t]: the cells' prices a departure on route r in step t pays (inf through a
        closed cell). Only cells with a price cost anything: each meets the routes through
        its resource (a join on sorted entries, not a scan of every route and step)."""
        if self._closed is None or self._closed.shape[1] != span:
            c_row, c_step = np.nonzero(self.cap <= EPS)
            hits = self._join(c_row, c_step, np.ones(c_row.size), span)
            self._closed = hits.reshape(len(self.routes), span) > 0
        rows = self.row_of[duals.cell_res]
        live = (duals.cell_price != 0.0) & (self.cap[rows, duals.cell_step] > EPS)
        cost = self._join(rows[live], duals.cell_step[live], duals.cell_price[live], span)
        cost = cost.reshape(len(self.routes), span)
        cost[self._closed] = np.inf
        return cost

    def _join(
        self,
        c_row: NDArray[np.int64],
        c_step: NDArray[np.int64],
        weight: NDArray[np.float64],
        span: int,
    ) -> NDArray[np.float64]:
        """Sum of `weight` over the cells (row, step) each (route, departure) passes, flat."""
        lo = np.searchsorted(self.ent_row_sorted, c_row, side="left")
        n = np.searchsorted(self.ent_row_sorted, c_row, side="right") - lo
        cell = np.repeat(np.arange(c_row.size), n)
        ent = self.ent_by_row[np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))]
        depart = c_step[cell] - self.ent_off[ent]
        ok = (depart >= 0) & (depart < span)
        flat = self.ent_route[ent[ok]] * span + depart[ok]
        total = np.bincount(flat, weights=weight[cell[ok]], minlength=len(self.routes) * span)
        return np.asarray(total, dtype=np.float64)

    def _best_reduced_cost(
        self, route: TimedRoute, prices: NDArray[np.float64], duals: _Solution
    ) -> float:
        """Best reduced cost over departures of a route not yet in the pool (its untracked
        resources cannot bind, so they cost nothing)."""
        o = route.origin
        t = np.arange(self.H - route.total_steps + 1)
        rows = self.row_of[route.resources]
        keep = rows >= 0
        cost = (
            prices[rows[keep][:, None], route.offsets[keep][:, None] + t[None, :]].sum(axis=0)
            if keep.any()
            else 0.0
        )
        rc = (
            self.value(route, t)
            - duals.origin[o]
            - self.occ[o] * duals.dest[route.destination]
            - duals.fair[o] * t
            - cost
        )
        return float(rc.max(initial=-np.inf))

    def price_paths(self, net: PricingNetwork, duals: _Solution) -> int:
        """New routes from the time-expanded pricing; how many were added."""
        p = self.problem
        prices = self.cell_prices(duals)
        arc_row = self.row_of[net.resource]
        arc_cost = np.zeros((net.resource.size, self.H))
        has = arc_row >= 0
        arc_cost[has] = prices[arc_row[has], : self.H]
        s = np.arange(self.H)
        origin_price = duals.origin[:, None] + duals.fair[:, None] * s[None, :]
        groups: dict[tuple[float, float, tuple[int, ...]], list[int]] = {}
        for i, o in enumerate(p.origins):
            if self.supply[i] > EPS:
                groups.setdefault((self.weight[i], self.occ[i], tuple(o.allowed)), []).append(i)
        known = {(r.origin, r.candidate.edges.tobytes()) for r in self.routes}
        # New routes are added only after pricing: adding one re-tracks the rows, and
        # `prices` (rows of the current tracking) would then be read with the new numbering.
        new: list[TimedRoute] = []
        self.looped = False
        for (w, occ, allowed), members in list(groups.items())[:8]:
            out = s + 1
            gain = w * (K_WINDOW * (out <= p.window_steps) - out / (self.H + 1))
            reward = np.full((len(p.destinations), self.H), -np.inf)
            for d in allowed:
                reward[d] = gain - occ * duals.dest[d]
            for path in cheapest_paths(net, p, arc_cost, reward, members, origin_price):
                cand, looped = to_candidate(p, path)
                if cand is None or (cand.origin, cand.edges.tobytes()) in known:
                    self.looped |= looped
                    continue
                known.add((cand.origin, cand.edges.tobytes()))
                route = time_route(p, len(self.routes) + len(new), cand)
                if route.total_steps > self.H:
                    continue
                if looped and self._best_reduced_cost(route, prices, duals) <= TOL:
                    self.looped = True  # its loop was what made it pay
                    continue
                new.append(route)
        self.add_routes(new)
        return len(new)


def generate(
    problem: PlanningProblem,
    greedy: list[Booking],
    supply: NDArray[np.float64],
    *,
    bus_pcu: NDArray[np.float64],
    buses: dict[tuple[int, int], float],
    horizon: int,
    max_routes: int = 4,
    max_rounds: int = 60,
    time_limit_s: float = 60.0,
) -> ColgenResult:
    """Column generation from the greedy's bookings, then the enforceable restriction."""
    started = time.perf_counter()
    net = pricing_network(problem)
    if net is not None and not fits(net, horizon):
        net = None
    if net is None and 0 < problem.window_steps < horizon:
        # Too large for the exact pricing: the LP decides who is out by the window's end
        # (the cells after it were most of its rows); the greedy books the rest after it.
        horizon = problem.window_steps
    master = _Master(problem, supply, bus_pcu, buses, horizon)
    for b in greedy:
        if (
            b.step + problem.routes[b.route].total_steps <= horizon
            and b.step not in master.steps[b.route]
        ):
            master.steps[b.route].append(b.step)
    master.seed_rows(greedy)
    rounds, proven, stop = 0, False, "round limit"
    if net is None:
        # Without the exact pricing there is no proof to wait for, and the first rounds bring
        # most of the gain (docs/benchmarks.md): a fixed number keeps the plan reproducible.
        max_rounds = min(max_rounds, HEURISTIC_ROUNDS)
    duals = master.solve()
    round_s = 0.0
    while rounds < max_rounds:
        began = time.perf_counter()
        if began - started + round_s > time_limit_s:  # the next round would end past it
            stop = "time limit"
            break
        rounds += 1
        new = master.price_paths(net, duals) if net is not None else 0
        new += master.price_departures(duals)
        if new == 0:
            proven = net is not None and not master.looped
            stop = "converged" if proven else "no column with a positive reduced cost"
            break
        before = duals.objective
        duals = master.solve()
        round_s = time.perf_counter() - began
        if net is None and duals.objective - before <= STALL * abs(duals.objective):
            stop = "stalled"  # without the exact pricing there is no proof to wait for
            break
    lp_out = _people_by_window(master, duals)
    # Enforceable: each origin keeps its `max_routes` most used routes to each destination
    # (as many as the greedy's candidate routes: `--routes`).
    flow = np.zeros(len(master.routes))
    np.add.at(flow, duals.col_r, duals.x)
    restricted = False
    by_origin: dict[tuple[int, int], list[int]] = {}
    for r, route in enumerate(master.routes):
        by_origin.setdefault((route.origin, route.destination), []).append(r)
    for mine in by_origin.values():
        used = sorted((r for r in mine if flow[r] > EPS), key=lambda r: -flow[r])
        if len(used) > max_routes:
            restricted = True
        keep = set(used[:max_routes]) or set(mine)
        for r in mine:
            if r not in keep:
                master.enabled[r] = False
    if restricted:
        master.disable_routes(np.flatnonzero(~master.enabled))
        duals = master.solve()
        for _ in range(max_rounds):
            if time.perf_counter() - started >= time_limit_s or master.price_departures(duals) == 0:
                break
            duals = master.solve()
    bookings = _feasible_bookings(master, duals)
    sent = np.zeros(len(problem.origins))
    for b in bookings:
        sent[master.routes[b.route].origin] += b.pcu
    final_out = sum(
        b.pcu * master.occ[master.routes[b.route].origin]
        for b in bookings
        if b.step + master.routes[b.route].total_steps <= problem.window_steps
    )
    report = {
        "method": "path generation (LP over routes with departure steps, HiGHS)",
        "pricing": "time-expanded (exact when travel times are whole steps)"
        if net is not None
        else "departure steps of the candidate routes only (network too large or corridor)",
        "rounds": rounds,
        "stopped": stop,
        "converged": proven,
        "columns": int(duals.x.size),
        "routes_generated": len(master.routes) - len(problem.routes),
        "lp_people_out_by_window_end": round(float(lp_out), 1),
        "enforceable_people_out_by_window_end": round(float(final_out), 1),
        "rounding_loss_people": round(float(max(lp_out - final_out, 0.0)), 1),
        "max_routes_per_origin_and_destination": max_routes,
        "horizon_steps": horizon,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return ColgenResult(replace(problem, routes=master.routes), bookings, supply - sent, report)


def _people_by_window(master: _Master, duals: _Solution) -> float:
    out = duals.col_t + master.r_total[duals.col_r] <= master.problem.window_steps
    people = duals.x * master.occ[master.r_origin[duals.col_r]]
    return float(people[out].sum())


def _feasible_bookings(master: _Master, duals: _Solution) -> list[Booking]:
    """The LP's columns as bookings, scaled down where solver tolerance overfills a cell."""
    x = np.where(duals.x > 1e-9, duals.x, 0.0)
    col_r, col_t = duals.col_r, duals.col_t
    for _ in range(5):
        load = np.zeros(master.cap.size)
        keys = []
        for j in np.flatnonzero(x).tolist():
            rows, offs = master.cells[col_r[j]]
            k = rows * master.width + offs + col_t[j]
            np.add.at(load, k, x[j])
            keys.append((j, k))
        over = load > master.cap.ravel() + 1e-12
        if not over.any():
            break
        ratio = np.where(over, master.cap.ravel() / np.maximum(load, 1e-300), 1.0)
        for j, k in keys:
            if k.size:
                x[j] *= float(ratio[k].min()) * (1 - 1e-12)
    return [
        Booking(int(col_r[j]), int(col_t[j]), float(x[j]))
        for j in np.flatnonzero(x > 1e-9).tolist()
    ]
