"""The app: shared services, the database-unavailable answer, one router per resource."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from safepassage.api.guard import GuardMiddleware, LogGuard
from safepassage.api.routes import admin, events, intake, pages, public, reports, state, stream
from safepassage.api.services import LiveState, RateLimiter, Services, TokenCache
from safepassage.model.scenario import Scenario
from safepassage.ops.committer import GroupCommitter
from safepassage.ops.state import StateSettings
from safepassage.ops.store import EventStore, storage_problem


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
) -> FastAPI:
    """The API over `store`. `clock` is injectable so that tests control "now"; a revoked
    token stops working within `token_ttl_s` seconds. The log is checked at once; a broken one
    is refused (503) unless `allow_broken_log` (then every response carries a warning); its
    head is signed every `checkpoint_every_s` seconds and at shutdown."""
    settings = settings or StateSettings()
    guard = LogGuard(store, allow_broken=allow_broken_log, every_s=checkpoint_every_s)
    svc = Services(
        store=store,
        settings=settings,
        live=LiveState(store, settings),
        limiter=RateLimiter(rate, burst),
        committer=GroupCommitter(store),
        users=TokenCache(store, token_ttl_s),
        clock=clock,
        guard=guard,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        guard.start()
        yield
        svc.committer.close()
        guard.stop()

    app = FastAPI(
        title="safepassage operations API",
        version="1",
        description="The corridor's event log, live state and report intake.",
        lifespan=lifespan,
    )
    app.state.services = svc
    app.add_exception_handler(DBAPIError, _database_unavailable)  # type: ignore[arg-type]
    for module in (events, stream, state, public, reports, intake, admin, pages):
        app.include_router(module.router)
    # Maps: the package's static files, the basemaps, the scenarios' places and names.
    app.include_router(pages.map_routes(basemaps or {}))
    app.include_router(pages.places_router(list(scenarios), basemaps or {}))
    app.add_middleware(GuardMiddleware, guard=guard)
    return app


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
    """The app of `safepassage serve` (one per server process): the database and the public
    delay come from SAFEPASSAGE_DB and SAFEPASSAGE_PUBLIC_DELAY_MIN."""
    import gc
    import os

    store = EventStore(os.environ.get("SAFEPASSAGE_DB", "safepassage-ops.db"))
    delay = max(0.0, float(os.environ.get("SAFEPASSAGE_PUBLIC_DELAY_MIN", "60")))
    allow = bool(os.environ.get("SAFEPASSAGE_ALLOW_BROKEN_LOG"))
    app = create_app(
        store,
        settings=StateSettings(public_delay_min=delay),
        allow_broken_log=allow,
        scenarios=pages.scenarios_from_environment(),
        basemaps=pages.basemaps_from_environment(),
    )
    # Latency under load (measured, docs/benchmarks.md): the collector's passes over the
    # app's long-lived objects caused most of the p99 tail; freeze them, collect less often.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    return app
