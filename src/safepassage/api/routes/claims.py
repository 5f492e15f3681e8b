"""The register of claims for readers: the review queue and a claim's page (JSON and
Markdown). Claims and their reviews are written as events (`POST /api/v1/events`, types
`claim` and `claim_review`), so every step is in the log."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as FastApiPath
from fastapi.responses import PlainTextResponse

from safepassage.api.deps import ID_PATTERN, Reader, Svc
from safepassage.report.claims import claim_markdown

ClaimPath = Annotated[str, FastApiPath(pattern=r"^[0-9a-fA-F-]{36}$")]

router = APIRouter()


@router.get("/api/v1/claims")
def get_queue(
    user: Reader,
    svc: Svc,
    corridor: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Claims awaiting review (reported, unverified, under review), oldest first, each with
    who it is assigned to and the claims it may repeat."""
    register = svc.live.refresh().register
    return {"queue": register.queue(corridor, limit), "pending": register.pending(corridor)}


def _record(svc: Svc, claim: str) -> dict[str, Any]:
    record = svc.live.refresh().register.record(claim.lower())
    if record is None:
        raise HTTPException(404, f"no claim {claim!r} in the log")
    return record


@router.get("/api/v1/claims/{claim}")
def get_claim(claim: ClaimPath, user: Reader, svc: Svc) -> dict[str, Any]:
    """A claim's page: its figures with source, status and time, its status with who
    confirmed, disputed or denied it, its full history, duplicates linked and suggested."""
    return _record(svc, claim)


@router.get("/api/v1/claims/{claim}/page.md", response_class=PlainTextResponse)
def get_claim_page(claim: ClaimPath, user: Reader, svc: Svc) -> PlainTextResponse:
    """The claim's page as Markdown."""
    return PlainTextResponse(claim_markdown(_record(svc, claim)), media_type="text/markdown")
