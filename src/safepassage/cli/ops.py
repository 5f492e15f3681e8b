"""`safepassage serve`, `users add/revoke`, `ops replay`, `log verify`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from safepassage.cli.common import JsonOption, console, err_console, handles_errors, print_json
from safepassage.errors import Problem, SafePassageError
from safepassage.model.load import load_scenario

DEFAULT_DB = os.environ.get("SAFEPASSAGE_DB", "safepassage-ops.db")
DbOption = typer.Option(
    DEFAULT_DB, "--db", help="Database: a file (SQLite) or postgresql://... (env SAFEPASSAGE_DB)."
)

users_app = typer.Typer(help="Manage API users and their tokens.", no_args_is_help=True)
ops_app = typer.Typer(help="Operations log tools.", no_args_is_help=True)
log_app = typer.Typer(help="Check the event log.", no_args_is_help=True)


def _store(db: str):  # type: ignore[no-untyped-def]
    from safepassage.ops.store import EventStore

    try:
        return EventStore(db)
    except SafePassageError:
        raise
    except Exception as exc:  # the driver's own error: name the URL, not a traceback
        raise SafePassageError(
            Problem(f"cannot open the database {db!r}: {exc}", hint="check --db")
        ) from None


@handles_errors
def serve_cmd(
    db: str = DbOption,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes (share the log)."),
    public_delay_min: float = typer.Option(60.0, "--public-delay", help="Minutes of delay."),
    basemap: list[Path] = typer.Option(
        [], "--basemap", help="PMTiles basemap(s) from `safepassage map build`, for the maps."
    ),
    scenario: list[Path] = typer.Option(
        [], "--scenario", help="Scenario file(s): where the corridor's places are and their names."
    ),
) -> None:
    """Run the operations API (docs at /docs, spec at /openapi.json); pages at /status,
    /dashboard and /report/."""
    import uvicorn

    _store(db).close()  # create or migrate the database once, with a clear error if it fails
    os.environ["SAFEPASSAGE_DB"] = db
    os.environ["SAFEPASSAGE_PUBLIC_DELAY_MIN"] = str(public_delay_min)
    for path in basemap:
        if not path.is_file():
            raise SafePassageError(
                f"--basemap {path}: no such file (make one with `safepassage map build`)"
            )
    os.environ["SAFEPASSAGE_BASEMAPS"] = os.pathsep.join(str(p.resolve()) for p in basemap)
    for path in scenario:
        load_scenario(path)  # every problem reported now, with its line, not in a server log
    os.environ["SAFEPASSAGE_SCENARIOS"] = os.pathsep.join(str(p.resolve()) for p in scenario)
    uvicorn.run(
        "safepassage.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


@users_app.command("add")
@handles_errors
def users_add(
    name: str = typer.Argument(..., help="User name (a role or call sign, not a person's name)."),
    role: str = typer.Option(..., "--role", help="admin, coordinator, reporter or observer."),
    scope: list[str] = typer.Option([], "--scope", help="Checkpoint or convoy id (reporters)."),
    db: str = DbOption,
) -> None:
    """Create a user and print its token (shown once; only its hash is stored)."""
    token = _store(db).add_user(name, role, scope)
    console.print(token)


@users_app.command("revoke")
@handles_errors
def users_revoke(name: str = typer.Argument(...), db: str = DbOption) -> None:
    """Revoke a user's token at once."""
    _store(db).revoke_user(name)
    console.print(f"revoked {name}")


@ops_app.command("replay")
@handles_errors
def ops_replay(
    file: Path = typer.Argument(..., help="Events as JSON lines."),
    db: str = DbOption,
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
    results = _store(db).append(events, f"replay:{file.name}", action="ops.replay")
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
    db: str = DbOption,
) -> None:
    """Record the scenario's planned corridor (route, window, minutes per leg) in the log, so
    that ETAs follow the plan until convoys are observed."""
    from safepassage.model.prepare import prepare_scenario
    from safepassage.ops.announce import announcement_from_plan

    event = announcement_from_plan(prepare_scenario(scenario, cut_off="warning"), corridor)
    (result,) = _store(db).append([event], "planner", action="ops.announce")
    console.print(
        f"{result.outcome}: corridor {corridor}, {len(event.data['route'])} stations (#{result.seq})"
    )


@log_app.command("verify")
@handles_errors
def log_verify(db: str = DbOption, as_json: bool = JsonOption) -> None:
    """Recompute the hash chain: exit 1 if any stored event was changed, removed or reordered."""
    result = _store(db).verify()
    if as_json:
        print_json(result.__dict__)
    elif result.ok:
        console.print(f"[green]ok[/]: {result.checked:,} events, chain intact")
    else:
        err_console.print(
            f"[bold red]TAMPERED[/]: event {result.first_bad_seq}: {result.reason} "
            f"({result.checked:,} events before it are intact)"
        )
    if not result.ok:
        raise typer.Exit(1)
