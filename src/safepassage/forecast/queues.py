"""FIFO multi-lane checkpoint queues, vectorised across Monte Carlo replications.

Vehicles reach a checkpoint in FIFO order; each of `lanes` lanes inspects one vehicle at a
time. Vehicle i (in order of arrival) starts inspection at the later of its arrival and the
moment the first lane frees up, and leaves when its inspection ends. The loop runs over
vehicles; every step works on all replications at once (numpy), which is exact for FIFO with
identical lanes: the vehicle always takes the lane that frees up first.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def fifo_lanes(
    arrivals_s: NDArray[np.float64], service_s: NDArray[np.float64], lanes: int
) -> NDArray[np.float64]:
    """Departure times (replications x vehicles) for arrival times sorted along axis 1."""
    if lanes < 1:
        raise ValueError("a checkpoint needs at least one open lane")
    reps, n = arrivals_s.shape
    departures = np.empty_like(arrivals_s)
    if lanes == 1:
        free = np.full(reps, -np.inf)
        for i in range(n):
            start = np.maximum(arrivals_s[:, i], free)
            free = start + service_s[:, i]
            departures[:, i] = free
        return departures
    free_lanes = np.full((reps, lanes), -np.inf)
    rows = np.arange(reps)
    for i in range(n):
        lane = np.argmin(free_lanes, axis=1)
        start = np.maximum(arrivals_s[:, i], free_lanes[rows, lane])
        done = start + service_s[:, i]
        free_lanes[rows, lane] = done
        departures[:, i] = done
    return departures


def draw_service(
    rng: np.random.Generator,
    mean_s: float,
    sd_s: float,
    size: tuple[int, int],
    distribution: str = "lognormal",
) -> NDArray[np.float64]:
    """Inspection times with the given mean and standard deviation (lognormal or gamma)."""
    if sd_s <= 0:
        return np.full(size, mean_s)
    if distribution == "gamma":
        shape = (mean_s / sd_s) ** 2
        return rng.gamma(shape, mean_s / shape, size=size)
    sigma2 = np.log1p((sd_s / mean_s) ** 2)
    return rng.lognormal(np.log(mean_s) - sigma2 / 2, np.sqrt(sigma2), size=size)
