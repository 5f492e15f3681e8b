"""Forecast engine benchmark: 10,000 replications of 5,000 vehicles through 18 checkpoints,
against the SimPy model of the same system (run on a few replications in the same run and
scaled linearly: SimPy's cost per replication does not depend on how many are run).

Targets (issue 4): at most 15 s on this machine's 2 cores, at least 100x faster than SimPy.
Also (issue 14): a 7-day demand-mode forecast of the bundled corridor, 2,000 replications, in at
most 20 s (planning, demand drawing and the kernel; wall clock and CPU time, since the machine
may be shared).
Run: .venv/bin/python benchmarks/bench_forecast.py [--runs 10000] [--simpy-runs 3]
[--demand-runs 2000]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
from benchmarks.common import dump, machine, table

import safepassage.forecast as forecast_module
from safepassage.forecast.engine import run_monte_carlo
from safepassage.forecast.reference import simulate
from safepassage.forecast.system import CorridorSystem, Station
from safepassage.model.prepare import prepare_scenario
from safepassage.model.scenario import ForecastSpec


def mariupol_like(vehicles: int) -> CorridorSystem:
    """The bundled scenario's 18 checkpoints (lanes, inspection times) 15 minutes apart, its
    forecast settings (suspensions, lane closures, breakdowns, lateness), and `vehicles` cars
    leaving at the exit checkpoint's rate (80 an hour)."""
    scenario = prepare_scenario("scenarios/mariupol-2022.yaml").scenario
    stations = [
        Station(
            c.id, "checkpoint", 900.0 if i else 0.0, 15.0 if i else 0.0, c.lanes, c.inspection_s
        )
        for i, c in enumerate(scenario.checkpoints)
    ]
    stations.append(Station("destination", "destination", 1800.0, 30.0))
    spec = scenario.forecast.model_copy(update={"drive_hours": None, "out_at": None})
    assert isinstance(spec, ForecastSpec)
    return CorridorSystem(
        name="benchmark corridor",
        start=datetime(2022, 3, 15, 9, 0, tzinfo=UTC),
        window_end_s=36 * 3600.0,
        stations=stations,
        depart_s=np.arange(vehicles) * 45.0,
        access_s=np.full(vehicles, 600.0),
        people=np.full(vehicles, 4.7),
        spec=spec,
    )


def demand_case(runs: int) -> dict[str, float]:
    """The bundled scenario in demand mode for 7 days: the whole forecast (plan for the
    corridor, demand draws, kernel), after a warm-up that loads the compiled kernel."""
    from safepassage.forecast import forecast_prepared

    prepared = prepare_scenario("scenarios/mariupol-2022.yaml")
    forecast_prepared(prepared, runs=4, seed=0, mode="demand", days=7)
    kernel_s = 0.0
    original = forecast_module.run_monte_carlo

    def timed(*args: Any, **kwargs: Any) -> Any:
        nonlocal kernel_s
        t = time.perf_counter()
        out = original(*args, **kwargs)
        kernel_s += time.perf_counter() - t
        return out

    forecast_module.run_monte_carlo = timed
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        fc = forecast_prepared(prepared, runs=runs, seed=1, mode="demand", days=7)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        forecast_module.run_monte_carlo = original
    demand = fc.raw.fate[:, :, 0].sum(axis=1)
    return {
        "runs": runs,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "kernel_wall_s": round(kernel_s, 3),
        "vehicles_p50": int(np.median(demand)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--vehicles", type=int, default=5_000)
    parser.add_argument("--simpy-runs", type=int, default=3)
    parser.add_argument("--demand-runs", type=int, default=2000)
    args = parser.parse_args()
    demand = demand_case(args.demand_runs)
    system = mariupol_like(args.vehicles)
    t = time.perf_counter()
    run_monte_carlo(system, 2, seed=0)
    warm_s = time.perf_counter() - t
    t, cpu = time.perf_counter(), time.process_time()
    raw = run_monte_carlo(system, args.runs, seed=1)
    ours_s, ours_cpu = time.perf_counter() - t, time.process_time() - cpu
    t = time.perf_counter()
    ref = simulate(system, args.simpy_runs, seed=2)
    simpy_per_run = (time.perf_counter() - t) / args.simpy_runs
    simpy_s = simpy_per_run * args.runs
    last_ours = raw.last_s[:, -1].mean() / 3600
    last_ref = ref["last"][:, -1].mean() / 3600
    print(machine())
    print(f"first call (compile or cache load + 2 runs): {warm_s:.2f} s")
    print(
        table(
            [
                (
                    f"{args.runs:,} runs x {args.vehicles:,} vehicles x 18 checkpoints",
                    f"{ours_s:.2f} s wall, {ours_cpu:.2f} s CPU",
                    f"SimPy {simpy_s:,.0f} s (scaled from {args.simpy_runs} runs)",
                    f"{simpy_s / ours_s:,.0f}x",
                ),
                (
                    f"7-day demand forecast, bundled corridor, {args.demand_runs:,} runs",
                    f"{demand['wall_s']:.2f} s wall, {demand['cpu_s']:.2f} s CPU",
                    f"kernel {demand['kernel_wall_s']:.2f} s wall; "
                    f"{demand['vehicles_p50']:,} vehicles (median run)",
                    "",
                ),
                (
                    "mean last arrival (h)",
                    f"{last_ours:.2f}",
                    f"{last_ref:.2f} (SimPy, {args.simpy_runs} runs)",
                    "",
                ),
            ]
        )
    )
    dump(
        "forecast",
        {
            "machine": machine(),
            "date": datetime.now(UTC).date().isoformat(),
            "runs": args.runs,
            "vehicles": args.vehicles,
            "checkpoints": 18,
            "ours_s": round(ours_s, 3),
            "ours_cpu_s": round(ours_cpu, 3),
            "first_call_s": round(warm_s, 3),
            "simpy_s_per_run": round(simpy_per_run, 3),
            "simpy_runs_timed": args.simpy_runs,
            "speedup": round(simpy_s / ours_s, 1),
            "mean_last_arrival_h": round(float(last_ours), 3),
            "simpy_mean_last_arrival_h": round(float(last_ref), 3),
            "demand_7_days": demand,
        },
    )


if __name__ == "__main__":
    main()
