"""The event log: record one event, a bulk queue, read the log a page at a time."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from safepassage.api.deps import ID_PATTERN, Reader, Svc, Writer, writer_of
from safepassage.api.services import etag
from safepassage.api.writes import submit

MAX_BULK = 1000
CorridorQuery = Annotated[str | None, Query(pattern=ID_PATTERN, max_length=64)]

router = APIRouter()


#: The body of POST /api/v1/events, for the OpenAPI page (the route reads the body itself).
EVENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.post("/api/v1/events", status_code=201, openapi_extra=EVENT_BODY)
async def post_event(request: Request) -> JSONResponse:
    """Record one event. 201 stored, 200 already stored (same content), 409 the id is taken
    by different content, 403 outside the reporter's assignment, 422 invalid."""
    # The busiest route: it takes the caller and the body itself rather than through
    # FastAPI's dependency solving, with the same rules (deps.writer_of).
    user, svc = await writer_of(request)
    event = _json_object(await request.body())
    (result,) = await submit(svc, user, [event], "events.post")
    code = {"stored": 201, "duplicate": 200, "conflict": 409, "forbidden": 403, "invalid": 422}
    return JSONResponse(result, status_code=code[result["outcome"]])


def _json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or 422 in the shape FastAPI gives for a bad body."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, or nested too deep
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": f"JSON decode error: {exc}"}]
        ) from None
    if not isinstance(value, dict):
        raise RequestValidationError(
            [{"type": "dict_type", "loc": ("body",), "msg": "Input should be a valid dictionary"}]
        )
    return value


@router.post("/api/v1/events/bulk")
async def post_bulk(
    user: Writer, svc: Svc, events: Annotated[list[Any], Body(max_length=MAX_BULK)]
) -> dict[str, Any]:
    """Record up to 1,000 events (a phone flushing its offline queue); one result each,
    in order. Resending the same queue is safe."""
    results = await submit(svc, user, events, "events.bulk")
    return {"results": results, "stored": sum(r["outcome"] == "stored" for r in results)}


@router.get("/api/v1/events")
def get_events(
    user: Reader,
    svc: Svc,
    response: Response,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    corridor: CorridorQuery = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Any:
    """The log in order, a page at a time: pass the last `seq` as `after`."""
    tag = etag(svc.store.head(), after, limit, corridor)
    if if_none_match == tag:
        return Response(status_code=304, headers={"ETag": tag})
    page = svc.store.read(after=after, limit=limit, corridor=corridor)
    response.headers["ETag"] = tag
    return {
        "events": [e.as_dict() for e in page],
        "next_after": page[-1].seq if len(page) == limit else None,
    }
