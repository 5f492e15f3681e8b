"""The `safepassage` command line: each command a thin wrapper over one library function."""

from __future__ import annotations

from pathlib import Path

import typer

from safepassage import __version__
from safepassage.cli import claims, forecast, maps, network, ops, report, scenario
from safepassage.cli.brief import brief_cmd
from safepassage.cli.common import DEMO_SCENARIO, JsonOption, console, handles_errors, print_json
from safepassage.cli.plan import plan_cmd, print_plan
from safepassage.model.prepare import prepare_scenario
from safepassage.plan import make_plan

app = typer.Typer(
    name="safepassage",
    help="Plan, run and account for humanitarian evacuation corridors.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(network.app, name="network")
app.add_typer(scenario.app, name="scenario")
app.command("plan")(plan_cmd)
app.command("brief")(brief_cmd)
app.add_typer(forecast.app, name="forecast")
app.command("serve")(ops.serve_cmd)
app.add_typer(ops.users_app, name="users")
app.add_typer(ops.ops_app, name="ops")
app.add_typer(ops.log_app, name="log")
app.add_typer(report.app, name="report")
app.add_typer(claims.app, name="claims")
app.add_typer(maps.app, name="map")


@app.command("demo")
@handles_errors
def demo(
    file: Path = typer.Argument(
        DEMO_SCENARIO, help="Scenario to run (default: the bundled Mariupol 2022 corridor)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """The main job on the bundled demo: check the scenario, load its network, plan it."""
    prepared = prepare_scenario(file)
    summary = scenario.scenario_summary(prepared)
    with console.status("Planning…"):
        plan = make_plan(prepared)
        data = plan.as_dict()
    if as_json:
        print_json({"scenario": summary, "plan": data})
        return
    scenario.print_summary(summary)
    print_plan(plan, data)


@app.command("version")
def version() -> None:
    """Print the version."""
    console.print(__version__)


def main() -> None:
    app()
