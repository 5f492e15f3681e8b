"""Reports for readers: the situation report (Markdown) and HXL counts (CSV)."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as FastApiPath
from fastapi.responses import PlainTextResponse

from safepassage.api.deps import ID_PATTERN, Reader, Svc
from safepassage.api.routes.state import known_state
from safepassage.report.hxl import hxl_csv
from safepassage.report.sitrep import sitrep_markdown

CorridorPath = Annotated[str, FastApiPath(pattern=ID_PATTERN, max_length=64)]

router = APIRouter()


@router.get("/api/v1/state/{corridor}/sitrep.md", response_class=PlainTextResponse)
def get_sitrep(corridor: CorridorPath, user: Reader, svc: Svc) -> PlainTextResponse:
    """The corridor's situation report (Markdown): status, counts confirmed and unconfirmed
    apart, queues, convoys and ETAs, alerts, incidents."""
    state = known_state(svc.live.refresh(), corridor, svc.clock())
    text = sitrep_markdown(state, words=svc.place_words)
    return PlainTextResponse(text, media_type="text/markdown")


@router.get("/api/v1/state/{corridor}/hxl.csv", response_class=PlainTextResponse)
def get_hxl(corridor: CorridorPath, user: Reader, svc: Svc) -> PlainTextResponse:
    """The corridor's checkpoint counts as HXL-tagged CSV."""
    state = known_state(svc.live.refresh(), corridor, svc.clock())
    return PlainTextResponse(hxl_csv([state]), media_type="text/csv")
