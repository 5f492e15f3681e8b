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


def network_summary(graph: RoadGraph) -> dict[str, Any]:
    """Nodes, edges, km of road by class (each two-way road counted once), bbox, components."""
    weak_n, weak = connected_components(graph.time_matrix, directed=True, connection="weak")
    strong_n, strong = connected_components(graph.time_matrix, directed=True, connection="strong")
    # A two-way road appears as two edges with the same geometry: count its length once.
    lo = np.minimum(graph.geom_start, graph.geom_end)
    _, once = np.unique(np.column_stack((lo, graph.way_id)), axis=0, return_index=True)
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
