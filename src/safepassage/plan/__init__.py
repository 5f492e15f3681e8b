"""Evacuation planning: capacity-constrained plans inside a ceasefire window, with a bound."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from safepassage.model.prepare import PreparedScenario
from safepassage.plan.bound import Bound, BoundCalculator, capacity_varies, gate_checkpoints
from safepassage.plan.buses import BusTrip, bus_bound, bus_need, for_cars, plan_buses
from safepassage.plan.ccrp import MAX_EXTRA_DAYS, Booking, new_ledger, plan_cars
from safepassage.plan.ledger import CapacityLedger
from safepassage.plan.problem import BUS_PCU, PlanningProblem, build_problem
from safepassage.plan.result import Plan
from safepassage.plan.steps import floor_steps

__all__ = ["QUALITIES", "Plan", "PlanningProblem", "build_problem", "make_plan"]

#: `fast`: the greedy alone; `best`: the greedy, then path generation where it does better;
#: `auto` (the command's default): `best`, which now fits the time targets on every instance
#: of the ladder (docs/benchmarks.md); kept as a name so callers need not change.
QUALITIES = ("auto", "fast", "best")


def make_plan(
    prepared: PreparedScenario,
    *,
    step_s: float = 60.0,
    slot_s: float = 600.0,
    routes_per_origin: int = 4,
    order: str = "fullest-first",
    quality: str = "fast",
    with_bound: bool = True,
) -> Plan:
    """Plan a prepared scenario: buses first, then cars (greedy; with `quality="best"` then
    improved by path generation), then the bound and the gap (`with_bound=False`: none, for
    callers that read only the bookings, such as the sensitivity's re-plans)."""
    if quality not in QUALITIES:
        raise ValueError(f"quality must be one of {QUALITIES}")
    asked = quality
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
    cars = for_cars(problem, trips)  # reception left after the buses
    schedule = plan_cars(cars, order=order, ledger=ledger)
    bookings, remaining = schedule.bookings, schedule.remaining_pcu
    if quality == "auto":
        quality = "best"
    quality_report: dict[str, object] = {"mode": quality, "asked": asked}
    if quality == "best":
        improved, report = _improve(cars, bookings, remaining, trips, bus_pcu, routes_per_origin)
        quality_report.update(report)
        if improved is not None:
            grown, bookings, remaining, ledger = improved
            # Its new routes, with the whole reception capacities again (for the bound).
            problem = replace(grown, destinations=problem.destinations)
    plan = Plan(
        problem=problem,
        scenario_name=prepared.scenario.name,
        bookings=bookings,
        bus_trips=trips,
        remaining_pcu=remaining,
        waiting_for_bus=waiting,
        ledger=ledger,
        bound=Bound(0.0, None, False, 0),
        bound_curve=[],
        assumptions=prepared.scenario.assumptions,
    )
    plan.quality = quality_report
    if not with_bound:
        return plan
    calc = BoundCalculator(problem, buses=bus_bound(prepared, problem, gate_checkpoints(problem)))
    plan.bound = _bound(calc, problem, plan)
    # `fast` keeps its times (the whole second bound cost Porto ~3 s): it adds only the cuts
    # over time at 5 s steps, and only where a capacity changes with time (cheap, and where
    # whole 60 s steps mislead most: a last car through just before a night closure).
    cuts_only = quality != "best"
    fine = (
        finer_bound(prepared, problem, plan, slot_s, routes_per_origin, curves=not cuts_only)
        if not cuts_only or capacity_varies(problem)
        else None
    )
    if fine is not None:
        plan.bound = _tighter(plan.bound, fine[0], fine[1].problem.step_s, cuts_only)
    slot_steps = max(1, floor_steps(slot_s, step_s))
    end = max(plan.egress_steps, problem.window_steps)
    # The bound's curve at every slot, thinned to at most ~150 points for long evacuations
    # (the tighter of the two bounds at each point, as the headline figure).
    stride = slot_steps * max(1, (end // slot_steps + 1) // 150)
    plan.bound_curve = [
        (s, _people_by(calc, fine[1] if fine else None, s, step_s))
        for s in range(0, end + stride, stride)
    ]
    return plan


#: With `best`, the bound is computed again at this step (seconds) and the tighter one kept:
#: it rounds each road's travel time down to whole steps, its loosest relaxation on networks
#: of short roads (Porto: 1,136 of the 2,097 people between the plan and the bound at 60 s
#: steps; docs/benchmarks.md). Both are bounds, so the smaller is one too.
FINE_STEP_S = 5.0


def finer_bound(
    prepared: PreparedScenario,
    problem: PlanningProblem,
    plan: Plan,
    slot_s: float,
    routes_per_origin: int,
    *,
    curves: bool = True,
) -> tuple[Bound, BoundCalculator] | None:
    """The bound at FINE_STEP_S (without its time-expanded part, which grows with the steps;
    `curves=False`: its cuts over time alone), or None where the plan's step is already that
    fine or not a whole multiple of it."""
    ratio = problem.step_s / FINE_STEP_S
    if ratio <= 1 or abs(ratio - round(ratio)) > 1e-9:
        return None
    fine = build_problem(
        prepared,
        step_s=FINE_STEP_S,
        slot_s=slot_s,
        routes_per_origin=routes_per_origin,
        hours_step_s=problem.step_s,
    )
    calc = BoundCalculator(
        fine,
        buses=bus_bound(prepared, fine, gate_checkpoints(fine), grid=round(ratio)),
        time_expanded=False,
        entry_grid=round(ratio),
        curves=curves,
    )
    # One plan step of slack: a fine step's flow is a fluid at 1/ratio of a plan step's
    # capacity, so a vehicle the plan passes in one step spreads over `ratio` fine steps and
    # can be that much later there than in the plan's model (tests/plan/test_cuts.py).
    slack = calc.entry_grid
    hi = int(plan.egress_time_s / FINE_STEP_S) + 2 + slack if plan.egress_time_s else 1
    steps = calc.least_steps_for(plan.people_served, max(hi, 1))
    bound = Bound(
        people_out_by_window_end_max=calc.people_by(fine.window_steps + slack),
        egress_time_s_min=None if steps is None else max(0, steps - slack) * FINE_STEP_S,
        exact_subsets=calc.exact,
        subsets_evaluated=calc.subsets_evaluated,
    )
    return bound, calc


def _tighter(base: Bound, fine: Bound, fine_step_s: float, cuts_only: bool = False) -> Bound:
    """The smaller people bound and the larger egress bound of the two (each is valid)."""
    egress = [e for e in (base.egress_time_s_min, fine.egress_time_s_min) if e is not None]
    other = (
        f"its cuts over time at {fine_step_s:g} s steps"
        if cuts_only
        else (f"at {fine_step_s:g} s steps")
    )
    knows = [
        *base.knows,
        f"the tighter of this bound at the plan's steps and {other}"
        " (each rounds roads' travel times down to whole steps; finer steps round less)",
    ]
    return replace(
        base,
        people_out_by_window_end_max=min(
            base.people_out_by_window_end_max, fine.people_out_by_window_end_max
        ),
        egress_time_s_min=max(egress) if egress else None,
        knows=knows,
    )


def _people_by(calc: BoundCalculator, fine: BoundCalculator | None, s: int, step_s: float) -> float:
    """The bound on people out by step `s` of the plan (the tighter of the two, where both)."""
    people = calc.people_by(s)
    if fine is not None:
        people = min(people, fine.people_by(round(s * step_s / FINE_STEP_S) + fine.entry_grid))
    return people


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


def _improve(
    problem: PlanningProblem,
    greedy: list[Booking],
    remaining: list[float],
    trips: list[BusTrip],
    bus_pcu: np.ndarray,
    routes_per_origin: int,
) -> tuple[
    tuple[PlanningProblem, list[Booking], list[float], CapacityLedger] | None, dict[str, object]
]:
    """Path generation from the greedy's bookings: the improved plan (None where it does not
    do better than the greedy) and what it found."""
    from safepassage.plan.colgen import bus_loads, generate

    supply = np.array([o.car_pcu for o in problem.origins]) - np.array(remaining)
    egress = max((b.step + problem.routes[b.route].total_steps for b in greedy), default=0)
    horizon = max(problem.window_steps, egress)
    loads = bus_loads(problem, trips)
    result = generate(
        problem,
        greedy,
        supply,
        bus_pcu=bus_pcu,
        buses=loads,
        horizon=horizon,
        max_routes=routes_per_origin,
    )
    report = dict(result.report)
    rules = any(o.priority != 1.0 for o in problem.origins) or problem.fairness_steps is not None
    if rules:
        plain = replace(
            problem,
            origins=[replace(o, priority=1.0) for o in problem.origins],
            fairness_steps=None,
        )
        free = generate(
            plain,
            greedy,
            supply,
            bus_pcu=bus_pcu,
            buses=loads,
            horizon=horizon,
            max_routes=routes_per_origin,
        )
        without = float(free.report["lp_people_out_by_window_end"])
        with_rules = float(report["lp_people_out_by_window_end"])
        report["priorities_cost"] = {
            "people_out_by_window_end_without_priorities": round(without, 1),
            "people_out_by_window_end_with_priorities": round(with_rules, 1),
            "cost_people": round(max(without - with_rules, 0.0), 1),
        }
    new = result.problem
    ledger = new_ledger(new, bus_pcu=bus_pcu)
    for t in trips:
        ledger.reserve_cells(t.route, t.depart_step, bus_need(ledger, new, t.route))
    room = np.array([d.capacity_people for d in new.destinations])
    for b in result.bookings:
        ledger.reserve(b.route, b.step, b.pcu)
        route = new.routes[b.route]
        room[route.destination] -= b.pcu * new.origins[route.origin].occupancy
    left = result.unrouted_pcu + np.array(remaining)
    rest = plan_cars(new, ledger=ledger, remaining=np.maximum(left, 0.0), room=room)
    bookings = result.bookings + rest.bookings
    W = problem.window_steps

    def score(p: PlanningProblem, bs: list[Booking]) -> tuple[float, int]:
        out = sum(
            b.pcu * p.origins[p.routes[b.route].origin].occupancy
            for b in bs
            if b.step + p.routes[b.route].total_steps <= W
        )
        last = max((b.step + p.routes[b.route].total_steps for b in bs), default=0)
        return out, last

    (lp_out, lp_last), (gr_out, gr_last) = score(new, bookings), score(problem, greedy)
    report["greedy_people_out_by_window_end"] = round(float(gr_out), 1)
    report["greedy_egress_time_s"] = gr_last * problem.step_s
    served_lp = sum(b.pcu for b in bookings)
    served_gr = sum(b.pcu for b in greedy)
    worse = served_lp < served_gr - 1e-6 or (lp_out, -lp_last) < (gr_out - 1e-6, -gr_last)
    # With priorities or fairness the greedy answers another question (or breaks the rule).
    if worse and not rules:
        report["used"] = "greedy (path generation did not do better)"
        return None, report
    report["used"] = "path generation"
    return (new, bookings, rest.remaining_pcu, ledger), report
