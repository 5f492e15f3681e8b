"""Candidate routes per origin: few, convergent, following the corridor.

Routes come from shortest-path trees (one Dijkstra per destination, per corridor leg and per
variant), not one search per origin: a tree gives every origin its route at once, and routes of
one tree converge, which is what a coordinator can explain and marshal. Variants penalise the
edges of the previous trees, so an origin gets up to `k` distinct alternatives.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from safepassage.network.graph import EdgeLookup, RoadGraph


@dataclass(frozen=True)
class Candidate:
    """One route from an origin (index) to a destination (index), as graph nodes and edges."""

    origin: int
    destination: int
    nodes: NDArray[np.int64]
    edges: NDArray[np.int64]
    travel_time_s: float
    length_m: float


class _Trees:
    """Shortest-path trees under one weighting; its matrices are built once, not per tree."""

    def __init__(self, graph: RoadGraph, weight: NDArray[np.float64]) -> None:
        self.forward = graph.matrix(weight)
        self.backward = self.forward.T.tocsr()

    def __call__(self, root: int, reverse: bool) -> NDArray[np.int32]:
        """Predecessors of the tree from `root` (towards `root` when `reverse`)."""
        matrix = self.backward if reverse else self.forward
        _, pred = dijkstra(matrix, directed=True, indices=root, return_predecessors=True)
        return np.asarray(pred)


def _walk(pred: NDArray[np.int32], start: int, root: int, reverse: bool) -> list[int] | None:
    """Node path between `start` and the tree's root; None if unreachable."""
    path = [start]
    guard = pred.shape[0] + 1
    while path[-1] != root:
        nxt = int(pred[path[-1]])
        if nxt < 0 or len(path) > guard:
            return None
        path.append(nxt)
    return path if reverse else path[::-1]


def candidate_routes(
    graph: RoadGraph,
    weight: NDArray[np.float64],
    origins: list[int],
    destinations: list[int],
    allowed: list[list[int]],
    via: list[int],
    *,
    k: int = 3,
    penalty: float = 2.0,
    max_stretch: float = 2.0,
) -> list[Candidate]:
    """Up to `k` routes from each origin to each allowed destination, through `via` in order.

    `origins`/`destinations`/`via` are graph nodes; `allowed[i]` lists destination indices for
    origin i. Edges with infinite weight are closed.
    """
    found: dict[tuple[int, int], list[Candidate]] = {}
    current = weight.copy()
    for _ in range(k):
        used = np.zeros(graph.n_edges, dtype=bool)
        for cand in _one_variant(graph, current, weight, origins, destinations, allowed, via):
            key = (cand.origin, cand.destination)
            routes = found.setdefault(key, [])
            used[cand.edges] = True
            if any(np.array_equal(r.nodes, cand.nodes) for r in routes):
                continue
            if routes and cand.travel_time_s > max_stretch * routes[0].travel_time_s:
                continue
            routes.append(cand)
        current = np.where(used, current * penalty, current)
    return [c for key in sorted(found) for c in found[key]]


def _one_variant(
    graph: RoadGraph,
    current: NDArray[np.float64],
    base: NDArray[np.float64],
    origins: list[int],
    destinations: list[int],
    allowed: list[list[int]],
    via: list[int],
) -> list[Candidate]:
    """One route per (origin, allowed destination) under weights `current`."""
    tree = _Trees(graph, current)
    lookup = EdgeLookup(graph, current)
    # Middle legs between consecutive via points: fixed for every origin.
    middle: list[int] = []
    for a, b in itertools.pairwise(via):
        leg = _walk(tree(b, True), a, b, True) if a != b else [a]
        if leg is None:
            return []
        middle.extend(leg if not middle else leg[1:])
    first_target = via[0] if via else None
    last_source = via[-1] if via else None
    to_first = tree(first_target, True) if first_target is not None else None
    from_last = tree(last_source, False) if last_source is not None else None
    to_dest = {d: tree(d, True) for d in set(destinations)} if not via else {}
    out: list[Candidate] = []
    for i, origin in enumerate(origins):
        for j in allowed[i]:
            dest = destinations[j]
            if via:
                assert to_first is not None and from_last is not None
                head = _walk(to_first, origin, via[0], True)
                tail = _walk(from_last, dest, via[-1], False)
                if head is None or tail is None:
                    continue
                nodes = head + (middle[1:] if middle else []) + tail[1:]
            else:
                path = _walk(to_dest[dest], origin, dest, True)
                if path is None:
                    continue
                nodes = path
            node_arr = np.array(nodes, dtype=np.int64)
            edges = lookup(node_arr)
            if edges is None or not np.all(np.isfinite(base[edges])):
                continue
            out.append(
                Candidate(
                    origin=i,
                    destination=j,
                    nodes=node_arr,
                    edges=edges,
                    travel_time_s=float(graph.travel_time_s[edges].sum()),
                    length_m=float(graph.length_m[edges].sum()),
                )
            )
    return out
