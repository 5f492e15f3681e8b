"""The bound knows which destination each origin must use, and honours opening hours where a
time-expanded LP fits; checked against the independent oracle (tests/plan/oracle.py)."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from safepassage.errors import ScenarioError
from safepassage.model import prepare_scenario
from safepassage.plan import Plan, make_plan
from safepassage.plan.bound import BoundCalculator, gate_checkpoints
from safepassage.plan.buses import bus_bound
from safepassage.plan.exact import solve_exact
from tests.plan.instances import small_scenarios, write
from tests.plan.oracle import Oracle


def plan_of(data: dict[str, Any]) -> Plan | None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            prepared = prepare_scenario(write(Path(tmp) / "s.yaml", data))
        except ScenarioError:  # some origin cannot reach its destination
            return None
        return make_plan(prepared)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios(with_hours=True, fixed=True))
def test_bound_never_below_the_optimum_with_fixed_destinations(data: dict[str, Any]) -> None:
    plan = plan_of(data)
    if plan is None:
        return
    best = Oracle(data).people_by_window_end_assigned()
    assert plan.people_out_by_window_end <= best + 1e-6
    assert solve_exact(plan.problem).people_out_by_window_end == pytest.approx(best, abs=1e-4)
    assert plan.bound.people_out_by_window_end_max >= best - 1e-6
    # Without the time-expanded LP, the cuts alone are still a bound.
    cuts = BoundCalculator(plan.problem, time_expanded=False)
    assert cuts.people_by(plan.problem.window_steps) >= best - 1e-6


def two_destinations() -> dict[str, Any]:
    """`west` must go to `dw`, reached from the hub by a narrow road (1 car a minute); `east`
    must go to `de`. Any-destination thinking sends west's cars down the wide road to `de`."""
    at = {n: [47.0 + 0.01 * i, 37.0] for i, n in enumerate(["west", "east", "hub", "dw", "de"])}
    return {
        "name": "two destinations",
        "timezone": "UTC",
        "network": {
            "nodes": [{"id": "hub", "at": at["hub"]}],
            "links": [
                {"from": "west", "to": "hub", "length_km": 2, "capacity_vph": 600},
                {"from": "hub", "to": "dw", "length_km": 3, "capacity_vph": 60},
                {"from": "hub", "to": "de", "length_km": 3, "capacity_vph": 600},
                {"from": "east", "to": "de", "length_km": 4, "capacity_vph": 120},
            ],
        },
        "origins": [
            {"id": "west", "at": at["west"], "people": 200, "cars": 100, "to": ["dw"]},
            {"id": "east", "at": at["east"], "people": 200, "cars": 100, "to": ["de"]},
        ],
        "destinations": [{"id": "dw", "at": at["dw"]}, {"id": "de", "at": at["de"]}],
        "occupancy": {"car": 2},
        "corridor": {"window": {"start": "2022-03-15T09:00", "end": "2022-03-15T09:30"}},
    }


def test_bound_tighter_when_destinations_are_fixed() -> None:
    data = two_destinations()
    free = copy.deepcopy(data)
    for o in free["origins"]:
        del o["to"]
    plan, before = plan_of(data), plan_of(free)
    assert plan is not None and before is not None
    best = Oracle(data).people_by_window_end_assigned()
    # west: 1 car a minute arriving from minute 5 (out by 30: 25 cars); east: 2 a minute
    # from minute 4 (26 steps: 52 cars); 77 cars, 154 people.
    assert best == pytest.approx(154)
    w = plan.problem.window_steps
    cuts = BoundCalculator(plan.problem, time_expanded=False).people_by(w)
    assert best - 1e-6 <= cuts < before.bound.people_out_by_window_end_max - 50
    assert plan.bound.people_out_by_window_end_max == pytest.approx(best, abs=1e-3)
    assert any("fixed destinations" in k for k in plan.bound.knows)
    assert not any("any destination counts" in r for r in plan.bound.relaxed)
    # The egress gap means something now: the bound's least time is the oracle's.
    exact = solve_exact(plan.problem)
    assert plan.bound.egress_time_s_min is not None and exact.egress_time_s is not None
    assert plan.bound.egress_time_s_min <= exact.egress_time_s
    assert exact.egress_time_s > (before.bound.egress_time_s_min or 0) + 30 * 60


def test_bound_honours_opening_hours_of_checkpoints_in_series() -> None:
    """Two checkpoints in a row whose hours do not meet (the second closes before anyone who
    passed the first can reach it), and a slow road around both. A cut over time sees each
    checkpoint's hours alone, not the two together; the time-expanded network does (docs:
    the cuts over time, plan/cuts.py, cover checkpoints that close at night at the exits)."""
    names = ["home", "cpa", "cpb", "safe"]
    at = {n: [47.0 + 0.01 * i, 37.0] for i, n in enumerate(names)}
    data = {
        "name": "hours",
        "timezone": "Europe/Kyiv",
        "network": {
            "links": [
                {"from": "home", "to": "cpa", "length_km": 2, "capacity_vph": 600},
                {"from": "cpa", "to": "cpb", "length_km": 2, "capacity_vph": 600},
                {"from": "cpb", "to": "safe", "length_km": 2, "capacity_vph": 600},
                {"from": "home", "to": "safe", "length_km": 20, "capacity_vph": 60},
            ]
        },
        "origins": [{"id": "home", "at": at["home"], "people": 400, "cars": 200}],
        "destinations": [{"id": "safe", "at": at["safe"]}],
        "checkpoints": [
            {
                "id": c,
                "at": at[c],
                "controlled_by": "UA",
                "inspection_s": {"mean": 60},
                "lanes": 2,
                "open": hours,
            }
            for c, hours in (("cpa", "09:10-09:20"), ("cpb", "09:02-09:10"))
        ],
        "occupancy": {"car": 2},
        "corridor": {"window": {"start": "2022-03-15T09:00", "end": "2022-03-15T09:45"}},
    }
    plan = plan_of(data)
    assert plan is not None
    best = Oracle(data).people_by_window_end()
    # Only the road around: one car a minute leaving in minutes 0-24 (20 minutes on it).
    assert best == pytest.approx(25 * 2)
    w = plan.problem.window_steps
    cut_only = BoundCalculator(plan.problem, time_expanded=False).people_by(w)
    assert cut_only > best + 10  # cpb's hours alone let cars through
    assert best - 1e-6 <= plan.bound.people_out_by_window_end_max <= best + 1e-3
    assert plan.people_out_by_window_end <= best + 1e-6


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios(with_hours=True, fixed=True))
def test_the_tighter_bound_of_best_is_still_a_bound(data: dict[str, Any]) -> None:
    """`best` keeps the smaller of the bounds at the plan's steps and at 5 s steps: never
    below the optimum of the independent oracle (a time-expanded max flow)."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            prepared = prepare_scenario(write(Path(tmp) / "s.yaml", data))
        except ScenarioError:
            return
        plan = make_plan(prepared, quality="best")
    best = Oracle(data).people_by_window_end_assigned()
    assert plan.bound.people_out_by_window_end_max >= best - 1e-6
    assert plan.people_out_by_window_end <= plan.bound.people_out_by_window_end_max + 1e-6


def test_best_states_the_tighter_bound_on_real_roads() -> None:
    """On the bundled Mariupol roads (travel times not whole minutes) the bound at 5 s steps
    is tighter than at the plan's 60 s; `best` states it. `fast` adds only the cuts over time
    at 5 s steps (the city exit closes at night), which here are what binds."""
    mariupol = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022.yaml"
    prepared = prepare_scenario(mariupol, cut_off="warning")
    fast, best = make_plan(prepared, quality="fast"), make_plan(prepared, quality="best")
    p = fast.problem
    coarse = BoundCalculator(p, buses=bus_bound(prepared, p, gate_checkpoints(p))).people_by(
        p.window_steps
    )
    tight = best.bound.people_out_by_window_end_max
    stated_fast = fast.bound.people_out_by_window_end_max
    assert best.people_out_by_window_end <= tight <= stated_fast < coarse
    assert fast.people_out_by_window_end <= stated_fast
    assert any("and at 5 s steps" in k for k in best.bound.knows)
    assert any("cuts over time at 5 s steps" in k for k in fast.bound.knows)
    # The curve in the report ends at the stated figure, not above it.
    at_window = [p for s, p in best.bound_curve if s == best.problem.window_steps]
    assert not at_window or at_window[0] == pytest.approx(tight)
