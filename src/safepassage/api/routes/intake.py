"""Report intake from the field: one compact text (SMS) or a CSV of counts.

Bodies are read here as bytes (the gate has bounded their size) and must be UTF-8. The
corridor is the reporter's own when they have exactly one; otherwise it must be named.
"""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

import csv
import io
import re
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from safepassage.api.deps import ID_PATTERN, Svc, Writer
from safepassage.api.routes.events import MAX_BULK
from safepassage.api.writes import submit
from safepassage.ops.intake import (
    IncidentReport,
    QueueReport,
    Rejection,
    Report,
    StatusReport,
    acknowledgement,
    parse_message,
)
from safepassage.ops.state import Projection
from safepassage.ops.store import User

INTAKE_NAMESPACE = uuid.UUID("5afe9a55-0000-4000-8000-000000002022")
CorridorParam = Annotated[str | None, Query(pattern=ID_PATTERN, max_length=64)]


def _body(media_type: str) -> dict[str, Any]:
    """The OpenAPI request body of an endpoint that reads its bytes itself."""
    schema = {"type": "string"}
    return {"requestBody": {"required": True, "content": {media_type: {"schema": schema}}}}


router = APIRouter()


async def _text(request: Request, what: str) -> str:
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(
            400,
            f"the {what} is not UTF-8 text (byte {exc.start}); send it as UTF-8",
        ) from None


def _corridor(user: User, asked: str | None) -> str:
    """The corridor named, else the user's only one."""
    if asked:
        return asked
    if len(user.corridors) == 1:
        return user.corridors[0]
    mine = ", ".join(user.corridors) or "any announced corridor"
    raise HTTPException(422, f"name the corridor: add ?corridor=ID (yours: {mine})")


@router.post(
    "/api/v1/intake/sms", response_class=PlainTextResponse, openapi_extra=_body("text/plain")
)
async def post_sms(
    user: Writer,
    svc: Svc,
    request: Request,
    corridor: CorridorParam = None,
    tz: Annotated[str, Query(max_length=64)] = "Europe/Kyiv",
) -> PlainTextResponse:
    """One compact report: a count (`CP MANHUSH 1405 OUT 42 CARS 130 PPL`), a queue
    (`Q MANHUSH 1405 120 CARS`), an incident (`INC SHELLING MANHUSH 1405 note`) or a status
    (`STATUS CLOSED 1405`); the answer is a one-line acknowledgement or a rejection that says
    how to fix it. Sending the same text again the same day stores it once. The same rules as
    every write: a reporter counts only in their assignment and writes no status; the report
    is stored unverified. `corridor`: needed unless you have exactly one."""
    text = await _text(request, "message")
    if len(text) > 500:
        raise HTTPException(422, "the message is over 500 characters; send one report a message")
    where = _corridor(user, corridor)
    known = _known_checkpoints(await run_in_threadpool(svc.live.refresh), where)
    scope = user.scope if user.role == "reporter" else known
    parsed = parse_message(text, scope, sorted(set(known) | set(scope)))
    if isinstance(parsed, Rejection):
        await run_in_threadpool(
            svc.store.record_audit, user.name, "intake.sms", {"rejected": str(parsed)[:200]}
        )
        return PlainTextResponse(str(parsed), status_code=422)
    event = _sms_event(parsed, text, user.name, where, tz, svc.clock())
    (result,) = await submit(svc, user, [event], "intake.sms")
    if result["outcome"] in ("stored", "duplicate"):
        receipt = result.get("receipt") or result.get("seq")
        held = " HELD FOR REVIEW" if "held" in result.get("message", "") else ""
        return PlainTextResponse(acknowledgement(parsed) + f" #{receipt}{held}")
    why = result.get("message") or "; ".join(
        f"{p['field']}: {p['message']}" for p in result.get("problems", [])
    )
    code = 403 if result["outcome"] == "forbidden" else 422
    return PlainTextResponse(f"NOT RECORDED: {why or result['outcome']}", status_code=code)


@router.post("/api/v1/intake/csv", openapi_extra=_body("text/csv"))
async def post_csv(
    user: Writer, svc: Svc, request: Request, corridor: CorridorParam = None
) -> dict[str, Any]:
    """Counts as CSV with a header: id,occurred_at,checkpoint,direction,vehicles,buses,people
    (id optional: made from the row when absent), at most 1,000 rows (MAX_BULK). One result
    per row, with its line. `corridor`: needed unless you have exactly one."""
    body = await _text(request, "CSV file")
    where = _corridor(user, corridor)
    rows, results = await run_in_threadpool(_rows, body, user.name, where)
    lines = [line for line, _ in rows]
    submitted = await submit(svc, user, [e for _, e in rows], "intake.csv")
    for line, r in zip(lines, submitted, strict=True):
        results.append({"line": line, **r})
    results.sort(key=lambda r: int(r["line"]))
    return {"results": results, "stored": sum(r["outcome"] == "stored" for r in results)}


_WHOLE = re.compile(r"[0-9]{1,7}")


def _whole(row: dict[str | None, Any], column: str, default: int | None) -> int | None:
    """A count: digits 0-9 only (no sign, no other script's digits), or the default if empty."""
    text = row.get(column)
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        return default
    if not _WHOLE.fullmatch(text):
        raise ValueError(f"{column} {text[:20]!r} is not a whole number 0-9999999 in digits 0-9")
    return int(text)


def _rows(
    body: str, reporter: str, corridor: str
) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """(line, event) per readable row, and the results of the rows that are not."""
    reader = csv.DictReader(io.StringIO(body, newline=""))
    events: list[tuple[int, dict[str, Any]]] = []
    results: list[dict[str, Any]] = []
    try:
        for line, row in enumerate(reader, start=2):
            if line - 1 > MAX_BULK:
                raise HTTPException(
                    413, f"over {MAX_BULK:,} rows; split the file and send the parts in turn"
                )
            try:
                data: dict[str, Any] = {
                    "checkpoint": _cell(row, "checkpoint"),
                    "direction": _cell(row, "direction") or "out",
                    "vehicles": _whole(row, "vehicles", 0),
                    "buses": _whole(row, "buses", 0),
                }
                people = _whole(row, "people", None)
            except ValueError as exc:
                results.append({"line": line, "outcome": "invalid", "message": str(exc)})
                continue
            if people is not None:
                data["people"] = people
            cells = sorted((str(k), str(v)) for k, v in row.items())
            ident = _cell(row, "id") or str(
                uuid.uuid5(INTAKE_NAMESPACE, f"csv|{reporter}|{corridor}|{cells}")
            )
            event = {
                "id": ident,
                "type": "checkpoint_count",
                "occurred_at": _cell(row, "occurred_at"),
                "corridor": corridor,
                "source": f"csv upload by {reporter}",
                "data": data,
            }
            events.append((line, event))
    except csv.Error as exc:
        raise HTTPException(422, f"not readable as CSV (line {reader.line_num}): {exc}") from None
    return events, results


def _cell(row: dict[str | None, Any], column: str) -> str:
    value = row.get(column)
    return value.strip()[:200] if isinstance(value, str) else ""


def _known_checkpoints(projection: Projection, corridor: str) -> list[str]:
    c = projection.corridors.get(corridor)
    known = set(c.checkpoints) if c else set()
    for e in c.announced.values() if c else []:
        known.update(e.data["route"])
    return sorted(known)


def _sms_data(parsed: Report, reporter: str) -> tuple[str, dict[str, Any]]:
    """The event type and data of a report read from an SMS."""
    if isinstance(parsed, QueueReport):
        # A queue is a count with nothing counted through, as on the reporters' page.
        return "checkpoint_count", {
            "checkpoint": parsed.checkpoint,
            "vehicles": 0,
            "waiting": parsed.waiting,
        }
    if isinstance(parsed, IncidentReport):
        data: dict[str, Any] = {"kind": parsed.kind}
        if parsed.place:
            data["place"] = parsed.place
        if parsed.note:
            data["note"] = parsed.note
        return "incident", data
    if isinstance(parsed, StatusReport):
        status: dict[str, Any] = {"status": parsed.status, "said_by": reporter}
        if parsed.checkpoint:
            status["checkpoint"] = parsed.checkpoint
        return "corridor_status", status
    return "checkpoint_count", {
        "checkpoint": parsed.checkpoint,
        "direction": parsed.direction,
        "vehicles": parsed.vehicles,
        "buses": parsed.buses,
        **({"people": parsed.people} if parsed.people is not None else {}),
    }


def _sms_event(
    parsed: Report, text: str, reporter: str, corridor: str, tz: str, now: datetime
) -> dict[str, Any]:
    """The event of an SMS report: its time is today's HH:MM in `tz` (yesterday's when that
    would be in the future: a report sent after midnight about the evening). Its id is derived
    from the reporter, day and text: ids are per user, so it blocks and reveals nothing."""
    try:
        zone = ZoneInfo(tz)
    except (ValueError, KeyError, ZoneInfoNotFoundError, OSError):
        raise HTTPException(
            422, f"unknown time zone {tz!r}; use an IANA name such as Europe/Kyiv"
        ) from None
    local_now = now.astimezone(zone)
    at = local_now.replace(hour=parsed.at.hour, minute=parsed.at.minute, second=0, microsecond=0)
    if at > local_now + timedelta(minutes=5):
        at -= timedelta(days=1)
    normalised = " ".join(text.upper().split())
    kind, data = _sms_data(parsed, reporter)
    return {
        "id": str(uuid.uuid5(INTAKE_NAMESPACE, f"sms|{reporter}|{at.date()}|{normalised}")),
        "type": kind,
        "occurred_at": at.isoformat(),
        "corridor": corridor,
        "source": f"sms from {reporter}",
        "data": data,
    }
