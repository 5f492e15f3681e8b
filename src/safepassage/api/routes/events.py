"""The event log: record one event, a bulk queue, read the log a page at a time."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response
from fastapi.responses import JSONResponse

from safepassage.api.deps import ID_PATTERN, Reader, Svc, Writer
from safepassage.api.services import etag
from safepassage.api.writes import submit

MAX_BULK = 1000
CorridorQuery = Annotated[str | None, Query(pattern=ID_PATTERN, max_length=64)]

router = APIRouter()


@router.post("/api/v1/events", status_code=201)
async def post_event(
    user: Writer, svc: Svc, event: Annotated[dict[str, Any], Body()]
) -> JSONResponse:
    """Record one event. 201 stored, 200 already stored (same content), 409 the id is taken
    by different content, 403 outside the reporter's assignment, 422 invalid."""
    (result,) = await submit(svc, user, [event], "events.post")
    code = {"stored": 201, "duplicate": 200, "conflict": 409, "forbidden": 403, "invalid": 422}
    return JSONResponse(result, status_code=code[result["outcome"]])


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
