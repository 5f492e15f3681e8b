"""Snap coordinates to the nearest network node."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from safepassage.network.geo import EARTH_RADIUS_M, unit_vectors
from safepassage.network.graph import RoadGraph


@dataclass(frozen=True)
class Snap:
    """Nearest nodes to a set of points, with the great-circle distance to each."""

    node: NDArray[np.int64]
    distance_m: NDArray[np.float64]


@lru_cache(maxsize=8)
def _tree(graph: RoadGraph, allowed_key: bytes | None) -> tuple[cKDTree, NDArray[np.int64]]:
    nodes = np.arange(graph.n_nodes, dtype=np.int64)
    if allowed_key is not None:
        nodes = np.frombuffer(allowed_key, dtype=np.int64)
    return cKDTree(unit_vectors(graph.lon[nodes], graph.lat[nodes])), nodes


def snap(
    graph: RoadGraph,
    lat: ArrayLike,
    lon: ArrayLike,
    *,
    among: NDArray[np.int64] | None = None,
) -> Snap:
    """The nearest node (optionally among `among`) to each (lat, lon)."""
    if graph.n_nodes == 0:
        raise ValueError("cannot snap to an empty graph")
    key = None if among is None else np.ascontiguousarray(among, dtype=np.int64).tobytes()
    tree, nodes = _tree(graph, key)
    chord, index = tree.query(unit_vectors(np.atleast_1d(lon), np.atleast_1d(lat)))
    distance = 2 * EARTH_RADIUS_M * np.arcsin(np.clip(np.asarray(chord) / 2, 0.0, 1.0))
    return Snap(node=nodes[np.asarray(index)], distance_m=np.asarray(distance))
