"""`safepassage map ...`: offline basemaps built from the user's own OSM extract."""

from __future__ import annotations

from pathlib import Path

import typer

from safepassage.cli.common import JsonOption, console, handles_errors, print_json
from safepassage.maps.build import build_pmtiles

app = typer.Typer(help="Build offline basemaps from OpenStreetMap extracts.", no_args_is_help=True)


@app.command("build")
@handles_errors
def build_cmd(
    osm: Path = typer.Argument(..., help="OSM extract (.osm.pbf) of the region."),
    out: Path = typer.Option(..., "-o", "--output", help="PMTiles file to write (region.pmtiles)."),
    max_zoom: int = typer.Option(14, "--max-zoom", help="Most detailed zoom level (0-16)."),
    min_zoom: int = typer.Option(0, "--min-zoom", help="Least detailed zoom level."),
    as_json: bool = JsonOption,
) -> None:
    """Vector tiles of roads, places, water and boundaries in one PMTiles file."""
    with console.status("Cutting tiles…"):
        result = build_pmtiles(osm, out, max_zoom=max_zoom, min_zoom=min_zoom)
    summary = {
        "output": str(result.path),
        "size_bytes": result.size_bytes,
        "features": result.features,
        "max_zoom": result.max_zoom,
    }
    if as_json:
        print_json(summary)
        return
    layers = ", ".join(f"{n:,} {layer}" for layer, n in result.features.items())
    console.print(f"wrote {result.path} ({result.size_bytes / 1e6:.1f} MB): {layers}")
    console.print(
        "Map data © OpenStreetMap contributors, ODbL 1.0 (keep this notice with the file)"
    )


@app.command("serve")
@handles_errors
def serve_cmd(
    basemap: Path = typer.Argument(..., help="PMTiles file made by `safepassage map build`."),
    overlay: Path | None = typer.Option(None, "--geojson", help="GeoJSON to draw on top."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8765, "--port", help="Port to listen on."),
) -> None:
    """Show a basemap (and a GeoJSON overlay) in the browser, served from this computer only."""
    import uvicorn

    from safepassage.web.mappage import create_map_app

    app_ = create_map_app(basemap, overlay)
    console.print(f"map of {basemap} at http://{host}:{port}/ (Ctrl+C stops)")
    uvicorn.run(app_, host=host, port=port, log_level="warning")
