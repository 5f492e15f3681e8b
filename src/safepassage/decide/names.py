"""Names people know for the network's nodes and resources: a place's id where one is at a
node (or the network's own node names), else the nearest named place with its distance."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np

from safepassage.model.names import in_words
from safepassage.model.scenario import Scenario
from safepassage.plan.problem import PlanningProblem


def with_names(data: dict[str, Any], scenario: Scenario | None, lang: str = "en") -> None:
    """Add the words people know beside the plan JSON's ids: `name` to each bottleneck,
    `lever_name` to each sensitivity row, `checkpoint_name` to `lanes_needed`."""
    words = in_words(scenario, lang)
    for neck in data.get("bottlenecks", []):
        neck["name"] = words(neck["resource"])
    for row in data.get("sensitivity", []):
        row["lever_name"] = words(row["lever"])
    lanes = data.get("lanes_needed")
    if isinstance(lanes, dict) and lanes.get("checkpoint"):
        lanes["checkpoint_name"] = words(lanes["checkpoint"])


class Namer:
    """Words for nodes, roads and checkpoints of one planning problem."""

    def __init__(self, problem: PlanningProblem) -> None:
        self.problem = problem

    @cached_property
    def _places(self) -> dict[int, str]:
        p = self.problem
        named: dict[int, str] = {}
        node_names = p.graph.meta.get("node_names")
        if node_names:
            named.update(dict(enumerate(node_names)))
        # Scenario places win over network node names: they are what the plan talks about.
        for group in (p.destinations, p.checkpoints, p.origins):
            for place in group:
                named[place.node] = place.id
        return named

    def exact(self, node: int) -> str | None:
        """The name of a place at `node`, if there is one."""
        return self._places.get(node)

    def node(self, node: int) -> str:
        """The place at `node`, else "near X (d km)" for the nearest named place."""
        if node in self._places:
            return self._places[node]
        g = self.problem.graph
        nodes = np.array(list(self._places), dtype=np.int64)
        if nodes.size == 0:
            return f"junction {int(g.node_id[node])}"
        d = _distance_m(g.lat[node], g.lon[node], g.lat[nodes], g.lon[nodes])
        k = int(np.argmin(d))
        return f"near {self._places[int(nodes[k])]} ({d[k] / 1000:.1f} km)"

    def resource(self, resource: int) -> str:
        """A checkpoint by its id; a road as its street name where the network keeps one,
        else by the places at its ends (or the nearest named places)."""
        p, g = self.problem, self.problem.graph
        if resource >= g.n_edges:
            return f"checkpoint {p.checkpoints[resource - g.n_edges].id}"
        u, v = int(g.edge_source[resource]), int(g.edge_target[resource])
        way_names = g.meta.get("way_names")
        key = str(int(g.way_id[resource]))  # JSON keys: the graph's meta is saved as JSON
        street = way_names.get(key) if isinstance(way_names, dict) else None
        ends = f"{self.node(u)} to {self.node(v)}"
        return f"road {street} ({ends})" if street else f"road from {ends}"

    def route_places(self, nodes: list[int]) -> list[str]:
        """The named places a route passes, in order (its first and last node always)."""
        out: list[str] = []
        for k, n in enumerate(nodes):
            name = self.exact(n)
            if name is None and k in (0, len(nodes) - 1):
                name = self.node(n)
            if name is not None and (not out or out[-1] != name):
                out.append(name)
        return out


def _distance_m(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle distances (haversine, metres)."""
    r = 6_371_000.0
    p0, p = math.radians(float(lat0)), np.radians(lat)
    dp = p - p0
    dl = np.radians(lon) - math.radians(float(lon0))
    a = np.sin(dp / 2) ** 2 + math.cos(p0) * np.cos(p) * np.sin(dl / 2) ** 2
    return np.asarray(2 * r * np.arcsin(np.sqrt(np.minimum(a, 1.0))))
