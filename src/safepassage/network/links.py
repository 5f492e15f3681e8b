"""Corridor-scale networks: a few named places joined by links of known length."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safepassage.network.capacity import capacity_table
from safepassage.network.graph import RoadGraph, build_graph, straight_geometry
from safepassage.network.tags import CLASS_INDEX


@dataclass(frozen=True)
class LinkSpec:
    """One road between node `source` and node `target` (indices), both ways unless `oneway`."""

    source: int
    target: int
    length_m: float
    speed_kmh: float
    lanes: int
    capacity_vph: float | None
    road: str
    oneway: bool


def graph_from_links(
    names: list[str], lat: list[float], lon: list[float], links: list[LinkSpec], *, source: str
) -> RoadGraph:
    """A RoadGraph whose nodes are the named places; `meta['node_names']` keeps the names."""
    per_lane = capacity_table()
    rows: list[tuple[float, ...]] = []
    for i, link in enumerate(links):
        cls = CLASS_INDEX.get(link.road, CLASS_INDEX["other"])
        capacity = (
            link.capacity_vph if link.capacity_vph is not None else link.lanes * per_lane[cls]
        )
        pairs = [(link.source, link.target)] + ([] if link.oneway else [(link.target, link.source)])
        for a, b in pairs:
            rows.append((a, b, link.length_m, link.speed_kmh, capacity, link.lanes, cls, i))
    table = np.array(rows, dtype=np.float64).reshape(-1, 8)
    u, v = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
    lon_a, lat_a = np.array(lon, dtype=np.float64), np.array(lat, dtype=np.float64)
    return build_graph(
        node_id=np.arange(len(names), dtype=np.int64),
        lon=lon_a,
        lat=lat_a,
        source=u,
        target=v,
        length_m=table[:, 2],
        speed_kmh=table[:, 3],
        capacity_vph=table[:, 4],
        lanes=table[:, 5].astype(np.int16),
        highway=table[:, 6].astype(np.uint8),
        way_id=table[:, 7].astype(np.int64),
        **straight_geometry(lon_a, lat_a, u, v),
        meta={
            "source": source,
            "format": "links",
            "node_names": names,
            "attribution": "scenario links",
        },
    )
