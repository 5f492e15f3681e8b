"""Report intake from the field: one compact text (SMS) or a CSV of counts."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

import csv
import io
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from safepassage.api.deps import ID_PATTERN, Svc, Writer
from safepassage.api.writes import submit
from safepassage.ops.intake import CheckpointCount, acknowledgement, parse_report
from safepassage.ops.state import Projection

INTAKE_NAMESPACE = uuid.UUID("5afe9a55-0000-4000-8000-000000002022")

router = APIRouter()


@router.post("/api/v1/intake/sms", response_class=PlainTextResponse)
async def post_sms(
    user: Writer,
    svc: Svc,
    text: Annotated[str, Body(media_type="text/plain", max_length=500)],
    corridor: Annotated[str, Query(pattern=ID_PATTERN, max_length=64)] = "default",
    tz: Annotated[str, Query(max_length=64)] = "Europe/Kyiv",
) -> PlainTextResponse:
    """One compact report, e.g. `CP MANHUSH 1405 OUT 42 CARS 130 PPL`; the answer is a
    one-line acknowledgement or a rejection that says how to fix it. Sending the same text
    again the same day stores it once."""
    if user.role == "reporter":
        scope = user.scope
    else:
        scope = _known_checkpoints(await run_in_threadpool(svc.live.refresh), corridor)
    parsed = parse_report(text, scope)
    if not isinstance(parsed, CheckpointCount):
        await run_in_threadpool(
            svc.store.record_audit, user.name, "intake.sms", {"rejected": str(parsed)}
        )
        return PlainTextResponse(str(parsed), status_code=422)
    event = _sms_event(parsed, text, user.name, corridor, tz, svc.clock())
    (result,) = await submit(svc, user, [event], "intake.sms")
    if result["outcome"] in ("stored", "duplicate"):
        return PlainTextResponse(acknowledgement(parsed) + f" #{result['seq']}")
    return PlainTextResponse(
        f"NOT RECORDED: {result.get('message', result['outcome'])}", status_code=422
    )


@router.post("/api/v1/intake/csv")
async def post_csv(
    user: Writer,
    svc: Svc,
    body: Annotated[str, Body(media_type="text/csv", max_length=2_000_000)],
    corridor: Annotated[str, Query(pattern=ID_PATTERN, max_length=64)] = "default",
) -> dict[str, Any]:
    """Counts as CSV with a header: id,occurred_at,checkpoint,direction,vehicles,buses,people
    (id optional: made from the row when absent). One result per row, with its line."""
    try:
        rows = list(csv.DictReader(io.StringIO(body, newline="")))
    except csv.Error as exc:
        raise HTTPException(422, f"not readable as CSV: {exc}") from None
    events: list[dict[str, Any]] = []
    lines: list[int] = []
    results: list[dict[str, Any]] = []
    for line, row in enumerate(rows, start=2):
        try:
            data = {
                "checkpoint": (row.get("checkpoint") or "").strip(),
                "direction": (row.get("direction") or "out").strip(),
                "vehicles": int(row.get("vehicles") or 0),
                "buses": int(row.get("buses") or 0),
            }
            if (row.get("people") or "").strip():
                data["people"] = int(row["people"])
        except ValueError as exc:
            results.append(
                {"line": line, "outcome": "invalid", "message": f"not a whole number: {exc}"}
            )
            continue
        ident = (row.get("id") or "").strip() or str(
            uuid.uuid5(
                INTAKE_NAMESPACE,
                f"csv|{user.name}|{corridor}|{sorted((str(k), str(v)) for k, v in row.items())}",
            )
        )
        events.append(
            {
                "id": ident,
                "type": "checkpoint_count",
                "occurred_at": (row.get("occurred_at") or "").strip(),
                "corridor": corridor,
                "source": f"csv upload by {user.name}",
                "data": data,
            }
        )
        lines.append(line)
    for line, r in zip(lines, await submit(svc, user, events, "intake.csv"), strict=True):
        results.append({"line": line, **r})
    results.sort(key=lambda r: int(r["line"]))
    return {"results": results, "stored": sum(r["outcome"] == "stored" for r in results)}


def _known_checkpoints(projection: Projection, corridor: str) -> list[str]:
    c = projection.corridors.get(corridor)
    known = set(c.checkpoints) if c else set()
    for e in c.announced.values() if c else []:
        known.update(e.data["route"])
    return sorted(known)


def _sms_event(
    parsed: CheckpointCount, text: str, reporter: str, corridor: str, tz: str, now: datetime
) -> dict[str, Any]:
    """The event of an SMS report: its time is today's HH:MM in `tz` (yesterday's when that
    would be in the future: a report sent after midnight about the evening)."""
    try:
        zone = ZoneInfo(tz)
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        raise HTTPException(
            422, f"unknown time zone {tz!r}; use an IANA name such as Europe/Kyiv"
        ) from None
    local_now = now.astimezone(zone)
    at = local_now.replace(hour=parsed.at.hour, minute=parsed.at.minute, second=0, microsecond=0)
    if at > local_now + timedelta(minutes=5):
        at -= timedelta(days=1)
    normalised = " ".join(text.upper().split())
    return {
        "id": str(uuid.uuid5(INTAKE_NAMESPACE, f"sms|{reporter}|{at.date()}|{normalised}")),
        "type": "checkpoint_count",
        "occurred_at": at.isoformat(),
        "corridor": corridor,
        "source": f"sms from {reporter}",
        "data": {
            "checkpoint": parsed.checkpoint,
            "direction": parsed.direction,
            "vehicles": parsed.vehicles,
            "buses": parsed.buses,
            **({"people": parsed.people} if parsed.people is not None else {}),
        },
    }
