"""A SimPy model of the same corridor system: the reference the vectorised engine is tested
and benchmarked against (needs `simpy`, a development dependency).

One process per vehicle; each checkpoint is a `simpy.Resource` with one unit per lane (FIFO).
Draws come from numpy's exact generators (the engine samples inspection times from quantile
tables), and events are scheduled by SimPy instead of sorted, so agreement checks the engine's
ordering, lane choice and sampling. Lane closures are not modelled here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safepassage.forecast.engine import kernel_inputs
from safepassage.forecast.kernel import DAY, MAX_SUSPENSIONS

# The time-of-day rule is shared (plain Python here); the queueing and ordering are not.
from safepassage.forecast.kernel import _next_open_py as _next_open
from safepassage.forecast.system import CorridorSystem


def _advance(t: float, duration: float, suspensions: list[tuple[float, float]]) -> float:
    remaining = duration
    for a, b in suspensions:
        if b <= t:
            continue
        if a > t:
            run = min(remaining, a - t)
            t += run
            remaining -= run
            if remaining <= 0:
                return t
        t = max(t, b)
    return t + remaining


def _service(rng: np.random.Generator, station: Any) -> float:
    spread = station.inspection
    mean, sd = spread.mean, spread.sd
    if sd <= 0:
        return float(mean)
    if spread.distribution == "gamma":
        shape = (mean / sd) ** 2
        return float(rng.gamma(shape, mean / shape))
    sigma2 = math.log1p((sd / mean) ** 2)
    return float(rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2)))


def simulate_once(
    system: CorridorSystem, rng: np.random.Generator
) -> dict[str, NDArray[np.float64]]:
    """One replication: per station the first, median and last passage; people out in time."""
    import simpy

    inp = kernel_inputs(system)
    f = inp.fparams
    day_offset, window_end = f[0], f[1]
    driver_sigma, road_sigma, late_mu, late_sigma = f[2], f[3], f[4], f[5]
    susp_rate, susp_mean = f[6], f[7]
    breakdown_mean, drive_from, drive_to = f[10], f[11], f[12]
    stations = system.stations
    n, k_st = system.n_vehicles, len(stations)
    suspensions: list[tuple[float, float]] = []
    if susp_rate > 0:
        t = rng.exponential(1 / susp_rate)
        while t < f[13] and len(suspensions) < MAX_SUSPENSIONS:
            end = t + rng.exponential(susp_mean)
            suspensions.append((t, end))
            t = end + rng.exponential(1 / susp_rate)
    driver = np.exp(driver_sigma * rng.standard_normal(n) - driver_sigma**2 / 2)
    road = np.exp(road_sigma * rng.standard_normal(k_st) - road_sigma**2 / 2)
    env = simpy.Environment()
    lanes = {
        k: simpy.Resource(env, capacity=s.lanes)
        for k, s in enumerate(stations)
        if s.kind == "checkpoint"
    }
    passage = np.full((k_st, n), np.nan)

    def vehicle(v: int):  # type: ignore[no-untyped-def]
        t = system.depart_s[v]
        if late_sigma >= 0:
            t += math.exp(late_mu + late_sigma * rng.standard_normal())
        arrive = _advance(t, system.access_s[v] * driver[v] * road[0], suspensions)
        for k, s in enumerate(stations):
            if k > 0:
                t = env.now
                p = inp.breakdown_p[k]
                if p > 0 and rng.uniform() < p:
                    t += rng.exponential(breakdown_mean)
                arrive = _advance(t, s.leg_s * driver[v] * road[k], suspensions)
            yield env.timeout(arrive - env.now)
            if s.kind == "checkpoint":
                with lanes[k].request() as turn:
                    yield turn
                    start = env.now
                    for _ in range(16):
                        before = start
                        start = _next_open(start, inp.open_s[k], inp.close_s[k], day_offset)
                        for a, b in suspensions:
                            if a <= start < b:
                                start = b
                        if start == before:
                            break
                    done = _advance(start, _service(rng, s), suspensions)
                    yield env.timeout(done - env.now)
                passage[k, v] = env.now
            else:
                passage[k, v] = env.now
                if s.overnight_stop and drive_from >= 0:
                    tod = (env.now + day_offset) % DAY
                    if tod < drive_from:
                        yield env.timeout(drive_from - tod)
                    elif tod + inp.ahead_s[k] > drive_to:
                        yield env.timeout(DAY - tod + drive_from)

    for v in range(n):
        env.process(vehicle(v))
    env.run()
    ordered = np.sort(passage, axis=1)
    out = system.out_index
    return {
        "first": ordered[:, 0],
        "median": ordered[:, n // 2],
        "last": ordered[:, -1],
        "out_people": np.array([system.people[passage[out] <= window_end].sum()]),
    }


def simulate(system: CorridorSystem, runs: int, seed: int) -> dict[str, NDArray[np.float64]]:
    """`runs` replications stacked: first/median/last (runs x stations), out_people (runs)."""
    rng = np.random.default_rng(seed)
    reps = [simulate_once(system, rng) for _ in range(runs)]
    return {key: np.stack([r[key] for r in reps]) for key in reps[0]}
