"""The live state for readers (coordinators, observers, admins)."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Response
from fastapi.encoders import jsonable_encoder

from safepassage.api.deps import Reader, Svc
from safepassage.api.services import Services, etag
from safepassage.ops.state import Projection

router = APIRouter()


def known_state(projection: Projection, corridor: str, now: datetime) -> dict[str, Any]:
    """A corridor's live state, or 404 when the log has nothing for it."""
    state = projection.corridor_state(corridor, now)
    if not state["known"]:
        raise HTTPException(404, f"no events for corridor {corridor!r}")
    return state


def encoded(state: object) -> str:
    """The state as FastAPI's JSONResponse would write it (compact, no NaN); values JSON
    lacks (none today) as FastAPI encodes them. Not FastAPI's own serialisation of a route's
    return value: on the state that cost ten times as much (docs/benchmarks.md)."""
    return json.dumps(
        state,
        default=jsonable_encoder,
        ensure_ascii=False,
        allow_nan=False,
        separators=(",", ":"),
    )


def full_state(svc: Services, projection: Projection, corridor: str, now: datetime) -> Any:
    """What GET /api/v1/state/{corridor} and its stream send: the live state and, under a key
    of their own (never mixed into the observed figures), the model estimates."""
    state = known_state(projection, corridor, now)
    return {**state, "model_estimates": svc.models.view(corridor, state["zone"], now)}


@router.get("/api/v1/state/{corridor}")
def get_state(
    corridor: str,
    user: Reader,
    svc: Svc,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The live state of one corridor: status, counts, throughput, convoys, ETAs, alerts."""
    now = svc.clock()
    projection = svc.live.refresh()
    tag = etag(projection.last_seq, int(now.timestamp() // 60), corridor, svc.models.version)
    if if_none_match == tag:
        return Response(status_code=304, headers={"ETag": tag})
    cached = svc.encoded_states.get(tag)
    if cached is None:  # computed and encoded once per log head, minute and model
        cached = encoded(full_state(svc, projection, corridor, now)).encode()
        svc.encoded_states.put(tag, cached)
    return Response(cached, media_type="application/json", headers={"ETag": tag})


@router.get("/api/v1/state")
def get_corridors(user: Reader, svc: Svc) -> dict[str, Any]:
    """The corridors in the log, and the names their announcements gave them."""
    projection = svc.live.refresh()
    return {"corridors": projection.corridor_ids(), "names": projection.corridor_names()}
