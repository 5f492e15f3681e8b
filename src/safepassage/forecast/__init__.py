"""Forecasts: Monte Carlo of a plan's vehicles through the corridor's checkpoint queues."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from safepassage.forecast.engine import run_monte_carlo
from safepassage.forecast.result import Forecast
from safepassage.forecast.system import CorridorSystem, system_from_plan
from safepassage.model.prepare import PreparedScenario

__all__ = ["CorridorSystem", "Forecast", "forecast_prepared", "run_monte_carlo"]


def forecast_prepared(
    prepared: PreparedScenario,
    *,
    runs: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    calibration: dict[str, Any] | None = None,
) -> Forecast:
    """Plan the scenario, then forecast that plan `runs` times from `seed`.

    `calibration` (the JSON of `forecast calibrate`) replaces its checkpoint's inspection
    time by the fitted throughput, drawn afresh in every replication."""
    from safepassage.plan import make_plan

    plan = make_plan(prepared)
    system = system_from_plan(plan, prepared)
    sampler = None
    if calibration is not None:
        from safepassage.forecast.calibrate import calibrated_system, scale_sampler

        # The fitted throughput holds under the hours it was fitted with: use those hours.
        system = calibrated_system(calibration, system)
        sampler = scale_sampler(calibration, system)
    raw = run_monte_carlo(system, runs, seed, progress=progress, inspection_scale=sampler)
    return Forecast(
        system,
        raw,
        runs,
        seed,
        calibration=calibration,
        plan_people_out_by_window_end=round(plan.people_out_by_window_end),
    )
