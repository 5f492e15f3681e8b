"""A plan as GeoJSON: the routes in use (with their cars), checkpoints, origins, destinations."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from safepassage.network.graph import RoadGraph
from safepassage.network.routing import Route, route_coordinates
from safepassage.plan.result import Plan


def _point(graph: RoadGraph, node: int, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [round(float(graph.lon[node]), 6), round(float(graph.lat[node]), 6)],
        },
        "properties": props,
    }


def plan_geojson(plan: Plan) -> dict[str, Any]:
    """FeatureCollection with a `kind` property on every feature (route, checkpoint, origin, destination)."""
    p, g = plan.problem, plan.problem.graph
    cars: dict[int, float] = defaultdict(float)
    for b in plan.bookings:
        cars[b.route] += b.pcu
    for t in plan.bus_trips:
        cars[t.route] += 0.0
    features = []
    for index in sorted(cars):
        r = p.routes[index]
        route = Route(
            r.candidate.nodes, r.candidate.edges, r.candidate.length_m, r.candidate.travel_time_s
        )
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": route_coordinates(g, route)},
                "properties": {
                    "kind": "route",
                    **plan.route_summary(r),
                    "cars": round(cars[index]),
                    "bus_trips": sum(1 for t in plan.bus_trips if t.route == index),
                },
            }
        )
    loads = {c["id"]: c for c in plan.checkpoint_loads()}
    for c in p.checkpoints:
        total = sum(h["vehicles"] for h in loads[c.id]["load_by_hour"])
        features.append(
            _point(
                g,
                c.node,
                {
                    "kind": "checkpoint",
                    "id": c.id,
                    "vehicles": round(total),
                    "throughput_vph": loads[c.id]["throughput_vph"],
                    "open": loads[c.id]["open"],
                },
            )
        )
    for o in p.origins:
        features.append(_point(g, o.node, {"kind": "origin", "id": o.id, "people": o.people}))
    for d in p.destinations:
        features.append(_point(g, d.node, {"kind": "destination", "id": d.id}))
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {"scenario": plan.scenario_name, "attribution": g.meta.get("attribution")},
    }
