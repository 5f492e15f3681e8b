"""Cuts over time: roads and checkpoints that every vehicle from a set of origins must pass.

If every route from a set M of origins to its destinations crosses a set C of arcs of the
bound's network, a vehicle of M that is out by step H entered some arc a of C at a step s with
earliest(a) <= s < H - later(a), where earliest(a) is the least steps from M to the arc and
later(a) the least steps from entering it to reaching a destination. So the PCU of M (and of
any subset of M) out by H is at most the sum over C of each arc's capacity in those steps:
zero while a checkpoint is closed or a hazard closes the road. The flow-over-time curves of the
bound cannot see capacities that change with time; these cuts can (a corridor whose
checkpoints close at night). Any set C is valid; the smallest one for a horizon is a minimum
cut of the static network with each arc weighted by its capacity over that horizon, found by
max flow (SciPy). A checkpoint met in several corridor legs counts once (one physical
capacity), over the union of its steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, dijkstra, maximum_flow

from safepassage.network.graph import least_weight_matrix
from safepassage.plan.problem import PlanningProblem

#: Max flow needs 32-bit integer capacities: weights are scaled into this range.
_INT_RANGE = 2**29
#: Horizons (in windows) at which a minimum cut is chosen; each cut is valid at every horizon.
SELECT_AT = (1.0, 2.0)


@dataclass
class TimedCut:
    """Resources (edge ids, or n_edges + checkpoint index) every vehicle of `members` passes,
    each usable from step `earliest` until `later` steps before the horizon."""

    members: frozenset[int]
    resources: NDArray[np.int64]
    earliest: NDArray[np.int64]
    later: NDArray[np.int64]
    _cum: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 1)))
    _varying: NDArray[np.bool_] | None = None

    def pcu_by(self, problem: PlanningProblem, horizon: int) -> float:
        """PCU that can cross the cut in time to be out by step `horizon`."""
        if self.resources.size == 0:
            return 0.0
        hi = np.clip(horizon - self.later, 0, None)
        lo = np.minimum(self.earliest, hi)
        if self._varying is None:
            self._varying = varying_resources(problem, self.resources)
        v = self._varying
        # Steady capacities multiply; only the varying ones keep running sums over the steps
        # (a cut of many roads over a long egress search would not fit in memory otherwise).
        total = float((problem.base_capacity(self.resources[~v]) * (hi - lo)[~v]).sum())
        if not v.any():
            return total
        need = int(hi[v].max()) + 1
        if self._cum.shape[0] != int(v.sum()) or self._cum.shape[1] < need:
            steps = max(need, 2 * self._cum.shape[1])
            block = problem.capacity_block(self.resources[v], 0, steps)
            self._cum = np.concatenate((np.zeros((block.shape[0], 1)), np.cumsum(block, axis=1)), 1)
        rows = np.arange(self._cum.shape[0])
        return total + float((self._cum[rows, hi[v]] - self._cum[rows, lo[v]]).sum())


@dataclass(frozen=True)
class CutNetwork:
    """The bound's static network as needed here (see `bound._network`)."""

    tail: NDArray[np.int64]
    head: NDArray[np.int64]
    steps: NDArray[np.int64]
    resource: NDArray[np.int64]  # -1: a corridor leg's transition (no capacity)
    n_nodes: int


def timed_cuts(
    problem: PlanningProblem,
    arcs: CutNetwork,
    sources: NDArray[np.int64],
    sinks: NDArray[np.int64],
    members: frozenset[int],
    entry_grid: int = 1,
) -> list[TimedCut]:
    """Minimum cuts from `sources` (nodes of `members`) to `sinks`, chosen at the horizons of
    `SELECT_AT`; empty where nothing from the sources reaches the sinks. `entry_grid`: see
    `_reach`."""
    earliest, later = _reach(arcs, sources, sinks, entry_grid)
    useful = np.isfinite(earliest) & np.isfinite(later) & (arcs.resource >= 0)
    if not useful.any():
        return []
    cuts: dict[bytes, TimedCut] = {}
    for factor in SELECT_AT:
        horizon = max(1, round(problem.window_steps * factor))
        weight = _weights(problem, arcs, useful, earliest, later, horizon)
        chosen = _min_cut(arcs, weight, useful, sources, sinks)
        if chosen is None:
            continue
        cut = _as_cut(arcs, chosen, earliest, later, members)
        cuts.setdefault(cut.resources.tobytes() + cut.earliest.tobytes(), cut)
    return list(cuts.values())


def gate_cuts(
    arcs: CutNetwork,
    gates: list[int],
    sources: NDArray[np.int64],
    sinks: NDArray[np.int64],
    members: frozenset[int],
    entry_grid: int = 1,
) -> list[TimedCut]:
    """One cut over time per gate (a resource the caller knows every route passes), each
    over the steps its arcs can be used; the shortest paths are found once for all."""
    if not gates:
        return []
    earliest, later = _reach(arcs, sources, sinks, entry_grid)
    # Arcs nobody can use in time enter with no steps (a vehicle cannot use them at all).
    far = np.iinfo(np.int64).max // 4
    earliest = np.where(np.isfinite(earliest), earliest, far)
    later = np.where(np.isfinite(later), later, far)
    cuts = []
    for gate in gates:
        chosen = np.flatnonzero(arcs.resource == gate)
        if chosen.size == 0:
            only = np.array([gate], dtype=np.int64)
            cuts.append(TimedCut(members, only, np.zeros_like(only), np.zeros_like(only)))
        else:
            cuts.append(_as_cut(arcs, chosen, earliest, later, members))
    return cuts


def _reach(
    arcs: CutNetwork, sources: NDArray[np.int64], sinks: NDArray[np.int64], entry_grid: int = 1
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per arc: least steps from the sources to entering it, and from entering it to a sink.
    The first is rounded down to a multiple of `entry_grid` steps: a bound at finer steps than
    the plan's must also hold for the plan's own model, which gives a vehicle reaching a
    resource mid-step that whole step's capacity (`plan/problem.py`)."""
    # A hair on every arc: SciPy reads a stored zero as no arc (floored below).
    m = least_weight_matrix(arcs.tail, arcs.head, arcs.steps + np.float64(1e-6), arcs.n_nodes)
    from_sources = dijkstra(m, directed=True, indices=sources, min_only=True)
    to_sinks = dijkstra(m.T.tocsr(), directed=True, indices=sinks, min_only=True)
    earliest = np.floor(np.floor(from_sources[arcs.tail] + 1e-3) / entry_grid) * entry_grid
    later = arcs.steps + np.floor(to_sinks[arcs.head] + 1e-3)
    return earliest, later


def _weights(
    problem: PlanningProblem,
    arcs: CutNetwork,
    useful: NDArray[np.bool_],
    earliest: NDArray[np.float64],
    later: NDArray[np.float64],
    horizon: int,
) -> NDArray[np.float64]:
    """Each useful arc's capacity (PCU) in the steps a vehicle out by `horizon` can use it."""
    weight = np.zeros(arcs.tail.shape[0])
    idx = np.flatnonzero(useful)
    lo = earliest[idx].astype(np.int64)
    hi = np.maximum(lo, horizon - later[idx].astype(np.int64))
    resources = arcs.resource[idx]
    varying = varying_resources(problem, resources)
    steady = idx[~varying]
    weight[steady] = problem.base_capacity(resources[~varying]) * (hi - lo)[~varying]
    if varying.any():
        block = problem.capacity_block(resources[varying], 0, horizon)
        cum = np.concatenate((np.zeros((block.shape[0], 1)), np.cumsum(block, axis=1)), axis=1)
        rows = np.arange(block.shape[0])
        top = np.minimum(hi[varying], horizon)
        weight[idx[varying]] = cum[rows, top] - cum[rows, np.minimum(lo[varying], top)]
    return weight


def varying_resources(problem: PlanningProblem, resources: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which resources have a capacity that changes with time (hours, part-time hazards)."""
    m = problem.graph.n_edges
    out = np.zeros(resources.shape[0], dtype=bool)
    is_edge = resources < m
    for mask, _, _ in problem.timed_closures:
        out[is_edge] |= mask[resources[is_edge]]
    hours = np.array([c.hours is not None for c in problem.checkpoints] + [False])
    out[~is_edge] = hours[resources[~is_edge] - m]
    return out


def _min_cut(
    arcs: CutNetwork,
    weight: NDArray[np.float64],
    useful: NDArray[np.bool_],
    sources: NDArray[np.int64],
    sinks: NDArray[np.int64],
) -> NDArray[np.int64] | None:
    """Arcs of a minimum cut (by `weight`; arcs without capacity cannot be cut), or None."""
    n = arcs.n_nodes
    s, t = n, n + 1
    finite = arcs.resource >= 0
    scale = min(1000.0, _INT_RANGE / max(1.0, float(weight[finite].sum())))
    cap = np.where(finite, np.ceil(weight * scale), _INT_RANGE).astype(np.int64)
    keep = (arcs.tail != arcs.head) & (useful | ~finite)
    big = np.full(sources.size + sinks.size, 4 * _INT_RANGE)
    tail = np.concatenate((arcs.tail[keep], np.full(sources.size, s), sinks))
    head = np.concatenate((arcs.head[keep], sources, np.full(sinks.size, t)))
    capacity = np.minimum(np.concatenate((cap[keep], big)), 2**31 - 1).astype(np.int32)
    graph = csr_matrix((capacity, (tail, head)), shape=(n + 2, n + 2))
    graph.sum_duplicates()
    graph.data = np.minimum(graph.data.astype(np.int64), 2**31 - 1).astype(np.int32)
    result = maximum_flow(graph, s, t)
    if result.flow_value >= _INT_RANGE:  # only through arcs without capacity: no finite cut
        return None
    residual = graph.astype(np.int64) - result.flow.astype(np.int64)
    residual.data = (residual.data > 0).astype(np.int64)
    residual.eliminate_zeros()
    side = np.zeros(n + 2, dtype=bool)
    side[breadth_first_order(residual, s, directed=True, return_predecessors=False)] = True
    crossing = useful & side[arcs.tail] & ~side[arcs.head]
    return np.flatnonzero(crossing)


def _as_cut(
    arcs: CutNetwork,
    chosen: NDArray[np.int64],
    earliest: NDArray[np.float64],
    later: NDArray[np.float64],
    members: frozenset[int],
) -> TimedCut:
    """One entry per resource: a checkpoint met in several legs over the union of its steps."""
    resources = arcs.resource[chosen]
    unique = np.unique(resources)
    first = np.full(unique.size, np.iinfo(np.int64).max)
    last = np.full(unique.size, np.iinfo(np.int64).max)
    where = np.searchsorted(unique, resources)
    np.minimum.at(first, where, earliest[chosen].astype(np.int64))
    np.minimum.at(last, where, later[chosen].astype(np.int64))
    return TimedCut(members, unique.astype(np.int64), first, last)
