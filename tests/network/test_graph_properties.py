"""Graph invariants on random OSM files (hypothesis)."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from safepassage.network.geo import haversine_m
from safepassage.network.graph import RoadGraph
from safepassage.network.osm import graph_from_osm
from tests.osm_xml import write_osm

GRID = {i * 10 + j + 1: (47.0 + 0.001 * i, 37.0 + 0.001 * j) for i in range(5) for j in range(5)}
NODE_IDS = sorted(GRID)

way_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(NODE_IDS), min_size=2, max_size=7).filter(
            lambda refs: all(a != b for a, b in itertools.pairwise(refs))
        ),
        st.sampled_from(["no", "yes", "-1"]),
    ),
    min_size=1,
    max_size=8,
)


def build(ways: list[tuple[list[int], str]]) -> RoadGraph:
    with tempfile.TemporaryDirectory() as tmp:
        spec = [
            (i + 1, refs, {"highway": "residential", "oneway": ow})
            for i, (refs, ow) in enumerate(ways)
        ]
        return graph_from_osm(write_osm(Path(tmp) / "r.osm", GRID, spec))


def raw_graph(ways: list[tuple[list[int], str]]) -> nx.MultiDiGraph:
    """The unsimplified network: every OSM segment an edge."""
    g = nx.MultiDiGraph()
    for refs, ow in ways:
        for a, b in itertools.pairwise(refs):
            d = float(haversine_m(GRID[a][1], GRID[a][0], GRID[b][1], GRID[b][0]))
            if ow in ("no", "yes"):
                g.add_edge(a, b, w=d)
            if ow in ("no", "-1"):
                g.add_edge(b, a, w=d)
    return g


@settings(max_examples=60, deadline=None)
@given(way_strategy)
def test_simplification_preserves_distances_and_structure(
    ways: list[tuple[list[int], str]],
) -> None:
    g = build(ways)
    # CSR is consistent.
    assert g.indptr[0] == 0 and g.indptr[-1] == g.n_edges
    assert np.all(np.diff(g.indptr) >= 0)
    for node in range(g.n_nodes):
        assert np.all(g.edge_source[g.out_edges(node)] == node)
    # Edge geometry starts and ends at its nodes.
    for e in range(g.n_edges):
        lon, lat = g.edge_geometry(e)
        assert (lon[0], lat[0]) == (g.lon[g.edge_source[e]], g.lat[g.edge_source[e]])
        assert (lon[-1], lat[-1]) == (g.lon[g.edge_target[e]], g.lat[g.edge_target[e]])
    # Shortest distances between kept nodes equal those of the raw, unsimplified network.
    raw = raw_graph(ways)
    simple = nx.MultiDiGraph()
    for u, v, w in zip(
        g.edge_source.tolist(), g.edge_target.tolist(), g.length_m.tolist(), strict=True
    ):
        simple.add_edge(int(g.node_id[u]), int(g.node_id[v]), w=w)
    for source in simple.nodes:
        expected = nx.single_source_dijkstra_path_length(raw, source, weight="w")
        got = nx.single_source_dijkstra_path_length(simple, source, weight="w")
        for target, dist in got.items():
            assert abs(expected[target] - dist) < 1e-6
        for target in expected:
            if target in simple.nodes:
                assert target in got


@settings(max_examples=30, deadline=None)
@given(way_strategy)
def test_save_load_round_trip(ways: list[tuple[list[int], str]]) -> None:
    g = build(ways)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.npz"
        g.save(path)
        back = RoadGraph.load(path)
    for name in (
        "node_id",
        "lon",
        "lat",
        "indptr",
        "edge_target",
        "length_m",
        "travel_time_s",
        "capacity_vph",
        "geom_start",
        "geom_end",
    ):
        assert np.array_equal(getattr(g, name), getattr(back, name)), name
    assert back.meta == g.meta
