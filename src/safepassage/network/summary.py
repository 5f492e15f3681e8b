"""Facts about a road graph for people and machines: size, road by class, extent, components."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components

from safepassage.network.graph import RoadGraph
from safepassage.network.tags import HIGHWAY_CLASSES


def largest_strong_component(graph: RoadGraph) -> np.ndarray:
    """Node indices of the largest strongly connected component (where every node reaches every other)."""
    _, labels = connected_components(graph.time_matrix, directed=True, connection="strong")
    return np.flatnonzero(labels == np.bincount(labels).argmax()).astype(np.int64)


def one_way_of_each_road(graph: RoadGraph) -> np.ndarray:
    """Mask of edges that count each road once. OSM: a two-way way's edges share one geometry.
    MATSim and scenario links: a two-way road is two links between the same nodes, one each
    way, of the same length (to the decimetre); between two nodes, with that length, there are
    as many roads as links in the busier direction."""
    if graph.meta.get("format") == "osm":
        lo = np.minimum(graph.geom_start, graph.geom_end)
        _, first = np.unique(np.column_stack((lo, graph.way_id)), axis=0, return_index=True)
        once = np.zeros(graph.n_edges, dtype=bool)
        once[first] = True
        return once
    u, v = graph.edge_source.astype(np.int64), graph.edge_target.astype(np.int64)
    length = np.rint(graph.length_m * 10).astype(np.int64)
    forward = u <= v
    keys = np.column_stack((np.minimum(u, v), np.maximum(u, v), length))
    _, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.ravel()
    fwd = np.bincount(group, weights=forward, minlength=group.max(initial=-1) + 1)
    bwd = np.bincount(group, weights=~forward, minlength=fwd.shape[0])
    return np.asarray(forward == (fwd >= bwd)[group])


def network_summary(graph: RoadGraph) -> dict[str, Any]:
    """Nodes, edges, km of road by class (each two-way road counted once), bbox, components."""
    weak_n, weak = connected_components(graph.time_matrix, directed=True, connection="weak")
    strong_n, strong = connected_components(graph.time_matrix, directed=True, connection="strong")
    once = np.flatnonzero(one_way_of_each_road(graph))
    km_by_class = np.bincount(
        graph.highway[once], weights=graph.length_m[once], minlength=len(HIGHWAY_CLASSES)
    )
    min_lon, min_lat, max_lon, max_lat = graph.bbox()
    return {
        "source": graph.meta.get("source"),
        "format": graph.meta.get("format"),
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "road_km": round(float(km_by_class.sum()) / 1000, 3),
        "road_km_by_class": {
            HIGHWAY_CLASSES[i]: round(float(km) / 1000, 3)
            for i, km in enumerate(km_by_class)
            if km > 0
        },
        "bbox": {"min_lon": min_lon, "min_lat": min_lat, "max_lon": max_lon, "max_lat": max_lat},
        "components": {
            "weak": int(weak_n),
            "strong": int(strong_n),
            "largest_weak_nodes": int(np.bincount(weak).max()) if graph.n_nodes else 0,
            "largest_strong_nodes": int(np.bincount(strong).max()) if graph.n_nodes else 0,
        },
        "attribution": graph.meta.get("attribution"),
    }
