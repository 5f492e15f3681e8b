"""The planner against the exact solver and its own bound, on random small instances."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from safepassage.errors import ScenarioError
from safepassage.model import prepare_scenario
from safepassage.plan import Plan, make_plan
from safepassage.plan.ccrp import route_loads
from safepassage.plan.exact import solve_exact
from tests.plan.instances import small_scenarios, write

ROOT = Path(__file__).resolve().parents[2]


def plan_of(data: dict[str, Any]) -> Plan | None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            prepared = prepare_scenario(write(Path(tmp) / "s.yaml", data))
        except ScenarioError:  # a random graph where some origin cannot reach a destination
            return None
        return make_plan(prepared)


def assert_capacities_respected(plan: Plan) -> None:
    """Recomputed from the bookings alone: no resource over capacity in any step."""
    p = plan.problem
    loads = route_loads(p, plan.bookings)
    if not loads:
        return
    resources = np.array(sorted({r for r, _ in loads}))
    horizon = max(s for _, s in loads) + 1
    capacity = p.capacity_block(resources, 0, horizon)
    row = {int(r): i for i, r in enumerate(resources)}
    for (res, step), load in loads.items():
        assert load <= capacity[row[res], step] + 1e-6, (res, step, load)


def assert_everyone_accounted(plan: Plan) -> None:
    for i, o in enumerate(plan.problem.origins):
        booked = sum(b.pcu for b in plan.bookings if plan.problem.routes[b.route].origin == i)
        assert booked + plan.remaining_pcu[i] == pytest.approx(o.car_pcu, abs=1e-6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_plan_within_exact_optimum_and_bound_equals_it(data: dict[str, Any]) -> None:
    plan = plan_of(data)
    if plan is None:
        return
    assert_capacities_respected(plan)
    assert_everyone_accounted(plan)
    exact = solve_exact(plan.problem)
    bound = plan.bound
    # plan <= exact optimum == bound (all source subsets enumerated, nothing time-varying).
    assert plan.people_out_by_window_end <= exact.people_out_by_window_end + 1e-6
    assert bound.people_out_by_window_end_max == pytest.approx(
        exact.people_out_by_window_end, abs=1e-3
    )
    if not any(plan.remaining_pcu) and exact.egress_time_s is not None:
        assert plan.egress_time_s >= exact.egress_time_s - 1e-6
        assert bound.egress_time_s_min == pytest.approx(exact.egress_time_s)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios(with_hours=True))
def test_opening_hours_respected_and_bound_stays_valid(data: dict[str, Any]) -> None:
    plan = plan_of(data)
    if plan is None:
        return
    assert_capacities_respected(plan)
    exact = solve_exact(plan.problem)
    assert plan.people_out_by_window_end <= exact.people_out_by_window_end + 1e-6
    assert exact.people_out_by_window_end <= plan.bound.people_out_by_window_end_max + 1e-3


def test_deterministic() -> None:
    prepared = prepare_scenario(ROOT / "scenarios" / "mariupol-2022.yaml")
    first, second = make_plan(prepared).as_dict(), make_plan(prepared).as_dict()
    assert first == second


def test_mariupol_plan_shape() -> None:
    plan = make_plan(prepare_scenario(ROOT / "scenarios" / "mariupol-2022.yaml"))
    d = plan.as_dict()
    for key in ("people_total", "people_out_by_window_end", "egress_time_s", "bound", "gap"):
        assert key in d
    assert {"people_out_by_window_end_max", "egress_time_s_min"} <= set(d["bound"])
    assert 0 < d["people_out_by_window_end"] <= d["bound"]["people_out_by_window_end_max"]
    # The exit checkpoint (80 cars an hour, 08:00-18:00) is the bottleneck.
    assert d["bottlenecks"][0]["resource"] == "checkpoint cp01-mariupol-exit"
    exit_load = next(c for c in d["checkpoints"] if c["id"] == "cp01-mariupol-exit")["load_by_hour"]
    assert max(h["vehicles"] for h in exit_load) <= 80 + 1e-6
    assert all(8 <= int(h["hour_start"][11:13]) < 18 for h in exit_load)
    # Routes follow the agreed corridor (not the shorter 5 March route).
    assert all("manhush" in r["via"] and "nikolske" not in r["via"] for r in d["routes"])
    assert d["unserved"] and all(u["reason"] for u in d["unserved"])
    assert plan.bus_trips and all(t.people <= 50 for t in plan.bus_trips)
    assert_capacities_respected(plan)


def _corridor(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(
        """\
name: c
timezone: UTC
network:
  links:
    - {from: home, to: cp, length_km: 5, speed_kmh: 60, capacity_vph: 600}
    - {from: cp, to: safe, length_km: 5, speed_kmh: 60, capacity_vph: 600}
    - {from: cutoff, to: island, length_km: 1}
origins:
  - {id: home, at: [47.0, 37.0], people: 100, cars: 25}
  - {id: cutoff, at: [47.3, 37.3], people: 40, cars: 10, to: [safe]}
destinations:
  - {id: safe, at: [47.1, 37.1]}
  - {id: island, at: [47.4, 37.4]}
checkpoints:
  - {id: cp, at: [47.05, 37.05], controlled_by: X, lanes: 1, inspection_s: {mean: 60}EXTRA}
occupancy: {car: 4}
corridor:
  window: {start: 2022-03-15T09:00, end: 2022-03-15T11:00}
""".replace("EXTRA", extra)
    )
    return path


def test_cut_off_origin_is_refused_by_check_but_planned_around(tmp_path: Path) -> None:
    # `cutoff` may only go to `safe`, which it cannot reach.
    path = _corridor(tmp_path, "")
    with pytest.raises(ScenarioError, match="cutoff"):
        prepare_scenario(path)
    prepared = prepare_scenario(path, cut_off="warning")
    assert any("cutoff" in str(w) for w in prepared.warnings)
    plan = make_plan(prepared)
    assert plan.people_out_by_window_end == pytest.approx(100)  # everyone else is out
    unserved = {u["origin"]: u for u in plan.unserved()}
    assert unserved["cutoff"]["people"] == 40 and "no route" in unserved["cutoff"]["reason"]


def test_window_shorter_than_the_shortest_trip(tmp_path: Path) -> None:
    path = _corridor(tmp_path, "")
    text = path.read_text().replace("end: 2022-03-15T11:00", "end: 2022-03-15T09:05")
    text = text.replace(
        "  - {id: cutoff, at: [47.3, 37.3], people: 40, cars: 10, to: [safe]}\n", ""
    )
    path.write_text(text.replace("    - {from: cutoff, to: island, length_km: 1}\n", ""))
    plan = make_plan(prepare_scenario(path, cut_off="warning"))
    assert plan.people_out_by_window_end == 0
    assert plan.bound.people_out_by_window_end_max == 0
    assert plan.people_served == pytest.approx(100)  # they still get out, after the window
    assert any("window too short" in u["reason"] for u in plan.unserved())


def test_checkpoint_closed_for_the_whole_window(tmp_path: Path) -> None:
    path = _corridor(tmp_path, ", open: '20:00-22:00'")
    text = path.read_text().replace(
        "  - {id: cutoff, at: [47.3, 37.3], people: 40, cars: 10, to: [safe]}\n", ""
    )
    path.write_text(text.replace("    - {from: cutoff, to: island, length_km: 1}\n", ""))
    plan = make_plan(prepare_scenario(path))
    assert plan.people_out_by_window_end == 0
    assert plan.bound.people_out_by_window_end_max == 0
    reasons = {u["reason"] for u in plan.unserved()}
    assert any("window too short" in r for r in reasons)
