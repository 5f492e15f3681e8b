"""The one write path of every endpoint: validate, authorise (`deps.permitted`), group-commit,
and one result per submitted item, in order."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.concurrency import run_in_threadpool

from safepassage.api.deps import permitted
from safepassage.api.services import Services
from safepassage.ops.events import EventError, EventIn, validate_event
from safepassage.ops.store import User


async def submit(svc: Services, user: User, raw: list[Any], action: str) -> list[dict[str, Any]]:
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
        future = svc.committer.submit([e for _, e in accepted], user.name, action)
        stored = await asyncio.wrap_future(future)
        for (i, _), r in zip(accepted, stored, strict=True):
            results[i] = {
                "id": r.id,
                "outcome": r.outcome,
                "seq": r.seq,
                **({"message": r.message} if r.message else {}),
            }
    else:
        await run_in_threadpool(svc.store.record_audit, user.name, action, {"rejected": len(raw)})
    return [r for r in results if r is not None]
