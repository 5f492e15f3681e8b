"""`safepassage map serve`: a basemap and, optionally, a GeoJSON overlay on one page, served
by a small local server with the map router (range requests), to check a basemap before an
operation. Nothing on the page comes from anywhere but this server (its CSP says so)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from safepassage.errors import Problem, SafePassageError
from safepassage.web.assets import map_assets, render
from safepassage.web.tiles import map_router, pmtiles_bounds

#: Only this server: MapLibre runs its worker from a blob and draws images from blobs.
CSP = (
    "default-src 'self'; worker-src blob:; child-src blob:; img-src 'self' data: blob:; "
    "style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'"
)


def overlay_collection(path: Path | None) -> dict[str, Any]:
    """A GeoJSON file as map features (each needs a `kind`; `road` when it has none)."""
    empty: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    if path is None:
        return empty
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        features = data["features"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise SafePassageError(
            [Problem(file=str(path), message=f"not a GeoJSON FeatureCollection: {err}")]
        ) from None
    for f in features:
        f.setdefault("properties", {})
        f["properties"] = f["properties"] or {}
        f["properties"].setdefault("kind", "road")
    return {"type": "FeatureCollection", "features": features}


def create_map_app(basemap: Path, overlay: Path | None = None, lang: str = "en") -> FastAPI:
    """The preview app: GET / (the page), /tiles/{name}.pmtiles, /static/..."""
    try:
        pmtiles_bounds(basemap)
    except (OSError, ValueError) as err:
        raise SafePassageError(
            [
                Problem(
                    file=str(basemap),
                    message=f"not a basemap: {err}",
                    hint="build one with `safepassage map build REGION.osm.pbf -o region.pmtiles`",
                )
            ]
        ) from None
    name = basemap.name.removesuffix(".pmtiles")
    app = FastAPI(title="safepassage map", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(map_router({name: basemap}))
    options = {
        "data": overlay_collection(overlay),
        "basemap": f"/tiles/{name}.pmtiles",
        "glyphs": "/static/glyphs/{fontstack}/{range}.pbf",
        "attribution": "",
        "bounds": pmtiles_bounds(basemap),
    }
    page = render(
        "map_page.html.j2",
        lang=lang,
        title=f"Basemap {basemap.name}",
        assets=map_assets(inline=False),
        options=options,
        note="Map data © OpenStreetMap contributors, ODbL 1.0. Served from this computer only.",
    )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": CSP})

    @app.get("/api/v1/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
