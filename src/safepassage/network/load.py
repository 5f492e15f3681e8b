"""Load any supported road network file, through an on-disk cache keyed by the file's hash."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from safepassage.errors import InputFileError, require_file
from safepassage.network.clip import ClipArea
from safepassage.network.graph import RoadGraph
from safepassage.network.matsim import graph_from_matsim
from safepassage.network.osm import OSM_SUFFIXES, graph_from_osm
from safepassage.settings import get_settings

log = logging.getLogger(__name__)

#: Bump when a reader's output changes, so old cache entries are not reused.
READER_VERSION = 4  # 4: OSM graphs keep way names (meta["way_names"])
MATSIM_SUFFIXES = (".xml", ".xml.gz")


def network_kind(path: Path) -> str:
    """'osm' or 'matsim', from the file name (and, for plain .xml, its first bytes)."""
    name = path.name.lower()
    if name.endswith((".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2")):
        return "osm"
    if name.endswith(MATSIM_SUFFIXES):
        return "matsim" if _is_matsim(path) else "osm"
    raise InputFileError.at(
        path,
        "unknown road network format",
        f"use an OpenStreetMap file ({', '.join(OSM_SUFFIXES)}) or a MATSim network (.xml, .xml.gz)",
    )


def _is_matsim(path: Path) -> bool:
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(2048)
    except OSError:
        return True
    return b"<network" in head


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes (streamed)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def load_network(
    path: str | Path,
    *,
    crs: str | None = None,
    clip: ClipArea | None = None,
    capacity_overrides: dict[str, float] | None = None,
    use_cache: bool | None = None,
) -> RoadGraph:
    """Read a road network (OSM or MATSim); a second load of the same input comes from cache."""
    path = require_file(path)
    kind = network_kind(path)
    settings = get_settings()
    use_cache = settings.use_cache if use_cache is None else use_cache
    options = json.dumps(
        [
            READER_VERSION,
            kind,
            crs,
            clip.cache_key() if clip else None,
            sorted((capacity_overrides or {}).items()),
        ]
    )
    key = hashlib.sha256((file_digest(path) + options).encode()).hexdigest()[:24]
    cached = settings.cache_dir / f"{path.name}.{key}.npz"
    if use_cache and cached.exists():
        try:
            return RoadGraph.load(cached)
        except (OSError, ValueError, KeyError) as exc:  # a damaged cache entry is rebuilt
            log.warning("ignoring damaged cache entry %s: %s", cached, exc)
    if kind == "osm":
        graph = graph_from_osm(path, clip=clip, capacity_overrides=capacity_overrides)
    else:
        graph = graph_from_matsim(path, crs=crs)
    if use_cache:
        _store(graph, cached)
    return graph


def _store(graph: RoadGraph, cached: Path) -> None:
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        graph.save(cached)
    except OSError as exc:  # a read-only cache must not stop the work
        log.warning("could not write network cache %s: %s", cached, exc)
