"""The effect of the risk that buses are seized at checkpoints (`bus_loss_risk`), on the
plan's bus timetable as it stands (no re-plan after a loss).

Each bus passes the checkpoints of its route on every trip out and, coming back for the next
load, the same checkpoints again (the corridor is one road each way; the inbound leg is not
otherwise modelled); on its first trip it comes in through them only when its depot is a
destination (beyond the checkpoints), not when it waits in the city. A bus survives a passage with probability 1 - risk, independently; a
seized bus carries nobody from then on, and its people aboard are not out. Expected figures
are exact for that model (products of survival chances), not sampled."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from safepassage.model.scenario import Scenario
from safepassage.plan.result import Plan


def bus_risk(plan: Plan, scenario: Scenario) -> dict[str, Any] | None:
    """Expected people out and buses lost under the checkpoints' bus risks; None without
    risk or buses."""
    risk = {c.id: c.bus_loss_risk for c in scenario.checkpoints}
    if not plan.bus_trips or not any(risk.values()):
        return None
    p = plan.problem
    m = p.graph.n_edges
    destinations = {d.id for d in scenario.destinations}
    from_outside = {b.id: b.depot in destinations for b in scenario.fleet.buses}
    by_bus = defaultdict(list)
    for t in plan.bus_trips:
        by_bus[t.bus].append(t)
    people = out_in_window = 0.0
    lost = 0.0
    for trips in by_bus.values():
        trips.sort(key=lambda t: t.depart_step)
        alive = 1.0
        for k, t in enumerate(trips):
            passes = [
                risk[p.checkpoints[r - m].id]
                for r in p.routes[t.route].resources.tolist()
                if r >= m
            ]
            if k > 0 or from_outside.get(t.bus, True):
                for q in passes:  # coming in to load: the same checkpoints the other way
                    alive *= 1.0 - q
            for q in passes:
                alive *= 1.0 - q
            people += t.people * alive
            if t.out_step <= p.window_steps:
                out_in_window += t.people * alive
        lost += 1.0 - alive
    planned = sum(t.people for t in plan.bus_trips)
    planned_in_window = sum(t.people for t in plan.bus_trips if t.out_step <= p.window_steps)
    return {
        "model": "independent seizure at each checkpoint passage, both ways; no re-plan",
        "bus_people_planned": planned,
        "bus_people_expected": round(people, 1),
        "bus_people_out_by_window_end_planned": planned_in_window,
        "bus_people_out_by_window_end_expected": round(out_in_window, 1),
        "buses_expected_lost": round(lost, 2),
        "buses": len(by_bus),
    }
