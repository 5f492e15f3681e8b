"""OSM roads keep their street names (for bottlenecks in words), checked against names read
straight from the file with pyosmium."""

from __future__ import annotations

from pathlib import Path

import osmium

from safepassage.network.osm import graph_from_osm


def test_monaco_roads_keep_their_names(monaco_pbf: Path) -> None:
    graph = graph_from_osm(monaco_pbf)
    names: dict[str, str] = graph.meta["way_names"]
    truth: dict[int, str] = {}
    for way in osmium.FileProcessor(str(monaco_pbf), osmium.osm.WAY):
        label = way.tags.get("name") or way.tags.get("ref")
        if label:
            truth[way.id] = label
    on_graph = {int(w) for w in graph.way_id.tolist()}
    assert names, "Monaco has named streets"
    assert {int(k) for k in names} <= on_graph
    for way_id in on_graph:
        assert names.get(str(way_id)) == truth.get(way_id)
    assert "Boulevard d'Italie" in names.values()
