"""Read MATSim network files (v1 and v2, .xml or .xml.gz), reprojected to WGS84."""

from __future__ import annotations

import gzip
import typing
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from safepassage.errors import InputFileError, require_file
from safepassage.network.graph import RoadGraph, build_graph, straight_geometry
from safepassage.network.tags import CLASS_INDEX, HIGHWAY_CLASSES


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return typing.cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _seconds(text: str) -> float:
    """MATSim durations: `HH:MM:SS` or plain seconds."""
    if ":" in text:
        parts = [float(p) for p in text.split(":")]
        while len(parts) < 3:
            parts.insert(0, 0.0)
        return parts[0] * 3600 + parts[1] * 60 + parts[2]
    return float(text)


class _Reader:
    """Collects nodes and car links while streaming the XML."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.node_index: dict[str, int] = {}
        self.x: list[float] = []
        self.y: list[float] = []
        self.link_rows: list[tuple[str, str, str, float, float, float, float, str]] = []
        self.capperiod_s = 3600.0
        self.crs: str | None = None

    def read(self) -> None:
        try:
            with _open(self.path) as handle:
                for _, elem in ET.iterparse(handle, events=("end",)):
                    self._element(elem)
        except (ET.ParseError, OSError, EOFError) as exc:
            raise InputFileError.at(
                self.path, f"not a readable MATSim network XML: {exc}"
            ) from None

    def _element(self, elem: ET.Element) -> None:
        tag = elem.tag
        if tag == "node":
            self._node(elem)
        elif tag == "link":
            self._link(elem)
            elem.clear()
        elif tag == "links":
            period = elem.get("capperiod")
            if period:
                self.capperiod_s = _seconds(period)
        elif tag == "attribute" and elem.get("name") == "coordinateReferenceSystem":
            self.crs = self.crs or (elem.text or "").strip() or None

    def _node(self, elem: ET.Element) -> None:
        node_id, x, y = elem.get("id"), elem.get("x"), elem.get("y")
        if node_id is None or x is None or y is None:
            raise InputFileError.at(
                self.path,
                f"node {node_id!r} has no coordinates (x, y)",
                "safepassage needs node coordinates to place origins and checkpoints",
            )
        self.node_index[node_id] = len(self.x)
        self.x.append(float(x))
        self.y.append(float(y))
        elem.clear()

    def _link(self, elem: ET.Element) -> None:
        modes = elem.get("modes", "car")
        if "car" not in modes.split(","):
            return
        link_type = "other"
        origin_id = ""
        for attr in elem.iter("attribute"):
            name = attr.get("name")
            if name in ("osm:way:highway", "type") and attr.text in CLASS_INDEX:
                link_type = attr.text
            elif name in ("origid", "osm:way:id") and attr.text:
                origin_id = attr.text.strip()
        get = elem.get
        self.link_rows.append(
            (
                origin_id or get("id", ""),
                get("from", ""),
                get("to", ""),
                float(get("length", "0")),
                float(get("freespeed", "0")),
                float(get("capacity", "0")),
                float(get("permlanes", "1")),
                link_type,
            )
        )


def graph_from_matsim(path: str | Path, *, crs: str | None = None) -> RoadGraph:
    """Read the car links of a MATSim network, keeping capacity, freespeed and lanes."""
    path = require_file(path)
    reader = _Reader(path)
    reader.read()
    if not reader.link_rows:
        raise InputFileError.at(
            path, "no car links found", "is this a MATSim network file (<network><links>)?"
        )
    source_crs = crs or reader.crs or _looks_like_lonlat(reader)
    if source_crs is None:
        raise InputFileError.at(
            path,
            "the file does not say its coordinate system",
            "pass it explicitly, e.g. crs: EPSG:28355",
        )
    lon, lat = _to_wgs84(path, source_crs, np.array(reader.x), np.array(reader.y))
    return _build(reader, path, lon, lat, source_crs)


def _looks_like_lonlat(reader: _Reader) -> str | None:
    """EPSG:4326 when every coordinate is a plausible longitude/latitude, else None."""
    x, y = np.array(reader.x), np.array(reader.y)
    if x.size and np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90):
        return "EPSG:4326"
    return None


def _to_wgs84(path: Path, crs: str, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        transformer = Transformer.from_crs(
            CRS.from_user_input(crs), CRS.from_epsg(4326), always_xy=True
        )
    except CRSError:
        raise InputFileError.at(
            path, f"unknown coordinate system {crs!r}", "use an EPSG code such as EPSG:28355"
        ) from None
    lon, lat = transformer.transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def _build(reader: _Reader, path: Path, lon: np.ndarray, lat: np.ndarray, crs: str) -> RoadGraph:
    rows = reader.link_rows
    try:
        u = np.array([reader.node_index[r[1]] for r in rows], dtype=np.int64)
        v = np.array([reader.node_index[r[2]] for r in rows], dtype=np.int64)
    except KeyError as exc:
        raise InputFileError.at(path, f"a link refers to unknown node {exc}") from None
    length = np.array([r[3] for r in rows], dtype=np.float64)
    freespeed_ms = np.array([r[4] for r in rows], dtype=np.float64)
    lanes = np.maximum(np.rint([r[6] for r in rows]), 1).astype(np.int16)
    capacity_vph = np.array([r[5] for r in rows], dtype=np.float64) * 3600.0 / reader.capperiod_s
    highway = np.array([CLASS_INDEX[r[7]] for r in rows], dtype=np.uint8)
    node_ids = _numeric_ids(list(reader.node_index))
    link_ids = _numeric_ids([r[0] for r in rows])
    return build_graph(
        node_id=node_ids,
        lon=lon,
        lat=lat,
        source=u,
        target=v,
        length_m=np.maximum(length, 0.0),
        speed_kmh=np.maximum(freespeed_ms * 3.6, 1.0),
        capacity_vph=capacity_vph,
        lanes=lanes,
        highway=highway,
        way_id=link_ids,
        **straight_geometry(lon, lat, u, v),
        meta={
            "source": path.name,
            "format": "matsim",
            "crs": crs,
            "classes": list(HIGHWAY_CLASSES),
            "attribution": "MATSim network; see its source for licence",
        },
    )


def _numeric_ids(ids: list[str]) -> np.ndarray:
    """Ids as int64 when all are integers, else their position (MATSim ids are strings)."""
    try:
        return np.array([int(i) for i in ids], dtype=np.int64)
    except ValueError:
        return np.arange(len(ids), dtype=np.int64)


def declared_crs(path: str | Path) -> str | None:
    """The coordinate system a MATSim file states (`coordinateReferenceSystem` attribute before
    its nodes or persons), or None; reads only the head of the file."""
    path = require_file(path)
    try:
        with _open(path) as handle:
            for _, elem in ET.iterparse(handle, events=("end",)):
                if elem.tag in ("node", "person", "link"):
                    return None
                if elem.tag == "attribute" and elem.get("name") == "coordinateReferenceSystem":
                    return (elem.text or "").strip() or None
    except (ET.ParseError, OSError, EOFError) as exc:
        raise InputFileError.at(path, f"not a readable MATSim XML: {exc}") from None
    return None
