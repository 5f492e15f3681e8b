"""`--exact` against an independent oracle (tests/plan/oracle.py: the time-expanded network
built from the scenario data by plain code, solved by networkx), on random instances whose
travel times are whole numbers of steps and on the classic 14-node CCRP instance."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from safepassage.errors import ScenarioError
from safepassage.model import prepare_scenario
from safepassage.plan import make_plan
from safepassage.plan.exact import solve_exact
from safepassage.plan.problem import PlanningProblem, build_problem
from safepassage.plan.steps import ceil_steps, floor_steps
from tests.plan.instances import small_scenarios, write
from tests.plan.oracle import Oracle

CCRP = Path(__file__).parent / "data" / "ccrp-14.yaml"


def problem_of(data: dict[str, Any]) -> PlanningProblem | None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            prepared = prepare_scenario(write(Path(tmp) / "s.yaml", data))
        except ScenarioError:  # a random graph where some origin cannot reach a destination
            return None
        return build_problem(prepared)


def test_steps_rule_tolerates_float_noise_only() -> None:
    one_km_at_60 = 1000 / (60 / 3.6)
    assert one_km_at_60 < 60  # the float noise the rule exists for
    assert floor_steps(one_km_at_60, 60) == 1 and ceil_steps(one_km_at_60, 60) == 1
    assert floor_steps(60.0000001, 60) == 1 and ceil_steps(60.0000001, 60) == 1
    assert floor_steps(59.9, 60) == 0 and ceil_steps(60.1, 60) == 2


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios(with_hours=True))
def test_exact_equals_oracle_on_random_whole_step_instances(data: dict[str, Any]) -> None:
    problem = problem_of(data)
    if problem is None:
        return
    oracle = Oracle(data)
    assert problem.window_steps == oracle.window_steps
    exact = solve_exact(problem)
    assert exact.people_out_by_window_end == pytest.approx(oracle.people_by_window_end(), abs=1e-6)
    least = oracle.least_egress_steps(4 * oracle.window_steps)
    if least is None:
        assert exact.egress_time_s is None
    else:
        assert exact.egress_time_s == least * problem.step_s


def test_ccrp_14_node_instance() -> None:
    """Optimal quickest transshipment 16 time units: everyone out by step 17 in our units
    (out one step after arrival). Before the steps rule `--exact` said 14."""
    data = yaml.safe_load(CCRP.read_text())
    oracle = Oracle(data)
    assert oracle.least_egress_steps(40) == 17
    plan = make_plan(prepare_scenario(CCRP))
    exact = solve_exact(plan.problem)
    assert exact.egress_time_s == 17 * 60
    assert plan.bound.egress_time_s_min is not None
    assert plan.bound.egress_time_s_min <= exact.egress_time_s <= plan.egress_time_s
    # A window of 12 minutes: some are out, not all; the oracle agrees with --exact.
    short = {**data, "corridor": {"window": {**data["corridor"]["window"]}}}
    short["corridor"]["window"]["end"] = "2022-03-15T09:12:00"
    with tempfile.TemporaryDirectory() as tmp:
        p = build_problem(prepare_scenario(write(Path(tmp) / "s.yaml", short)))
    value = solve_exact(p).people_out_by_window_end
    assert 0 < value < 30
    assert value == pytest.approx(Oracle(short).people_by_window_end())
