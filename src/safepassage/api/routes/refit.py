"""A coordinator's request to refit a corridor's model on its confirmed counts."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.concurrency import run_in_threadpool

from safepassage.api.deps import Svc, caller, covers
from safepassage.figures.when import timed
from safepassage.ops.store import User

router = APIRouter()

#: Who may ask for a refit (a write: audited, and it spends the server's time).
REFIT_ROLES = {"admin", "coordinator"}
STATUS = {"started": 202, "running": 202, "too_soon": 429, "nothing_to_fit": 409}


@router.post("/api/v1/state/{corridor}/refit", status_code=202)
async def post_refit(
    corridor: str, user: Annotated[User, Depends(caller)], svc: Svc, response: Response
) -> dict[str, Any]:
    """Refit the corridor's model on its confirmed counts (never unverified or claimed ones),
    in the background; the new estimates appear in the state's `model_estimates`."""
    why = _refused(user, corridor, svc)
    if why is not None:
        await run_in_threadpool(
            svc.store.record_audit, user.name, "state.refit", {"corridor": corridor, "refused": why}
        )
        raise HTTPException(404 if why.startswith("no model") else 403, why)
    now = svc.clock()
    projection = await run_in_threadpool(svc.live.refresh)
    answer = await run_in_threadpool(svc.models.request, corridor, projection, now, by=user.name)
    detail: dict[str, Any] = {"corridor": corridor, "outcome": answer.outcome}
    if answer.counts is not None:
        detail["counts"] = len(answer.counts.observations)
    await run_in_threadpool(svc.store.record_audit, user.name, "state.refit", detail)
    code = STATUS[answer.outcome]
    if code == 429:
        retry = str(max(1, round(answer.retry_after_s)))
        raise HTTPException(429, answer.message, {"Retry-After": retry})
    if code == 409:
        raise HTTPException(409, answer.message)
    response.status_code = code
    counts = answer.counts
    return {
        **detail,
        "message": answer.message,
        "requested_at": timed(now, projection.register.zone(corridor)),
        "source_of_counts": counts.source if counts else None,
        "left_out": list(counts.left_out) if counts else [],
        "see": f"/api/v1/state/{corridor}",
    }


def _refused(user: User, corridor: str, svc: Svc) -> str | None:
    if user.role not in REFIT_ROLES:
        return f"role {user.role} may not refit the model (coordinators and admins do)"
    if not covers(user, corridor):
        return f"corridor {corridor!r} is not one of yours"
    if corridor not in svc.models.setups:
        return (
            f"no model for corridor {corridor!r}: start the service with "
            f"--calibration {corridor}=FILE and its --scenario"
        )
    return None
