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
    """The example network of Lu, George and Shekhar, "Capacity Constrained Routing
    Algorithms for Evacuation Planning: A Summary of Results", SSTD 2005, Fig. 1 (data and
    sources in data/ccrp-14.yaml). Optimal quickest transshipment 16 time units: everyone out
    by step 17 in our units (out one step after arrival). Before the steps rule `--exact`
    said 14."""
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


def test_every_mariupol_link_takes_its_whole_steps() -> None:
    """The bundled scenario's links, in exact rationals, against the steps the planner, the bound
    and the exact solver use; plain `//` got some of them a step short."""
    from fractions import Fraction

    import numpy as np

    from safepassage.plan.bound import _network
    from safepassage.plan.steps import floor_steps_array

    root = Path(__file__).resolve().parents[2]
    path = root / "scenarios" / "mariupol-2022.yaml"
    links = yaml.safe_load(path.read_text())["network"]["links"]
    problem = build_problem(prepare_scenario(path))
    g, step = problem.graph, problem.step_s
    expected = np.array(
        [
            int(
                Fraction(str(links[i]["length_km"]))
                * 3600
                / Fraction(str(links[i].get("speed_kmh", 60)))
                // Fraction(str(step))
            )
            for i in g.way_id.tolist()
        ]
    )
    assert (floor_steps_array(g.travel_time_s, step) == expected).all()
    assert ((g.travel_time_s // step).astype(int) != expected).any()  # why the rule exists
    net = _network(problem)
    open_edges = np.flatnonzero(~problem.closed_edges)
    c = len(problem.checkpoints)
    assert (net.steps[c : c + open_edges.size] == expected[open_edges]).all()


def test_exact_equals_oracle_across_the_clock_change(tmp_path: Path) -> None:
    """Kyiv, night of 26-27 March 2022: 02:30 to 04:45 local is 75 minutes (03:00-04:00 does
    not exist), and a checkpoint open 03:00-04:30 is open for 30 of them."""
    at = {n: [47.0 + 0.01 * i, 37.0] for i, n in enumerate(["home", "cp", "safe"])}
    data = {
        "name": "dst",
        "timezone": "Europe/Kyiv",
        "network": {
            "links": [
                {"from": "home", "to": "cp", "length_km": 2, "capacity_vph": 600},
                {"from": "cp", "to": "safe", "length_km": 3, "capacity_vph": 600},
            ]
        },
        "origins": [{"id": "home", "at": at["home"], "people": 300, "cars": 150}],
        "destinations": [{"id": "safe", "at": at["safe"]}],
        "checkpoints": [
            {
                "id": "cp",
                "at": at["cp"],
                "controlled_by": "UA",
                "inspection_s": {"mean": 60},
                "lanes": 3,
                "open": "03:00-04:30",
            }
        ],
        "occupancy": {"car": 2},
        "corridor": {"window": {"start": "2022-03-27T02:30", "end": "2022-03-27T04:45"}},
    }
    oracle = Oracle(data)
    assert oracle.window_steps == 75
    problem = build_problem(prepare_scenario(write(tmp_path / "s.yaml", data)))
    assert problem.window_steps == 75
    best = oracle.people_by_window_end()
    assert best == pytest.approx(3 * 30 * 2)  # 3 cars a minute for 30 minutes, 2 people each
    assert solve_exact(problem).people_out_by_window_end == pytest.approx(best)
