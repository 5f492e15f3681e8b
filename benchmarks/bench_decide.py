"""Decision-support benchmark (issue 13): the full sensitivity table (every lever re-planned,
windows for 50/90/100%, lanes at the limiting checkpoint) for Mariupol and Castlemaine, a bus
plan of 100 buses for 40 assembly points, and the one-page brief (PDF).

Targets: sensitivity Mariupol <= 10 s, Castlemaine <= 60 s; bus plan <= 10 s; brief <= 15 s.
Run: .venv/bin/python benchmarks/bench_decide.py [--castlemaine castlemaine.yaml]
(build that file with `safepassage scenario from-ees $SHARED/matsim/mount-alexander
--crs EPSG:28355 -o castlemaine.yaml`). Times are wall clock: the workers run on every core.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.common import machine

from safepassage.decide.brief import figures, plan_data, write_brief
from safepassage.decide.bus_plan import allocate
from safepassage.decide.sensitivity import PlanSettings, replan, sensitivity
from safepassage.model.prepare import PreparedScenario, prepare_scenario
from safepassage.model.scenario import Bus


def timed_sensitivity(prepared: PreparedScenario) -> tuple[float, float, int]:
    """Seconds for the plan, seconds for the table, re-plans of the lever rows."""
    settings = PlanSettings()
    t0 = time.perf_counter()
    plan = replan(prepared, settings)
    t1 = time.perf_counter()
    table = sensitivity(plan, prepared, settings)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, int(table["re_plans"])


def bus_case(
    prepared: PreparedScenario, buses: int, points: int
) -> tuple[float, float, dict[str, Any]]:
    """Seconds to plan `prepared` (buses, cars, bound) with `buses` buses of 50 seats and 200
    more people at each of its `points` largest origins, all needing a seat, and seconds to
    re-allocate the fleet around the cars (`--buses optimised`); and that allocation's report."""
    s = prepared.scenario.model_copy(deep=True)
    for o in sorted(s.origins, key=lambda o: -o.people)[:points]:
        o.people += 200
        o.need_bus = 200
    depot = s.destinations[0].id
    s.fleet.buses = [Bus(id=f"bus{k:03d}", seats=50, depot=depot) for k in range(buses)]
    case = replace(prepared, scenario=s)
    t0 = time.perf_counter()
    plan = replan(case, PlanSettings())
    t1 = time.perf_counter()
    allocation = allocate(plan, case)
    t2 = time.perf_counter()
    assert allocation is not None
    return t1 - t0, t2 - t1, allocation.report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--castlemaine", type=Path, default=None)
    args = parser.parse_args()
    print(f"machine: {machine()} (shared with other users while measured)")
    mariupol = prepare_scenario("scenarios/mariupol-2022.yaml", cut_off="warning")
    t0 = time.perf_counter()
    m_plan = replan(mariupol, PlanSettings())
    t1 = time.perf_counter()
    m_alloc = allocate(m_plan, mariupol)
    t2 = time.perf_counter()
    assert m_alloc is not None
    print(
        f"Mariupol: plan {t1 - t0:.1f} s, optimised bus allocation {t2 - t1:.1f} s"
        f" (served {m_alloc.report['bus_people_served']}, timetable from"
        f" {m_alloc.report['timetable_from']})"
    )
    plan_s, table_s, n = timed_sensitivity(mariupol)
    print(f"Mariupol: plan {plan_s:.1f} s, sensitivity table {table_s:.1f} s ({n} lever re-plans)")
    t0 = time.perf_counter()
    data = plan_data(mariupol, PlanSettings(), forecast_runs=500)  # as `brief` does
    with tempfile.TemporaryDirectory() as tmp:
        write_brief(figures(data, mariupol), Path(tmp) / "brief.pdf")
    print(f"Mariupol brief (plan, table, forecast, PDF): {time.perf_counter() - t0:.1f} s")
    if args.castlemaine is not None:
        castlemaine = prepare_scenario(args.castlemaine, cut_off="warning")
        plan_s, table_s, n = timed_sensitivity(castlemaine)
        print(f"Castlemaine: plan {plan_s:.1f} s, sensitivity table {table_s:.1f} s ({n} re-plans)")
        points = min(40, len(castlemaine.scenario.origins))
        plan_s, alloc_s, report = bus_case(castlemaine, 100, points)
        print(
            f"Castlemaine, 100 buses x {points} assembly points: plan {plan_s:.1f} s,"
            f" optimised allocation {alloc_s:.1f} s; {report['bus_people_out_by_window_end']}"
            f" bus people out by the window's end, LP bound"
            f" {report['bound_bus_people_out_by_window_end']}, gap {report['gap']},"
            f" timetable from {report['timetable_from']},"
            f" candidates {report['candidates_bus_people_out_by_window_end']}"
        )
    print(f"cores used by the workers: {os.cpu_count()}")


if __name__ == "__main__":
    main()
