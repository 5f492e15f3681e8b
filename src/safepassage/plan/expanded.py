"""The time-expanded network for the bound and the exact solver: most car people out by a
horizon, with every origin sent only to the destinations it may use.

Nodes are (place, step) of the bound's static network (`bound._network`); roads and checkpoints
are arcs from step s to s + their whole steps with that step's capacity (zero while closed, so
opening hours and timed hazards are exact); anyone may wait anywhere. The LP has one commodity
per group of origins with the same allowed destinations; groups share every arc's capacity
(HiGHS, SciPy). The bound's cap on people out by the window's end uses the min-cost flow of
`exact.py` (rounded up) with one group, this LP with several, each only where small.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix

from safepassage.errors import PlanningError
from safepassage.plan.bound import _groups, _Network, _network
from safepassage.plan.problem import PlanningProblem

#: The largest time-expanded problems the bound solves on its own; beyond, it does without.
#: Measured on the Mariupol scenario at coarse steps on the shared 2-core test machine
#: (2026-12-01, others' jobs running): the min-cost flow took 4.4 s at 74,000 arcs, the LP
#: 20-47 s at 75,000 variables.
BOUND_MAX_ARCS = 50_000
BOUND_MAX_VARIABLES = 20_000
#: Solver tolerance guard: the LP value is raised by this fraction (plus as much absolute).
GUARD = 1e-6


def _capacities(problem: PlanningProblem, net: _Network, horizon: int) -> NDArray[np.float64]:
    """Per-step capacity of each arc of the static network (rows) in steps 0..horizon-1
    (unlimited between corridor legs)."""
    caps = np.full((net.resource.shape[0], horizon), np.inf)
    real = np.flatnonzero(net.resource >= 0)
    # Each resource once (it repeats in every corridor leg), then one row per arc.
    unique, arc_row = np.unique(net.resource[real], return_inverse=True)
    caps[real] = problem.capacity_block(unique, 0, horizon)[arc_row]
    return caps


def _arcs(
    problem: PlanningProblem, net: _Network, horizon: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Time-expanded arcs (tail, head, capacity per step; inf for waiting), node = s * N + v."""
    n = net.n_nodes
    caps = _capacities(problem, net, horizon)
    tails, heads, capacity = [], [], []
    for s in range(horizon):
        arrive = s + net.steps
        ok = arrive < horizon
        tails.append(s * n + net.tail[ok])
        heads.append(arrive[ok] * n + net.head[ok])
        capacity.append(caps[ok, s])
        if s + 1 < horizon:
            tails.append(s * n + np.arange(n))
            heads.append((s + 1) * n + np.arange(n))
            capacity.append(np.full(n, np.inf))
    return np.concatenate(tails), np.concatenate(heads), np.concatenate(capacity)


def expanded_size(problem: PlanningProblem, horizon: int) -> int:
    """Variables of the LP for `horizon` (an estimate made without building it)."""
    net = _network(problem)
    groups = len({frozenset(o.allowed) for o in problem.origins})
    return groups * (int(net.tail.shape[0]) + net.n_nodes) * horizon


def car_people_lp(
    problem: PlanningProblem,
    horizon: int,
    depart_until: int,
    *,
    max_variables: int | None,
    guard: bool = True,
) -> float | None:
    """Most car people out by step `horizon` (arrival by horizon - 1) departing in steps
    0..depart_until-1; None when the LP would exceed `max_variables`. With `guard`, raised by
    the solver's tolerance, so that it is an upper bound."""
    if horizon <= 0 or not problem.origins:
        return 0.0
    if max_variables is not None and expanded_size(problem, horizon) > max_variables:
        return None
    net = _network(problem)
    tail, head, cap = _arcs(problem, net, horizon)
    allowed = [frozenset(o.allowed) for o in problem.origins]
    groups = _groups(allowed)
    n_te = net.n_nodes * horizon
    k = tail.shape[0]
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    vals: list[NDArray[np.float64]] = []
    cost: list[NDArray[np.float64]] = []
    upper: list[NDArray[np.float64]] = []
    supply_rows: list[tuple[NDArray[np.int64], float]] = []
    n_var = 0
    arc_starts: list[int] = []
    departs = np.arange(min(depart_until, horizon))
    for g, members in enumerate(groups):
        base = g * n_te
        arc_starts.append(n_var)
        var = n_var + np.arange(k)  # arc flows of this commodity
        rows += [base + tail, base + head]
        cols += [var, var]
        vals += [np.full(k, -1.0), np.full(k, 1.0)]
        cost.append(np.zeros(k))
        upper.append(cap if len(groups) == 1 else np.full(k, np.inf))
        n_var += k
        for i in members.tolist():  # departures: inflow at the origin's node
            var = n_var + np.arange(departs.size)
            rows.append(base + departs * net.n_nodes + net.origin_node[i])
            cols.append(var)
            vals.append(np.ones(departs.size))
            cost.append(np.full(departs.size, -problem.origins[i].occupancy))
            upper.append(np.full(departs.size, np.inf))
            supply_rows.append((var, problem.origins[i].car_pcu))
            n_var += departs.size
        sinks = net.sinks_for(allowed[int(members[0])])
        at = (np.arange(horizon)[:, None] * net.n_nodes + sinks[None, :]).ravel()
        var = n_var + np.arange(at.size)  # arrivals: outflow at the sink nodes
        rows.append(base + at)
        cols.append(var)
        vals.append(np.full(at.size, -1.0))
        cost.append(np.zeros(at.size))
        upper.append(np.full(at.size, np.inf))
        n_var += at.size
    a_eq = csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_te * len(groups), n_var),
    )
    ub_rows, ub_cols, rhs = _shared_rows(cap, arc_starts, supply_rows)
    a_ub = coo_matrix((np.ones(ub_rows.size), (ub_rows, ub_cols)), shape=(len(rhs), n_var))
    hi = np.concatenate(upper)
    result = linprog(
        np.concatenate(cost),
        A_ub=a_ub.tocsr(),
        b_ub=np.array(rhs),
        A_eq=a_eq,
        b_eq=np.zeros(a_eq.shape[0]),
        bounds=np.column_stack((np.zeros(n_var), hi)),
        method="highs",
    )
    if result.status != 0:
        raise PlanningError(f"the time-expanded LP found no optimum ({result.message})")
    value = float(-result.fun)
    return value + GUARD * (1.0 + value) if guard else value


def _shared_rows(
    cap: NDArray[np.float64],
    arc_starts: list[int],
    supply_rows: list[tuple[NDArray[np.int64], float]],
) -> tuple[NDArray[np.int64], NDArray[np.int64], list[float]]:
    """Inequalities: every origin's departures within its supply; with several commodities
    (their arc flows start at `arc_starts`), each finite arc shared by all of them."""
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    rhs: list[float] = []
    for var, supply in supply_rows:
        rows.append(np.full(var.size, len(rhs)))
        cols.append(var)
        rhs.append(supply)
    if len(arc_starts) > 1:
        finite = np.flatnonzero(np.isfinite(cap))
        first = len(rhs)
        for start in arc_starts:
            rows.append(first + np.arange(finite.size))
            cols.append(start + finite)
        rhs.extend(cap[finite].tolist())
    return np.concatenate(rows), np.concatenate(cols), rhs


def car_people_by_window_end(problem: PlanningProblem) -> float | None:
    """An upper bound on car people out by the window's end from the time-expanded network,
    when small enough for the bound: the min-cost flow (OR-Tools, rounded up) with one group of
    destinations, the LP with several; else None."""
    from safepassage.plan.exact import car_people_flow_bound

    if len({frozenset(o.allowed) for o in problem.origins}) == 1:
        return car_people_flow_bound(problem, BOUND_MAX_ARCS)
    w = problem.window_steps
    return car_people_lp(problem, w, w, max_variables=BOUND_MAX_VARIABLES)
