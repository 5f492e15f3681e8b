"""Areas to avoid (hazards, closures): circles or polygons, optionally for a time interval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from numpy.typing import NDArray

from safepassage.network.geo import local_xy_m
from safepassage.network.graph import RoadGraph


@dataclass(frozen=True)
class Area:
    """A circle (`center` lat/lon and `radius_m`) or a polygon (`polygon` of lat/lon points).

    `start`/`end` bound when the area is dangerous; None means always.
    """

    center: tuple[float, float] | None = None
    radius_m: float = 0.0
    polygon: tuple[tuple[float, float], ...] | None = None
    start: datetime | None = None
    end: datetime | None = None
    label: str = ""

    def active(self, at: datetime | None) -> bool:
        """Whether the area is closed at `at` (always, when `at` is None)."""
        if at is None:
            return True
        return (self.start is None or self.start <= at) and (self.end is None or at < self.end)

    def active_during(self, start: datetime, end: datetime) -> bool:
        """Whether the area is closed at any time in [start, end)."""
        return (self.start is None or self.start < end) and (self.end is None or start < self.end)

    def _reference(self) -> tuple[float, float]:
        if self.center is not None:
            return self.center
        assert self.polygon is not None
        lats, lons = zip(*self.polygon, strict=True)
        return (float(np.mean(lats)), float(np.mean(lons)))

    def shape(self) -> tuple[shapely.Geometry, float, float]:
        """The area in local metres around its reference point, and that point (lat, lon)."""
        lat0, lon0 = self._reference()
        if self.center is not None:
            return shapely.Point(0.0, 0.0).buffer(self.radius_m, quad_segs=16), lat0, lon0
        assert self.polygon is not None
        lats = np.array([p[0] for p in self.polygon])
        lons = np.array([p[1] for p in self.polygon])
        x, y = local_xy_m(lons, lats, lon0, lat0)
        return shapely.Polygon(np.column_stack((x, y))), lat0, lon0


def edges_in_areas(graph: RoadGraph, areas: list[Area]) -> NDArray[np.bool_]:
    """Edges whose geometry touches any of `areas`."""
    hit = np.zeros(graph.n_edges, dtype=bool)
    if not areas or graph.n_edges == 0:
        return hit
    segment_hit = np.zeros(max(graph.geom_lon.shape[0] - 1, 0), dtype=bool)
    for area in areas:
        segment_hit |= _segments_in_area(graph, area)
    cum = np.concatenate(([0], np.cumsum(segment_hit)))
    lo = np.minimum(graph.geom_start, graph.geom_end)
    hi = np.maximum(graph.geom_start, graph.geom_end)
    return np.asarray((cum[hi] - cum[lo]) > 0)


def _segments_in_area(graph: RoadGraph, area: Area) -> NDArray[np.bool_]:
    polygon, lat0, lon0 = area.shape()
    x, y = local_xy_m(graph.geom_lon, graph.geom_lat, lon0, lat0)
    min_x, min_y, max_x, max_y = polygon.bounds
    x0, x1, y0, y1 = x[:-1], x[1:], y[:-1], y[1:]
    near = ~(
        (np.maximum(x0, x1) < min_x)
        | (np.minimum(x0, x1) > max_x)
        | (np.maximum(y0, y1) < min_y)
        | (np.minimum(y0, y1) > max_y)
    )
    result = np.zeros(x0.shape[0], dtype=bool)
    idx = np.flatnonzero(near)
    if idx.size:
        coords = np.stack(
            (np.column_stack((x0[idx], y0[idx])), np.column_stack((x1[idx], y1[idx]))), axis=1
        )
        segments = shapely.linestrings(coords)
        shapely.prepare(polygon)
        result[idx] = shapely.intersects(polygon, segments)
    return result
