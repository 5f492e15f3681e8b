"""Shortest paths cross-checked against networkx on real OSM files: identical lengths."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from safepassage.network.graph import RoadGraph
from safepassage.network.load import load_network
from safepassage.network.routing import Metric, one_to_all, route


def to_networkx(g: RoadGraph, weight: np.ndarray) -> nx.DiGraph:
    """The oracle: a plain DiGraph keeping the least weight over parallel edges."""
    oracle = nx.DiGraph()
    oracle.add_nodes_from(range(g.n_nodes))
    for u, v, w in zip(
        g.edge_source.tolist(), g.edge_target.tolist(), weight.tolist(), strict=True
    ):
        if not oracle.has_edge(u, v) or oracle[u][v]["w"] > w:
            oracle.add_edge(u, v, w=w)
    return oracle


@pytest.mark.parametrize("metric", ["length", "time"])
@pytest.mark.parametrize("fixture", ["kotka_pbf", "monaco_pbf"])
def test_paths_match_networkx(fixture: str, metric: Metric, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(fixture)
    g = load_network(path)
    weight = g.length_m if metric == "length" else g.travel_time_s
    oracle = to_networkx(g, weight)
    rng = np.random.default_rng(2022)
    sources = rng.integers(0, g.n_nodes, size=10)
    checked = 0
    for source in sources.tolist():
        ours, _ = one_to_all(g, source, metric=metric)
        theirs = nx.single_source_dijkstra_path_length(oracle, source, weight="w")
        for target in rng.integers(0, g.n_nodes, size=30).tolist():
            if target in theirs:
                assert ours[target] == pytest.approx(theirs[target], rel=1e-9, abs=1e-6)
                r = route(g, source, target, metric=metric)
                assert float(weight[r.edges].sum()) == pytest.approx(
                    theirs[target], rel=1e-9, abs=1e-6
                )
                checked += 1
            else:
                assert not np.isfinite(ours[target])
    assert checked >= 100
