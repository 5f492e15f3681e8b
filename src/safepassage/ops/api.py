"""The HTTP API (FastAPI; its OpenAPI spec is at /openapi.json).

Token authentication (`Authorization: Bearer TOKEN`); roles: admin, coordinator, reporter
(limited to named checkpoints or convoys), observer; and a public view that needs no token
and is aggregate and delayed. Every write is audited; events are idempotent by their id.
"""

# No `from __future__ import annotations`: FastAPI must see the dependencies defined inside
# create_app() when it reads the signatures.

import asyncio
import csv
import io
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Body, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi import Path as FastApiPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from sqlalchemy.exc import DBAPIError

from safepassage.ops.committer import GroupCommitter
from safepassage.ops.events import EventError, EventIn, validate_event
from safepassage.ops.intake import CheckpointCount, acknowledgement, parse_report
from safepassage.ops.state import Projection, PublicProjection, StateSettings
from safepassage.ops.store import EventStore, User
from safepassage.report.cap import alert_xml, alerts_feed, public_alerts
from safepassage.report.hxl import hxl_csv
from safepassage.report.sitrep import sitrep_markdown
from safepassage.web.dashboard import DASHBOARD_HTML
from safepassage.web.public import pick_language, public_page_html

MAX_BULK = 1000
WRITE_ROLES = {"admin", "coordinator", "reporter"}
READ_ROLES = {"admin", "coordinator", "observer"}
#: What a reporter may write (within their scope); the rest is for coordinators.
REPORTER_TYPES = {
    "checkpoint_count",
    "waypoint_passage",
    "incident",
    "bus_movement",
    "aid_delivery",
}
#: The payload field that names what a reporter's scope must include.
SCOPED_FIELD = {"checkpoint_count": "checkpoint", "waypoint_passage": "convoy"}
ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
CorridorQuery = Annotated[str | None, Query(pattern=ID_PATTERN, max_length=64)]
INTAKE_NAMESPACE = uuid.UUID("5afe9a55-0000-4000-8000-000000002022")
#: The pages load nothing from anywhere: the browser enforces it even if markup got in.
PUBLIC_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'"
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; form-action 'none'"
)


class RateLimiter:
    """A token bucket per caller: `rate` requests a second, bursts of `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0 if allowed now, else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate


class TokenCache:
    """Who a token belongs to, remembered for `ttl_s` seconds (a revoked token stops working
    within that time in every server process)."""

    def __init__(self, store: EventStore, ttl_s: float = 5.0) -> None:
        self.store, self.ttl_s = store, ttl_s
        self._cache: dict[str, tuple[User | None, float]] = {}

    async def get(self, token: str) -> User | None:
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit is not None and hit[1] > now:
            return hit[0]
        user = await run_in_threadpool(self.store.user_for_token, token)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (user, now + self.ttl_s)
        return user


class LiveState:
    """The projection kept up to date with the log (also with writes by other processes)."""

    def __init__(self, store: EventStore, settings: StateSettings) -> None:
        self.store, self.settings = store, settings
        self.projection = Projection(settings)
        self._lock = threading.Lock()
        self.public_projection = PublicProjection(settings)
        self._public: tuple[int, dict[str, Any]] | None = None

    def refresh(self) -> Projection:
        with self._lock:
            # The head is one index lookup on either backend; a range read is only planned
            # well once the database has statistics, so skip it when nothing is new.
            if self.store.head() <= self.projection.last_seq:
                return self.projection
            while True:
                batch = self.store.read(after=self.projection.last_seq, limit=10_000)
                if not batch:
                    return self.projection
                for e in batch:
                    self.projection.apply(e)

    def public(self, now: datetime) -> dict[str, Any]:
        """The public view, brought forward at most once a minute."""
        minute = int(now.timestamp() // 60)
        with self._lock:
            cached = self._public
            if cached is not None and cached[0] == minute:
                return cached[1]
            cutoff = self.public_projection.advance(
                lambda after: self.store.read(after=after, limit=10_000), now
            )
            view = self.public_projection.view(cutoff)
            self._public = (minute, view)
            return view


def known_state(projection: Projection, corridor: str, now: datetime) -> dict[str, Any]:
    """A corridor's live state, or 404 when the log has nothing for it."""
    state = projection.corridor_state(corridor, now)
    if not state["known"]:
        raise HTTPException(404, f"no events for corridor {corridor!r}")
    return state


def create_app(
    store: EventStore,
    *,
    settings: StateSettings | None = None,
    rate: float = 50.0,
    burst: int = 200,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    token_ttl_s: float = 5.0,
) -> FastAPI:
    """The API over `store`. `clock` is injectable so that tests control "now"; a revoked
    token stops working within `token_ttl_s` seconds."""
    settings = settings or StateSettings()
    live = LiveState(store, settings)
    limiter = RateLimiter(rate, burst)
    committer = GroupCommitter(store)
    users = TokenCache(store, token_ttl_s)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        committer.close()

    app = FastAPI(
        title="safepassage operations API",
        version="1",
        description="The corridor's event log, live state and report intake.",
        lifespan=lifespan,
    )

    @app.exception_handler(DBAPIError)
    def database_unavailable(request: Request, exc: DBAPIError) -> JSONResponse:
        # The database restarting or unreachable: nothing was acknowledged; retry is safe
        # because events are idempotent by id.
        return JSONResponse(
            {"detail": "the database is unavailable; nothing was recorded, retry shortly"},
            status_code=503,
            headers={"Retry-After": "1"},
        )

    async def caller(authorization: Annotated[str | None, Header()] = None) -> User:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise HTTPException(
                401, "send Authorization: Bearer TOKEN", {"WWW-Authenticate": "Bearer"}
            )
        user = await users.get(authorization[7:].strip())
        if user is None:
            raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
        wait = limiter.allow(user.name)
        if wait:
            raise HTTPException(429, "too many requests", {"Retry-After": str(max(1, round(wait)))})
        return user

    async def writer(user: Annotated[User, Depends(caller)]) -> User:
        if user.role not in WRITE_ROLES:
            raise HTTPException(403, f"role {user.role} may not write")
        return user

    async def reader(user: Annotated[User, Depends(caller)]) -> User:
        if user.role not in READ_ROLES:
            raise HTTPException(403, f"role {user.role} may not read the live state")
        return user

    async def admin(user: Annotated[User, Depends(caller)]) -> User:
        if user.role != "admin":
            raise HTTPException(403, "admin only")
        return user

    def permitted(user: User, event: EventIn) -> str | None:
        """Why `user` may not write `event`, or None."""
        if user.role != "reporter":
            return None
        if event.type not in REPORTER_TYPES:
            return f"reporters may not write {event.type} events"
        name = SCOPED_FIELD.get(event.type)
        if name and event.data.get(name) not in user.scope:
            return f"{name} {event.data.get(name)!r} is outside your assignment ({', '.join(user.scope)})"
        return None

    async def submit(user: User, raw: list[Any], action: str) -> list[dict[str, Any]]:
        results: list[dict[str, Any] | None] = [None] * len(raw)
        accepted: list[tuple[int, EventIn]] = []
        for i, item in enumerate(raw):
            try:
                event = validate_event(item)
            except EventError as exc:
                ident = item.get("id") if isinstance(item, dict) else None
                results[i] = {
                    "id": ident,
                    "outcome": "invalid",
                    "problems": [{"field": f, "message": m} for f, m in exc.problems],
                }
                continue
            why = permitted(user, event)
            if why:
                results[i] = {"id": str(event.id), "outcome": "forbidden", "message": why}
                continue
            accepted.append((i, event))
        if accepted:
            future = committer.submit([e for _, e in accepted], user.name, action)
            stored = await asyncio.wrap_future(future)
            for (i, _), r in zip(accepted, stored, strict=True):
                results[i] = {
                    "id": r.id,
                    "outcome": r.outcome,
                    "seq": r.seq,
                    **({"message": r.message} if r.message else {}),
                }
        else:
            await run_in_threadpool(store.record_audit, user.name, action, {"rejected": len(raw)})
        return [r for r in results if r is not None]

    @app.get("/api/v1/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "backend": store.backend, "events": store.head()}

    @app.post("/api/v1/events", status_code=201)
    async def post_event(
        user: Annotated[User, Depends(writer)], event: Annotated[dict[str, Any], Body()]
    ) -> JSONResponse:
        """Record one event. 201 stored, 200 already stored (same content), 409 the id is taken
        by different content, 403 outside the reporter's assignment, 422 invalid."""
        (result,) = await submit(user, [event], "events.post")
        code = {"stored": 201, "duplicate": 200, "conflict": 409, "forbidden": 403, "invalid": 422}
        return JSONResponse(result, status_code=code[result["outcome"]])

    @app.post("/api/v1/events/bulk")
    async def post_bulk(
        user: Annotated[User, Depends(writer)],
        events: Annotated[list[Any], Body(max_length=MAX_BULK)],
    ) -> dict[str, Any]:
        """Record up to 1,000 events (a phone flushing its offline queue); one result each,
        in order. Resending the same queue is safe."""
        results = await submit(user, events, "events.bulk")
        return {"results": results, "stored": sum(r["outcome"] == "stored" for r in results)}

    @app.get("/api/v1/events")
    def get_events(
        user: Annotated[User, Depends(reader)],
        response: Response,
        after: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
        corridor: CorridorQuery = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Any:
        """The log in order, a page at a time: pass the last `seq` as `after`."""
        etag = _etag(store.head(), after, limit, corridor)
        if if_none_match == etag:
            return Response(status_code=304, headers={"ETag": etag})
        page = store.read(after=after, limit=limit, corridor=corridor)
        response.headers["ETag"] = etag
        return {
            "events": [e.as_dict() for e in page],
            "next_after": page[-1].seq if len(page) == limit else None,
        }

    @app.get("/api/v1/state/{corridor}")
    def get_state(
        corridor: str,
        user: Annotated[User, Depends(reader)],
        response: Response,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Any:
        """The live state of one corridor: status, counts, throughput, convoys, ETAs, alerts."""
        now = clock()
        projection = live.refresh()
        etag = _etag(projection.last_seq, int(now.timestamp() // 60), corridor)
        if if_none_match == etag:
            return Response(status_code=304, headers={"ETag": etag})
        response.headers["ETag"] = etag
        return known_state(projection, corridor, now)

    @app.get("/api/v1/public/status")
    @app.get("/status.json")  # the public page's JSON twin
    def get_public(response: Response) -> dict[str, Any]:
        """For the public and families: aggregate and delayed; no token needed."""
        response.headers["Cache-Control"] = "public, max-age=60"
        return live.public(clock())

    @app.get("/status", response_class=HTMLResponse)
    def get_status_page(
        lang: Annotated[str | None, Query(pattern="^[a-z]{2}$")] = None,
        accept_language: Annotated[str | None, Header(max_length=500)] = None,
    ) -> HTMLResponse:
        """The public status page (HTML, no script; JSON twin: /status.json), in English or
        Ukrainian (`lang`, else the browser's Accept-Language)."""
        language = pick_language(lang, accept_language)
        return HTMLResponse(
            public_page_html(live.public(clock()), language),
            headers={
                "Cache-Control": "public, max-age=60",
                "Content-Security-Policy": PUBLIC_CSP,
                "Content-Language": language,
                "Vary": "Accept-Language",
            },
        )

    @app.get("/dashboard", response_class=HTMLResponse)
    def get_dashboard() -> HTMLResponse:
        """The coordinators' dashboard (the page itself is public; its data needs a token)."""
        return HTMLResponse(
            DASHBOARD_HTML, headers={"Cache-Control": "no-cache", "Content-Security-Policy": CSP}
        )

    @app.get("/api/v1/state")
    def get_corridors(user: Annotated[User, Depends(reader)]) -> dict[str, list[str]]:
        """The corridors in the log."""
        return {"corridors": live.refresh().corridor_ids()}

    @app.get("/api/v1/state/{corridor}/sitrep.md", response_class=PlainTextResponse)
    def get_sitrep(
        corridor: Annotated[str, FastApiPath(pattern=ID_PATTERN, max_length=64)],
        user: Annotated[User, Depends(reader)],
    ) -> PlainTextResponse:
        """The corridor's situation report (Markdown): status, counts confirmed and unconfirmed
        apart, queues, convoys and ETAs, alerts, incidents."""
        state = known_state(live.refresh(), corridor, clock())
        return PlainTextResponse(sitrep_markdown(state), media_type="text/markdown")

    @app.get("/api/v1/state/{corridor}/hxl.csv", response_class=PlainTextResponse)
    def get_hxl(
        corridor: Annotated[str, FastApiPath(pattern=ID_PATTERN, max_length=64)],
        user: Annotated[User, Depends(reader)],
    ) -> PlainTextResponse:
        """The corridor's checkpoint counts as HXL-tagged CSV."""
        state = known_state(live.refresh(), corridor, clock())
        return PlainTextResponse(hxl_csv([state]), media_type="text/csv")

    @app.get("/api/v1/public/cap.atom", response_class=Response)
    def get_cap_feed(request: Request) -> Response:
        """An Atom feed of the corridors' CAP alerts (public, delayed; for alert aggregators)."""
        base = str(request.base_url).rstrip("/")
        return Response(
            alerts_feed(live.public(clock()), base),
            media_type="application/atom+xml",
            headers={"Cache-Control": "public, max-age=60"},
        )

    @app.get("/api/v1/public/cap/{corridor}.xml", response_class=Response)
    def get_cap(
        corridor: Annotated[str, FastApiPath(pattern=ID_PATTERN, max_length=64)],
    ) -> Response:
        """The corridor's public status as a CAP 1.2 alert (aggregate and delayed; no token)."""
        alerts = public_alerts(live.public(clock()), corridor=corridor)
        if not alerts:
            raise HTTPException(404, f"nothing public yet for corridor {corridor!r}")
        return Response(
            alert_xml(alerts[0]),
            media_type="application/cap+xml",
            headers={"Cache-Control": "public, max-age=60"},
        )

    @app.post("/api/v1/intake/sms", response_class=PlainTextResponse)
    async def post_sms(
        user: Annotated[User, Depends(writer)],
        text: Annotated[str, Body(media_type="text/plain", max_length=500)],
        corridor: Annotated[str, Query(pattern=ID_PATTERN, max_length=64)] = "default",
        tz: Annotated[str, Query(max_length=64)] = "Europe/Kyiv",
    ) -> PlainTextResponse:
        """One compact report, e.g. `CP MANHUSH 1405 OUT 42 CARS 130 PPL`; the answer is a
        one-line acknowledgement or a rejection that says how to fix it. Sending the same text
        again the same day stores it once."""
        if user.role == "reporter":
            scope = user.scope
        else:
            scope = _known_checkpoints(await run_in_threadpool(live.refresh), corridor)
        parsed = parse_report(text, scope)
        if not isinstance(parsed, CheckpointCount):
            await run_in_threadpool(
                store.record_audit, user.name, "intake.sms", {"rejected": str(parsed)}
            )
            return PlainTextResponse(str(parsed), status_code=422)
        event = _sms_event(parsed, text, user.name, corridor, tz, clock())
        (result,) = await submit(user, [event], "intake.sms")
        if result["outcome"] in ("stored", "duplicate"):
            return PlainTextResponse(acknowledgement(parsed) + f" #{result['seq']}")
        return PlainTextResponse(
            f"NOT RECORDED: {result.get('message', result['outcome'])}", status_code=422
        )

    @app.post("/api/v1/intake/csv")
    async def post_csv(
        user: Annotated[User, Depends(writer)],
        body: Annotated[str, Body(media_type="text/csv", max_length=2_000_000)],
        corridor: Annotated[str, Query(pattern=ID_PATTERN, max_length=64)] = "default",
    ) -> dict[str, Any]:
        """Counts as CSV with a header: id,occurred_at,checkpoint,direction,vehicles,buses,people
        (id optional: made from the row when absent). One result per row, with its line."""
        try:
            rows = list(csv.DictReader(io.StringIO(body, newline="")))
        except csv.Error as exc:
            raise HTTPException(422, f"not readable as CSV: {exc}") from None
        events: list[dict[str, Any]] = []
        lines: list[int] = []
        results: list[dict[str, Any]] = []
        for line, row in enumerate(rows, start=2):
            try:
                data = {
                    "checkpoint": (row.get("checkpoint") or "").strip(),
                    "direction": (row.get("direction") or "out").strip(),
                    "vehicles": int(row.get("vehicles") or 0),
                    "buses": int(row.get("buses") or 0),
                }
                if (row.get("people") or "").strip():
                    data["people"] = int(row["people"])
            except ValueError as exc:
                results.append(
                    {"line": line, "outcome": "invalid", "message": f"not a whole number: {exc}"}
                )
                continue
            ident = (row.get("id") or "").strip() or str(
                uuid.uuid5(
                    INTAKE_NAMESPACE,
                    f"csv|{user.name}|{corridor}|{sorted((str(k), str(v)) for k, v in row.items())}",
                )
            )
            events.append(
                {
                    "id": ident,
                    "type": "checkpoint_count",
                    "occurred_at": (row.get("occurred_at") or "").strip(),
                    "corridor": corridor,
                    "source": f"csv upload by {user.name}",
                    "data": data,
                }
            )
            lines.append(line)
        for line, r in zip(lines, await submit(user, events, "intake.csv"), strict=True):
            results.append({"line": line, **r})
        results.sort(key=lambda r: int(r["line"]))
        return {"results": results, "stored": sum(r["outcome"] == "stored" for r in results)}

    @app.get("/api/v1/log/verify")
    def verify(user: Annotated[User, Depends(admin)]) -> dict[str, Any]:
        result = store.verify()
        return {
            "ok": result.ok,
            "checked": result.checked,
            "first_bad_seq": result.first_bad_seq,
            "reason": result.reason,
        }

    @app.get("/api/v1/audit")
    def get_audit(
        user: Annotated[User, Depends(admin)], limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> list[dict[str, Any]]:
        return store.audit_trail(limit)

    return app


def app_from_environment() -> FastAPI:
    """The app of `safepassage serve` (one per server process): the database and the public
    delay come from SAFEPASSAGE_DB and SAFEPASSAGE_PUBLIC_DELAY_MIN."""
    import gc
    import os

    store = EventStore(os.environ.get("SAFEPASSAGE_DB", "safepassage-ops.db"))
    delay = float(os.environ.get("SAFEPASSAGE_PUBLIC_DELAY_MIN", "60"))
    app = create_app(store, settings=StateSettings(public_delay_min=delay))
    # Latency under load (measured, docs/benchmarks.md): the collector's passes over the
    # app's long-lived objects caused most of the p99 tail; freeze them, collect less often.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    return app


def _etag(*parts: object) -> str:
    """An ASCII entity tag for the given parts (headers are Latin-1 only)."""
    import hashlib

    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:20] + '"'


def _known_checkpoints(projection: Projection, corridor: str) -> list[str]:
    c = projection.corridors.get(corridor)
    known = set(c.checkpoints) if c else set()
    for e in c.announced.values() if c else []:
        known.update(e.data["route"])
    return sorted(known)


def _sms_event(
    parsed: CheckpointCount, text: str, reporter: str, corridor: str, tz: str, now: datetime
) -> dict[str, Any]:
    """The event of an SMS report: its time is today's HH:MM in `tz` (yesterday's when that
    would be in the future: a report sent after midnight about the evening)."""
    try:
        zone = ZoneInfo(tz)
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        raise HTTPException(
            422, f"unknown time zone {tz!r}; use an IANA name such as Europe/Kyiv"
        ) from None
    local_now = now.astimezone(zone)
    at = local_now.replace(hour=parsed.at.hour, minute=parsed.at.minute, second=0, microsecond=0)
    if at > local_now + timedelta(minutes=5):
        at -= timedelta(days=1)
    normalised = " ".join(text.upper().split())
    return {
        "id": str(uuid.uuid5(INTAKE_NAMESPACE, f"sms|{reporter}|{at.date()}|{normalised}")),
        "type": "checkpoint_count",
        "occurred_at": at.isoformat(),
        "corridor": corridor,
        "source": f"sms from {reporter}",
        "data": {
            "checkpoint": parsed.checkpoint,
            "direction": parsed.direction,
            "vehicles": parsed.vehicles,
            "buses": parsed.buses,
            **({"people": parsed.people} if parsed.people is not None else {}),
        },
    }
