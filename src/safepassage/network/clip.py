"""Clip areas: a bounding box or a polygon, tested on many points at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray


@dataclass(frozen=True)
class ClipArea:
    """Keep only roads inside this area: a box (min_lon, min_lat, max_lon, max_lat) or a polygon."""

    bbox: tuple[float, float, float, float] | None = None
    polygon_lonlat: tuple[tuple[float, float], ...] | None = None

    def contains(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        inside = np.ones(lon.shape[0], dtype=bool)
        if self.bbox is not None:
            min_lon, min_lat, max_lon, max_lat = self.bbox
            inside &= (lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & (lat <= max_lat)
        if self.polygon_lonlat is not None:
            polygon = shapely.Polygon(self.polygon_lonlat)
            shapely.prepare(polygon)
            inside &= shapely.contains_xy(polygon, lon, lat)
        return inside

    def cache_key(self) -> str:
        return repr((self.bbox, self.polygon_lonlat))


def parse_bbox(text: str) -> ClipArea:
    """`min_lon,min_lat,max_lon,max_lat` to a ClipArea (raises ValueError with the reason)."""
    parts = [float(p) for p in text.split(",")]
    if len(parts) != 4:
        raise ValueError("a bounding box is four numbers: min_lon,min_lat,max_lon,max_lat")
    min_lon, min_lat, max_lon, max_lat = parts
    if min_lon >= max_lon or min_lat >= max_lat:
        raise ValueError(
            "the box's minimum must be below its maximum (min_lon,min_lat,max_lon,max_lat)"
        )
    return ClipArea(bbox=(min_lon, min_lat, max_lon, max_lat))


def polygon_from_geojson(path: str) -> ClipArea:
    """The first Polygon (or MultiPolygon's first part) of a GeoJSON file as a ClipArea."""
    import json

    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    geometries = [data] if data.get("type") in ("Polygon", "MultiPolygon") else []
    if data.get("type") == "Feature":
        geometries = [data.get("geometry") or {}]
    if data.get("type") == "FeatureCollection":
        geometries = [f.get("geometry") or {} for f in data.get("features", [])]
    for geometry in geometries:
        if geometry.get("type") == "Polygon":
            ring = geometry["coordinates"][0]
        elif geometry.get("type") == "MultiPolygon":
            ring = geometry["coordinates"][0][0]
        else:
            continue
        return ClipArea(polygon_lonlat=tuple((float(x), float(y)) for x, y, *_ in ring))
    raise ValueError("no Polygon or MultiPolygon geometry found")
