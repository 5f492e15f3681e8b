"""`safepassage plan SCENARIO`: a capacity-constrained evacuation plan with its bound."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from safepassage.cli.common import (
    JsonOption,
    console,
    err_console,
    handles_errors,
    print_json,
    write_output,
)
from safepassage.cli.schedule_print import (
    print_bottlenecks,
    print_bus_plan,
    print_schedule,
    print_sensitivity,
)
from safepassage.decide.names import with_names
from safepassage.decide.output import plan_json
from safepassage.decide.render import schedule_page_html, schedule_section_html, write_page
from safepassage.decide.schedule import schedule
from safepassage.decide.sensitivity import BUS_MODES, PlanSettings, replan, sensitivity
from safepassage.model.prepare import prepare_scenario
from safepassage.plan import QUALITIES, Plan
from safepassage.plan.exact import solve_exact
from safepassage.plan.geojson import plan_geojson
from safepassage.plan.html import plan_html


def _hours(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds / 3600:,.1f} h"


def print_plan(plan: Plan, data: dict[str, Any]) -> None:
    bound, gap = data["bound"], data["gap"]
    table = Table(title=f"Plan: {data['scenario']}", show_header=False)
    table.add_row("people", f"{data['people_total']:,}")
    table.add_row(
        "out by the window's end",
        f"{data['people_out_by_window_end']:,}  (bound {bound['people_out_by_window_end_max']:,.0f}, gap {gap['people_out_by_window_end']:.1%})",
    )
    time_gap = "n/a" if gap["egress_time_s"] is None else f"{gap['egress_time_s']:.1%}"
    table.add_row(
        "time for everyone served",
        f"{_hours(data['egress_time_s'])}  (bound {_hours(bound['egress_time_s_min'])}, gap {time_gap})",
    )
    table.add_row("left the city by then", f"{data['people_left_city_by_window_end']:,}")
    table.add_row("served by the plan", f"{data['people_served']:,}")
    q = data["quality"]
    if q.get("mode") == "best":
        table.add_row(
            "planner",
            f"{q['used']}; LP {q['lp_people_out_by_window_end']:,.0f} out by the window's end,"
            f" enforceable {q['enforceable_people_out_by_window_end']:,.0f} (rounding loss"
            f" {q['rounding_loss_people']:,.0f}); greedy {q['greedy_people_out_by_window_end']:,.0f}",
        )
    if "priorities_cost" in q:
        cost = q["priorities_cost"]
        table.add_row(
            "cost of priorities",
            f"{cost['cost_people']:,.0f} fewer out by the window's end"
            f" ({cost['people_out_by_window_end_without_priorities']:,.0f} without)",
        )
    console.print(table)
    print_bottlenecks(console, data["bottlenecks"][:3])
    console.print(f"[dim]out: {data['out_means']}; left the city: {data['left_city_means']}[/]")
    unserved = Table(title="Not out by the window's end")
    for col in ("origin", "people", "why"):
        unserved.add_column(col)
    for row in data["unserved"][:15]:
        unserved.add_row(row["origin"], f"{row['people']:,}", row["reason"])
    if data["unserved"]:
        console.print(unserved)


@handles_errors
def plan_cmd(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    as_json: bool = JsonOption,
    geojson: Path | None = typer.Option(
        None, "--geojson", help="Write routes, checkpoints and places as GeoJSON."
    ),
    html_out: Path | None = typer.Option(
        None, "--html", help="Write a self-contained offline HTML report."
    ),
    lang: str = typer.Option(
        "en", "--lang", help="Language of place names in the HTML report (uk, en, ru, ...)."
    ),
    exact: bool = typer.Option(
        False, "--exact", help="Also solve exactly on the time-expanded network (small instances)."
    ),
    step_s: float = typer.Option(60.0, "--step", help="Time step in seconds."),
    slot_s: float = typer.Option(600.0, "--slot", help="Departure slot length in seconds."),
    routes: int = typer.Option(
        4, "--routes", min=1, max=6, help="Candidate routes per origin and destination."
    ),
    quality: str = typer.Option(
        "auto",
        "--quality",
        help="fast: the greedy alone; best: the greedy, then path generation (an LP) where it"
        " does better; auto (the default): best.",
    ),
    show_schedule: bool = typer.Option(
        False, "--schedule", help="Print the schedule: slots per assembly point, bus timetables."
    ),
    schedule_html: Path | None = typer.Option(
        None, "--schedule-html", help="Write the schedule as a printable HTML page."
    ),
    schedule_pdf: Path | None = typer.Option(
        None, "--schedule-pdf", help="Write the schedule as PDF (black and white, A4)."
    ),
    with_sensitivity: bool = typer.Option(
        False, "--sensitivity", help="Re-plan with each lever (lanes, inspection, window, buses)."
    ),
    more_buses: int = typer.Option(
        10, "--more-buses", min=1, help="Buses the bus lever adds (with --sensitivity)."
    ),
    buses: str = typer.Option(
        "planner",
        "--buses",
        help="planner: the planner's greedy bus trips; optimised: the fleet re-allocated in"
        " round trips around the cars (OR-Tools LP bound and gap).",
    ),
) -> None:
    """Plan who leaves from where, when and by which route; state the gap to the best possible."""
    if quality not in QUALITIES:
        raise typer.BadParameter(
            f"--quality must be one of {', '.join(QUALITIES)}, not {quality!r}",
            param_hint="--quality",
        )
    if buses not in BUS_MODES:
        raise typer.BadParameter(
            f"--buses must be one of {', '.join(BUS_MODES)}, not {buses!r}", param_hint="--buses"
        )
    prepared = prepare_scenario(scenario, cut_off="warning")
    for warning in prepared.warnings:
        err_console.print(f"[yellow]{warning}[/]", highlight=False)
    settings = PlanSettings(
        step_s=step_s,
        slot_s=slot_s,
        routes_per_origin=routes,
        extra={"quality": quality},
        buses=buses,
    )
    with console.status("Planning…"):
        plan = replan(prepared, settings)
        data = plan_json(plan, prepared.scenario)
        if exact:
            data["exact"] = solve_exact(plan.problem).as_dict()
    if with_sensitivity:
        with console.status("Re-planning each lever on every core…"):
            data.update(sensitivity(plan, prepared, settings, more_buses=more_buses))
            with_names(data, prepared.scenario)
    if geojson:
        write_output(geojson, json.dumps(plan_geojson(plan)))
    if html_out:
        named = dict(data["schedule"], **schedule(plan, prepared.scenario, lang))
        write_output(
            html_out, plan_html(plan, prepared.scenario, lang, schedule_section_html(named))
        )
    title = f"{data['scenario']}: schedule"
    if schedule_html:
        write_output(schedule_html, schedule_page_html(data["schedule"], title))
    if schedule_pdf:
        write_page(schedule_page_html(data["schedule"], title), schedule_pdf)
    if as_json:
        print_json(data)
        return
    print_plan(plan, data)
    if "bus_plan" in data:
        print_bus_plan(console, data["bus_plan"])
    if "bus_risk" in data:
        r = data["bus_risk"]
        console.print(
            f"bus risk at checkpoints: {r['bus_people_expected']:,.0f} of {r['bus_people_planned']:,}"
            f" bus passengers expected out, {r['buses_expected_lost']:.1f} of {r['buses']} buses"
            f" expected lost ({r['model']})",
            highlight=False,
        )
    if show_schedule:
        print_schedule(console, data["schedule"])
    if with_sensitivity:
        print_sensitivity(console, data)
    if exact:
        console.print(
            f"exact optimum: {data['exact']['people_out_by_window_end']:,.0f} people by the window's end, everyone in {_hours(data['exact']['egress_time_s'])}"
        )
