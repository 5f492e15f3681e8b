"""Fastest and shortest routes, one-to-all trees, closures, hazards and alternatives."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from safepassage.errors import RoutingError
from safepassage.network.areas import Area, edges_in_areas
from safepassage.network.graph import RoadGraph

Metric = Literal["time", "length"]


@dataclass(frozen=True)
class Route:
    """A path through the graph: node and edge indices, with its length and free-flow time."""

    nodes: NDArray[np.int64]
    edges: NDArray[np.int64]
    length_m: float
    travel_time_s: float

    def as_dict(self, graph: RoadGraph) -> dict[str, object]:
        return {
            "length_m": round(self.length_m, 1),
            "travel_time_s": round(self.travel_time_s, 1),
            "nodes": [int(graph.node_id[n]) for n in self.nodes],
            "coordinates": route_coordinates(graph, self),
        }


def base_weight(graph: RoadGraph, metric: Metric) -> NDArray[np.float64]:
    return graph.travel_time_s if metric == "time" else graph.length_m


def edge_weights(
    graph: RoadGraph,
    *,
    metric: Metric = "time",
    areas: Iterable[Area] = (),
    closed_ways: Iterable[int] = (),
    at: datetime | None = None,
) -> NDArray[np.float64]:
    """Edge weights with closed roads and active hazard areas made impassable (inf)."""
    weight = base_weight(graph, metric).copy()
    active = [a for a in areas if a.active(at)]
    if active:
        weight[edges_in_areas(graph, active)] = np.inf
    closed = np.fromiter(closed_ways, dtype=np.int64)
    if closed.size:
        weight[np.isin(graph.way_id, closed)] = np.inf
    return weight


def _matrix(graph: RoadGraph, metric: Metric, weight: NDArray[np.float64] | None):  # type: ignore[no-untyped-def]
    if weight is None:
        return graph.time_matrix if metric == "time" else graph.length_matrix
    return graph.matrix(weight)


def one_to_all(
    graph: RoadGraph,
    source: int,
    *,
    metric: Metric = "time",
    weight: NDArray[np.float64] | None = None,
    reverse: bool = False,
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    """Costs from `source` to every node (to `source`, with `reverse`) and the predecessor tree."""
    matrix = _matrix(graph, metric, weight)
    if reverse:
        matrix = matrix.T.tocsr()
    dist, pred = dijkstra(matrix, directed=True, indices=source, return_predecessors=True)
    return np.asarray(dist), np.asarray(pred)


def route(
    graph: RoadGraph,
    source: int,
    target: int,
    *,
    metric: Metric = "time",
    weight: NDArray[np.float64] | None = None,
) -> Route:
    """The cheapest route from node `source` to node `target`; RoutingError if there is none."""
    w = base_weight(graph, metric) if weight is None else weight
    dist, pred = one_to_all(graph, source, metric=metric, weight=weight)
    if not np.isfinite(dist[target]):
        raise RoutingError(
            f"no route from node {graph.node_id[source]} to node {graph.node_id[target]}"
            " (the network is disconnected there, or every way is closed or in a hazard area)"
        )
    return path_from_tree(graph, pred, source, target, w)


def path_from_tree(
    graph: RoadGraph,
    pred: NDArray[np.int32],
    source: int,
    target: int,
    weight: NDArray[np.float64],
) -> Route:
    """Walk a predecessor tree back from `target` and pick the cheapest edge for each step."""
    nodes = [target]
    while nodes[-1] != source:
        nodes.append(int(pred[nodes[-1]]))
    nodes.reverse()
    found = graph.edges_along(np.array(nodes, dtype=np.int64), weight)
    assert found is not None  # consecutive nodes of a shortest-path tree are joined by an edge
    edge_arr = found
    return Route(
        nodes=np.array(nodes, dtype=np.int64),
        edges=edge_arr,
        length_m=float(graph.length_m[edge_arr].sum()),
        travel_time_s=float(graph.travel_time_s[edge_arr].sum()),
    )


def alternatives(
    graph: RoadGraph,
    source: int,
    target: int,
    *,
    k: int = 3,
    metric: Metric = "time",
    weight: NDArray[np.float64] | None = None,
    penalty: float = 1.5,
    max_stretch: float = 1.6,
) -> list[Route]:
    """Up to `k` distinct routes by the penalty method: each route found makes its edges
    `penalty` times dearer for the next search. Routes more than `max_stretch` times the
    best one's cost are dropped (nobody would take them)."""
    base = base_weight(graph, metric) if weight is None else weight
    current = base.copy()
    found: list[Route] = []
    seen: set[bytes] = set()
    for _ in range(4 * k):
        try:
            candidate = route(graph, source, target, metric=metric, weight=current)
        except RoutingError:
            break
        key = candidate.nodes.tobytes()
        cost = float(base[candidate.edges].sum())
        if found and cost > max_stretch * float(base[found[0].edges].sum()):
            break
        if key not in seen:
            seen.add(key)
            found.append(candidate)
            if len(found) == k:
                break
        current[candidate.edges] *= penalty
    if not found:
        raise RoutingError("no route between these points")
    return found


def route_coordinates(graph: RoadGraph, r: Route) -> list[list[float]]:
    """[lon, lat] pairs along the route's full geometry."""
    coords: list[list[float]] = []
    for edge in r.edges:
        lon, lat = graph.edge_geometry(int(edge))
        pts = [[round(float(x), 6), round(float(y), 6)] for x, y in zip(lon, lat, strict=True)]
        coords.extend(pts[1:] if coords else pts)
    if not coords and r.nodes.size:
        n = int(r.nodes[0])
        coords.append([float(graph.lon[n]), float(graph.lat[n])])
    return coords
