"""`safepassage report sitrep|hxl|cap`: situation reports and exports from the operations log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, cast

import typer

from safepassage.cli.common import aware_time, console, handles_errors, write_output
from safepassage.cli.ops import DbOption, DelayOption, _store
from safepassage.errors import Problem, SafePassageError

app = typer.Typer(
    help="Situation reports and exports (CAP 1.2, HXL CSV) from the operations log.",
    no_args_is_help=True,
)
OutOption = typer.Option(None, "--out", "-o", help="Write to this file instead of printing.")
AtOption = typer.Option(
    None, "--at", help="State as of this time (ISO 8601 with offset; default: now)."
)


def _at(text: str | None) -> datetime | None:
    return aware_time(text, "--at") if text is not None else None


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        write_output(out, text)
        console.print(f"wrote {out}")


def _states(db: str, corridors: list[str], at: str | None) -> list[dict[str, Any]]:
    """The live state of the named corridors (all when none are named) at --at; a corridor
    named but absent from the log is a mistake to report, not an empty report."""
    from safepassage.report import live_states

    states = live_states(_store(db), corridors or None, _at(at))
    named = zip(corridors, states, strict=True) if corridors else []
    for name, state in named:
        if not state["known"]:
            raise SafePassageError(
                Problem(f"no events for corridor {name!r} in the log", hint="check --corridor")
            )
    return states


@app.command("sitrep")
@handles_errors
def sitrep(
    corridor: str = typer.Option(..., "--corridor", help="Corridor id in the log."),
    db: str = DbOption,
    at: str | None = AtOption,
    out: Path | None = OutOption,
    scenario: Path | None = typer.Option(
        None, "--scenario", help="The corridor's scenario: its places by name, not by id."
    ),
) -> None:
    """A situation report (Markdown) for coordinators: status, counts confirmed and
    unconfirmed apart, queues, convoys and ETAs, alerts, incidents."""
    from safepassage.model.load import load_scenario
    from safepassage.model.names import in_words
    from safepassage.report.sitrep import md, sitrep_markdown

    words = in_words(load_scenario(scenario)[0], escape=md) if scenario is not None else None
    (state,) = _states(db, [corridor], at)
    _emit(sitrep_markdown(state, words=words), out)


@app.command("hxl")
@handles_errors
def hxl(
    corridor: list[str] = typer.Option([], "--corridor", help="Corridor id (default: all)."),
    db: str = DbOption,
    at: str | None = AtOption,
    out: Path | None = OutOption,
) -> None:
    """Checkpoint counts as HXL-tagged CSV (one row per direction and verification)."""
    from safepassage.report.hxl import hxl_csv

    _emit(hxl_csv(_states(db, corridor, at)), out)


@app.command("cap")
@handles_errors
def cap(
    corridor: str = typer.Option(..., "--corridor", help="Corridor id in the log."),
    db: str = DbOption,
    at: str | None = AtOption,
    public_delay_min: float = DelayOption,
    sender: str = typer.Option("safepassage@localhost", "--sender", help="CAP sender id."),
    status: str = typer.Option("Actual", "--status", help="Actual, Exercise, Test or Draft."),
    web: str | None = typer.Option(None, "--web", help="Public page with more information."),
    out: Path | None = OutOption,
) -> None:
    """A CAP 1.2 alert of the corridor's public status (aggregate and delayed)."""
    from safepassage.ops.state import StateSettings
    from safepassage.report import public_view
    from safepassage.report.cap import CapOptions, CapStatus, alert_xml, public_alerts

    if status not in ("Actual", "Exercise", "System", "Test", "Draft"):
        raise SafePassageError(
            Problem(f"--status {status!r} is not a CAP status", hint="Actual, Exercise or Test")
        )
    view = public_view(_store(db), _at(at), StateSettings(public_delay_min=public_delay_min))
    options = CapOptions(sender=sender, status=cast(CapStatus, status), web=web)
    alerts = public_alerts(view, options, corridor)
    if not alerts:
        raise SafePassageError(
            Problem(
                f"corridor {corridor!r} has nothing public yet",
                hint=f"events appear {public_delay_min:g} min after they happen (--public-delay)",
            )
        )
    _emit(alert_xml(alerts[0]).decode("utf-8"), out)
