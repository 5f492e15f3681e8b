"""Pages that need script, served with their assets from the package: the field reporters' page
(works offline: a service worker keeps the page, IndexedDB keeps the queue), the map's static
files and basemaps (range requests), and who the caller is (`/api/v1/me`)."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, Response

from safepassage.api.deps import Reader, Svc, caller
from safepassage.api.routes.public import status_page_router
from safepassage.model.load import load_scenario
from safepassage.model.names import display_name, languages
from safepassage.model.scenario import Scenario
from safepassage.ops.store import User
from safepassage.web.assets import STATIC, map_assets, render
from safepassage.web.mapdata import scenario_map
from safepassage.web.tiles import map_router

LangQuery = Query("en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", max_length=12)

router = APIRouter()

#: Only this server; the service worker is ours; no inline script or style.
REPORTER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; worker-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_REPORTER_FILES = {
    "app.js": "text/javascript",
    "app.css": "text/css",
    "sw.js": "text/javascript",
    "manifest.webmanifest": "application/manifest+json",
}


@router.get("/report/", response_class=HTMLResponse, include_in_schema=False)
def get_reporter_page() -> HTMLResponse:
    """The field reporters' page (mobile first; works offline once loaded)."""
    return HTMLResponse(
        render("reporter.html.j2", lang="en"),
        headers={"Content-Security-Policy": REPORTER_CSP, "Cache-Control": "no-cache"},
    )


@router.get("/report/{name}", include_in_schema=False)
def get_reporter_file(name: str) -> Response:
    """The page's script, style, manifest and service worker (under /report/ so that the
    worker's scope covers the page)."""
    if name not in _REPORTER_FILES:
        raise HTTPException(404, f"no such file: /report/{name}")
    body = (STATIC / "reporter" / name).read_bytes()
    return Response(body, media_type=_REPORTER_FILES[name], headers={"Cache-Control": "no-cache"})


def basemaps_from_environment() -> dict[str, Path]:
    """Basemaps named in SAFEPASSAGE_BASEMAPS (paths separated by the OS's path separator)."""
    paths = [Path(p) for p in os.environ.get("SAFEPASSAGE_BASEMAPS", "").split(os.pathsep) if p]
    return {p.name.removesuffix(".pmtiles"): p for p in paths}


def map_routes(basemaps: Mapping[str, Path]) -> APIRouter:
    """/static/... (map library, glyphs, our modules) and /tiles/{name}.pmtiles."""
    return map_router(basemaps)


def scenarios_from_environment() -> list[Scenario]:
    """Scenarios named in SAFEPASSAGE_SCENARIOS (paths separated by the OS's path separator):
    where the corridor's places are and what they are called, for maps and names."""
    paths = [p for p in os.environ.get("SAFEPASSAGE_SCENARIOS", "").split(os.pathsep) if p]
    return [load_scenario(p)[0] for p in paths]


#: The coordinators' map: its script and the map library from this server; MapLibre runs its
#: worker from a blob and draws images from blobs.
MAP_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data: blob:; worker-src blob:; child-src blob:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def places_router(scenarios: list[Scenario], basemaps: Mapping[str, Path]) -> APIRouter:
    """/api/v1/places (readers: every place, hazard and the corridor),
    /api/v1/public/places (anyone: the public route's towns and the destinations only) and
    the coordinators' pages, /dashboard and /dashboard/map."""
    places = APIRouter()
    langs = list(dict.fromkeys(lang for s in scenarios for lang in languages(s))) or ["en"]
    basemap = f"/tiles/{next(iter(basemaps))}.pmtiles" if basemaps else None
    page = render(
        "coordinator_map.html.j2",
        lang="en",
        languages=langs,
        basemap=basemap,
        assets=map_assets(inline=False),
    )
    dashboard = render(
        "dashboard.html.j2",
        lang="en",
        languages=langs,
        basemap=basemap,
        assets=map_assets(inline=False),
    )

    named = {p.id: p for s in scenarios for p in s.places().values()}
    places.include_router(status_page_router(scenarios))

    @places.get("/api/v1/me")
    def get_me(svc: Svc, user: User = Depends(caller), lang: str = LangQuery) -> dict[str, Any]:
        """Who the token belongs to: name, role, assignment (reporters, with display names in
        `lang` where a served scenario names them) and the corridors in the log."""
        return {
            "name": user.name,
            "role": user.role,
            "scope": list(user.scope),
            "scope_names": {i: display_name(named[i], lang) for i in user.scope if i in named},
            "corridors": svc.live.refresh().corridor_ids(),
        }

    @places.get("/dashboard/map", response_class=HTMLResponse, include_in_schema=False)
    def get_map_page() -> HTMLResponse:
        """The coordinators' map (the page is public; its data needs a reader's token)."""
        return HTMLResponse(
            page, headers={"Content-Security-Policy": MAP_CSP, "Cache-Control": "no-cache"}
        )

    @places.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
    def get_dashboard() -> HTMLResponse:
        """The coordinators' dashboard, map first (the page is public; its data needs a
        reader's token)."""
        return HTMLResponse(
            dashboard, headers={"Content-Security-Policy": MAP_CSP, "Cache-Control": "no-cache"}
        )

    def collection(lang: str, public: bool) -> dict[str, Any]:
        features = []
        for s in scenarios:
            for f in scenario_map(s, lang, public)["features"]:
                f["properties"]["scenario"] = s.name
                features.append(f)
        return {"type": "FeatureCollection", "features": features}

    @places.get("/api/v1/places")
    def get_places(user: Reader, lang: str = LangQuery) -> dict[str, Any]:
        """Every place of the served scenarios (`serve --scenario`), named in `lang`, as GeoJSON."""
        return collection(lang, public=False)

    @places.get("/api/v1/public/places")
    def get_public_places(lang: str = LangQuery) -> dict[str, Any]:
        """The public route's main towns and the destinations, named in `lang` (no token)."""
        return collection(lang, public=True)

    return places
