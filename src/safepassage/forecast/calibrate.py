"""Fit a checkpoint's throughput from observed counts ("160 cars in the first two hours",
"2,000 cars by 14:00 the next day"), with its uncertainty.

Model: the checkpoint is saturated (a queue is always waiting, as reported in 2022), so the
count after T seconds of opening is, by the renewal central limit theorem, about
normal with mean lambda*T and variance lambda*T*cv^2 (lambda: vehicles per open second for all
lanes, cv: the inspection time's coefficient of variation). Reported counts are rounded and
approximate: each also carries a relative reporting error. Each observation is treated as
independent (an approximation: cumulative counts share their early part), and lambda gets a
grid posterior with a flat prior on log lambda. Counts identify lanes / mean inspection time,
not the two separately: the fit is given for each number of lanes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from safepassage.errors import Problem, SafePassageError

GRID = 4000


@dataclass(frozen=True)
class Observation:
    at: datetime
    vehicles: float
    source: str | None = None


def open_seconds(start: datetime, end: datetime, hours: tuple[time, time] | None) -> float:
    """Seconds between `start` and `end` during which daily `hours` are open (local time)."""
    if end <= start:
        return 0.0
    if hours is None:
        return (end - start).total_seconds()
    opens, closes = hours
    total = 0.0
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        a = day.replace(hour=opens.hour, minute=opens.minute)
        b = (
            day + timedelta(days=1)
            if closes == time(0, 0)
            else day.replace(hour=closes.hour, minute=closes.minute)
        )
        spans = [(a, b)] if a < b else [(day, b), (a, day + timedelta(days=1))]
        for lo, hi in spans:
            lo, hi = max(lo, start), min(hi, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


@dataclass
class Calibration:
    checkpoint: str
    opened: datetime
    hours: tuple[time, time] | None
    observations: list[Observation]
    cv: float
    reporting_error: float
    grid_vph: NDArray[np.float64]
    posterior: NDArray[np.float64]

    @property
    def mean_vph(self) -> float:
        return float((self.grid_vph * self.posterior).sum())

    def interval_vph(self, level: float = 0.9) -> tuple[float, float]:
        cdf = np.cumsum(self.posterior)
        lo = float(np.interp((1 - level) / 2, cdf, self.grid_vph))
        hi = float(np.interp(1 - (1 - level) / 2, cdf, self.grid_vph))
        return lo, hi

    def sample_vph(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:
        """Throughputs drawn from the posterior (for a forecast's parameter uncertainty)."""
        cdf = np.cumsum(self.posterior)
        return np.asarray(np.interp(rng.uniform(0, 1, size), cdf, self.grid_vph))

    def residuals(self) -> list[dict[str, Any]]:
        rate = self.mean_vph / 3600.0
        rows = []
        for o in self.observations:
            t = open_seconds(self.opened, o.at, self.hours)
            expected = rate * t
            sd = math.sqrt(expected * self.cv**2 + (self.reporting_error * o.vehicles) ** 2) or 1.0
            rows.append(
                {
                    "at": o.at.isoformat(timespec="minutes"),
                    "observed": o.vehicles,
                    "open_hours": round(t / 3600, 2),
                    "expected": round(expected),
                    "z": round((o.vehicles - expected) / sd, 2),
                    "implied_vph": round(o.vehicles / (t / 3600), 1) if t else None,
                    "source": o.source,
                }
            )
        return rows

    @property
    def consistent(self) -> bool:
        """No observation further than 2 standard deviations from the fit."""
        return all(abs(r["z"]) <= 2.0 for r in self.residuals())

    def as_dict(self) -> dict[str, Any]:
        lo, hi = self.interval_vph()
        mean = self.mean_vph
        hours = (
            "always" if self.hours is None else "-".join(h.strftime("%H:%M") for h in self.hours)
        )
        return {
            "checkpoint": self.checkpoint,
            "opened": self.opened.isoformat(timespec="minutes"),
            "hours": hours,
            "throughput_vph": {"mean": round(mean, 1), "p5": round(lo, 1), "p95": round(hi, 1)},
            "inspection_mean_s_by_lanes": {
                str(c): {
                    "mean": round(3600 * c / mean, 1),
                    "p5": round(3600 * c / hi, 1),
                    "p95": round(3600 * c / lo, 1),
                }
                for c in (1, 2, 3, 4)
            },
            "inspection_cv": self.cv,
            "reporting_error": self.reporting_error,
            "observations": self.residuals(),
            "consistent": self.consistent,
            "verdict": (
                "the observations agree with one constant throughput under these hours"
                if self.consistent
                else "the observations disagree with one constant throughput under these hours: "
                "check the opening hours, or whether the checkpoint was saturated all the time"
            ),
            "posterior": {
                "grid_vph": [round(float(g), 3) for g in self.grid_vph[::20]],
                "weights": [float(w) for w in _thin(self.posterior, 20)],
            },
            "model": "saturated renewal queue, normal approximation, flat prior on log throughput",
        }


def _thin(values: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    out = np.add.reduceat(values, np.arange(0, values.shape[0], k))
    return np.asarray(out / out.sum())


def calibrate_throughput(
    checkpoint: str,
    opened: datetime,
    observations: list[Observation],
    hours: tuple[time, time] | None,
    *,
    cv: float,
    reporting_error: float = 0.1,
) -> Calibration:
    """The posterior of a checkpoint's throughput given cumulative counts since `opened`."""
    if not observations:
        raise SafePassageError(
            Problem("calibration needs at least one count", hint="give --count TIME=VEHICLES")
        )
    rows = []
    for o in observations:
        t = open_seconds(opened, o.at, hours)
        if t <= 0:
            raise SafePassageError(
                Problem(
                    f"count at {o.at.isoformat(timespec='minutes')}: the checkpoint was not open "
                    f"between {opened.isoformat(timespec='minutes')} and then",
                    hint="check --from and the opening hours (--hours)",
                )
            )
        if o.vehicles <= 0:
            raise SafePassageError(f"count at {o.at.isoformat()}: vehicles must be positive")
        rows.append((t, o.vehicles))
    rates = [v / (t / 3600) for t, v in rows]
    grid = np.geomspace(min(rates) / 5, max(rates) * 5, GRID)
    log_like = np.zeros(GRID)
    for t, v in rows:
        expected = grid / 3600 * t
        sd = np.sqrt(expected * cv**2 + (reporting_error * v) ** 2 + 1.0)
        log_like += stats.norm.logpdf(v, expected, sd)
    # Flat prior on log(rate): the grid is geometric, so equal weights per point.
    w = np.exp(log_like - log_like.max())
    return Calibration(
        checkpoint=checkpoint,
        opened=opened,
        hours=hours,
        observations=observations,
        cv=cv,
        reporting_error=reporting_error,
        grid_vph=grid,
        posterior=w / w.sum(),
    )


def calibrated_system(calibration: dict[str, Any], system: Any) -> Any:
    """`system` with the calibrated checkpoint's opening hours set to the calibration's."""
    import dataclasses

    from safepassage.model.scenario import parse_hours

    hours = parse_hours(str(calibration.get("hours", "always")))
    stations = [
        dataclasses.replace(s, hours=hours) if s.id == calibration.get("checkpoint") else s
        for s in system.stations
    ]
    return dataclasses.replace(system, stations=stations)


def scale_sampler(calibration: dict[str, Any], system: Any) -> Any:
    """Per-replication multipliers of inspection times that make the calibrated checkpoint's
    throughput follow the calibration's posterior (lanes as in the scenario)."""
    ids = [s.id for s in system.stations]
    name = calibration.get("checkpoint")
    if name not in ids:
        raise SafePassageError(
            Problem(
                f"the calibration is for {name!r}, which is not on this forecast's corridor",
                hint=f"stations: {', '.join(ids)}",
            )
        )
    k = ids.index(name)
    station = system.stations[k]
    grid = np.asarray(calibration["posterior"]["grid_vph"], dtype=np.float64)
    cdf = np.cumsum(np.asarray(calibration["posterior"]["weights"], dtype=np.float64))

    def sample(rng: np.random.Generator, runs: int) -> NDArray[np.float64]:
        vph = np.interp(rng.uniform(0, 1, runs), cdf / cdf[-1], grid)
        scale = np.ones((runs, len(ids)))
        scale[:, k] = 3600.0 * station.lanes / vph / station.inspection.mean
        return scale

    return sample
