"""`safepassage network ...`: inspect, route on and export road networks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from safepassage.cli.common import JsonOption, console, handles_errors, parse_latlon, print_json
from safepassage.errors import SafePassageError
from safepassage.network.areas import Area
from safepassage.network.clip import ClipArea, parse_bbox, polygon_from_geojson
from safepassage.network.geojson import write_geojson
from safepassage.network.graph import RoadGraph
from safepassage.network.load import load_network
from safepassage.network.routing import Metric, alternatives, edge_weights
from safepassage.network.snap import snap
from safepassage.network.summary import largest_strong_component, network_summary

app = typer.Typer(help="Read, inspect, route on and export road networks.", no_args_is_help=True)

CrsOption = typer.Option(None, "--crs", help="Coordinate system of a MATSim file, e.g. EPSG:28355.")
BboxOption = typer.Option(None, "--bbox", help="Clip to min_lon,min_lat,max_lon,max_lat.")
PolygonOption = typer.Option(None, "--polygon", help="Clip to the first polygon of a GeoJSON file.")


def _load(file: Path, crs: str | None, bbox: str | None, polygon: Path | None = None) -> RoadGraph:
    clip: ClipArea | None = None
    if bbox:
        try:
            clip = parse_bbox(bbox)
        except ValueError as exc:
            raise SafePassageError(f"--bbox: {exc}") from None
    if polygon:
        try:
            clip = polygon_from_geojson(str(polygon))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SafePassageError(f"--polygon {polygon}: {exc}") from None
    with console.status(f"Reading {file.name}…", spinner="dots"):
        return load_network(file, crs=crs, clip=clip)


@app.command("info")
@handles_errors
def info(
    file: Path = typer.Argument(
        ..., help="OSM (.osm.pbf, .osm, .osm.gz, .osm.bz2) or MATSim network file."
    ),
    crs: str | None = CrsOption,
    bbox: str | None = BboxOption,
    polygon: Path | None = PolygonOption,
    as_json: bool = JsonOption,
) -> None:
    """Nodes, edges, km of road by class, bounding box and connected components."""
    summary = network_summary(_load(file, crs, bbox, polygon))
    if as_json:
        print_json(summary)
        return
    table = Table(title=f"{file.name}", show_header=False)
    table.add_row("nodes", f"{summary['nodes']:,}")
    table.add_row("edges", f"{summary['edges']:,}")
    table.add_row("road", f"{summary['road_km']:,.1f} km")
    for cls, km in summary["road_km_by_class"].items():
        table.add_row(f"  {cls}", f"{km:,.1f} km")
    b = summary["bbox"]
    table.add_row(
        "bounding box",
        f"{b['min_lon']:.5f},{b['min_lat']:.5f},{b['max_lon']:.5f},{b['max_lat']:.5f}",
    )
    c = summary["components"]
    table.add_row(
        "components",
        f"{c['weak']} weak (largest {c['largest_weak_nodes']:,} nodes), "
        f"{c['strong']} strong (largest {c['largest_strong_nodes']:,})",
    )
    console.print(table)
    if summary.get("attribution"):
        console.print(f"[dim]{summary['attribution']}[/]")


def parse_avoid(items: list[str]) -> tuple[list[Area], list[int]]:
    """`circle:LAT,LON,RADIUS_M`, `polygon:LAT,LON;LAT,LON;...` or `way:ID` (a closed road)."""
    areas: list[Area] = []
    ways: list[int] = []
    for item in items:
        kind, _, rest = item.partition(":")
        try:
            if kind == "circle":
                lat, lon, radius = (float(p) for p in rest.split(","))
                areas.append(Area(center=(lat, lon), radius_m=radius, label=item))
            elif kind == "polygon":
                points = tuple(tuple(float(v) for v in p.split(",")) for p in rest.split(";"))
                if len(points) < 3 or any(len(p) != 2 for p in points):
                    raise ValueError
                areas.append(Area(polygon=points, label=item))  # type: ignore[arg-type]
            elif kind == "way":
                ways.append(int(rest))
            else:
                raise ValueError
        except ValueError:
            raise SafePassageError(
                f"--avoid {item!r}: use circle:LAT,LON,RADIUS_M, polygon:LAT,LON;LAT,LON;LAT,LON or way:OSM_WAY_ID"
            ) from None
    return areas, ways


@app.command("route")
@handles_errors
def route_cmd(
    file: Path = typer.Argument(..., help="Road network file."),
    origin: str = typer.Option(..., "--from", help="Start as LAT,LON."),
    destination: str = typer.Option(..., "--to", help="End as LAT,LON."),
    avoid: list[str] = typer.Option(
        [], "--avoid", help="circle:LAT,LON,R_M | polygon:LAT,LON;... | way:ID (repeatable)."
    ),
    metric: str = typer.Option("time", "--metric", help="time (fastest) or length (shortest)."),
    k: int = typer.Option(
        1, "--alternatives", "-k", min=1, max=10, help="Number of alternative routes."
    ),
    crs: str | None = CrsOption,
    as_json: bool = JsonOption,
) -> None:
    """Fastest (or shortest) route between two points, avoiding closed roads and hazard areas."""
    if metric not in ("time", "length"):
        raise SafePassageError(f"--metric: expected time or length, got {metric!r}")
    start, end = parse_latlon(origin, "--from"), parse_latlon(destination, "--to")
    areas, ways = parse_avoid(avoid)
    graph = _load(file, crs, None)
    snapped = snap(
        graph, [start[0], end[0]], [start[1], end[1]], among=largest_strong_component(graph)
    )
    m: Metric = "time" if metric == "time" else "length"
    weight = edge_weights(graph, metric=m, areas=areas, closed_ways=ways)
    routes = alternatives(
        graph, int(snapped.node[0]), int(snapped.node[1]), k=k, metric=m, weight=weight
    )
    result = {
        "from": {
            "lat": start[0],
            "lon": start[1],
            "snap_distance_m": round(float(snapped.distance_m[0]), 1),
        },
        "to": {
            "lat": end[0],
            "lon": end[1],
            "snap_distance_m": round(float(snapped.distance_m[1]), 1),
        },
        "avoided_edges": int(np.count_nonzero(~np.isfinite(weight))),
        "routes": [r.as_dict(graph) for r in routes],
        "attribution": graph.meta.get("attribution"),
    }
    if as_json:
        print_json(result)
        return
    table = Table(title=f"Routes on {file.name}")
    for col in ("#", "length", "time", "nodes"):
        table.add_column(col, justify="right")
    for i, r in enumerate(routes, 1):
        table.add_row(
            str(i),
            f"{r.length_m / 1000:.2f} km",
            f"{r.travel_time_s / 60:.1f} min",
            str(len(r.nodes)),
        )
    console.print(table)


@app.command("export")
@handles_errors
def export(
    file: Path = typer.Argument(..., help="Road network file."),
    geojson: Path = typer.Option(..., "--geojson", help="Write the network as GeoJSON here."),
    crs: str | None = CrsOption,
    bbox: str | None = BboxOption,
    polygon: Path | None = PolygonOption,
) -> None:
    """Export the road graph (one feature per road segment)."""
    graph = _load(file, crs, bbox, polygon)
    try:
        count = write_geojson(graph, geojson)
    except OSError as exc:
        raise SafePassageError(f"{geojson}: cannot write: {exc.strerror}") from None
    console.print(f"Wrote {count:,} road segments to {geojson}")
