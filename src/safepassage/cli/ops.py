"""`safepassage serve`, `users add/revoke`, `ops replay`, `log verify`."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import typer

from safepassage.cli.common import JsonOption, console, err_console, handles_errors, print_json
from safepassage.errors import Problem, SafePassageError
from safepassage.model.load import load_scenario

DEFAULT_DB = os.environ.get("SAFEPASSAGE_DB", "safepassage-ops.db")
DbOption = typer.Option(
    DEFAULT_DB, "--db", help="Database: a file (SQLite) or postgresql://... (env SAFEPASSAGE_DB)."
)
CreateOption = typer.Option(
    False, "--create", help="Make the database when the file does not exist yet."
)
DelayOption = typer.Option(60.0, "--public-delay", min=0.0, help="Minutes of delay (>= 0).")

users_app = typer.Typer(help="Manage API users and their tokens.", no_args_is_help=True)
ops_app = typer.Typer(help="Operations log tools.", no_args_is_help=True)
log_app = typer.Typer(help="Check the event log.", no_args_is_help=True)


def _store(db: str, *, create: bool = False):  # type: ignore[no-untyped-def]
    """The store at `db`; a SQLite file that does not exist is refused unless `create` (a typo
    must not make a new, empty database that then looks fine)."""
    from safepassage.ops.keys import sqlite_file
    from safepassage.ops.store import EventStore

    path = sqlite_file(db)
    if path is not None and not create and not path.exists():
        raise SafePassageError(
            Problem(
                "the database does not exist",
                file=str(path),
                hint="check --db; add --create to make a new one",
            )
        )
    try:
        return EventStore(db)
    except SafePassageError:
        raise
    except Exception as exc:  # the driver's own error: name the URL, not a traceback
        from safepassage.ops.store import storage_problem

        why = storage_problem(exc) or str(exc).splitlines()[0]
        raise SafePassageError(
            Problem(f"cannot open the database {db!r}: {why}", hint="check --db")
        ) from None


@handles_errors
def serve_cmd(
    db: str = DbOption,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes (share the log)."),
    public_delay_min: float = DelayOption,
    stale_after_min: float = typer.Option(
        180.0,
        "--status-stale-after",
        min=1.0,
        help="Minutes after which a status not reported again reads 'unknown since ...'.",
    ),
    allow_broken_log: bool = typer.Option(
        False,
        "--allow-broken-log",
        help="Serve even when the log fails its integrity check (a warning on every response).",
    ),
    base_url: str = typer.Option(
        "",
        "--base-url",
        envvar="SAFEPASSAGE_BASE_URL",
        help="Public address of the service, for links in feeds (default http://HOST:PORT).",
    ),
    basemap: list[Path] = typer.Option(
        [], "--basemap", help="PMTiles basemap(s) from `safepassage map build`, for the maps."
    ),
    scenario: list[Path] = typer.Option(
        [], "--scenario", help="Scenario file(s): where the corridor's places are and their names."
    ),
    calibration: list[str] = typer.Option(
        [],
        "--calibration",
        help="CORRIDOR=FILE (repeatable): a calibration from `forecast calibrate` for the "
        "corridor's model estimates (its scenario given with --scenario).",
    ),
    refit_minutes: float = typer.Option(
        0.0,
        "--refit-minutes",
        min=0.0,
        help="Refit the models on confirmed counts every N minutes (0: only on request).",
    ),
    reports: Path | None = typer.Option(
        None,
        "--reports",
        envvar="SAFEPASSAGE_REPORTS",
        help="Folder of plan, forecast and brief files (.html, .pdf) served to readers "
        "(env SAFEPASSAGE_REPORTS).",
    ),
) -> None:
    """Run the operations API (spec at /openapi.json); pages at /status, /dashboard,
    /dashboard/map and /report/. The log is checked first (from its newest signed checkpoint)
    and a broken one is not served."""
    import uvicorn

    store = _store(db, create=True)  # create or migrate once, with a clear error if it fails
    try:
        result, checkpoint = store.integrity.seal()
    finally:
        store.close()
    if not result.ok:
        where = f"{result.table} {result.first_bad_seq}" if result.first_bad_seq else result.table
        problem = Problem(
            f"the log failed its integrity check: {where}: {result.reason}",
            hint="see `safepassage log verify` and docs/operations.md; to serve it anyway, "
            "with a warning on every page and response, add --allow-broken-log",
        )
        if not allow_broken_log:
            raise SafePassageError(problem)
        err_console.print(f"[bold red]warning:[/] serving a broken log: {problem.message}")
    os.environ["SAFEPASSAGE_DB"] = db
    os.environ["SAFEPASSAGE_PUBLIC_DELAY_MIN"] = str(public_delay_min)
    os.environ["SAFEPASSAGE_STATUS_STALE_AFTER_MIN"] = str(stale_after_min)
    os.environ["SAFEPASSAGE_ALLOW_BROKEN_LOG"] = "1" if allow_broken_log else ""
    for path in basemap:
        if not path.is_file():
            raise SafePassageError(
                f"--basemap {path}: no such file (make one with `safepassage map build`)"
            )
    os.environ["SAFEPASSAGE_BASEMAPS"] = os.pathsep.join(str(p.resolve()) for p in basemap)
    for path in scenario:
        load_scenario(path)  # every problem reported now, with its line, not in a server log
    os.environ["SAFEPASSAGE_SCENARIOS"] = os.pathsep.join(str(p.resolve()) for p in scenario)
    _models_to_environment(calibration, scenario, refit_minutes)
    if reports is not None and not reports.is_dir():
        raise SafePassageError(
            Problem(
                f"--reports {reports}: no such folder",
                hint="give the folder where `safepassage plan|forecast|brief` wrote their files",
            )
        )
    os.environ["SAFEPASSAGE_REPORTS"] = str(reports.resolve()) if reports else ""
    # One key for every worker process: a report link signed by one is good in the others.
    os.environ["SAFEPASSAGE_LINK_KEY"] = secrets.token_hex(32)
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    base = base_url.rstrip("/") or f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"
    os.environ["SAFEPASSAGE_BASE_URL"] = base
    signed = f"signed checkpoint #{checkpoint.n}" if checkpoint else "no checkpoint"
    console.print(
        f"log: {result.head.events_seq if result.head else 0:,} events ({signed})\n"
        f"dashboard:   {base}/dashboard\npublic page: {base}/status\n"
        f"API spec:    {base}/openapi.json\n"
        f"map:         {base}/dashboard/map\nreporters:   {base}/report/"
        + (f"\nreports:     {reports.resolve()} (readers, from the dashboard)" if reports else ""),
        highlight=False,
        soft_wrap=True,
    )
    uvicorn.run(
        "safepassage.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def _models_to_environment(specs: list[str], scenarios: list[Path], every_min: float) -> None:
    """Check the calibrations now (each problem named with its file, not in a server log) and
    pass them to the server processes."""
    from safepassage.api.model_service import load_setups

    load_setups(specs, scenarios)
    resolved = []
    for spec in specs:
        corridor, _, name = spec.partition("=")
        resolved.append(f"{corridor}={Path(name).resolve()}")
    os.environ["SAFEPASSAGE_MODELS"] = os.pathsep.join(resolved)
    os.environ["SAFEPASSAGE_REFIT_MIN"] = str(every_min)
    if every_min and not specs:
        raise SafePassageError(
            Problem(
                "--refit-minutes needs a model: give --calibration CORRIDOR=FILE",
                hint="see docs/forecast.md, Live estimates",
            )
        )


@users_app.command("add")
@handles_errors
def users_add(
    name: str = typer.Argument(..., help="User name (a role or call sign, not a person's name)."),
    role: str = typer.Option(
        ..., "--role", help="admin, coordinator, reviewer, reporter or observer."
    ),
    scope: list[str] = typer.Option(
        [], "--scope", help="Checkpoint, convoy or bus id (reporters; repeatable)."
    ),
    corridor: list[str] = typer.Option(
        [],
        "--corridor",
        help="Corridor id (repeatable): required for reporters; for coordinators and "
        "reviewers it limits them to these corridors (none: every corridor).",
    ),
    db: str = DbOption,
    create: bool = CreateOption,
) -> None:
    """Create a user and print its token (shown once; only its hash is stored)."""
    store = _store(db, create=create)
    try:
        token = store.add_user(name, role, scope, corridor)
    finally:
        store.close()
    console.print(token)


@users_app.command("corridors")
@handles_errors
def users_corridors(
    name: str = typer.Argument(...),
    corridor: list[str] = typer.Option(..., "--corridor", help="Corridor id (repeatable)."),
    db: str = DbOption,
) -> None:
    """Set the corridors of an existing user (the only ones a reporter may write to)."""
    store = _store(db)
    try:
        store.set_corridors(name, corridor)
    finally:
        store.close()
    console.print(f"{name}: {', '.join(sorted(corridor))}")


@users_app.command("revoke")
@handles_errors
def users_revoke(name: str = typer.Argument(...), db: str = DbOption) -> None:
    """Revoke a user's token at once."""
    store = _store(db)
    try:
        store.revoke_user(name)
    finally:
        store.close()
    console.print(f"revoked {name}")


@ops_app.command("replay")
@handles_errors
def ops_replay(
    file: Path = typer.Argument(..., help="Events as JSON lines."),
    db: str = DbOption,
    create: bool = CreateOption,
    as_json: bool = JsonOption,
) -> None:
    """Import a log (JSON lines, one event each); already stored events are skipped."""
    from safepassage.ops.events import EventError, validate_event

    if not file.exists():
        raise SafePassageError(Problem("file not found", file=str(file)))
    events, problems = [], []
    for line_no, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            events.append(validate_event(json.loads(line)))
        except (ValueError, EventError) as exc:
            problems.append(Problem(str(exc), file=str(file), line=line_no))
    if problems:
        raise SafePassageError(problems)
    store = _store(db, create=create)
    try:
        results = store.append(events, f"replay:{file.name}", action="ops.replay")
    finally:
        store.close()  # signs the new head
    counts = {o: sum(r.outcome == o for r in results) for o in ("stored", "duplicate", "conflict")}
    if as_json:
        print_json(counts)
    else:
        console.print(", ".join(f"{v} {k}" for k, v in counts.items()))
    if counts["conflict"]:
        raise typer.Exit(1)


@ops_app.command("announce")
@handles_errors
def ops_announce(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    corridor: str = typer.Option(..., "--corridor", help="Corridor id in the log."),
    name: str = typer.Option(
        "", "--name", help="Public name (without it the corridor is not on public outputs)."
    ),
    agreed_by: str | None = typer.Option(
        None,
        "--agreed-by",
        help="Who agreed the scenario's window (e.g. 'both parties via ICRC'). Without it the "
        "window is published as a planning assumption, never as agreed.",
    ),
    db: str = DbOption,
    create: bool = CreateOption,
) -> None:
    """Record the scenario's planned corridor (route, window, minutes per leg) in the log, so
    that ETAs follow the plan until convoys are observed. The leg times are the plan's (shown
    as planned); the window is an assumption unless --agreed-by says who agreed it."""
    from safepassage.model.prepare import prepare_scenario
    from safepassage.ops.announce import announcement_from_plan

    prepared = prepare_scenario(scenario, cut_off="warning")
    event = announcement_from_plan(prepared, corridor, name=name or None, agreed_by=agreed_by)
    store = _store(db, create=create)
    try:
        (result,) = store.append([event], "planner", action="ops.announce")
    finally:
        store.close()
    basis = f"agreed by {agreed_by}" if agreed_by else "ASSUMED for planning, not agreed"
    console.print(
        f"{result.outcome}: corridor {corridor}, {len(event.data['route'])} stations, "
        f"window {basis} (#{result.seq})"
    )


ExpectOption = typer.Option(
    [],
    "--expect",
    help="A head kept elsewhere, SEQ:HASH or audit:SEQ:HASH as `log head` prints it "
    "(repeatable): the log must still hold it.",
)


@log_app.command("verify")
@handles_errors
def log_verify(
    db: str = DbOption, expect: list[str] = ExpectOption, as_json: bool = JsonOption
) -> None:
    """Recompute the event and audit chains from the start and check them against the signed
    checkpoints, the users' seals and any --expect: exit 1 naming the first bad row."""
    from safepassage.ops.integrity import parse_expect

    anchors = [parse_expect(text) for text in expect]
    store = _store(db)
    try:
        result = store.verify(anchors)
    finally:
        store.close()
    if as_json:
        print_json(result.as_dict())
    elif result.ok:
        console.print(
            f"[green]ok[/]: {result.checked:,} events and {result.audit_checked:,} audit "
            f"entries, chains intact; {result.checkpoints:,} signed checkpoints"
            f"{' and the given heads' if anchors else ''} match",
            highlight=False,
            soft_wrap=True,
        )
    else:
        where = {"events": "event", "audit": "audit entry"}.get(result.table, result.table)
        at = f" {result.first_bad_seq}" if result.first_bad_seq is not None else ""
        err_console.print(
            f"[bold red]TAMPERED[/]: {where}{at}: {result.reason} "
            f"({result.checked:,} events before it are intact)",
            highlight=False,
            soft_wrap=True,
        )
    if not as_json:
        for warning in result.warnings:
            err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)


@log_app.command("head")
@handles_errors
def log_head(db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Sign the log's current head (after checking it from the newest checkpoint) and print
    it: keep it somewhere the database's users cannot reach, and give it to `log verify
    --expect` later."""
    store = _store(db)
    try:
        result, checkpoint = store.integrity.seal()
        public = store.integrity.key().public_hex
    finally:
        store.close()
    if not result.ok or checkpoint is None:
        err_console.print(
            f"[bold red]TAMPERED[/]: {result.table} {result.first_bad_seq}: {result.reason}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    h = checkpoint.head
    expect = f"--expect {h.events_seq}:{h.events_hash} --expect audit:{h.audit_seq}:{h.audit_hash}"
    if as_json:
        print_json({**json.loads(checkpoint.line), "expect": expect})
        return
    console.print(
        f"events {h.events_seq} {h.events_hash}\naudit  {h.audit_seq} {h.audit_hash}\n"
        f"signed checkpoint #{checkpoint.n} at {checkpoint.at} with key {public}\n"
        f"check later: safepassage log verify {expect}",
        highlight=False,
        soft_wrap=True,
    )
