"""`safepassage claims add|review|queue|show`: the register of claims from the command line.

Every entry and every review is an event in the log (recorded as the user `cli`), so the
register's history is the log's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import typer

from safepassage.cli.common import (
    JsonOption,
    aware_time,
    console,
    handles_errors,
    print_json,
)
from safepassage.cli.ops import CreateOption, DbOption, _store
from safepassage.errors import Problem, SafePassageError

app = typer.Typer(
    help="The register of claims: enter, review and query figures.", no_args_is_help=True
)

ACTIONS = ("assign", "confirm", "dispute", "deny", "unverifiable", "duplicate_of")


def _time(text: str | None, option: str) -> str:
    return (aware_time(text, option) if text is not None else datetime.now(UTC)).isoformat()


def _append(db: str, raw: dict[str, Any], create: bool = False) -> str:
    from safepassage.ops.events import EventError, validate_event

    try:
        event = validate_event(raw)
    except EventError as exc:
        raise SafePassageError(
            *[Problem(msg, field=loc.removeprefix("data.")) for loc, msg in exc.problems]
        ) from None
    store = _store(db, create=create)
    try:
        (result,) = store.append([event], "cli", action="claims")
    finally:
        store.close()
    return f"{result.outcome} #{result.seq}: {event.id}"


def _register(db: str) -> Any:
    from safepassage.ops.claims import ClaimsRegister

    store = _store(db)
    register = ClaimsRegister()
    after = 0
    try:
        while page := store.read(after=after, limit=10_000):
            for event in page:
                register.apply(event)
            after = page[-1].seq
    finally:
        store.close()
    return register


@app.command("add")
@handles_errors
def claims_add(
    corridor: str = typer.Option(..., "--corridor", help="Corridor id."),
    kind: str = typer.Option(
        ...,
        "--kind",
        help="killed, injured, missing, evacuated, crossed, "
        "arrived, sheltering, in_need, waiting, blocked or seized.",
    ),
    said_by: str = typer.Option(..., "--said-by", help="Who stated the figure."),
    at: str | None = typer.Option(None, "--at", help="As of (with offset); default now."),
    value: int | None = typer.Option(None, "--value"),
    low: int | None = typer.Option(None, "--low", help="Low end of a range."),
    high: int | None = typer.Option(None, "--high", help="High end of a range."),
    qualifier: str = typer.Option(
        "exact", "--qualifier", help="exact, about, at_least, as_many_as or range."
    ),
    unit: str = typer.Option("people", "--unit", help="people, vehicles or buses."),
    place: str | None = typer.Option(None, "--place"),
    span: str = typer.Option("cumulative", "--span", help="interval, cumulative or stock."),
    since: str | None = typer.Option(None, "--since", help="Start of the interval (with offset)."),
    party: bool | None = typer.Option(
        None, "--party/--not-party", help="Whether the source is a party to the conflict."
    ),
    via: str | None = typer.Option(None, "--via", help="Who passed it on (a news agency)."),
    method: str | None = typer.Option(None, "--method"),
    basis: str = typer.Option(
        "reported", "--basis", help="observed, reported, claimed, reconstructed or assumed."
    ),
    status: str = typer.Option(
        "claimed", "--status", help="claimed (reported by its source) or unverified."
    ),
    db: str = DbOption,
    create: bool = CreateOption,
) -> None:
    """Enter a figure someone stated (it lands reported or unverified, never confirmed)."""
    if status not in ("claimed", "unverified"):
        raise SafePassageError(
            Problem(
                f"--status {status!r}: a claim is entered as claimed or unverified",
                hint="confirm it afterwards with `safepassage claims review ID --action confirm`",
            )
        )
    data = {
        "kind": kind, "unit": unit, "value": value, "low": low, "high": high,
        "qualifier": qualifier, "place": place, "span": span,
        "since": _time(since, "--since") if since else None, "said_by": said_by,
        "party": party, "via": via, "method": method, "basis": basis,
    }  # fmt: skip
    raw = {
        "id": str(uuid.uuid4()),
        "type": "claim",
        "occurred_at": _time(at, "--at"),
        "corridor": corridor,
        "status": status,
        "source": said_by,
        "data": {k: v for k, v in data.items() if v is not None},
    }
    console.print(_append(db, raw, create))


@app.command("review")
@handles_errors
def claims_review(
    claim: str = typer.Argument(..., help="The claim's id."),
    action: str = typer.Option(..., "--action", help=", ".join(ACTIONS) + "."),
    by: str = typer.Option(..., "--by", help="Who confirms, disputes, denies or reviews."),
    party: bool | None = typer.Option(
        None, "--party/--not-party", help="Whether --by is a party to the conflict."
    ),
    to: str | None = typer.Option(None, "--to", help="assign: the reviewer."),
    of: str | None = typer.Option(None, "--of", help="duplicate_of: the claim it repeats."),
    how: str | None = typer.Option(None, "--how", help="How it was confirmed, or why."),
    at: str | None = typer.Option(None, "--at", help="When (with offset); default now."),
    db: str = DbOption,
) -> None:
    """Record one review step of a claim (every step is an event in the log)."""
    register = _register(db)
    target = register.claims.get(claim)
    if target is None:
        raise SafePassageError(
            Problem(
                f"no claim {claim!r} in the log", hint="list them with `safepassage claims queue`"
            )
        )
    data = {"claim": claim, "action": action, "by": by, "party": party, "to": to, "of": of,
            "how": how}  # fmt: skip
    raw = {
        "id": str(uuid.uuid4()),
        "type": "claim_review",
        "occurred_at": _time(at, "--at"),
        "corridor": target.corridor,
        "status": "confirmed",
        "source": by,
        "data": {k: v for k, v in data.items() if v is not None},
    }
    console.print(_append(db, raw))


@app.command("queue")
@handles_errors
def claims_queue(
    corridor: str | None = typer.Option(None, "--corridor"),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Claims awaiting review, oldest first, with likely duplicates."""
    queue = _register(db).queue(corridor)
    if as_json:
        print_json(queue)
        return
    if not queue:
        console.print("Nothing awaits review.")
    for item in queue:
        assigned = f", assigned to {item['assigned_to']}" if item["assigned_to"] else ""
        console.print(f"{item['claim']} ({item['state']}{assigned})", markup=False)
        for text in item["figures"]:
            console.print(f"  {text}", markup=False)
        for s in item["suggested_duplicates"]:
            console.print(f"  may repeat {s['claim']}: {'; '.join(s['why'])}", markup=False)


@app.command("show")
@handles_errors
def claims_show(
    claim: str = typer.Argument(..., help="The claim's id."),
    db: str = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """A claim's page: its figures, status and full history."""
    record = _register(db).record(claim)
    if record is None:
        raise SafePassageError(Problem(f"no claim {claim!r} in the log"))
    if as_json:
        print_json(record)
        return
    console.print(f"Claim {claim} ({record['status']['text']})", markup=False)
    for f in record["figures"]:
        console.print(f"  {f['text']}", markup=False)
    for h in record["history"]:
        console.print(f"  {h['at']['text']}: {h['action']} by {h['by']}", markup=False)
