"""Bus timetables checked by independent code: each bus in one place at a time, seats
respected, and every checkpoint's capacity, computed from the scenario by plain code, shared
with the cars and never exceeded in any step."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta

from safepassage.model.prepare import PreparedScenario
from safepassage.plan import Plan


def _open(hours: str, clock: timedelta) -> bool:
    if hours == "always":
        return True
    a, b = (int(x[:2]) * 60 + int(x[3:]) for x in hours.split("-"))
    minute = clock.seconds // 60
    return a <= minute < b if a < b else (minute >= a or minute < b)


def test_buses_and_cars_fit_every_checkpoint(
    mariupol_plan: Plan, mariupol_prepared: PreparedScenario
) -> None:
    plan, scenario = mariupol_plan, mariupol_prepared.scenario
    p = plan.problem
    seats = {b.id: b.seats for b in scenario.fleet.buses}
    by_bus = defaultdict(list)
    for t in plan.bus_trips:
        assert 0 < t.people <= seats[t.bus]
        by_bus[t.bus].append(t)
    for trips in by_bus.values():
        trips.sort(key=lambda t: t.leave_depot_step)
        for a, b in itertools.pairwise(trips):
            assert b.leave_depot_step > a.out_step  # unloaded before it leaves again
        for t in trips:
            assert t.leave_depot_step <= t.depart_step < t.out_step
    # Load per checkpoint and step: cars (fluid) and buses (one vehicle each).
    m = p.graph.n_edges
    load: dict[tuple[int, int], float] = defaultdict(float)
    uses = [(b.route, b.step, b.pcu) for b in plan.bookings]
    uses += [(t.route, t.depart_step, 1.0) for t in plan.bus_trips]
    for route_index, step, amount in uses:
        route = p.routes[route_index]
        for res, off in zip(route.resources.tolist(), route.offsets.tolist(), strict=True):
            if res >= m:
                load[(res - m, step + int(off))] += amount
    start = p.start.replace(tzinfo=None)  # wall clock: the plan ends before the 27 March change
    for (k, step), vehicles in load.items():
        c = scenario.checkpoints[k]
        clock = start + timedelta(seconds=step * p.step_s)
        per_step = c.lanes * p.step_s / c.inspection_s.mean
        cap = per_step if _open(c.open, timedelta(hours=clock.hour, minutes=clock.minute)) else 0
        assert vehicles <= cap + 1e-6, (c.id, step, vehicles, cap)
