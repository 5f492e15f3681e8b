"""Successive shortest paths: the whole "flow out by step H" curve of a flow over time at once.

For sources with per-step rate caps, Ford and Fulkerson's temporally repeated flows give
o(H) = max over static flows x of (H + 1)|x| - sum of arc steps x_a. Successive shortest paths
(with Dijkstra on reduced costs) augment along paths of nondecreasing cost D_j by amounts d_j,
and o(H) = sum_j d_j * max(0, H + 1 - D_j) for every H: one run serves every horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

EPS = 1e-9


@dataclass(frozen=True)
class FlowCurve:
    """Augmenting path costs (steps) and amounts (per step) of a successive-shortest-path run."""

    costs: NDArray[np.float64]
    amounts: NDArray[np.float64]

    def out_by(self, horizon: int) -> float:
        """o(H): units out by step `horizon`."""
        gain = np.maximum(0.0, horizon + 1 - self.costs)
        return float((self.amounts * gain).sum())


def successive_shortest_paths(
    n_nodes: int,
    tail: NDArray[np.int64],
    head: NDArray[np.int64],
    capacity: NDArray[np.float64],
    cost: NDArray[np.float64],
    source: int,
    sink: int,
    *,
    max_cost: float = np.inf,
    max_iterations: int = 100_000,
) -> FlowCurve:
    """Min-cost flow by successive shortest paths; stops at paths costing more than `max_cost`."""
    m = tail.shape[0]
    flow = np.zeros(m)
    # Residual arcs: 0..m-1 forward, m..2m-1 backward.
    r_tail = np.concatenate((tail, head))
    r_head = np.concatenate((head, tail))
    r_cost = np.concatenate((cost, -cost)).astype(np.float64)
    potential = np.zeros(n_nodes)
    costs: list[float] = []
    amounts: list[float] = []
    for _ in range(max_iterations):
        residual = np.concatenate((capacity - flow, flow))
        live = np.flatnonzero(residual > EPS)
        reduced = np.maximum(r_cost[live] + potential[r_tail[live]] - potential[r_head[live]], 0.0)
        key = r_tail[live] * n_nodes + r_head[live]
        order = np.lexsort((reduced, key))
        first = np.ones(order.shape[0], dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        pick = order[first]
        arc_of_pair = live[pick]
        matrix = csr_matrix(
            (reduced[pick] + EPS, (r_tail[arc_of_pair], r_head[arc_of_pair])),
            shape=(n_nodes, n_nodes),
        )
        dist, pred = dijkstra(matrix, directed=True, indices=source, return_predecessors=True)
        if not np.isfinite(dist[sink]):
            break
        path_arcs = _path(pred, source, sink, key[pick], arc_of_pair, n_nodes)
        path_cost = float(r_cost[path_arcs].sum())
        if path_cost > max_cost:
            break
        delta = float(residual[path_arcs].min())
        forward = path_arcs < m
        np.add.at(flow, path_arcs[forward], delta)
        np.subtract.at(flow, path_arcs[~forward] - m, delta)
        costs.append(path_cost)
        amounts.append(delta)
        reach = np.where(np.isfinite(dist), dist, dist[sink])
        potential += np.minimum(reach, dist[sink])
    return FlowCurve(np.array(costs), np.array(amounts))


def _path(
    pred: NDArray[np.int32],
    source: int,
    sink: int,
    keys: NDArray[np.int64],
    arcs: NDArray[np.int64],
    n: int,
) -> NDArray[np.int64]:
    nodes = [sink]
    while nodes[-1] != source:
        nodes.append(int(pred[nodes[-1]]))
    nodes.reverse()
    order = np.argsort(keys)
    wanted = np.array(nodes[:-1], dtype=np.int64) * n + np.array(nodes[1:], dtype=np.int64)
    return np.asarray(arcs[order[np.searchsorted(keys[order], wanted)]])
