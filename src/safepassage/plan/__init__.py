"""Evacuation planning: capacity-constrained plans inside a ceasefire window, with a bound."""

from __future__ import annotations

import numpy as np

from safepassage.model.prepare import PreparedScenario
from safepassage.plan.bound import Bound, BoundCalculator, gate_checkpoints
from safepassage.plan.buses import bus_bound, plan_buses
from safepassage.plan.ccrp import MAX_EXTRA_DAYS, new_ledger, plan_cars
from safepassage.plan.problem import BUS_PCU, PlanningProblem, build_problem
from safepassage.plan.result import Plan
from safepassage.plan.steps import floor_steps

__all__ = ["Plan", "PlanningProblem", "build_problem", "make_plan"]


def make_plan(
    prepared: PreparedScenario,
    *,
    step_s: float = 60.0,
    slot_s: float = 600.0,
    routes_per_origin: int = 4,
    order: str = "fullest-first",
) -> Plan:
    """Plan a prepared scenario: buses first, then cars, then the bound and the gap."""
    problem = build_problem(
        prepared, step_s=step_s, slot_s=slot_s, routes_per_origin=routes_per_origin
    )
    buses = prepared.scenario.fleet.buses
    seats = min((b.seats for b in buses), default=0)
    bus_pcu = np.array(
        [np.ceil(o.bus_people / seats) * BUS_PCU if seats else 0.0 for o in problem.origins]
    )
    ledger = new_ledger(problem, bus_pcu=bus_pcu)
    limit = problem.window_steps + int(MAX_EXTRA_DAYS * 86400 / step_s)
    trips, waiting = plan_buses(prepared, problem, ledger, max_steps=limit)
    schedule = plan_cars(problem, order=order, ledger=ledger)
    calc = BoundCalculator(problem, buses=bus_bound(prepared, problem, gate_checkpoints(problem)))
    plan = Plan(
        problem=problem,
        scenario_name=prepared.scenario.name,
        bookings=schedule.bookings,
        bus_trips=trips,
        remaining_pcu=schedule.remaining_pcu,
        waiting_for_bus=waiting,
        ledger=ledger,
        bound=Bound(0.0, None, calc.exact, 0),
        bound_curve=[],
        assumptions=prepared.scenario.assumptions,
    )
    plan.bound = _bound(calc, problem, plan)
    slot_steps = max(1, floor_steps(slot_s, step_s))
    end = max(plan.egress_steps, problem.window_steps)
    # The bound's curve at every slot, thinned to at most ~150 points for long evacuations.
    stride = slot_steps * max(1, (end // slot_steps + 1) // 150)
    plan.bound_curve = [(s, calc.people_by(s)) for s in range(0, end + stride, stride)]
    return plan


def _bound(calc: BoundCalculator, problem: PlanningProblem, plan: Plan) -> Bound:
    from safepassage.plan.bound import knowledge, relaxations

    expanded = calc.window_cars is not None
    steps = calc.least_steps_for(plan.people_served, max(plan.egress_steps, 1))
    return Bound(
        people_out_by_window_end_max=calc.people_by(problem.window_steps),
        egress_time_s_min=None if steps is None else steps * problem.step_s,
        exact_subsets=calc.exact,
        subsets_evaluated=calc.subsets_evaluated,
        relaxed=relaxations(problem, time_expanded=expanded),
        knows=knowledge(problem, time_expanded=expanded),
    )
