"""`safepassage brief SCENARIO --out FILE.pdf|.html`: the one-page negotiation brief."""

from __future__ import annotations

from pathlib import Path

import typer

from safepassage.cli.common import JsonOption, console, err_console, handles_errors, print_json
from safepassage.decide.brief import check_out, figures, plan_data, write_brief
from safepassage.decide.sensitivity import BUS_MODES, PlanSettings
from safepassage.model.prepare import prepare_scenario


@handles_errors
def brief_cmd(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    out: Path = typer.Option(..., "--out", help="Write the brief here: .pdf or .html."),
    as_json: bool = JsonOption,
    step_s: float = typer.Option(60.0, "--step", help="Time step in seconds."),
    slot_s: float = typer.Option(600.0, "--slot", help="Departure slot length in seconds."),
    routes: int = typer.Option(4, "--routes", min=1, max=6, help="Candidate routes."),
    more_buses: int = typer.Option(10, "--more-buses", min=1, help="Buses the bus lever adds."),
    forecast_runs: int = typer.Option(
        500, "--forecast-runs", min=0, help="Forecast replications (0: no forecast)."
    ),
    seed: int = typer.Option(0, "--seed", help="Forecast random seed."),
    buses: str = typer.Option(
        "planner", "--buses", help="planner or optimised (as `plan --buses`)."
    ),
) -> None:
    """Plan, re-plan each lever, and write a one-page brief in plain words for negotiators."""
    check_out(out)
    if buses not in BUS_MODES:
        raise typer.BadParameter(
            f"--buses must be one of {', '.join(BUS_MODES)}, not {buses!r}", param_hint="--buses"
        )
    prepared = prepare_scenario(scenario, cut_off="warning")
    for warning in prepared.warnings:
        err_console.print(f"[yellow]{warning}[/]", highlight=False)
    settings = PlanSettings(step_s=step_s, slot_s=slot_s, routes_per_origin=routes, buses=buses)
    with console.status("Planning and re-planning each lever…"):
        data = plan_data(
            prepared, settings, more_buses=more_buses, forecast_runs=forecast_runs, seed=seed
        )
        fig = figures(data, prepared)
        write_brief(fig, out)
    if as_json:
        print_json({"brief": fig, "out": str(out)})
        return
    console.print(f"brief written to {out}", highlight=False)
