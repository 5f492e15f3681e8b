"""Plan JSON that adds up: whole people per slot and bus, every person not out listed with a
reason, out and left-the-city stated (property tests on random instances)."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepassage.errors import ScenarioError
from safepassage.model import prepare_scenario
from safepassage.plan import Plan, make_plan
from safepassage.plan.accounting import largest_remainder
from tests.plan.instances import small_scenarios, write


@given(
    st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=30),
    st.integers(0, 100_000),
)
def test_largest_remainder_sums_exactly(values: list[float], total: int) -> None:
    parts = largest_remainder(values, total)
    assert len(parts) == len(values) and all(p >= 0 for p in parts)
    mass = sum(values)
    if mass <= 0:
        assert parts == [0] * len(values)
        return
    assert sum(parts) == total
    for v, p in zip(values, parts, strict=True):
        assert abs(p - v * total / mass) < 1 + 1e-6


@st.composite
def mixed_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Random instances with fractional occupancy, people who need a bus and maybe buses."""
    data = draw(small_scenarios(with_hours=draw(st.booleans())))
    data["occupancy"] = {"car": draw(st.sampled_from([1.5, 2.5, 3.0]))}
    for o in data["origins"]:
        o["people"] = o["cars"] * 3 + draw(st.integers(0, 40))
        o["need_bus"] = draw(st.integers(0, o["people"] // 3))
    if draw(st.booleans()):
        depot = data["destinations"][0]["id"]
        data["fleet"] = {"buses": [{"id": "b1", "seats": 30, "depot": depot}]}
    return data


def plan_of(data: dict[str, Any]) -> Plan | None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            prepared = prepare_scenario(write(Path(tmp) / "s.yaml", data), cut_off="warning")
        except ScenarioError:
            return None
        return make_plan(prepared)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_scenarios())
def test_plan_json_adds_up(data: dict[str, Any]) -> None:
    plan = plan_of(data)
    if plan is None:
        return
    d = plan.as_dict()
    unserved = d["unserved"]
    assert all(u["reason"] and u["people"] > 0 for u in unserved)
    assert d["people_out_by_window_end"] + sum(u["people"] for u in unserved) == d["people_total"]
    assert "destination" in d["out_means"] and "checkpoint" in d["left_city_means"]
    assert d["people_left_city_by_window_end"] >= d["people_out_by_window_end"]
    late = sum(u["people"] for u in unserved if "window too short" in u["reason"])
    assert d["people_served"] == d["people_out_by_window_end"] + late
    assert abs(d["people_served"] - plan.people_served) < 2 * len(d["origins"])
    p = plan.problem
    for i, o in enumerate(d["origins"]):
        bus = sum(t["people"] for t in d["buses"] if t["origin"] == o["id"])
        mine = [u for u in unserved if u["origin"] == o["id"]]
        by_slots = sum(s["people"] for s in o["slots"])
        not_booked = sum(u["people"] for u in mine if "window too short" not in u["reason"])
        # Slots and buses carry everyone booked; with those not booked: everyone.
        if not any("no route" in u["reason"] for u in mine):
            assert by_slots + bus + not_booked == o["people"]
        assert o["people_out_by_window_end"] + sum(u["people"] for u in mine) == o["people"]
        out_slots = sum(s["people"] for s in o["slots"] if s["out_by_window_end"])
        out_bus = sum(
            t.people for t in plan.bus_trips if t.origin == i and t.out_step <= p.window_steps
        )
        assert o["people_out_by_window_end"] == out_slots + out_bus
        # Whole people out stay close to the planner's fluid figure.
        fluid_out = out_bus + sum(
            b.pcu * p.origins[i].occupancy
            for b in plan.bookings
            if p.routes[b.route].origin == i
            and b.step + p.routes[b.route].total_steps <= p.window_steps
        )
        assert abs(o["people_out_by_window_end"] - fluid_out) < 2
        if plan.remaining_pcu[i] <= 1e-9:
            assert sum(s["cars"] for s in o["slots"]) == o["cars"]
        # No slot dropped: one row per (slot, route, out by the window's end) booked.
        keys = Counter(
            (
                b.step // plan.slot_steps,
                b.route,
                b.step + p.routes[b.route].total_steps <= p.window_steps,
            )
            for b in plan.bookings
            if p.routes[b.route].origin == i
        )
        assert len(o["slots"]) == len(keys)
        assert all(isinstance(s["route"], int) for s in o["slots"])
