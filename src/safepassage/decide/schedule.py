"""The schedule people carry out: per assembly point its departure slots (whole cars and
people, the route in place names, checkpoints with their hours and when the slot passes them,
expected arrival) and its buses; per bus its timetable. Built from `Plan.accounts()`, so the
people in it add up to the plan's totals exactly."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from safepassage.decide.names import Namer
from safepassage.model.instants import elapsed_s
from safepassage.model.names import place_namer
from safepassage.model.scenario import Scenario
from safepassage.plan.problem import TimedRoute
from safepassage.plan.result import Plan
from safepassage.plan.steps import floor_steps


def _clock(plan: Plan, step: int) -> str:
    return plan.problem.step_time(step).isoformat()


def _step_of(plan: Plan, iso: str) -> int:
    p = plan.problem
    return floor_steps(elapsed_s(p.start, datetime.fromisoformat(iso)), p.step_s)


Name = Callable[[str], str]


def namer_of(scenario: Scenario | None, lang: str = "en") -> Name:
    """A place id to the scenario's display name in `lang` (the id without a scenario)."""
    return place_namer(scenario, lang)


def _passes(
    plan: Plan, route: TimedRoute, first: int, last: int, name: Name
) -> list[dict[str, Any]]:
    """Each checkpoint of `route` with its hours and when vehicles leaving in steps
    first..last reach it."""
    p = plan.problem
    m = p.graph.n_edges
    out = []
    for res, off in zip(route.resources.tolist(), route.offsets.tolist(), strict=True):
        if res < m:
            continue
        c = p.checkpoints[res - m]
        out.append(
            {
                "id": c.id,
                "name": name(c.id),
                "open": "always" if c.hours is None else f"{c.hours[0]:%H:%M}-{c.hours[1]:%H:%M}",
                "from": _clock(plan, first + off),
                "to": _clock(plan, last + off),
            }
        )
    return out


def _route_words(plan: Plan, namer: Namer, route: TimedRoute, name: Name) -> dict[str, Any]:
    """A route in place names, with each checkpoint's hours and minutes after departure."""
    p = plan.problem
    m = p.graph.n_edges
    checkpoints = []
    for res, off in zip(route.resources.tolist(), route.offsets.tolist(), strict=True):
        if res >= m:
            c = p.checkpoints[res - m]
            hours = "always" if c.hours is None else f"{c.hours[0]:%H:%M}-{c.hours[1]:%H:%M}"
            checkpoints.append(
                {
                    "id": c.id,
                    "name": name(c.id),
                    "open": hours,
                    "after_min": round(off * p.step_s / 60),
                }
            )
    destination = p.destinations[route.destination].id
    return {
        "id": route.index,
        "places": [name(x) for x in namer.route_places(route.candidate.nodes.tolist())],
        "destination": destination,
        "destination_name": name(destination),
        "checkpoints": checkpoints,
        "travel_min": round(route.total_s / 60),
    }


def schedule(plan: Plan, scenario: Scenario | None = None, lang: str = "en") -> dict[str, Any]:
    """The whole schedule as data (the CLI's JSON, the HTML and the brief use it); places
    keep their ids and, beside them, the scenario's names in `lang` (`name`, `*_name`)."""
    p = plan.problem
    namer = Namer(p)
    name = namer_of(scenario, lang)
    accounts = plan.accounts()
    points = []
    for i, (origin, acc) in enumerate(zip(p.origins, accounts, strict=True)):
        slots: list[dict[str, Any]] = []
        for s in acc.slots:
            route = p.routes[s["route"]]
            first = _step_of(plan, s["start"])
            last = first + plan.slot_steps - 1
            destination = p.destinations[route.destination].id
            slots.append(
                {
                    "start": s["start"],
                    "end": s["end"],
                    "cars": s["cars"],
                    "people": s["people"],
                    "route": route.index,
                    "first_checkpoint": next(iter(_passes(plan, route, first, last, name)), None),
                    "destination": destination,
                    "destination_name": name(destination),
                    "arrive_from": _clock(plan, first + route.total_steps - 1),
                    "arrive_to": _clock(plan, last + route.total_steps - 1),
                    "out_by_window_end": s["out_by_window_end"],
                }
            )
        buses: list[dict[str, Any]] = [
            {
                "bus": t.bus,
                "depart": _clock(plan, t.depart_step),
                "people": t.people,
                "route": t.route,
                "destination": p.destinations[p.routes[t.route].destination].id,
                "destination_name": name(p.destinations[p.routes[t.route].destination].id),
                "arrive": _clock(plan, t.out_step - 1),
                "out_by_window_end": t.out_step <= p.window_steps,
            }
            for t in plan.bus_trips
            if t.origin == i
        ]
        used = sorted({s["route"] for s in slots} | {b["route"] for b in buses})
        points.append(
            {
                "id": origin.id,
                "name": name(origin.id),
                "routes": [_route_words(plan, namer, p.routes[r], name) for r in used],
                "people": origin.people,
                "slots": slots,
                "buses": buses,
                "people_in_slots": sum(s["people"] for s in slots),
                "people_on_buses": sum(b["people"] for b in buses),
                "not_booked": acc.not_booked,
                "waiting_for_bus": acc.waiting_for_bus,
                "people_out_by_window_end": acc.out_by_window_end,
            }
        )
    return {
        "window": {"start": _clock(plan, 0), "end": _clock(plan, p.window_steps)},
        "assembly_points": points,
        "buses": bus_timetables(plan, name, scenario),
        "people_total": plan.people_total,
        "people_out_by_window_end": sum(a.out_by_window_end for a in accounts),
    }


def bus_timetables(
    plan: Plan, name: Name, scenario: Scenario | None = None
) -> list[dict[str, Any]]:
    """Each bus's trips in order: where it starts from and when, where it loads, when it
    departs, when it arrives and how many it carries."""
    p = plan.problem
    depots = {b.id: b.depot for b in scenario.fleet.buses} if scenario is not None else {}
    trips = defaultdict(list)
    for t in plan.bus_trips:
        trips[t.bus].append(t)
    out = []
    for bus, legs in trips.items():
        legs.sort(key=lambda t: t.depart_step)
        rows: list[dict[str, Any]] = []
        for k, t in enumerate(legs):
            route = p.routes[t.route]
            came_from = (
                depots.get(bus, "depot")
                if k == 0
                else p.destinations[p.routes[legs[k - 1].route].destination].id
            )
            destination = p.destinations[route.destination].id
            rows.append(
                {
                    "from": came_from,
                    "from_name": name(came_from),
                    "leave": _clock(plan, t.leave_depot_step),
                    "load_at": p.origins[t.origin].id,
                    "load_at_name": name(p.origins[t.origin].id),
                    "depart": _clock(plan, t.depart_step),
                    "route": t.route,
                    "destination": destination,
                    "destination_name": name(destination),
                    "arrive": _clock(plan, t.out_step - 1),
                    "people": t.people,
                }
            )
        out.append({"bus": bus, "trips": rows, "people": sum(r["people"] for r in rows)})
    return out
