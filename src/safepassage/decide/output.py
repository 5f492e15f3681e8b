"""The plan's JSON as every command prints it: the plan, its schedule with the scenario's
names, the bus seizure risk and, when the fleet was re-allocated, `bus_plan`."""

from __future__ import annotations

from typing import Any

from safepassage.decide.bus_risk import bus_risk
from safepassage.decide.names import with_names
from safepassage.decide.schedule import schedule
from safepassage.model.scenario import Scenario
from safepassage.plan import Plan


def plan_json(plan: Plan, scenario: Scenario) -> dict[str, Any]:
    """`plan --json` without the sensitivity: `bus_plan` says what is optimal, what is
    heuristic and the gap; the schedule carries it too."""
    data = plan.as_dict()
    quality = dict(data["quality"])
    bus_plan = quality.pop("bus_plan", None)
    data["quality"] = quality
    data["schedule"] = schedule(plan, scenario)
    if bus_plan is not None:
        data["bus_plan"] = bus_plan
        data["schedule"]["bus_plan"] = bus_plan
    risk = bus_risk(plan, scenario)
    if risk is not None:
        data["bus_risk"] = risk
    with_names(data, scenario)
    return data
