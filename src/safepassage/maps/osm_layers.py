"""The basemap's layers read from an OSM extract: roads, places, water and boundaries, as
line-delimited GeoJSON features with the few properties the map style uses.

Each feature carries tippecanoe's `minzoom`, so minor roads and villages appear only when
zoomed in (tiles stay small at low zoom without dropping what matters there).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import osmium
import osmium.geom

ROAD_CLASSES = {
    "motorway": ("motorway", 5),
    "trunk": ("trunk", 5),
    "primary": ("primary", 7),
    "secondary": ("secondary", 9),
    "tertiary": ("tertiary", 10),
    "unclassified": ("minor", 12),
    "residential": ("minor", 12),
    "living_street": ("minor", 13),
    "service": ("service", 14),
}
PLACE_ZOOM = {"city": 4, "town": 7, "village": 10, "suburb": 11, "hamlet": 12, "quarter": 12}
WATERWAY_ZOOM = {"river": 8, "canal": 10, "stream": 13}
LANGUAGES = ("uk", "en", "ru")
LAYERS = ("roads", "places", "water", "boundaries")


def _names(tags: osmium.osm.TagList) -> dict[str, str]:
    out = {}
    if "name" in tags:
        out["name"] = tags["name"]
    for lang in LANGUAGES:
        if f"name:{lang}" in tags:
            out[f"name_{lang}"] = tags[f"name:{lang}"]
    return out


def _feature(geometry: str | dict[str, Any], props: dict[str, Any], minzoom: int) -> str:
    geom = json.loads(geometry) if isinstance(geometry, str) else geometry
    return json.dumps(
        {
            "type": "Feature",
            "geometry": geom,
            "properties": props,
            "tippecanoe": {"minzoom": minzoom},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


@dataclass
class LayerCounts:
    """How many features each layer got (reported by the CLI)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LAYERS, 0))


Emitted = tuple[str, str] | None  # (layer, feature line)


def _place(node: osmium.osm.Node, factory: osmium.geom.GeoJSONFactory) -> Emitted:
    place = node.tags.get("place") or ""
    if place not in PLACE_ZOOM or "name" not in node.tags:
        return None
    props: dict[str, Any] = {"place": place, **_names(node.tags)}
    population = node.tags.get("population") or ""
    if population.isdigit():
        props["population"] = int(population)
    return "places", _feature(factory.create_point(node), props, PLACE_ZOOM[place])


def _way(way: osmium.osm.Way, factory: osmium.geom.GeoJSONFactory) -> Emitted:
    highway = way.tags.get("highway") or ""
    base = highway.removesuffix("_link")
    if base in ROAD_CLASSES:
        cls, zoom = ROAD_CLASSES[base]
        props: dict[str, Any] = {"class": cls, **_names(way.tags)}
        if "ref" in way.tags:
            props["ref"] = way.tags["ref"]
        link = 1 if base != highway else 0  # ramps appear a zoom after their road
        return "roads", _feature(factory.create_linestring(way), props, zoom + link)
    if way.tags.get("natural") == "coastline":
        return "water", _feature(factory.create_linestring(way), {"class": "coastline"}, 4)
    kind = way.tags.get("waterway") or ""
    if kind in WATERWAY_ZOOM:
        props = {"class": kind, **_names(way.tags)}
        return "water", _feature(factory.create_linestring(way), props, WATERWAY_ZOOM[kind])
    return None


def _area(area: osmium.osm.Area, factory: osmium.geom.GeoJSONFactory) -> Emitted:
    tags = area.tags
    if (
        tags.get("natural") in ("water", "bay")
        or tags.get("waterway") == "riverbank"
        or tags.get("landuse") in ("reservoir", "basin")
    ):
        return "water", _feature(factory.create_multipolygon(area), {"class": "water"}, 6)
    level = tags.get("admin_level") or ""
    if tags.get("boundary") == "administrative" and level.isdigit() and int(level) <= 8:
        props = {"admin_level": int(level), **_names(tags)}
        zoom = 2 if int(level) <= 4 else 8
        return "boundaries", _feature(factory.create_multipolygon(area), props, zoom)
    return None


def write_layers(osm: Path, out: Mapping[str, TextIO]) -> LayerCounts:
    """Read `osm` once (with areas) and write each layer's features, one per line, to `out`."""
    factory = osmium.geom.GeoJSONFactory()
    counts = LayerCounts()
    for obj in _objects(osm):
        try:
            if isinstance(obj, osmium.osm.Node):
                emitted = _place(obj, factory)
            elif isinstance(obj, osmium.osm.Way):
                emitted = _way(obj, factory)
            elif isinstance(obj, osmium.osm.Area):
                emitted = _area(obj, factory)
            else:
                emitted = None
        except (osmium.InvalidLocationError, RuntimeError):
            continue  # a way cut at the extract's edge or a broken multipolygon: leave it out
        if emitted:
            out[emitted[0]].write(emitted[1] + "\n")
            counts.counts[emitted[0]] += 1
    return counts


def _objects(osm: Path) -> Iterator[Any]:
    processor = osmium.FileProcessor(str(osm)).with_locations().with_areas()
    yield from processor
