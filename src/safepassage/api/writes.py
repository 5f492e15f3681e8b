"""The one write path of every endpoint: validate, authorise (the rules are in `deps`), check
corrections against what is stored, group-commit; one result per submitted item, in order.
An item that fails any check is answered on its own and never fails another."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from uuid import UUID

from fastapi import HTTPException
from fastapi.concurrency import run_in_threadpool

from safepassage.api.deps import correction_problem, normalised, permitted
from safepassage.api.services import Services
from safepassage.ops.events import EventError, EventIn, validate_event
from safepassage.ops.store import Target, User


def _invalid(ident: Any, field: str, message: str) -> dict[str, Any]:
    return {"id": ident, "outcome": "invalid", "problems": [{"field": field, "message": message}]}


def _validated(svc: Services, raw: Any) -> EventIn | dict[str, Any]:
    """The event, or the answer saying what is wrong with it."""
    ident = raw.get("id") if isinstance(raw, dict) else None
    try:
        event = validate_event(raw)  # its times are in range in UTC: its content can be stored
    except EventError as exc:
        return {
            "id": ident if isinstance(ident, str) else None,
            "outcome": "invalid",
            "problems": [{"field": f, "message": m} for f, m in exc.problems],
        }
    latest = svc.clock() + timedelta(seconds=svc.clock_skew_s)
    if event.occurred_at > latest:
        return _invalid(
            str(event.id),
            "occurred_at",
            f"in the future (more than {svc.clock_skew_s:g} s after the server's clock, "
            f"{svc.clock():%Y-%m-%dT%H:%M:%SZ}); check the device's clock and time zone",
        )
    return event


async def submit(svc: Services, user: User, raw: list[Any], action: str) -> list[dict[str, Any]]:
    wait = svc.event_limiter.allow(user.name, cost=max(1, len(raw)))
    if wait:
        raise HTTPException(
            429,
            f"too many events: at most {svc.event_limiter.rate:g} a second "
            f"(bursts of {svc.event_limiter.burst}); nothing was recorded, send again later",
            {"Retry-After": str(max(1, round(wait)))},
        )
    results: list[dict[str, Any] | None] = [None] * len(raw)
    checked: list[tuple[int, EventIn]] = []
    for i, item in enumerate(raw):
        event = _validated(svc, item)
        if isinstance(event, dict):
            results[i] = event
            continue
        why = permitted(user, event)
        if why:
            results[i] = {"id": str(event.id), "outcome": "forbidden", "message": why}
            continue
        checked.append((i, event))
    accepted = await _in_known_corridors(svc, checked, results)
    accepted = await _corrections(svc, user, accepted, results)
    if accepted:
        final = [normalised(user, e) for _, e in accepted]
        stored = await svc.committer.write(final, user.name, action)
        for (i, _), event, r in zip(accepted, final, stored, strict=True):
            results[i] = _answer(user, r.id, r.outcome, r.seq, r.message)
            if r.outcome == "stored" and event.status == "held":
                results[i]["message"] = (  # type: ignore[index]
                    "held for review: more people than the vehicles can carry "
                    "(see docs/security.md); kept out of every figure until a coordinator checks it"
                )
    else:
        await run_in_threadpool(svc.store.record_audit, user.name, action, {"rejected": len(raw)})
    return [r for r in results if r is not None]


def _answer(user: User, ident: str, outcome: str, seq: int | None, message: str) -> dict[str, Any]:
    """A stored item's result. Reporters get a receipt instead of the log position, which
    would tell them how much everyone else has reported."""
    out: dict[str, Any] = {"id": ident, "outcome": outcome}
    if user.role == "reporter":
        out["receipt"] = hashlib.sha256(f"{ident}|{seq}".encode()).hexdigest()[:8]
    else:
        out["seq"] = seq
    if message:
        out["message"] = message
    return out


async def _in_known_corridors(
    svc: Services, items: list[tuple[int, EventIn]], results: list[dict[str, Any] | None]
) -> list[tuple[int, EventIn]]:
    """Items whose corridor was announced (or that announce it); the rest are answered."""
    announcing = {e.corridor for _, e in items if e.type == "corridor_announced"}
    unknown = {e.corridor for _, e in items} - announcing - svc.live.announced
    if unknown:
        await run_in_threadpool(svc.live.refresh)
    kept = []
    for i, e in items:
        if e.corridor in announcing or e.corridor in svc.live.announced:
            kept.append((i, e))
        else:
            results[i] = {
                "id": str(e.id),
                "outcome": "forbidden",
                "message": f"corridor {e.corridor!r} was never announced; "
                "a coordinator announces a corridor before anything is reported on it",
            }
    return kept


async def _corrections(
    svc: Services,
    user: User,
    items: list[tuple[int, EventIn]],
    results: list[dict[str, Any] | None],
) -> list[tuple[int, EventIn]]:
    """Items that correct nothing, or an event they may correct (named by the id its writer
    gave it); `supersedes` is set to where that event is stored."""
    refs = {str(e.supersedes) for _, e in items if e.supersedes is not None}
    if not refs:
        return items
    ids = refs | {svc.store.scoped_id(user.name, r) for r in refs}
    stored = await run_in_threadpool(svc.store.targets, sorted(ids))
    in_batch: dict[str, Target] = {}
    kept = []
    for i, e in items:
        target, where = None, ""
        if e.supersedes is not None:
            target, where = _resolve(svc, user, str(e.supersedes), stored, in_batch)
            why = correction_problem(user, e, target)
            if why:
                results[i] = _invalid(str(e.id), "supersedes", why)
                continue
            e = e.model_copy(update={"supersedes": UUID(where)})
        kept.append((i, e))
        taken = stored.get(str(e.id))
        mine = taken is None or taken.reporter == user.name
        at = str(e.id) if mine else svc.store.scoped_id(user.name, str(e.id))
        in_batch[str(e.id)] = Target(at, e.corridor, e.type, user.name)
    return kept


def _resolve(
    svc: Services,
    user: User,
    ref: str,
    stored: dict[str, Target],
    in_batch: dict[str, Target],
) -> tuple[Target | None, str]:
    """The event `ref` names for `user` and its stored id: the user's own first (as stored, or
    earlier in this submission), else, for those who correct others, the stored id itself."""
    if ref in in_batch:
        return in_batch[ref], in_batch[ref].id
    for ident in (svc.store.scoped_id(user.name, ref), ref):
        t = stored.get(ident)
        if t is not None and t.reporter == user.name:
            return t, t.id
    t = stored.get(ref)
    return t, ref
