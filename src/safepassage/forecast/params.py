"""Parameters that differ between replications: a calibration's posterior draws, picked
uniformly (so the forecast reproduces the fitted means without bias), turned into inspection
multipliers and hours for the calibrated checkpoint, and the demand."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from safepassage.errors import Problem, SafePassageError
from safepassage.forecast.engine import ReplicationParams, _hours_s, plain_params
from safepassage.forecast.system import CorridorSystem
from safepassage.model.scenario import parse_hours


def pick_draws(
    calibration: dict[str, Any], runs: int, rng: np.random.Generator
) -> dict[str, NDArray[np.float64]]:
    """`runs` draws of the calibration's posterior, each replication one draw (uniformly)."""
    draws = calibration.get("draws")
    if not isinstance(draws, dict) or "throughput_vph" not in draws:
        raise SafePassageError(
            Problem(
                "the calibration file has no posterior draws (written by an older version?)",
                hint="run `safepassage forecast calibrate ... --out FILE` again",
            )
        )
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in draws.items()}
    size = arrays["throughput_vph"].shape[0]
    idx = rng.integers(0, size, runs)
    return {k: v[idx] for k, v in arrays.items()}


def calibrated_params(
    calibration: dict[str, Any], system: CorridorSystem, picked: dict[str, NDArray[np.float64]]
) -> ReplicationParams:
    """Inspection multipliers and hours per replication: the calibrated checkpoint passes the
    drawn throughput (with the scenario's lanes) under the drawn hours."""
    ids = [s.id for s in system.stations]
    name = calibration.get("checkpoint")
    if name not in ids:
        raise SafePassageError(
            Problem(
                f"the calibration is for {name!r}, which is not on this forecast's corridor",
                hint=f"stations: {', '.join(ids)}",
            )
        )
    k = ids.index(str(name))
    station = system.stations[k]
    assert station.inspection is not None
    runs = picked["throughput_vph"].shape[0]
    params = plain_params(system, runs)
    params.scale[:, k] = 3600.0 * station.lanes / picked["throughput_vph"] / station.inspection.mean
    candidates = [_hours_s(parse_hours(h)) for h in calibration["hours_candidates"]]
    h = picked["hours"].astype(np.int64)
    params.open_s[:, k] = np.array([c[0] for c in candidates])[h]
    params.close_s[:, k] = np.array([c[1] for c in candidates])[h]
    return params
