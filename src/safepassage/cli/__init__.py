"""The `safepassage` command line: each command a thin wrapper over one library function."""

from __future__ import annotations

from pathlib import Path

import typer

from safepassage import __version__
from safepassage.cli import network, scenario
from safepassage.cli.common import DEMO_SCENARIO, JsonOption, console, handles_errors, print_json
from safepassage.model.prepare import prepare_scenario

app = typer.Typer(
    name="safepassage",
    help="Plan, run and account for humanitarian evacuation corridors.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(network.app, name="network")
app.add_typer(scenario.app, name="scenario")


@app.command("demo")
@handles_errors
def demo(
    file: Path = typer.Argument(
        DEMO_SCENARIO, help="Scenario to run (default: the bundled Mariupol 2022 corridor)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """The main job on the bundled demo: validate the scenario, load its network, summarise."""
    prepared = prepare_scenario(file)
    summary = scenario.scenario_summary(prepared)
    if as_json:
        print_json(summary)
        return
    scenario.print_summary(summary)


@app.command("version")
def version() -> None:
    """Print the version."""
    console.print(__version__)


def main() -> None:
    app()
