"""What needs no token: health, the public status (JSON and page), CAP alerts and their feed,
and the dashboard page (its data needs a token)."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from fastapi import Path as FastApiPath
from fastapi.responses import HTMLResponse

from safepassage.api.deps import ID_PATTERN, Svc
from safepassage.report.cap import alert_xml, alerts_feed, public_alerts
from safepassage.web.dashboard import DASHBOARD_HTML
from safepassage.web.public import pick_language, public_page_html

#: The pages load nothing from anywhere: the browser enforces it even if markup got in.
PUBLIC_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'"
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; form-action 'none'"
)

router = APIRouter()


@router.get("/api/v1/health")
def health(svc: Svc, response: Response) -> dict[str, Any]:
    """Whether the service works; when not (503), why: a broken log, a full disk, a
    read-only database."""
    problems = svc.problems()
    if problems:
        response.status_code = 503
        return {"ok": False, "problems": problems}
    return {"ok": True, "backend": svc.store.backend, "events": svc.store.head()}


@router.get("/api/v1/public/status")
@router.get("/status.json")  # the public page's JSON twin
def get_public(svc: Svc, response: Response) -> dict[str, Any]:
    """For the public and families: aggregate and delayed; no token needed."""
    response.headers["Cache-Control"] = "public, max-age=60"
    return svc.live.public(svc.clock())


@router.get("/status", response_class=HTMLResponse)
def get_status_page(
    svc: Svc,
    lang: Annotated[str | None, Query(pattern="^[a-z]{2}$")] = None,
    accept_language: Annotated[str | None, Header(max_length=500)] = None,
) -> HTMLResponse:
    """The public status page (HTML, no script; JSON twin: /status.json), in English or
    Ukrainian (`lang`, else the browser's Accept-Language)."""
    language = pick_language(lang, accept_language)
    return HTMLResponse(
        public_page_html(svc.live.public(svc.clock()), language),
        headers={
            "Cache-Control": "public, max-age=60",
            "Content-Security-Policy": PUBLIC_CSP,
            "Content-Language": language,
            "Vary": "Accept-Language",
        },
    )


@router.get("/dashboard", response_class=HTMLResponse)
def get_dashboard() -> HTMLResponse:
    """The coordinators' dashboard (the page itself is public; its data needs a token)."""
    return HTMLResponse(
        DASHBOARD_HTML, headers={"Cache-Control": "no-cache", "Content-Security-Policy": CSP}
    )


@router.get("/api/v1/public/cap.atom", response_class=Response)
def get_cap_feed(svc: Svc, request: Request) -> Response:
    """An Atom feed of the corridors' CAP alerts (public, delayed; for alert aggregators)."""
    base = str(request.base_url).rstrip("/")
    return Response(
        alerts_feed(svc.live.public(svc.clock()), base),
        media_type="application/atom+xml",
        headers={"Cache-Control": "public, max-age=60"},
    )


@router.get("/api/v1/public/cap/{corridor}.xml", response_class=Response)
def get_cap(
    svc: Svc, corridor: Annotated[str, FastApiPath(pattern=ID_PATTERN, max_length=64)]
) -> Response:
    """The corridor's public status as a CAP 1.2 alert (aggregate and delayed; no token)."""
    alerts = public_alerts(svc.live.public(svc.clock()), corridor=corridor)
    if not alerts:
        raise HTTPException(404, f"nothing public yet for corridor {corridor!r}")
    return Response(
        alert_xml(alerts[0]),
        media_type="application/cap+xml",
        headers={"Cache-Control": "public, max-age=60"},
    )
