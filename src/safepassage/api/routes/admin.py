"""For admins: verify the log's chain, read the audit trail."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

from typing import Annotated, Any

from fastapi import APIRouter, Query

from safepassage.api.deps import Admin, Svc

router = APIRouter()


@router.get("/api/v1/log/verify")
def verify(user: Admin, svc: Svc) -> dict[str, Any]:
    """Recompute the chains and check them against the signed checkpoints: the first bad
    row and why."""
    return svc.store.verify().as_dict()


@router.get("/api/v1/audit")
def get_audit(
    user: Admin, svc: Svc, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    return svc.store.audit_trail(limit)
