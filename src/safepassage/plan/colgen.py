"""Path (column) generation: a linear programme over routes with departure steps.

In the spirit of conflict-based path generation (Pillac, Van Hentenryck and Even 2016). A
column is a route with a departure step: x PCU leave origin o on route r in step t, use each
road and checkpoint cell (resource, t + offset) on the way, and are out in step t + total.
The master LP (OR-Tools GLOP) sends every origin's cars (equality, with a costly "not
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
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy.sparse import csr_matrix

from safepassage.errors import PlanningError
from safepassage.plan.buses import BusTrip
from safepassage.plan.ccrp import Booking
from safepassage.plan.ledger import EPS, binding_resources
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
PER_ROUTE = 3
#: New departure columns per round, at most (the best by reduced cost).
MAX_NEW = 2000
TOL = 1e-7


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
        """Solve the master over the current columns (adding cell rows as needed)."""
        col_r = np.array([r for r, ts in enumerate(self.steps) for _ in ts], dtype=np.int64)
        col_t = np.array([t for ts in self.steps for t in ts], dtype=np.int64)
        # Cells: gather every column's tracked cells, number the distinct ones.
        keys, owners = [], []
        first = 0
        for r, ts in enumerate(self.steps):
            if not ts:
                continue
            rows, offs = self.cells[r]
            steps = np.array(ts, dtype=np.int64)
            keys.append((rows[:, None] * self.width + offs[:, None] + steps[None, :]).ravel())
            owners.append(
                np.repeat(first + np.arange(steps.size)[None, :], rows.size, axis=0).ravel()
            )
            first += steps.size
        key = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        owner = np.concatenate(owners) if owners else np.zeros(0, np.int64)
        # Row generation: only cells that bind or were once overfilled get a row; a cell
        # without one is checked after each solve and added if the solution overfills it.
        while True:
            active = np.isin(key, self._active_keys())
            solution = self._lp(col_r, col_t, key[active], owner[active])
            load = np.bincount(key, weights=solution.x[owner], minlength=self.cap.size)
            over = np.flatnonzero(load > self.cap.ravel() + 1e-9)
            over = over[~np.isin(over, key[active])]
            if over.size == 0:
                return solution
            self.active_res = np.concatenate((self.active_res, self.tracked[over // self.width]))
            self.active_step = np.concatenate((self.active_step, over % self.width))

    def seed_rows(self, bookings: list[Booking]) -> None:
        """Rows for the cells the greedy filled: they are the likely bottlenecks, and giving
        them rows at once saves the first solves of the row generation."""
        load = np.zeros(self.cap.size)
        for b in bookings:
            rows, offs = self.cells[b.route]
            keys = rows * self.width + offs + b.step
            np.add.at(load, keys[keys < load.size], b.pcu)
        full = np.flatnonzero((load > EPS) & (load >= self.cap.ravel() - 1e-6))
        self.active_res = np.concatenate((self.active_res, self.tracked[full // self.width]))
        self.active_step = np.concatenate((self.active_step, full % self.width))

    def _active_keys(self) -> NDArray[np.int64]:
        rows = self.row_of[self.active_res]
        keep = rows >= 0
        return np.asarray(rows[keep] * self.width + self.active_step[keep], dtype=np.int64)

    def _lp(
        self,
        col_r: NDArray[np.int64],
        col_t: NDArray[np.int64],
        key: NDArray[np.int64],
        owner: NDArray[np.int64],
    ) -> _Solution:
        """One solve of the master with rows for the cells in `key`."""
        p = self.problem
        n_o, n_d = len(p.origins), len(p.destinations)
        n_x = col_r.size
        origin, dest = self.r_origin[col_r], self.r_dest[col_r]
        cell_keys, cell_row = np.unique(key, return_inverse=True)
        fair = self.fair is not None
        # Row blocks: origins, destinations, fairness (hi, lo per origin, one gap), cells.
        r_dest = n_o
        r_fair = r_dest + n_d
        r_cell = r_fair + (2 * n_o + 1 if fair else 0)
        n_rows = r_cell + cell_keys.size
        # Variables: columns, unserved per origin, then (lo, hi) with fairness.
        v_un = n_x
        n_vars = n_x + n_o + (2 if fair else 0)
        rows_i = [origin, r_dest + dest, r_cell + cell_row, np.arange(n_o)]
        cols_i = [np.arange(n_x), np.arange(n_x), owner, v_un + np.arange(n_o)]
        vals = [np.ones(n_x), self.occ[origin], np.ones(key.size), np.ones(n_o)]
        lo_b = np.concatenate((self.supply, np.full(n_d, -np.inf)))
        hi_b = np.concatenate((self.supply, np.array([d.capacity_people for d in p.destinations])))
        if fair:
            assert self.fair is not None
            v_lo, v_hi = n_vars - 2, n_vars - 1
            for block, sign in ((0, 1), (n_o, 1)):
                rows_i += [r_fair + block + origin, r_fair + block + np.arange(n_o)]
                cols_i += [np.arange(n_x), v_un + np.arange(n_o)]
                vals += [col_t.astype(float) * sign, np.full(n_o, float(self.H))]
            rows_i += [r_fair + np.arange(n_o), r_fair + n_o + np.arange(n_o)]
            cols_i += [np.full(n_o, v_hi), np.full(n_o, v_lo)]
            vals += [-self.supply, -self.supply]
            rows_i += [np.array([r_fair + 2 * n_o] * 2)]
            cols_i += [np.array([v_hi, v_lo])]
            vals += [np.array([1.0, -1.0])]
            lo_b = np.concatenate((lo_b, np.full(n_o, -np.inf), np.zeros(n_o), [-np.inf]))
            hi_b = np.concatenate((hi_b, np.zeros(n_o), np.full(n_o, np.inf), [self.fair]))
        cap = self.cap.ravel()[cell_keys]
        lo_b = np.concatenate((lo_b, np.full(cell_keys.size, -np.inf)))
        hi_b = np.concatenate((hi_b, cap))
        matrix = csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows_i), np.concatenate(cols_i))),
            shape=(n_rows, n_vars),
        )
        obj = np.concatenate(
            (
                self.values(col_r, col_t),
                -2.0 * self.weight,
                np.zeros(2 if fair else 0),
            )
        )
        var_lo = np.zeros(n_vars)
        var_hi = np.full(n_vars, np.inf)
        if fair:
            var_hi[-2:] = self.H
        model = mbh.ModelBuilderHelper()
        model.fill_model_from_sparse_data(
            var_lo,  # type: ignore[arg-type]  # the stub's dtype spelling is wrong
            var_hi,  # type: ignore[arg-type]
            obj,  # type: ignore[arg-type]
            lo_b,  # type: ignore[arg-type]
            hi_b,  # type: ignore[arg-type]
            matrix,
        )
        model.set_maximize(True)
        solver = mbh.ModelSolverHelper("glop")
        solver.solve(model)
        if solver.status() != mbh.SolveStatus.OPTIMAL:
            raise PlanningError(
                f"path generation: the LP solver stopped ({solver.status_string()})"
            )
        x = np.asarray(solver.variable_values(), dtype=np.float64)
        y = np.asarray(solver.dual_values(), dtype=np.float64)
        solution = _Solution(
            x=x[:n_x],
            col_r=col_r,
            col_t=col_t,
            origin=y[:n_o],
            dest=y[r_dest:r_fair],
            fair=y[r_fair : r_fair + n_o] + y[r_fair + n_o : r_fair + 2 * n_o]
            if fair
            else np.zeros(n_o),
            cell_res=self.tracked[cell_keys // self.width],
            cell_step=cell_keys % self.width,
            cell_price=y[r_cell:],
        )
        return solution

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
        `PER_ROUTE` a route, `MAX_NEW` in all, best first); how many. Vectorised over routes
        and steps: only cells with a price cost anything."""
        prices = self.cell_prices(duals)
        n_r, span = len(self.routes), self.H + 1
        total, origin, dest = self.r_total, self.r_origin, self.r_dest
        t = np.arange(span)
        ok = self.enabled & (self.supply[origin] > EPS) & (total <= self.H)
        cost = np.zeros((n_r, span))
        priced = np.flatnonzero(prices.any(axis=1))
        is_priced = np.zeros(prices.shape[0], dtype=bool)
        is_priced[priced] = True
        for r in np.flatnonzero(ok).tolist():
            rows, offs = self.cells[r]
            keep = is_priced[rows]
            if keep.any():
                cost[r] = prices[rows[keep][:, None], offs[keep][:, None] + t[None, :]].sum(0)
        rc = (
            self.values(np.arange(n_r)[:, None], t[None, :])
            - (duals.origin[origin] + self.occ[origin] * duals.dest[dest])[:, None]
            - duals.fair[origin][:, None] * t[None, :]
            - cost
        )
        rc[~ok] = -np.inf
        rc[t[None, :] > (self.H - total)[:, None]] = -np.inf
        for r, ts in enumerate(self.steps):
            rc[r, ts] = -np.inf  # already columns
        found: list[tuple[float, int, int]] = []
        for r in np.flatnonzero((rc > TOL).any(axis=1)).tolist():
            good = np.flatnonzero(rc[r] > TOL)
            if good.size > PER_ROUTE:
                good = good[np.argpartition(-rc[r, good], PER_ROUTE)[:PER_ROUTE]]
            found.extend((float(rc[r, k]), r, int(k)) for k in good.tolist())
        found.sort(reverse=True)
        for _, r, k in found[:MAX_NEW]:
            self.steps[r].append(k)
        return min(len(found), MAX_NEW)

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
    master = _Master(problem, supply, bus_pcu, buses, horizon)
    for b in greedy:
        if (
            b.step + problem.routes[b.route].total_steps <= horizon
            and b.step not in master.steps[b.route]
        ):
            master.steps[b.route].append(b.step)
    master.seed_rows(greedy)
    net = pricing_network(problem)
    if net is not None and not fits(net, horizon):
        net = None
    rounds, proven = 0, False
    duals = master.solve()
    while rounds < max_rounds and time.perf_counter() - started < time_limit_s:
        rounds += 1
        new = master.price_paths(net, duals) if net is not None else 0
        new += master.price_departures(duals)
        if new == 0:
            proven = net is not None and not master.looped
            break
        duals = master.solve()
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
            master.enabled[r] = r in keep
    if restricted:
        for r in np.flatnonzero(~master.enabled).tolist():
            master.steps[r] = []
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
        "method": "path generation (LP over routes with departure steps, OR-Tools GLOP)",
        "pricing": "time-expanded (exact when travel times are whole steps)"
        if net is not None
        else "departure steps of the candidate routes only (network too large or corridor)",
        "rounds": rounds,
        "converged": proven,
        "columns": int(duals.x.size),
        "routes_generated": len(master.routes) - len(problem.routes),
        "lp_people_out_by_window_end": round(float(lp_out), 1),
        "enforceable_people_out_by_window_end": round(float(final_out), 1),
        "rounding_loss_people": round(float(max(lp_out - final_out, 0.0)), 1),
        "max_routes_per_origin_and_destination": max_routes,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return ColgenResult(replace(problem, routes=master.routes), bookings, supply - sent, report)


def _people_by_window(master: _Master, duals: _Solution) -> float:
    total = 0.0
    for r, t, x in zip(duals.col_r.tolist(), duals.col_t.tolist(), duals.x.tolist(), strict=True):
        route = master.routes[r]
        if t + route.total_steps <= master.problem.window_steps:
            total += x * master.occ[route.origin]
    return total


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
