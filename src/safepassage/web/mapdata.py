"""What the map component draws: one GeoJSON FeatureCollection with a `kind` and a display
`name` on every feature, built from a plan and its scenario (names in the reader's language).

Kinds: road (the network itself, drawn only when there is no basemap), route, checkpoint
(`status`, `throughput_vph`), origin (assembly points, where people start: the city end),
destination, waypoint (towns on the corridor), hazard (polygons), incident, convoy.
"""

from __future__ import annotations

import math
from typing import Any

from safepassage.model.names import display_name, public_route
from safepassage.model.scenario import Hazard, Scenario
from safepassage.network.geojson import graph_features
from safepassage.network.graph import OSM_ATTRIBUTION, RoadGraph
from safepassage.plan.geojson import plan_geojson
from safepassage.plan.result import Plan

#: Above this many road coordinates the network is thinned to main roads, then left out: a
#: report must stay light, and a basemap built with `safepassage map build` shows the rest.
MAX_ROAD_POINTS = 40_000
MAIN_ROADS = {"motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link"}


def _point(lon: float, lat: float, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": props,
    }


def hazard_polygon(hazard: Hazard, vertices: int = 48) -> list[list[float]]:
    """The hazard's outline as a closed [lon, lat] ring (circles as regular polygons)."""
    if hazard.polygon is not None:
        ring = [[lon, lat] for lat, lon in hazard.polygon]
    else:
        assert hazard.circle is not None
        lat0, lon0 = hazard.circle.at
        r = hazard.circle.radius_m / 6_371_000.0
        ring = []
        for i in range(vertices):
            a = 2 * math.pi * i / vertices
            lat = lat0 + math.degrees(r * math.cos(a))
            lon = lon0 + math.degrees(r * math.sin(a) / math.cos(math.radians(lat0)))
            ring.append([round(lon, 6), round(lat, 6)])
    return [*ring, ring[0]] if ring[0] != ring[-1] else ring


def road_features(graph: RoadGraph) -> list[dict[str, Any]]:
    """The network's roads, thinned to main roads (or none) when too many to draw in a page."""
    features = graph_features(graph)

    def points(fs: list[dict[str, Any]]) -> int:
        return sum(len(f["geometry"]["coordinates"]) for f in fs)

    if points(features) > MAX_ROAD_POINTS:
        features = [f for f in features if f["properties"]["highway"] in MAIN_ROADS]
    if points(features) > MAX_ROAD_POINTS:
        return []
    return [
        {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [
                    [round(x, 5), round(y, 5)] for x, y in f["geometry"]["coordinates"]
                ],
            },
            "properties": {"kind": "road", "highway": f["properties"]["highway"]},
        }
        for f in features
    ]


def plan_map(
    plan: Plan, scenario: Scenario | None, lang: str = "en", basemap: bool = False
) -> dict[str, Any]:
    """Options for the map component: the plan's routes and places, named in `lang`."""
    places: dict[str, Any] = scenario.places() if scenario else {}

    def name(ident: str) -> str:
        return display_name(places.get(ident) or {"id": ident}, lang)

    features = [] if basemap else road_features(plan.problem.graph)
    for f in plan_geojson(plan)["features"]:
        props = dict(f["properties"])
        if props["kind"] == "route":
            props["name"] = f"{name(props['origin'])} → {name(props['destination'])}"
        else:
            props["name"] = name(props["id"])
        if props["kind"] == "checkpoint":
            props["status"] = "planned"
        features.append({**f, "properties": props})
    if scenario is not None:
        via = set(scenario.corridor.via) if scenario.corridor else set()
        for w in scenario.waypoints:
            if w.id in via:
                features.append(
                    _point(w.at[1], w.at[0], {"kind": "waypoint", "id": w.id, "name": name(w.id)})
                )
        for i, h in enumerate(scenario.hazards):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [hazard_polygon(h)]},
                    "properties": {"kind": "hazard", "id": f"hazard-{i + 1}", "hazard": h.kind},
                }
            )
    return {
        "data": {"type": "FeatureCollection", "features": features},
        "attribution": plan.problem.graph.meta.get("attribution") or OSM_ATTRIBUTION,
        "ends": ends_text(plan, scenario, lang),
    }


def ends_text(plan: Plan, scenario: Scenario | None, lang: str = "en") -> str:
    """Which end is which, in words: `From Mariupol (exit) to Zaporizhzhia`."""
    if scenario is not None:
        route = public_route(scenario, lang)
        start = route[0] if len(route) > 1 else display_name(scenario.origins[0], lang)
        ends = ", ".join(display_name(d, lang) for d in scenario.destinations)
        return f"From {start} to {ends}"
    origins = ", ".join(o.id for o in plan.problem.origins[:3])
    return f"From {origins} to " + ", ".join(d.id for d in plan.problem.destinations)


def scenario_map(scenario: Scenario, lang: str = "en", public: bool = False) -> dict[str, Any]:
    """A scenario's places, hazards and corridor as map features named in `lang`.

    `public`: only what the public route shows (places marked `public` and the destinations,
    the route drawn through them alone), never the other checkpoints, assembly points, hazards
    or the exact road: a public map must not help anyone target a checkpoint or a crowd.
    """
    via = scenario.corridor.via if scenario.corridor else []
    places = scenario.places()
    kinds: list[tuple[str, list[Any]]] = [
        ("origin", scenario.origins),
        ("destination", scenario.destinations),
        ("checkpoint", scenario.checkpoints),
        ("waypoint", [w for w in scenario.waypoints if w.id in via]),
    ]
    features = []
    for kind, group in kinds:
        for p in group:
            shown = kind == "destination" or bool(getattr(p, "public", False))
            if public and not shown:
                continue
            props: dict[str, Any] = {"kind": kind, "id": p.id, "name": display_name(p, lang)}
            props["names"] = dict(p.names)
            if kind == "checkpoint":
                props["status"] = "unknown"
                props["throughput_vph"] = round(p.throughput_vph, 1)
            features.append(_point(p.at[1], p.at[0], props))
    route = [
        places[i]
        for i in via
        if i in places and (not public or getattr(places[i], "public", False))
    ]
    ends = [*route, *scenario.destinations[:1]] if scenario.corridor else []
    if len(ends) >= 2:
        features.insert(
            0,
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[round(p.at[1], 6), round(p.at[0], 6)] for p in ends],
                },
                "properties": {
                    "kind": "route",
                    "name": " → ".join(display_name(p, lang) for p in ends),
                },
            },
        )
    if not public:
        for i, h in enumerate(scenario.hazards):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [hazard_polygon(h)]},
                    "properties": {"kind": "hazard", "id": f"hazard-{i + 1}", "hazard": h.kind},
                }
            )
    return {"type": "FeatureCollection", "features": features}
