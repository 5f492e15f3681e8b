"""A SimPy model of the same corridor system: the reference the vectorised engine is tested
and benchmarked against (needs `simpy`, a development dependency).

One process per vehicle and one per checkpoint lane: a vehicle joins its checkpoint's FIFO queue
(a `simpy.Store`), and a lane that is free and open (inside hours, outside suspensions and its
own closures) takes the vehicle at the head, so the head vehicle starts at the first moment any
lane can start it: the engine's rule, reached by events instead of by computing each lane's
earliest start. Closures are drawn per lane as whole intervals, not lazily per query. Draws
come from numpy's exact generators (the engine samples inspection times from quantile tables),
so agreement checks the engine's ordering, lane choice, blocking and sampling.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safepassage.forecast.engine import kernel_inputs
from safepassage.forecast.kernel import MAX_SUSPENSIONS

# The time-of-day rules are shared (plain Python here); the queueing and ordering are not.
from safepassage.forecast.kernel_parts import _closing_time_py as _closing_time
from safepassage.forecast.kernel_parts import _drive_on_py as _drive_on
from safepassage.forecast.kernel_parts import _next_open_py as _next_open
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


class _Closures:
    """One lane's closures: a Poisson process of intervals drawn as far as asked (numpy)."""

    def __init__(self, rng: np.random.Generator, rate_per_s: float, mean_s: float) -> None:
        self.rng, self.rate, self.mean = rng, rate_per_s, mean_s
        self.start = self.end = 0.0  # the current (or next) closure; none drawn yet

    def next_after(self, t: float) -> tuple[float, float]:
        """The first closure that ends after t (asked with t never decreasing)."""
        if self.rate <= 0:
            return math.inf, math.inf
        while self.end <= t:
            self.start = self.end + self.rng.exponential(1 / self.rate)
            self.end = self.start + self.rng.exponential(self.mean)
        return self.start, self.end


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
    clock, window_end = inp.clock, f[1]
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
    closure_rate, closure_mean = f[8], f[9]
    env = simpy.Environment()
    queues = {k: simpy.Store(env) for k, s in enumerate(stations) if s.kind == "checkpoint"}
    passage = np.full((k_st, n), np.nan)

    def first_start(t: float, k: int, closures: _Closures) -> float:
        """The first moment >= t when the lane may start an inspection."""
        while True:
            before = t
            t = _next_open(t, inp.open_s[k], inp.close_s[k], clock)
            for a, b in suspensions:
                if a <= t < b:
                    t = b
            a, b = closures.next_after(t)
            if a <= t:
                t = b
            if t == before:
                return t

    def next_block(t: float, k: int, closures: _Closures) -> float:
        """The first moment after t (an open moment) when a start would be blocked."""
        until = min(
            _closing_time(t, inp.open_s[k], inp.close_s[k], clock),
            closures.next_after(t)[0],
        )
        for a, _ in suspensions:
            if a > t:
                return min(until, a)
        return until

    def lane(k: int, closures: _Closures):  # type: ignore[no-untyped-def]
        while True:
            start = first_start(env.now, k, closures)
            yield env.timeout(start - env.now)
            take = queues[k].get()
            until = next_block(env.now, k, closures)
            if until < math.inf:
                yield take | env.timeout(until - env.now)
            else:
                yield take
            if not take.triggered:  # blocked before a vehicle came: wait for the lane again
                take.cancel()
                continue
            start = first_start(env.now, k, closures)  # a vehicle at the very moment it blocks
            yield env.timeout(start - env.now)
            done = _advance(env.now, _service(rng, stations[k]), suspensions)
            yield env.timeout(done - env.now)
            inspected = take.value
            assert inspected is not None
            inspected.succeed()

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
                inspected = env.event()
                yield queues[k].put(inspected)
                yield inspected
                passage[k, v] = env.now
            else:
                passage[k, v] = env.now
                if s.overnight_stop and drive_from >= 0:
                    on = _drive_on(env.now, inp.ahead_s[k], drive_from, drive_to, clock)
                    yield env.timeout(on - env.now)

    for k in queues:
        for _ in range(stations[k].lanes):
            env.process(lane(k, _Closures(rng, closure_rate, closure_mean)))
    # Lanes never finish (closures go on): run until every vehicle is through.
    env.run(until=env.all_of([env.process(vehicle(v)) for v in range(n)]))
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
