"""Export a road graph as GeoJSON (one LineString per edge, two-way roads once)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from safepassage.network.graph import RoadGraph
from safepassage.network.tags import HIGHWAY_CLASSES


def graph_features(graph: RoadGraph) -> list[dict[str, Any]]:
    """GeoJSON features for the graph's edges; a two-way road is one feature with `oneway: false`."""
    lo = np.minimum(graph.geom_start, graph.geom_end)
    hi = np.maximum(graph.geom_start, graph.geom_end)
    key = np.column_stack((lo, hi, graph.way_id))
    _, first, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
    features = []
    for edge, count in zip(first.tolist(), counts.tolist(), strict=True):
        lon, lat = graph.edge_geometry(edge)
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [
                        [round(float(x), 6), round(float(y), 6)]
                        for x, y in zip(lon, lat, strict=True)
                    ],
                },
                "properties": {
                    "way_id": int(graph.way_id[edge]),
                    "highway": HIGHWAY_CLASSES[int(graph.highway[edge])],
                    "length_m": round(float(graph.length_m[edge]), 1),
                    "speed_kmh": round(
                        float(graph.length_m[edge] / graph.travel_time_s[edge] * 3.6), 1
                    )
                    if graph.travel_time_s[edge] > 0
                    else None,
                    "lanes": int(graph.lanes[edge]),
                    "capacity_vph": round(float(graph.capacity_vph[edge]), 1),
                    "oneway": count == 1,
                },
            }
        )
    return features


def write_geojson(graph: RoadGraph, out: Path) -> int:
    """Write the graph to `out`; returns the number of features."""
    features = graph_features(graph)
    collection = {
        "type": "FeatureCollection",
        "features": features,
        "properties": {
            "attribution": graph.meta.get("attribution"),
            "source": graph.meta.get("source"),
        },
    }
    out.write_text(json.dumps(collection, separators=(",", ":")))
    return len(features)
