"""Each tagging rule on a tiny hand-made OSM file, read through the real pyosmium reader."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import numpy as np
import pytest

from safepassage.network.clip import ClipArea
from safepassage.network.geo import haversine_m
from safepassage.network.graph import RoadGraph
from safepassage.network.osm import graph_from_osm
from safepassage.network.tags import CLASS_INDEX
from tests.osm_xml import LINE, write_osm


def read(
    tmp_path: Path,
    ways: list[tuple[int, list[int], dict[str, str]]],
    nodes: dict[int, tuple[float, float]] = LINE,
    **kw: object,
) -> RoadGraph:
    return graph_from_osm(write_osm(tmp_path / "t.osm", nodes, ways), **kw)  # type: ignore[arg-type]


def edge_pairs(g: RoadGraph) -> set[tuple[int, int]]:
    return {
        (int(g.node_id[u]), int(g.node_id[v]))
        for u, v in zip(g.edge_source, g.edge_target, strict=True)
    }


def test_two_way_road_is_simplified_to_one_edge_each_way(tmp_path: Path) -> None:
    g = read(tmp_path, [(1, [1, 2, 3, 4, 5], {"highway": "primary"})])
    assert edge_pairs(g) == {(1, 5), (5, 1)}
    expected = float(haversine_m(LINE[1][1], LINE[1][0], LINE[5][1], LINE[5][0]))
    assert g.length_m == pytest.approx([expected, expected], rel=1e-9)
    lon, _lat = g.edge_geometry(int(np.flatnonzero(g.node_id[g.edge_source] == 1)[0]))
    assert lon.tolist() == pytest.approx([LINE[i][1] for i in range(1, 6)])
    back_lon, _ = g.edge_geometry(int(np.flatnonzero(g.node_id[g.edge_source] == 5)[0]))
    assert back_lon.tolist() == pytest.approx([LINE[i][1] for i in range(5, 0, -1)])


def test_junctions_split_ways(tmp_path: Path) -> None:
    nodes = {**LINE, 20: (47.001, 37.003)}
    g = read(
        tmp_path,
        [(1, [1, 2, 3, 4, 5], {"highway": "primary"}), (2, [3, 20], {"highway": "residential"})],
        nodes,
    )
    assert edge_pairs(g) == {(1, 3), (3, 1), (3, 5), (5, 3), (3, 20), (20, 3)}
    assert sorted(g.node_id.tolist()) == [1, 3, 5, 20]


@pytest.mark.parametrize(
    ("tags", "pairs"),
    [
        ({"highway": "primary", "oneway": "yes"}, {(1, 3)}),
        ({"highway": "primary", "oneway": "-1"}, {(3, 1)}),
        ({"highway": "primary", "junction": "roundabout"}, {(1, 3)}),
        ({"highway": "motorway"}, {(1, 3)}),
        ({"highway": "primary", "oneway": "no"}, {(1, 3), (3, 1)}),
    ],
)
def test_oneway_rules(tmp_path: Path, tags: dict[str, str], pairs: set[tuple[int, int]]) -> None:
    assert edge_pairs(read(tmp_path, [(1, [1, 2, 3], tags)])) == pairs


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "footway"},
        {"highway": "residential", "access": "private"},
        {"highway": "residential", "motor_vehicle": "no"},
        {"highway": "pedestrian", "area": "yes"},
        {"highway": "service", "service": "parking_aisle"},
        {"building": "yes"},
    ],
)
def test_excluded_ways(tmp_path: Path, tags: dict[str, str]) -> None:
    ways = [(1, [1, 2, 3], {"highway": "primary"}), (2, [3, 4, 5], tags)]
    assert edge_pairs(read(tmp_path, ways)) == {(1, 3), (3, 1)}


def test_maxspeed_mph_sets_travel_time(tmp_path: Path) -> None:
    g = read(tmp_path, [(1, [1, 2], {"highway": "primary", "maxspeed": "30 mph", "oneway": "yes"})])
    speed_kmh = g.length_m[0] / g.travel_time_s[0] * 3.6
    assert speed_kmh == pytest.approx(30 * 1.609344)


def test_country_maxspeed_and_default_speed(tmp_path: Path) -> None:
    g = read(
        tmp_path,
        [
            (1, [1, 2], {"highway": "primary", "maxspeed": "UA:rural", "oneway": "yes"}),
            (2, [3, 4], {"highway": "residential", "oneway": "yes"}),
        ],
    )
    by_way = {int(w): g.length_m[i] / g.travel_time_s[i] * 3.6 for i, w in enumerate(g.way_id)}
    assert by_way[1] == pytest.approx(90.0)
    assert by_way[2] == pytest.approx(30.0)


def test_lanes_set_capacity(tmp_path: Path) -> None:
    g = read(
        tmp_path,
        [
            (1, [1, 2], {"highway": "primary", "lanes": "4"}),
            (2, [3, 4], {"highway": "primary", "lanes": "3", "oneway": "yes"}),
        ],
    )
    by_way = {int(w): (int(g.lanes[i]), float(g.capacity_vph[i])) for i, w in enumerate(g.way_id)}
    assert by_way[1] == (2, 2400.0)
    assert by_way[2] == (3, 3600.0)
    override = read(
        tmp_path, [(1, [1, 2], {"highway": "primary"})], capacity_overrides={"primary": 500}
    )
    assert override.capacity_vph.tolist() == [500.0, 500.0]
    assert int(override.highway[0]) == CLASS_INDEX["primary"]


def test_missing_node_breaks_the_way(tmp_path: Path) -> None:
    nodes = {k: v for k, v in LINE.items() if k != 3}
    g = read(tmp_path, [(1, [1, 2, 3, 4, 5], {"highway": "primary", "oneway": "yes"})], nodes)
    assert edge_pairs(g) == {(1, 2), (4, 5)}


def test_clip_to_bbox_splits_ways(tmp_path: Path) -> None:
    box = ClipArea(bbox=(37.0005, 46.9, 37.0055, 47.1))  # nodes 1..5
    g = read(tmp_path, [(1, list(range(1, 11)), {"highway": "primary", "oneway": "yes"})], clip=box)
    assert edge_pairs(g) == {(1, 5)}


def test_clip_to_polygon(tmp_path: Path) -> None:
    poly = ClipArea(
        polygon_lonlat=((37.0025, 46.9), (37.0075, 46.9), (37.0075, 47.1), (37.0025, 47.1))
    )
    g = read(
        tmp_path, [(1, list(range(1, 11)), {"highway": "primary", "oneway": "yes"})], clip=poly
    )
    assert edge_pairs(g) == {(3, 7)}


@pytest.mark.parametrize(("suffix", "opener"), [(".osm.gz", gzip.open), (".osm.bz2", bz2.open)])
def test_compressed_xml(tmp_path: Path, suffix: str, opener: object) -> None:
    plain = write_osm(tmp_path / "t.osm", LINE, [(1, [1, 2, 3], {"highway": "primary"})])
    packed = tmp_path / f"t{suffix}"
    with opener(packed, "wb") as handle:  # type: ignore[operator]
        handle.write(plain.read_bytes())
    assert edge_pairs(graph_from_osm(packed)) == {(1, 3), (3, 1)}


def test_closed_way_keeps_its_loop_as_two_edges(tmp_path: Path) -> None:
    nodes = {
        1: (47.0, 37.0),
        2: (47.0, 37.001),
        3: (47.001, 37.001),
        4: (47.001, 37.0),
        9: (46.99, 37.0),
    }
    ways = [
        (1, [1, 2, 3, 4, 1], {"highway": "primary", "junction": "roundabout"}),
        (2, [9, 1], {"highway": "primary"}),
        (3, [3, 9], {"highway": "primary"}),
    ]
    g = read(tmp_path, ways, nodes)
    assert {(1, 3), (3, 1)} <= edge_pairs(g)
    loop_len = sum(
        float(haversine_m(nodes[a][1], nodes[a][0], nodes[b][1], nodes[b][0]))
        for a, b in [(1, 2), (2, 3), (3, 4), (4, 1)]
    )
    roundabout = g.way_id == 1
    assert g.length_m[roundabout].sum() == pytest.approx(loop_len)


def test_parallel_read_equals_sequential(monaco_pbf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from safepassage.settings import get_settings

    settings = get_settings()
    monkeypatch.setattr(settings, "read_workers", 1)
    one = graph_from_osm(monaco_pbf)
    monkeypatch.setattr(settings, "read_workers", 2)
    two = graph_from_osm(monaco_pbf)
    assert np.array_equal(one.node_id, two.node_id)
    key_one = sorted(
        zip(
            one.edge_source.tolist(),
            one.edge_target.tolist(),
            one.length_m.round(6).tolist(),
            strict=True,
        )
    )
    key_two = sorted(
        zip(
            two.edge_source.tolist(),
            two.edge_target.tolist(),
            two.length_m.round(6).tolist(),
            strict=True,
        )
    )
    assert key_one == key_two
