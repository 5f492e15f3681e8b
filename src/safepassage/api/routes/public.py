"""What needs no token: health, the public status (JSON and page), CAP alerts and their feed.
(The dashboard page is served with the map pages, in pages.py.)"""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Response
from fastapi import Path as FastApiPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from safepassage.api.deps import ID_PATTERN, READ_ROLES, Svc
from safepassage.model.scenario import Scenario
from safepassage.report.cap import alert_xml, alerts_feed, public_alerts
from safepassage.web.public import PlaceNames, pick_language, public_page_html

#: The pages load nothing from anywhere: the browser enforces it even if markup got in.
PUBLIC_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'"
)

router = APIRouter()


@router.get("/api/v1/health")
async def health(
    svc: Svc, response: Response, authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    """Whether the service is up; when not (503), what kind of problem, to anyone (monitors
    must see it): a broken log, a database that cannot record. Only readers (with their
    token) hear more: the details, the backend and the live event count (which would tell
    anyone what the public delay is there to hide)."""
    user = None
    if authorization and authorization.lower().startswith("bearer "):
        user = await svc.users.get(authorization[7:].strip())
    reader = user is not None and user.role in READ_ROLES
    problems = svc.problems()
    if problems:
        response.status_code = 503
        return {"ok": False, "problems": problems if reader else svc.public_problems()}
    if not reader:
        return {"ok": True}
    head = await run_in_threadpool(svc.store.head)
    check = svc.guard.full_check if svc.guard is not None else "pending"
    return {"ok": True, "backend": svc.store.backend, "events": head, "log_full_check": check}


@router.get("/api/v1/public/status")
@router.get("/status.json")  # the public page's JSON twin
def get_public(svc: Svc, response: Response) -> dict[str, Any]:
    """For the public and families: aggregate and delayed; no token needed."""
    response.headers["Cache-Control"] = "public, max-age=60"
    return svc.live.public(svc.clock())


@router.get("/api/v1/public/cap.atom", response_class=Response)
def get_cap_feed(svc: Svc) -> Response:
    """An Atom feed of the corridors' CAP alerts (public, delayed; for alert aggregators).
    Links start with the configured base URL (`serve --base-url`), never the request's Host
    header (which the client chooses); relative when none is configured."""
    base = svc.base_url or ""
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


def status_page_router(scenarios: Sequence[Scenario]) -> APIRouter:
    """GET /status: the public status page, its places named from `scenarios`."""
    page = APIRouter()
    names = PlaceNames(scenarios)

    @page.get("/status", response_class=HTMLResponse)
    def get_status_page(
        svc: Svc,
        lang: Annotated[str | None, Query(pattern="^[a-z]{2}$")] = None,
        accept_language: Annotated[str | None, Header(max_length=500)] = None,
    ) -> HTMLResponse:
        """The public status page (HTML, no script; JSON twin: /status.json), in Ukrainian,
        English or Russian (`lang`, else the browser's Accept-Language)."""
        language = pick_language(lang, accept_language)
        return HTMLResponse(
            public_page_html(svc.live.public(svc.clock()), language, names),
            headers={
                "Cache-Control": "public, max-age=60",
                "Content-Security-Policy": PUBLIC_CSP,
                "Content-Language": language,
                "Vary": "Accept-Language",
            },
        )

    return page
