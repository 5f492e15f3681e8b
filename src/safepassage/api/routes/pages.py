"""Pages that need script, served with their assets from the package: the field reporters' page
(works offline: a service worker keeps the page, IndexedDB keeps the queue), the map's static
files and basemaps (range requests), and who the caller is (`/api/v1/me`)."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse, Response

from safepassage.api.deps import Svc, caller
from safepassage.ops.store import User
from safepassage.web.assets import STATIC, render
from safepassage.web.tiles import map_router

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


@router.get("/api/v1/me")
def get_me(svc: Svc, user: User = Depends(caller)) -> dict[str, Any]:
    """Who the token belongs to: name, role, assignment (reporters) and known corridors."""
    return {
        "name": user.name,
        "role": user.role,
        "scope": list(user.scope),
        "corridors": svc.live.refresh().corridor_ids(),
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


def map_routes(basemaps: dict[str, Path] | None = None) -> APIRouter:
    """/static/... (map library, glyphs, our modules) and /tiles/{name}.pmtiles."""
    return map_router(basemaps if basemaps is not None else basemaps_from_environment())
