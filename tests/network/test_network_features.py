"""Cache, snapping, hazards, alternatives, MATSim and export on real and tiny data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from safepassage.errors import RoutingError
from safepassage.network.areas import Area, edges_in_areas
from safepassage.network.geojson import write_geojson
from safepassage.network.load import load_network
from safepassage.network.routing import alternatives, edge_weights, route
from safepassage.network.snap import snap
from tests.osm_xml import LINE, write_osm


def test_cache_reload_is_identical_and_keyed_by_content(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "a.osm", LINE, [(1, [1, 2, 3], {"highway": "primary"})])
    first = load_network(path)
    second = load_network(path)
    assert np.array_equal(first.length_m, second.length_m)
    assert first is not second
    write_osm(path, LINE, [(1, [1, 2, 3, 4], {"highway": "primary"})])
    changed = load_network(path)
    assert changed.length_m.sum() > first.length_m.sum()


def test_snap_finds_nearest_node(monaco_pbf: Path) -> None:
    g = load_network(monaco_pbf)
    found = snap(g, g.lat[[10, 500]] + 1e-6, g.lon[[10, 500]])
    assert found.node.tolist() == [10, 500]
    assert np.all(found.distance_m < 1.0)


def test_hazard_circle_blocks_route_only_while_active(tmp_path: Path) -> None:
    # A square: 1-5 along the line, and a detour via 21..25 further north.
    nodes = {**LINE, **{20 + i: (47.01, 37.0 + 0.001 * i) for i in range(1, 6)}}
    ways = [
        (1, [1, 2, 3, 4, 5], {"highway": "primary"}),
        (2, [1, 21, 22, 23, 24, 25, 5], {"highway": "primary"}),
    ]
    g = load_network(write_osm(tmp_path / "sq.osm", nodes, ways))
    a, b = int(np.flatnonzero(g.node_id == 1)[0]), int(np.flatnonzero(g.node_id == 5)[0])
    direct = route(g, a, b)
    shelling = Area(
        center=(47.0, 37.003),
        radius_m=50,
        start=datetime(2022, 3, 15, 10, tzinfo=UTC),
        end=datetime(2022, 3, 15, 12, tzinfo=UTC),
    )
    during = edge_weights(g, areas=[shelling], at=datetime(2022, 3, 15, 11, tzinfo=UTC))
    after = edge_weights(g, areas=[shelling], at=datetime(2022, 3, 15, 13, tzinfo=UTC))
    assert route(g, a, b, weight=during).length_m > direct.length_m
    assert route(g, a, b, weight=after).length_m == pytest.approx(direct.length_m)
    closed = edge_weights(g, closed_ways=[1, 2])
    with pytest.raises(RoutingError):
        route(g, a, b, weight=closed)


def test_polygon_area_hits_crossing_edges_even_without_vertices_inside(tmp_path: Path) -> None:
    nodes = {1: (47.0, 37.0), 2: (47.0, 37.01)}
    g = load_network(write_osm(tmp_path / "p.osm", nodes, [(1, [1, 2], {"highway": "primary"})]))
    box = Area(polygon=((46.999, 37.004), (46.999, 37.006), (47.001, 37.006), (47.001, 37.004)))
    assert edges_in_areas(g, [box]).all()
    away = Area(polygon=((47.01, 37.004), (47.01, 37.006), (47.02, 37.006)))
    assert not edges_in_areas(g, [away]).any()


def test_alternatives_are_distinct_and_ordered(monaco_pbf: Path) -> None:
    g = load_network(monaco_pbf)
    found = snap(g, [43.73, 43.745], [7.42, 7.43])
    routes = alternatives(g, int(found.node[0]), int(found.node[1]), k=3)
    assert len(routes) >= 2
    assert len({r.nodes.tobytes() for r in routes}) == len(routes)
    assert routes[0].travel_time_s <= min(r.travel_time_s for r in routes) + 1e-9


def test_matsim_mount_alexander(mount_alexander_dir: Path) -> None:
    g = load_network(mount_alexander_dir / "network.xml.gz", crs="EPSG:28355")
    assert g.n_nodes == 22259
    assert g.n_edges == 43828
    min_lon, min_lat, max_lon, max_lat = g.bbox()
    assert 140 < min_lon < max_lon < 150 and -39 < min_lat < max_lat < -33
    assert set(np.unique(g.capacity_vph)) >= {600.0, 1000.0}
    assert g.meta["crs"] == "EPSG:28355"


def test_matsim_v1_lonlat_and_capperiod(tmp_path: Path) -> None:
    net = tmp_path / "network.xml"
    net.write_text(
        '<?xml version="1.0"?><network name="t"><nodes>'
        '<node id="1" x="37.0" y="47.0"/><node id="2" x="37.01" y="47.0"/></nodes>'
        '<links capperiod="12:00:00">'
        '<link id="a" from="1" to="2" length="760" freespeed="20" capacity="12000" permlanes="2" modes="car"/>'
        '<link id="b" from="2" to="1" length="760" freespeed="20" capacity="12000" permlanes="2" modes="pt"/>'
        "</links></network>"
    )
    g = load_network(net, use_cache=False)
    assert g.n_edges == 1
    assert g.capacity_vph[0] == pytest.approx(1000.0)
    assert g.travel_time_s[0] == pytest.approx(38.0)
    assert g.lanes[0] == 2


def test_geojson_export(tmp_path: Path) -> None:
    path = write_osm(
        tmp_path / "a.osm",
        LINE,
        [
            (1, [1, 2, 3], {"highway": "primary"}),
            (2, [3, 4], {"highway": "primary", "oneway": "yes"}),
        ],
    )
    out = tmp_path / "a.geojson"
    assert write_geojson(load_network(path), out) == 2
    data = json.loads(out.read_text())
    assert {f["properties"]["oneway"] for f in data["features"]} == {True, False}
    assert "OpenStreetMap" in data["properties"]["attribution"]


def test_edge_lookups_agree_and_pick_the_cheapest(monaco_pbf: Path) -> None:
    from safepassage.network.graph import EdgeLookup

    g = load_network(monaco_pbf)
    rng = np.random.default_rng(3)
    lookup = EdgeLookup(g, g.travel_time_s)
    for _ in range(30):
        a, b = (int(x) for x in rng.integers(0, g.n_nodes, 2))
        try:
            r = route(g, a, b)
        except RoutingError:
            continue
        one = g.edges_along(r.nodes, g.travel_time_s)
        many = lookup(r.nodes)
        assert one is not None and many is not None
        assert np.array_equal(one, many)
        assert np.array_equal(g.edge_source[one], r.nodes[:-1])
        assert np.array_equal(g.edge_target[one], r.nodes[1:])
    no_loop = int(np.flatnonzero(np.diff(g.indptr) > 0)[0])
    assert g.edges_along(np.array([no_loop, no_loop]), g.travel_time_s) is None
    assert lookup(np.array([no_loop, no_loop])) is None
