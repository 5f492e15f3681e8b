"""Forecasts: Monte Carlo of vehicles through the corridor's checkpoint queues, fed by the
plan's slots (`mode="plan"`) or by the demand (`mode="demand"`: a pool and daily arrivals that
the corridor's capacity lets through)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from safepassage.forecast.engine import run_monte_carlo
from safepassage.forecast.result import Forecast, quantiles
from safepassage.forecast.system import CorridorSystem, system_from_plan
from safepassage.model.prepare import PreparedScenario

__all__ = ["CorridorSystem", "Forecast", "forecast_prepared", "run_monte_carlo"]

MODES = ("plan", "demand")


def _check_rules(prepared: PreparedScenario) -> None:
    """Checkpoints named in `forecast.held_or_lost` must exist (a typo would apply nowhere)."""
    from safepassage.errors import Problem, SafePassageError

    known = {c.id for c in prepared.scenario.checkpoints}
    for i, rule in enumerate(prepared.scenario.forecast.held_or_lost):
        unknown = [c for c in rule.checkpoints or [] if c not in known]
        if unknown:
            raise SafePassageError(
                Problem(
                    f"forecast.held_or_lost[{i}].checkpoints: {', '.join(unknown)} "
                    "is not a checkpoint of the scenario",
                    file=str(prepared.path),
                    hint=f"checkpoints: {', '.join(sorted(known))}",
                )
            )


def forecast_prepared(
    prepared: PreparedScenario,
    *,
    runs: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    calibration: dict[str, Any] | None = None,
    mode: str = "plan",
    days: int = 7,
    start: datetime | None = None,
) -> Forecast:
    """Plan the scenario, then forecast it `runs` times from `seed`.

    `plan`: the plan's departures. `demand`: a pool and daily arrivals over `days` days from
    `start` (default: the calibration's start when it fits the demand, else the window's).
    `calibration` (the JSON of `forecast calibrate`) sets its checkpoint's throughput and hours,
    and in demand mode the demand and people per car it fitted, one posterior draw per
    replication."""
    from safepassage.forecast.assumptions import describe
    from safepassage.forecast.params import calibrated_params, pick_draws
    from safepassage.plan import make_plan

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    scenario = prepared.scenario
    _check_rules(prepared)
    plan = make_plan(prepared)
    window = scenario.window()
    zone = (window.timezone if window else None) or scenario.timezone
    rng = np.random.default_rng([seed, 0xCA1])
    picked = pick_draws(calibration, runs, rng) if calibration is not None else None
    demand_info = None
    if mode == "plan":
        system = system_from_plan(plan, prepared)
        params = calibrated_params(calibration, system, picked) if calibration and picked else None
        raw = run_monte_carlo(system, runs, seed, progress=progress, params=params)
    else:
        from safepassage.forecast.demand import (
            DemandDraws,
            demand_corridor,
            demand_vehicles,
            scenario_demand,
        )

        if start is None:
            if calibration is not None and calibration.get("demand"):
                start = datetime.fromisoformat(calibration["opened"])
            elif window is not None:
                start = window.start
            else:
                raise ValueError("the demand mode needs a start: give one or a corridor window")
        dc = demand_corridor(plan, prepared, start, days)
        system = dc.system
        draws = scenario_demand(dc, prepared, runs, rng)
        source = "the scenario"
        if picked is not None and "pool_cars" in picked:
            draws = DemandDraws(
                pool_cars=picked["pool_cars"],
                cars_per_day=picked["arrivals_cars_per_day"],
                occupancy=draws.occupancy,
            )
            source = "the calibration"
        if picked is not None and "occupancy" in picked:
            draws.occupancy = picked["occupancy"]
            source += " (people per car: the calibration)"
        demand_info = {
            "source": source,
            "pool_cars": quantiles(draws.pool_cars),
            "cars_per_day": quantiles(draws.cars_per_day),
            "occupancy": quantiles(draws.occupancy, 2),
        }
        params = calibrated_params(calibration, system, picked) if calibration and picked else None
        vehicles = demand_vehicles(dc, draws, seed)
        raw = run_monte_carlo(
            system, runs, seed, progress=progress, params=params, vehicles=vehicles
        )
    return Forecast(
        system,
        raw,
        runs,
        seed,
        calibration=calibration,
        plan_people_out_by_window_end=round(plan.people_out_by_window_end),
        mode=mode,
        zone=zone,
        assumptions=describe(system, mode, demand_info, calibration, scenario.assumptions),
        demand=demand_info,
    )
