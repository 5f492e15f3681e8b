"""Terminal tables for the schedule and the bottlenecks of a plan."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from safepassage.decide.bottlenecks import describe
from safepassage.decide.render import day_hm as hm


def print_bottlenecks(console: Console, necks: list[dict[str, Any]]) -> None:
    for neck in necks:
        console.print(f"limit ({neck['kind']}): {describe(neck)}", highlight=False)


def _route_line(r: dict[str, Any]) -> str:
    cps = ", ".join(f"{c['name']} ({c['open']}; +{c['after_min']} min)" for c in r["checkpoints"])
    text = f"route {r['id']} to {r['destination_name']}, ~{r['travel_min']} min: {' - '.join(r['places'])}"
    return text + (f"\n  checkpoints: {cps}" if cps else "")


def print_schedule(console: Console, s: dict[str, Any]) -> None:
    """Per assembly point its routes, slots and buses, then each bus's timetable."""
    for p in s["assembly_points"]:
        console.rule(
            f"{p['name']}: {p['people']:,} people ({p['people_in_slots']:,} in cars,"
            f" {p['people_on_buses']:,} on buses, {p['not_booked']:,} not booked,"
            f" {p['waiting_for_bus']:,} waiting for a bus)"
        )
        for r in p["routes"]:
            console.print(_route_line(r), highlight=False)
        table = Table()
        for col in ("leave", "vehicles", "people", "route", "first checkpoint", "arrive"):
            table.add_column(col)
        for r in p["slots"]:
            cp = r["first_checkpoint"]
            late = "" if r["out_by_window_end"] else " (after window)"
            table.add_row(
                f"{hm(r['start'])}-{hm(r['end'])[-5:]}",
                f"{r['cars']} cars",
                str(r["people"]),
                str(r["route"]),
                f"{cp['name']} {hm(cp['from'])[-5:]}" if cp else "",
                f"{hm(r['arrive_to'])} {r['destination_name']}{late}",
            )
        for b in p["buses"]:
            late = "" if b["out_by_window_end"] else " (after window)"
            table.add_row(
                hm(b["depart"]),
                f"bus {b['bus']}",
                str(b["people"]),
                str(b["route"]),
                "",
                f"{hm(b['arrive'])} {b['destination_name']}{late}",
            )
        console.print(table)
    for bus in s["buses"]:
        legs = "; ".join(
            f"{t['from_name']} {hm(t['leave'])} -> {t['load_at_name']} dep {hm(t['depart'])} ->"
            f" {t['destination_name']} {hm(t['arrive'])} ({t['people']} people)"
            for t in bus["trips"]
        )
        console.print(f"bus {bus['bus']}: {legs}", highlight=False)


def print_bus_plan(console: Console, b: dict[str, Any]) -> None:
    """The re-allocated fleet: its figures against the LP bound, and what is optimal."""
    bound = b["bound_bus_people_out_by_window_end"]
    gap = "n/a" if b["gap"] is None else f"{b['gap']:.1%}"
    console.print(
        f"buses (optimised): {b['bus_people_out_by_window_end']:,} bus passengers out by the"
        f" window's end (LP bound {bound if bound is not None else 'n/a'}, gap {gap}),"
        f" {b['bus_people_served']:,} in all, {b['trips']} trips",
        highlight=False,
    )
    console.print(f"[dim]optimal: {b['optimal']}; heuristic: {b['heuristic']}[/]", highlight=False)


def _h(seconds: float | None) -> str:
    return "not within 14 days" if seconds is None else f"{seconds / 3600:,.1f} h"


def print_sensitivity(console: Console, data: dict[str, Any]) -> None:
    """The ranked levers, then the inverse questions."""
    table = Table(title="What would change the plan (each row a re-plan)")
    for col in ("lever", "people out gained", "time for everyone saved", "how"):
        table.add_column(col)
    for row in data["sensitivity"]:
        table.add_row(
            row.get("lever_name", row["lever"]),
            f"{row['people_gained']:+,}",
            f"{row['egress_saved_s'] / 3600:+,.1f} h",
            row["how"],
        )
    console.print(table)
    w = data["window_needed_s"]
    console.print(
        f"window needed: 50% out {_h(w.get('p50'))}, 90% {_h(w.get('p90'))},"
        f" everyone {_h(w.get('p100'))}",
        highlight=False,
    )
    lanes = data["lanes_needed"]
    if lanes["checkpoint"]:
        need = lanes["lanes_for_everyone_in_window"]
        text = (
            f"{need:.0f} lanes"
            if need is not None
            else f"more than {lanes['up_to']} lanes would not do it (another limit binds)"
        )
        console.print(
            f"lanes at {lanes.get('checkpoint_name', lanes['checkpoint'])} (now {lanes['lanes_now']}) for everyone to leave"
            f" inside the window: {text}",
            highlight=False,
        )
    buses = data.get("buses_needed")
    if buses and buses["searched"]:
        n = buses["buses_for_all_seats_out_by_window_end"]
        text = f"{n} buses" if n is not None else f"more than {buses['up_to']} would not do it"
        console.print(
            f"buses for all {buses['people_needing_a_seat']:,} who need a seat to be out by the"
            f" window's end (now {buses['buses_now']}): {text}",
            highlight=False,
        )
