"""RoadGraph: a road network as immutable numpy arrays in CSR order."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Shortest-path solvers treat a zero weight as "no edge"; real zero-length edges get this.
MIN_WEIGHT = 1e-6
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A directed road graph. Edges are sorted by source node; `indptr` indexes them (CSR).

    Edge geometry lives in the flat `geom_lon`/`geom_lat` arrays: edge `e` runs over the
    positions `geom_start[e]` to `geom_end[e]` inclusive, backwards when start > end (the
    reverse edge of a two-way road shares its geometry with the forward one).
    """

    node_id: IntArray
    lon: FloatArray
    lat: FloatArray
    indptr: IntArray
    edge_source: IntArray
    edge_target: IntArray
    length_m: FloatArray
    travel_time_s: FloatArray
    capacity_vph: FloatArray
    lanes: NDArray[np.int16]
    highway: NDArray[np.uint8]
    way_id: IntArray
    geom_start: IntArray
    geom_end: IntArray
    geom_lon: FloatArray
    geom_lat: FloatArray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    @property
    def n_nodes(self) -> int:
        return int(self.node_id.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_target.shape[0])

    def edge_geometry(self, edge: int) -> tuple[FloatArray, FloatArray]:
        """(lon, lat) arrays of the edge's shape, from its source to its target."""
        start, end = int(self.geom_start[edge]), int(self.geom_end[edge])
        if start <= end:
            return self.geom_lon[start : end + 1], self.geom_lat[start : end + 1]
        return self.geom_lon[end : start + 1][::-1], self.geom_lat[end : start + 1][::-1]

    def out_edges(self, node: int) -> range:
        """Indices of the edges leaving `node`."""
        return range(int(self.indptr[node]), int(self.indptr[node + 1]))

    def matrix(self, weight: FloatArray) -> csr_matrix:
        """A sparse matrix with the least `weight` over parallel edges (csgraph input)."""
        w = np.maximum(np.asarray(weight, dtype=np.float64), MIN_WEIGHT)
        finite = np.isfinite(w)
        src, dst, w = self.edge_source[finite], self.edge_target[finite], w[finite]
        if not self._has_parallel_edges:
            return csr_matrix((w, (src, dst)), shape=(self.n_nodes, self.n_nodes))
        return least_weight_matrix(src, dst, w, self.n_nodes)

    @cached_property
    def _has_parallel_edges(self) -> bool:
        key = self.edge_source * self.n_nodes + self.edge_target
        return bool(np.unique(key).shape[0] != key.shape[0])

    @cached_property
    def time_matrix(self) -> csr_matrix:
        """Fastest-path weights (seconds), built once per graph."""
        return self.matrix(self.travel_time_s)

    @cached_property
    def length_matrix(self) -> csr_matrix:
        """Shortest-path weights (metres), built once per graph."""
        return self.matrix(self.length_m)

    def edges_along(self, nodes: IntArray, weight: FloatArray) -> IntArray | None:
        """The cheapest edge (under `weight`) for each step of a node path; None if a step
        has no edge. Looks only at the out-edges of the path's nodes (vectorised)."""
        if nodes.shape[0] < 2:
            return np.zeros(0, dtype=np.int64)
        u, v = nodes[:-1], nodes[1:]
        starts, lengths = self.indptr[u], self.indptr[u + 1] - self.indptr[u]
        if np.any(lengths == 0):
            return None
        firsts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        edge = np.arange(int(lengths.sum())) - np.repeat(firsts - starts, lengths)
        match = self.edge_target[edge] == np.repeat(v, lengths)
        if not np.logical_or.reduceat(match, firsts).all():
            return None
        cost = np.where(match, weight[edge], np.inf)
        best = np.repeat(np.minimum.reduceat(cost, firsts), lengths)
        pick = np.flatnonzero(match & (cost == best))
        segment = np.searchsorted(firsts, pick, side="right") - 1
        first_hit = np.ones(pick.shape[0], dtype=bool)  # the first cheapest edge per step
        first_hit[1:] = segment[1:] != segment[:-1]
        return np.asarray(edge[pick[first_hit]], dtype=np.int64)

    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat) of the nodes."""
        if self.n_nodes == 0:
            return (0.0, 0.0, 0.0, 0.0)
        return (
            float(self.lon.min()),
            float(self.lat.min()),
            float(self.lon.max()),
            float(self.lat.max()),
        )

    def save(self, path: Path) -> None:
        """Write the graph as an uncompressed .npz (fast to load)."""
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "meta"}
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, meta=np.array(json.dumps(self.meta)), **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> RoadGraph:
        """Read a graph written by `save`."""
        with np.load(path, allow_pickle=False) as data:
            kwargs: dict[str, Any] = {f.name: data[f.name] for f in fields(cls) if f.name != "meta"}
            kwargs["meta"] = json.loads(str(data["meta"]))
        return cls(**kwargs)


class EdgeLookup:
    """The cheapest edge for any (source, target) pair under one weighting, by binary search.
    Built once (a sort of all edges) for many paths; for one path, `RoadGraph.edges_along`
    is cheaper. Both pick the same edge (the first cheapest in CSR order)."""

    def __init__(self, graph: RoadGraph, weight: FloatArray) -> None:
        n = graph.n_nodes
        key = graph.edge_source * n + graph.edge_target
        order = np.lexsort((weight, key))
        key = key[order]
        first = np.ones(key.shape[0], dtype=bool)
        first[1:] = key[1:] != key[:-1]
        self.keys = key[first]
        self.edges = order[first]
        self.n = n

    def __call__(self, nodes: IntArray) -> IntArray | None:
        """The edge for each step of a node path; None if a step has no edge."""
        if nodes.shape[0] < 2:
            return np.zeros(0, dtype=np.int64)
        wanted = nodes[:-1] * self.n + nodes[1:]
        pos = np.minimum(np.searchsorted(self.keys, wanted), self.keys.shape[0] - 1)
        if not np.array_equal(self.keys[pos], wanted):
            return None
        return np.asarray(self.edges[pos], dtype=np.int64)


def build_graph(
    *,
    node_id: IntArray,
    lon: FloatArray,
    lat: FloatArray,
    source: IntArray,
    target: IntArray,
    length_m: FloatArray,
    speed_kmh: FloatArray,
    capacity_vph: FloatArray,
    lanes: NDArray[np.int16],
    highway: NDArray[np.uint8],
    way_id: IntArray,
    geom_start: IntArray,
    geom_end: IntArray,
    geom_lon: FloatArray,
    geom_lat: FloatArray,
    meta: dict[str, Any],
) -> RoadGraph:
    """Sort edges by source, build the CSR index and derive travel times."""
    order = np.lexsort((target, source))
    counts = np.bincount(source, minlength=node_id.shape[0])
    indptr = np.zeros(node_id.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    length_sorted = length_m[order].astype(np.float64)
    travel_time_s = length_sorted / (speed_kmh[order] / 3.6)
    return RoadGraph(
        node_id=node_id.astype(np.int64),
        lon=lon.astype(np.float64),
        lat=lat.astype(np.float64),
        indptr=indptr,
        edge_source=source[order].astype(np.int64),
        edge_target=target[order].astype(np.int64),
        length_m=length_sorted,
        travel_time_s=travel_time_s,
        capacity_vph=capacity_vph[order].astype(np.float64),
        lanes=lanes[order].astype(np.int16),
        highway=highway[order].astype(np.uint8),
        way_id=way_id[order].astype(np.int64),
        geom_start=geom_start[order].astype(np.int64),
        geom_end=geom_end[order].astype(np.int64),
        geom_lon=geom_lon.astype(np.float64),
        geom_lat=geom_lat.astype(np.float64),
        meta=meta,
    )


def straight_geometry(
    lon: FloatArray, lat: FloatArray, source: IntArray, target: IntArray
) -> dict[str, NDArray[Any]]:
    """Geometry arrays for edges drawn as straight lines (MATSim links, corridor links)."""
    m = source.shape[0]
    geom_lon = np.empty(2 * m)
    geom_lat = np.empty(2 * m)
    geom_lon[0::2], geom_lon[1::2] = lon[source], lon[target]
    geom_lat[0::2], geom_lat[1::2] = lat[source], lat[target]
    start = np.arange(0, 2 * m, 2, dtype=np.int64)
    return {"geom_start": start, "geom_end": start + 1, "geom_lon": geom_lon, "geom_lat": geom_lat}


def least_weight_matrix(
    src: NDArray[np.int64], dst: NDArray[np.int64], weight: FloatArray, n_nodes: int
) -> csr_matrix:
    """Arcs as a sparse matrix for shortest paths, keeping the least weight of parallel arcs
    (a sparse matrix would add them up). Weights must be positive: SciPy reads a stored zero
    as no arc."""
    order = np.lexsort((weight, dst, src))
    src, dst, weight = src[order], dst[order], np.asarray(weight)[order]
    first = np.ones(src.shape[0], dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    return csr_matrix((weight[first], (src[first], dst[first])), shape=(n_nodes, n_nodes))
