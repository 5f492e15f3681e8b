"""Read OpenStreetMap files (.osm.pbf, .osm, .osm.gz, .osm.bz2) into a junction RoadGraph.

One streaming pass with pyosmium: node locations go into an index (in memory, or in a file for
very large extracts), drivable ways are read with their coordinates and flushed in chunks to
numpy (clipped on the way), then simplified to a graph whose nodes are junctions and way ends
and whose edges keep their true length and full geometry.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import typing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium
from numpy.typing import NDArray

from safepassage.errors import InputFileError, require_file
from safepassage.network.capacity import capacity_table
from safepassage.network.clip import ClipArea
from safepassage.network.geo import haversine_m
from safepassage.network.graph import OSM_ATTRIBUTION, RoadGraph, build_graph
from safepassage.network.tags import (
    CLASS_INDEX,
    DRIVABLE,
    RELEVANT_KEYS,
    is_drivable,
    lanes_per_direction,
    oneway_direction,
    speed_kmh,
)
from safepassage.settings import get_settings

#: Tags read for the names people know a road by (kept in the graph's meta, not in the rules).
NAME_KEYS = ("name", "ref")
OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2", ".xml")
#: Above this size the node-location index lives in a temporary file, not in memory.
LARGE_FILE_BYTES = 400 * 1024 * 1024
_CHUNK_POSITIONS = 2_000_000


@dataclass
class _Chunk:
    """Positions of consecutive way pieces; `first` marks where each piece starts."""

    refs: NDArray[np.int64]
    first: NDArray[np.bool_]
    way: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]


@dataclass
class _Ways:
    """Drivable ways read so far: per-way attributes, and per-position coordinates in chunks."""

    clip: ClipArea | None
    way_id: list[int] = field(default_factory=list)
    highway: list[int] = field(default_factory=list)
    speed_kmh: list[float] = field(default_factory=list)
    lanes_fwd: list[int] = field(default_factory=list)
    lanes_bwd: list[int] = field(default_factory=list)
    oneway: list[int] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # way id -> name (or ref), named only
    refs: list[int] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    way: list[int] = field(default_factory=list)
    first: list[bool] = field(default_factory=list)
    chunks: list[_Chunk] = field(default_factory=list)

    def add(self, way: osmium.osm.Way, tags: dict[str, str], highway: str) -> None:
        index = len(self.way_id)
        self._add_attributes(way.id, tags, highway)
        nodes = way.nodes
        try:  # fast path: every node has a location (the usual case)
            refs = [node.ref for node in nodes]
            locations = [node.location for node in nodes]
            lons = [loc.lon for loc in locations]
            lats = [loc.lat for loc in locations]
        except osmium.InvalidLocationError:
            self._add_broken(index, nodes)
            return
        self._add_piece(index, refs, lons, lats)

    def _add_broken(self, index: int, nodes: osmium.osm.WayNodeList) -> None:
        """A way with nodes missing from the extract: it breaks into pieces at each gap."""
        refs: list[int] = []
        lons: list[float] = []
        lats: list[float] = []
        for node in nodes:
            loc = node.location
            if not loc.valid():
                self._add_piece(index, refs, lons, lats)
                refs, lons, lats = [], [], []
                continue
            refs.append(node.ref)
            lons.append(loc.lon)
            lats.append(loc.lat)
        self._add_piece(index, refs, lons, lats)

    def _add_piece(self, index: int, refs: list[int], lons: list[float], lats: list[float]) -> None:
        if len(refs) < 2:
            return
        self.refs.extend(refs)
        self.lon.extend(lons)
        self.lat.extend(lats)
        self.way.extend([index] * len(refs))
        self.first.append(True)
        self.first.extend([False] * (len(refs) - 1))
        if len(self.refs) >= _CHUNK_POSITIONS:
            self.flush()

    def _add_attributes(self, way_id: int, tags: dict[str, str], highway: str) -> None:
        oneway = oneway_direction(tags)
        fwd, bwd = lanes_per_direction(tags, highway, oneway)
        self.way_id.append(way_id)
        name = tags.get("name") or tags.get("ref")
        if name:
            self.names[way_id] = name
        self.highway.append(CLASS_INDEX[highway])
        self.speed_kmh.append(speed_kmh(tags, highway))
        self.lanes_fwd.append(fwd)
        self.lanes_bwd.append(bwd)
        self.oneway.append(oneway)

    def flush(self) -> None:
        """Move the Python lists into a numpy chunk, clipping it (this bounds memory)."""
        if not self.refs:
            return
        chunk = _Chunk(
            refs=np.array(self.refs, dtype=np.int64),
            first=np.array(self.first, dtype=bool),
            way=np.array(self.way, dtype=np.int64),
            lon=np.array(self.lon, dtype=np.float64),
            lat=np.array(self.lat, dtype=np.float64),
        )
        self.refs, self.lon, self.lat, self.way, self.first = [], [], [], [], []
        if self.clip is not None:
            chunk = _clip(self.clip, chunk)
        self.chunks.append(chunk)

    def extend(self, other: _Ways) -> None:
        """Append the ways read by another reader (its chunks' way indices are shifted)."""
        offset = len(self.way_id)
        self.names.update(other.names)
        for name in ("way_id", "highway", "speed_kmh", "lanes_fwd", "lanes_bwd", "oneway"):
            getattr(self, name).extend(getattr(other, name))
        for chunk in other.chunks:
            chunk.way += offset
            self.chunks.append(chunk)

    def positions(self) -> int:
        return sum(c.refs.shape[0] for c in self.chunks)


def _clip(area: ClipArea, chunk: _Chunk) -> _Chunk:
    """Keep the inside positions; a way leaving and re-entering the area becomes two pieces."""
    inside = area.contains(chunk.lon, chunk.lat)
    first = chunk.first.copy()
    first[1:] |= ~inside[:-1]
    kept = np.flatnonzero(inside)
    first = first[kept]
    piece = np.cumsum(first) - 1
    long_enough = np.bincount(piece)[piece] >= 2 if piece.size else np.zeros(0, dtype=bool)
    idx = kept[long_enough]
    return _Chunk(
        chunk.refs[idx], first[long_enough], chunk.way[idx], chunk.lon[idx], chunk.lat[idx]
    )


def _relevant_tags(taglist: osmium.osm.TagList) -> dict[str, str]:
    """The tags the network needs. Asking for each key is about twice as fast as iterating
    over all tags in pyosmium, and most keys are absent."""
    get = taglist.get
    found = {key: get(key) for key in (*RELEVANT_KEYS, *NAME_KEYS)}
    return {k: v for k, v in found.items() if v is not None}


def _location_storage(path: Path) -> tuple[str, tempfile.TemporaryDirectory[str] | None]:
    if path.stat().st_size < LARGE_FILE_BYTES:
        return "flex_mem", None
    tmp = tempfile.TemporaryDirectory(prefix="safepassage-nodes-")
    return f"sparse_file_array,{tmp.name}/nodes.idx", tmp


def _read_ways(path: Path, clip: ClipArea | None, part: int = 0, parts: int = 1) -> _Ways:
    """Read the drivable ways whose id modulo `parts` is `part` (all of them by default)."""
    storage, tmp = _location_storage(path)
    ways = _Ways(clip=clip)
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations(storage)
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            if parts > 1 and way.id % parts != part:
                continue
            highway = way.tags.get("highway")
            if highway not in DRIVABLE:
                continue
            tags = _relevant_tags(way.tags)
            if is_drivable(tags):
                ways.add(typing.cast(osmium.osm.Way, way), tags, highway)
    except RuntimeError as exc:  # libosmium reports corrupt or truncated input this way
        raise InputFileError.at(
            path,
            f"cannot read this OpenStreetMap file: {exc}",
            "the file may be truncated or corrupt; download it again",
        ) from None
    finally:
        if tmp is not None:
            tmp.cleanup()
    ways.flush()
    return ways


def graph_from_osm(
    path: str | Path,
    *,
    clip: ClipArea | None = None,
    capacity_overrides: dict[str, float] | None = None,
) -> RoadGraph:
    """Read the drivable road network of an OpenStreetMap file as a junction graph."""
    path = require_file(path)
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise InputFileError.at(
            path, "not an OpenStreetMap file", f"expected one of {', '.join(OSM_SUFFIXES)}"
        )
    ways = _read_ways_parallel(path, clip)
    if ways.positions() == 0:
        raise InputFileError.at(
            path,
            "no drivable roads found",
            "is the file an extract of the right area, with highway=* ways?",
        )
    return _simplify(ways, capacity_overrides, source=path.name)


def _read_ways_parallel(path: Path, clip: ClipArea | None) -> _Ways:
    """Read with one process per core: each reads the whole file (the location index needs
    every node) but converts only its share of the ways, the slow part in Python. Files too
    large for an in-memory index are read by one process, to bound memory."""
    workers = min(get_settings().read_workers, os.cpu_count() or 1)
    fork = "fork" in multiprocessing.get_all_start_methods()
    if workers < 2 or not fork or path.stat().st_size >= LARGE_FILE_BYTES:
        return _read_ways(path, clip)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers - 1, mp_context=context) as pool:
        futures = [pool.submit(_read_ways, path, clip, part, workers) for part in range(1, workers)]
        merged = _read_ways(path, clip, 0, workers)
        for future in futures:
            merged.extend(future.result())
    return merged


def _simplify(ways: _Ways, capacity_overrides: dict[str, float] | None, source: str) -> RoadGraph:
    refs = np.concatenate([c.refs for c in ways.chunks])
    first = np.concatenate([c.first for c in ways.chunks])
    way = np.concatenate([c.way for c in ways.chunks])
    lon = np.concatenate([c.lon for c in ways.chunks])
    lat = np.concatenate([c.lat for c in ways.chunks])
    ways.chunks.clear()
    piece = np.cumsum(first)

    last = np.ones(refs.shape[0], dtype=bool)
    last[:-1] = first[1:]
    _, inverse = np.unique(refs, return_inverse=True)
    junction = (np.bincount(inverse)[inverse] >= 2) | first | last

    step = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    step[last[:-1]] = 0.0
    cum = np.concatenate(([0.0], np.cumsum(step)))

    j = np.flatnonzero(junction)
    a, b = j[:-1], j[1:]
    keep = (piece[a] == piece[b]) & (refs[a] != refs[b])
    a, b = a[keep], b[keep]
    seg_way = way[a]

    node_refs = np.unique(refs[j])
    first_pos = np.zeros(node_refs.shape[0], dtype=np.int64)
    first_pos[np.searchsorted(node_refs, refs[j[::-1]])] = j[::-1]
    u = np.searchsorted(node_refs, refs[a])
    v = np.searchsorted(node_refs, refs[b])

    oneway = np.array(ways.oneway, dtype=np.int8)[seg_way]
    fwd, bwd = oneway >= 0, oneway <= 0
    lanes_f = np.array(ways.lanes_fwd, dtype=np.int16)[seg_way]
    lanes_b = np.array(ways.lanes_bwd, dtype=np.int16)[seg_way]
    highway = np.array(ways.highway, dtype=np.uint8)[seg_way]
    speed = np.array(ways.speed_kmh, dtype=np.float64)[seg_way]
    way_ids = np.array(ways.way_id, dtype=np.int64)[seg_way]
    lanes = np.concatenate((lanes_f[fwd], lanes_b[bwd]))
    cls = np.concatenate((highway[fwd], highway[bwd]))
    return build_graph(
        node_id=node_refs,
        lon=lon[first_pos],
        lat=lat[first_pos],
        source=np.concatenate((u[fwd], v[bwd])),
        target=np.concatenate((v[fwd], u[bwd])),
        length_m=np.concatenate(((cum[b] - cum[a])[fwd], (cum[b] - cum[a])[bwd])),
        speed_kmh=np.concatenate((speed[fwd], speed[bwd])),
        capacity_vph=lanes * capacity_table(capacity_overrides)[cls],
        lanes=lanes,
        highway=cls,
        way_id=np.concatenate((way_ids[fwd], way_ids[bwd])),
        geom_start=np.concatenate((a[fwd], b[bwd])),
        geom_end=np.concatenate((b[fwd], a[bwd])),
        geom_lon=lon,
        geom_lat=lat,
        meta={
            "source": source,
            "format": "osm",
            "attribution": OSM_ATTRIBUTION,
            # Street names for people (JSON keys are strings; only the roads kept).
            "way_names": {
                str(w): ways.names[w] for w in np.unique(way_ids).tolist() if w in ways.names
            },
        },
    )
