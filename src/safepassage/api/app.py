"""The app: shared services, the database-unavailable answer, one router per resource."""

from __future__ import annotations

import inspect
import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from safepassage.api.guard import Guard
from safepassage.api.log_guard import GuardMiddleware, LogGuard
from safepassage.api.model_service import ModelEstimates, models_from_environment
from safepassage.api.routes import (
    admin,
    claims,
    events,
    intake,
    pages,
    public,
    refit,
    reports,
    served_reports,
    state,
    stream,
)
from safepassage.api.routes.claims_pages import claims_pages
from safepassage.api.routes.events import MAX_BULK
from safepassage.api.services import LiveState, RateLimiter, Services, TokenCache
from safepassage.model.names import in_words
from safepassage.model.scenario import Scenario
from safepassage.ops.committer import GroupCommitter
from safepassage.ops.state import StateSettings
from safepassage.ops.status import NEAR_ROUTE_KM
from safepassage.ops.store import EventStore, storage_problem
from safepassage.report.sitrep import md


def create_app(
    store: EventStore,
    *,
    settings: StateSettings | None = None,
    rate: float = 50.0,
    burst: int = 200,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    token_ttl_s: float = 5.0,
    scenarios: Sequence[Scenario] = (),
    basemaps: Mapping[str, Path] | None = None,
    allow_broken_log: bool = False,
    checkpoint_every_s: float = 60.0,
    event_rate: float = 50.0,
    event_burst: int = MAX_BULK,
    failed_auth_rate: float = 1.0,
    failed_auth_burst: int = 20,
    clock_skew_s: float = 600.0,
    base_url: str | None = None,
    docs: bool = False,
    models: ModelEstimates | None = None,
    reports_dir: Path | None = None,
    link_key: bytes | None = None,
) -> FastAPI:
    """The API over `store`. `clock` is injectable so that tests control "now"; a revoked
    token stops working within `token_ttl_s` seconds. Per user, `rate` requests and
    `event_rate` events a second (bursts of `burst` and `event_burst`); per client address,
    `failed_auth_rate` failed authentications a second (bursts of `failed_auth_burst`). Events
    said to happen more than `clock_skew_s` after the server's clock are refused. Feed links
    start with `base_url` (relative without it). `docs`: serve the Swagger page at /docs
    (it loads its script from a CDN, so it is off unless asked for). The log is checked at
    once; a broken one is refused (503) unless `allow_broken_log` (then every response carries
    a warning); its head is signed every `checkpoint_every_s` seconds and at shutdown.
    `models`: the corridors' model estimates (docs/forecast.md, "Live estimates").
    `reports_dir`: the plan, forecast and brief files served to readers; their tab links are
    signed with `link_key` (random when not given: then good in this process only)."""
    settings = settings or StateSettings()
    if scenarios and not settings.places:
        # Where the served scenarios' places are: an incident near the route (by distance)
        # contradicts an open status, one far from it does not (docs/figures.md).
        places = {p.id: p.at for s in scenarios for p in s.places().values()}
        settings = replace(settings, places=tuple((i, a[0], a[1]) for i, a in places.items()))
    guard = LogGuard(store, allow_broken=allow_broken_log, every_s=checkpoint_every_s)
    svc = Services(
        store=store,
        settings=settings,
        live=LiveState(store, settings),
        limiter=RateLimiter(rate, burst),
        event_limiter=RateLimiter(event_rate, max(event_burst, 1)),
        failures=RateLimiter(failed_auth_rate, failed_auth_burst),
        committer=GroupCommitter(store),
        users=TokenCache(store, token_ttl_s),
        clock=clock,
        guard=guard,
        clock_skew_s=clock_skew_s,
        base_url=base_url.rstrip("/") if base_url else None,
        models=models or ModelEstimates(),
        place_words=in_words(list(scenarios), escape=md),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        guard.start()
        svc.models.start(svc.live, svc.clock)
        yield
        svc.models.stop()
        svc.committer.close()
        guard.stop()

    app = FastAPI(
        title="safepassage operations API",
        version="1",
        description="The corridor's event log, live state and report intake.",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        **_without_telemetry(),
    )
    app.state.services = svc
    app.add_exception_handler(DBAPIError, _database_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    for module in (events, stream, state, public, reports, intake, admin, claims, pages, refit):
        app.include_router(module.router)
    # The plan, forecast and brief files of `serve --reports DIR` (readers; signed tab links).
    app.include_router(
        served_reports.reports_router(reports_dir, link_key or secrets.token_bytes(32))
    )
    # Maps: the package's static files, the basemaps, the scenarios' places and names.
    app.include_router(pages.map_routes(basemaps or {}))
    app.include_router(pages.places_router(list(scenarios), basemaps or {}))
    app.include_router(claims_pages(list(scenarios)))  # the claims' HTML pages (issue 11)
    # The last added runs first. The log guard is outermost: a broken log is refused (503)
    # before any token is looked up in a database that may have been tampered with, and its
    # warning reaches every answer, the gate's 401/413/429 included; it puts the security
    # headers on its own 503 (docs/design.md). Inside it, the gate (auth before the body).
    app.add_middleware(Guard, services=svc)
    app.add_middleware(GuardMiddleware, guard=guard)
    return app


def _without_telemetry() -> dict[str, Any]:
    """FastAPI's OpenTelemetry hooks off, where this FastAPI has them: the service runs
    offline with no collector, and asking for a tracer provider on every request cost about
    4 % of a write's CPU (docs/benchmarks.md)."""
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {
        "telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
    }


def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 naming each bad field, without echoing the input (it may be NaN or infinity, which
    JSON cannot carry, or simply large)."""
    detail = [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in exc.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def _database_unavailable(request: Request, exc: DBAPIError) -> JSONResponse:
    # Nothing was acknowledged; retry is safe because events are idempotent by id. A full
    # disk or a read-only database is said as such: retrying soon will not help.
    problem = storage_problem(exc)
    if problem is not None:
        return JSONResponse(
            {"detail": f"{problem}; nothing was recorded. Tell the operator."},
            status_code=503,
            headers={"Retry-After": "60"},
        )
    return JSONResponse(
        {"detail": "the database is unavailable; nothing was recorded, retry shortly"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


def app_from_environment() -> FastAPI:
    """The app of `safepassage serve` (one per server process): the database, the public
    delay, the staleness rule, the base URL of links and the reports' directory come from
    SAFEPASSAGE_DB, SAFEPASSAGE_PUBLIC_DELAY_MIN, SAFEPASSAGE_STATUS_STALE_AFTER_MIN,
    SAFEPASSAGE_BASE_URL and SAFEPASSAGE_REPORTS; the key that signs report links (the same
    in every worker) from SAFEPASSAGE_LINK_KEY."""
    import gc
    import os

    store = EventStore(os.environ.get("SAFEPASSAGE_DB", "safepassage-ops.db"))
    delay = max(0.0, float(os.environ.get("SAFEPASSAGE_PUBLIC_DELAY_MIN", "60")))
    allow = bool(os.environ.get("SAFEPASSAGE_ALLOW_BROKEN_LOG"))
    stale = max(1.0, float(os.environ.get("SAFEPASSAGE_STATUS_STALE_AFTER_MIN", "180")))
    near = max(0.0, float(os.environ.get("SAFEPASSAGE_NEAR_ROUTE_KM", str(NEAR_ROUTE_KM))))
    settings = StateSettings(
        public_delay_min=delay, status_stale_after_min=stale, near_route_km=near
    )
    app = create_app(
        store,
        settings=settings,
        allow_broken_log=allow,
        base_url=os.environ.get("SAFEPASSAGE_BASE_URL") or None,
        scenarios=pages.scenarios_from_environment(),
        basemaps=pages.basemaps_from_environment(),
        models=models_from_environment(),
        reports_dir=Path(os.environ["SAFEPASSAGE_REPORTS"])
        if os.environ.get("SAFEPASSAGE_REPORTS")
        else None,
        link_key=bytes.fromhex(os.environ.get("SAFEPASSAGE_LINK_KEY", "")) or None,
    )
    # Latency under load (measured, docs/benchmarks.md): the collector's passes over the
    # app's long-lived objects caused most of the p99 tail; freeze them, collect less often.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    return app
