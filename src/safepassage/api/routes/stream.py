"""The live state as a stream (server-sent events): a page sees a new event within about a
second, without polling. A reader's token is needed, so browsers read it with fetch (an
EventSource cannot send a header)."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

import asyncio
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from safepassage.api.deps import Reader, Svc
from safepassage.api.routes.state import encoded, full_state, known_state

router = APIRouter()


#: How often the log's head is looked at (one index lookup), a keep-alive for proxies, and
#: how long one stream lasts before the client reconnects (no connection is held forever).
CHECK_S, KEEP_ALIVE_S, MAX_STREAM_S = 0.5, 15.0, 3600.0


@router.get("/api/v1/state/{corridor}/stream")
async def stream_state(
    corridor: str, user: Reader, svc: Svc, request: Request
) -> StreamingResponse:
    """`event: state` with the corridor's live state, the same JSON as GET
    /api/v1/state/{corridor} (model estimates included), at once, then whenever the log grows,
    the minute turns or the model's estimates change; `: keep-alive` comments in between."""
    projection = await run_in_threadpool(svc.live.refresh)
    known_state(projection, corridor, svc.clock())  # 404 before the stream starts

    async def events() -> AsyncIterator[str]:
        sent: tuple[int, int, int] | None = None
        started = quiet = time.monotonic()
        while time.monotonic() - started < MAX_STREAM_S:
            projection = await run_in_threadpool(svc.live.refresh)
            now = svc.clock()
            key = (projection.last_seq, int(now.timestamp() // 60), svc.models.version)
            if key != sent:  # computed only when the log, the minute or the model moved
                state = await run_in_threadpool(full_state, svc, projection, corridor, now)
                data = encoded(state)
                yield f"id: {key[0]}\nevent: state\ndata: {data}\n\n"
                sent, quiet = key, time.monotonic()
            elif time.monotonic() - quiet > KEEP_ALIVE_S:
                yield ": keep-alive\n\n"
                quiet = time.monotonic()
            await asyncio.sleep(CHECK_S)
            if await request.is_disconnected():
                return

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
