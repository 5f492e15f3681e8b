"""`safepassage scenario ...`: check scenario files and build them from other data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from safepassage.cli.common import JsonOption, console, err_console, handles_errors, print_json
from safepassage.errors import ScenarioError
from safepassage.model.ees import scenario_from_ees
from safepassage.model.prepare import PreparedScenario, prepare_scenario

app = typer.Typer(help="Check scenario files and build them from other data.", no_args_is_help=True)


def scenario_summary(prepared: PreparedScenario) -> dict[str, Any]:
    """The facts a coordinator checks first."""
    s = prepared.scenario
    window = s.window()
    return {
        "name": s.name,
        "file": str(prepared.path),
        "timezone": s.timezone,
        "people": s.people_total,
        "cars": sum(o.cars for o in s.origins),
        "need_bus": sum(o.need_bus for o in s.origins),
        "origins": len(s.origins),
        "destinations": len(s.destinations),
        "checkpoints": len(s.checkpoints),
        "buses": len(s.fleet.buses),
        "bus_seats": sum(b.seats for b in s.fleet.buses),
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "hours": window.duration_s / 3600,
        }
        if window
        else None,
        "corridor_via": s.corridor.via if s.corridor else [],
        "network": {
            "format": prepared.graph.meta.get("format"),
            "nodes": prepared.graph.n_nodes,
            "edges": prepared.graph.n_edges,
        },
        "max_snap_distance_m": round(max(prepared.snap_distance_m.values(), default=0.0), 1),
        "warnings": [str(w) for w in prepared.warnings],
        "assumptions": s.assumptions,
    }


def print_summary(summary: dict[str, Any]) -> None:
    table = Table(title=summary["name"], show_header=False)
    table.add_row("people", f"{summary['people']:,} ({summary['need_bus']:,} need a bus)")
    table.add_row("cars", f"{summary['cars']:,}")
    table.add_row("origins / destinations", f"{summary['origins']} / {summary['destinations']}")
    table.add_row("checkpoints", str(summary["checkpoints"]))
    table.add_row("buses", f"{summary['buses']} ({summary['bus_seats']:,} seats)")
    if summary["window"]:
        w = summary["window"]
        table.add_row(
            "window", f"{w['start']} to {w['end']} ({w['hours']:.1f} h, {summary['timezone']})"
        )
    n = summary["network"]
    table.add_row("network", f"{n['format']}: {n['nodes']:,} nodes, {n['edges']:,} edges")
    console.print(table)
    for warning in summary["warnings"]:
        err_console.print(f"[yellow]{warning}[/]", highlight=False)


@app.command("check")
@handles_errors
def check(
    file: Path = typer.Argument(..., help="Scenario YAML file."),
    as_json: bool = JsonOption,
) -> None:
    """Report every problem in a scenario file at once (exit code 2 if there are errors)."""
    prepared = prepare_scenario(file)
    summary = scenario_summary(prepared)
    if as_json:
        print_json({"ok": True, **summary})
        return
    console.print(f"[green]ok[/] {file}")
    print_summary(summary)


@app.command("from-ees")
@handles_errors
def from_ees(
    directory: Path = typer.Argument(
        ...,
        help="EES data directory: network.xml.gz and a population"
        " (population-archetypes.csv.gz or a MATSim population.xml[.gz]).",
    ),
    out: Path = typer.Option(
        Path("castlemaine.yaml"), "--out", "-o", help="Scenario file to write."
    ),
    population: Path | None = typer.Option(
        None, "--population", help="A MATSim population XML to use instead of the directory's."
    ),
    crs: str | None = typer.Option(
        None,
        "--crs",
        help="Coordinate system of the files (else what they state), e.g. EPSG:28355.",
    ),
    window_hours: float = typer.Option(
        6.0, "--window-hours", help="Length of the evacuation window (hours, fractions count)."
    ),
    start: str = typer.Option(
        "2026-01-15T14:00", "--start", help="Window start, local time of --timezone."
    ),
    timezone: str = typer.Option(
        "Australia/Melbourne", "--timezone", help="IANA time zone of the scenario."
    ),
) -> None:
    """Build an evacuation scenario from agentsoz/ees data (households as cars)."""
    if not directory.is_dir():
        raise ScenarioError(f"{directory}: not a directory (expected an EES data directory)")
    with console.status("Building scenario…"):
        data = scenario_from_ees(
            directory,
            out,
            window_hours=window_hours,
            population=population,
            crs=crs,
            start=start,
            timezone=timezone,
        )
    people = sum(o["people"] for o in data["origins"])
    window = data["corridor"]["window"]
    console.print(
        f"Wrote {out}: {len(data['origins']):,} origins, {people:,} people,"
        f" {len(data['destinations'])} destinations, window {window['start']} to {window['end']}"
        f" ({data['timezone']}), coordinates {data['network']['crs']}"
    )
