"""Run the Monte Carlo: turn a corridor system into kernel arrays, run replications in
chunks (for a progress bar), and keep the raw per-replication results."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from typing import Protocol

import numba
import numpy as np
from numpy.typing import NDArray
from scipy import stats

from safepassage.forecast import kernel
from safepassage.forecast.clock import day_table, n_local_days
from safepassage.forecast.system import CorridorSystem, Station
from safepassage.model.scenario import Spread, parse_hours

#: Points of each inspection-time quantile table (inverse-transform sampling with linear
#: interpolation).
QUANTILES = 4097
#: Queue lengths are counted at this many moments over the horizon.
QUEUE_SAMPLES = 193


def service_table(spread: Spread | None, points: int = QUANTILES) -> NDArray[np.float64]:
    """Quantiles of the inspection time (see `_table`); tables are cached by distribution."""
    if spread is None:
        return np.zeros(points)
    return _table(spread.mean, spread.sd, spread.distribution, points).copy()


@functools.lru_cache(maxsize=256)
def _table(mean: float, sd: float, distribution: str, points: int) -> NDArray[np.float64]:
    """Quantiles of the inspection time at evenly spaced probabilities.

    Inner points are exact quantiles. The two outer points are set so that each outer bin,
    read by linear interpolation, has the exact mean of its tail (a plain 0 / 1 - 1e-7
    quantile would inflate the spread by several per cent)."""
    if sd <= 0:
        return np.full(points, mean)
    if distribution == "gamma":
        shape = (mean / sd) ** 2
        dist = stats.gamma(shape, scale=mean / shape)
    else:
        sigma2 = math.log1p((sd / mean) ** 2)
        dist = stats.lognorm(math.sqrt(sigma2), scale=mean * math.exp(-sigma2 / 2))
    u = np.linspace(0.0, 1.0, points)
    table = np.asarray(dist.ppf(u), dtype=np.float64)
    low_mean = dist.expect(lambda x: x, ub=table[1], conditional=True)
    high_mean = dist.expect(lambda x: x, lb=table[-2], conditional=True)
    table[0] = max(0.0, 2 * low_mean - table[1])
    table[-1] = 2 * high_mean - table[-2]
    return table


def _seconds_of_day(value: time) -> float:
    return value.hour * 3600.0 + value.minute * 60.0


def _hours_s(hours: tuple[time, time] | None) -> tuple[float, float]:
    """Opening and closing second of the day; (-1, -1) for always open."""
    if hours is None:
        return -1.0, -1.0
    opens, closes = hours
    return _seconds_of_day(opens), _seconds_of_day(closes) or kernel.DAY


def _ahead(stations: list[Station]) -> NDArray[np.float64]:
    """Nominal seconds from each station to the next overnight stop (or the end)."""
    out = np.zeros(len(stations))
    acc = 0.0
    for k in range(len(stations) - 1, -1, -1):
        out[k] = acc
        s = stations[k]
        inspect = s.inspection.mean if s.inspection else 0.0
        acc = 0.0 if s.overnight_stop else acc
        acc += s.leg_s + inspect
    return out


def horizon_s(system: CorridorSystem) -> float:
    """How far the queue and per-day counts look: the system's own horizon (demand mode), else
    the plan's egress plus two days (2-14 days)."""
    if system.horizon_s is not None:
        return system.horizon_s
    base = max(system.window_end_s, system.plan_egress_s or 0.0, float(system.depart_s.max()))
    return float(min(max(base + 2 * kernel.DAY, 2 * kernel.DAY), 14 * kernel.DAY))


@dataclass
class RawResults:
    """Per-replication results (replications on axis 0)."""

    first_s: NDArray[np.float64]  # (R, K)
    median_s: NDArray[np.float64]
    last_s: NDArray[np.float64]
    queue: NDArray[np.int32]  # (R, C, T)
    day_vehicles: NDArray[np.float64]  # (R, K, D) vehicles passing per local day
    day_people: NDArray[np.float64]  # (R, K, D)
    held: NDArray[np.float64]  # (R, K, 2) vehicles, people held by the horizon
    lost: NDArray[np.float64]  # (R, K, 2) vehicles, people turned back or seized
    night: NDArray[np.float64]  # (R, K) share staying the night at each overnight stop
    fate: NDArray[np.float64]  # (R, 4, 2) arrived, waiting, held, lost at the horizon
    journey_s: NDArray[np.float64]  # (R, J, D + 1, 3) first/median/last to leave, per day
    journey_stations: list[int]
    out_people: NDArray[np.float64]  # (R,)
    sample_t_s: NDArray[np.float64]
    checkpoint_stations: list[int]
    horizon_s: float
    trace_s: NDArray[np.float64] | None = None  # (R, K, N) when traced; NaN: not passed

    @property
    def per_day(self) -> NDArray[np.float64]:
        """People passing per local day (the name of earlier versions)."""
        return self.day_people


@dataclass
class ReplicationParams:
    """What differs between replications besides the draws inside the kernel (a calibration's
    parameter uncertainty): inspection multipliers and opening hours per station."""

    scale: NDArray[np.float64]  # (R, K)
    open_s: NDArray[np.float64]  # (R, K)
    close_s: NDArray[np.float64]  # (R, K)


@dataclass
class VehicleRows:
    """Vehicles for replications [lo, hi): counts, and arrays of one shared row or one row each."""

    n: NDArray[np.int64]  # (hi - lo,)
    depart: NDArray[np.float64]  # (1 or hi - lo, N)
    access: NDArray[np.float64]
    people: NDArray[np.float64]
    kind: NDArray[np.int8]


class VehicleSource(Protocol):
    """Where a forecast's vehicles come from (the plan's, or a demand drawn per replication)."""

    @property
    def width(self) -> int: ...

    def rows(self, lo: int, hi: int) -> VehicleRows: ...


@dataclass
class PlanVehicles:
    """The same vehicles in every replication: the plan's."""

    system: CorridorSystem

    @property
    def width(self) -> int:
        return self.system.n_vehicles

    def rows(self, lo: int, hi: int) -> VehicleRows:
        s = self.system
        return VehicleRows(
            n=np.full(hi - lo, s.n_vehicles, dtype=np.int64),
            depart=np.ascontiguousarray(s.depart_s[None, :]),
            access=np.ascontiguousarray(s.access_s[None, :]),
            people=np.ascontiguousarray(s.people[None, :]),
            kind=np.ascontiguousarray(s.kind_array()[None, :]),
        )


@dataclass
class KernelInputs:
    depart: NDArray[np.float64]
    access: NDArray[np.float64]
    people: NDArray[np.float64]
    leg_s: NDArray[np.float64]
    breakdown_p: NDArray[np.float64]
    lanes: NDArray[np.int64]
    tables: NDArray[np.float64]
    open_s: NDArray[np.float64]
    close_s: NDArray[np.float64]
    overnight: NDArray[np.bool_]
    ahead_s: NDArray[np.float64]
    fparams: NDArray[np.float64]
    clock: NDArray[np.float64]  # the local days on elapsed seconds (forecast.clock)
    sample_t: NDArray[np.float64]
    cp_row: NDArray[np.int64]
    j_row: NDArray[np.int64]
    held_p: NDArray[np.float64]  # (2, K) cars, buses
    held_mean_s: NDArray[np.float64]
    lost_p: NDArray[np.float64]
    out_stage: int
    n_days: int


def kernel_inputs(system: CorridorSystem) -> KernelInputs:
    spec, st = system.spec, system.stations
    hours = [_hours_s(s.hours) for s in st]
    lateness = spec.departure_lateness
    if lateness.mean_min > 0 and lateness.sd_min > 0:
        sigma2 = math.log1p((lateness.sd_min / lateness.mean_min) ** 2)
        late_mu, late_sigma = math.log(lateness.mean_min * 60) - sigma2 / 2, math.sqrt(sigma2)
    elif lateness.mean_min > 0:
        late_mu, late_sigma = math.log(lateness.mean_min * 60), 0.0
    else:
        late_mu, late_sigma = 0.0, -1.0
    drive = parse_hours(spec.drive_hours) if spec.drive_hours else None
    drive_from, drive_to = _hours_s(drive) if drive else (-1.0, -1.0)
    start = system.start
    horizon = horizon_s(system)
    # The start's local second of day, for information only: every wall-clock rule in the
    # kernel reads `clock`, which knows the days of 23 and 25 hours.
    day_offset = start.hour * 3600.0 + start.minute * 60.0 + start.second
    fparams = np.array(
        [
            day_offset,
            system.window_end_s,
            math.sqrt(math.log1p(spec.driver_cv**2)),
            math.sqrt(math.log1p(spec.road_cv**2)),
            late_mu,
            late_sigma,
            spec.suspensions.per_day / kernel.DAY,
            spec.suspensions.mean_duration_h * 3600.0,
            spec.lane_closures.per_day / kernel.DAY,
            spec.lane_closures.mean_duration_h * 3600.0,
            spec.breakdowns.mean_delay_min * 60.0,
            drive_from,
            drive_to,
            horizon,
        ]
    )
    assert fparams.shape[0] == len(kernel.FLOAT_PARAMS)
    cps = [k for k, s in enumerate(st) if s.kind == "checkpoint"]
    cp_row = np.full(len(st), -1, dtype=np.int64)
    cp_row[cps] = np.arange(len(cps))
    journeys = [k for k, s in enumerate(st) if s.kind != "checkpoint"]
    j_row = np.full(len(st), -1, dtype=np.int64)
    j_row[journeys] = np.arange(len(journeys))
    held_p, held_mean_s, lost_p = held_or_lost_arrays(system)
    return KernelInputs(
        depart=np.ascontiguousarray(system.depart_s),
        access=np.ascontiguousarray(system.access_s),
        people=np.ascontiguousarray(system.people),
        leg_s=np.array([s.leg_s for s in st]),
        breakdown_p=-np.expm1(-spec.breakdowns.per_100km * np.array([s.leg_km for s in st]) / 100),
        lanes=np.array([s.lanes if s.kind == "checkpoint" else 0 for s in st], dtype=np.int64),
        tables=np.stack(
            [service_table(s.inspection) for s in st]
            + [
                service_table(Spread(mean=1.0, sd=spec.driver_cv)),
                service_table(Spread(mean=lateness.mean_min * 60, sd=lateness.sd_min * 60))
                if lateness.mean_min > 0
                else np.zeros(QUANTILES),
            ]
        ),
        open_s=np.array([h[0] for h in hours]),
        close_s=np.array([h[1] for h in hours]),
        overnight=np.array([s.overnight_stop for s in st], dtype=np.bool_),
        ahead_s=_ahead(st),
        fparams=fparams,
        clock=day_table(start, horizon),
        sample_t=np.linspace(0.0, horizon, QUEUE_SAMPLES),
        cp_row=cp_row,
        j_row=j_row,
        held_p=held_p,
        held_mean_s=held_mean_s,
        lost_p=lost_p,
        out_stage=system.out_index,
        n_days=n_local_days(start, horizon),
    )


def held_or_lost_arrays(
    system: CorridorSystem,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(2, K) probabilities of being held, mean seconds held and probabilities of being lost,
    for cars (row 0) and buses (row 1); a later rule for the same checkpoint replaces an
    earlier one."""
    k = len(system.stations)
    held_p, held_mean, lost_p = np.zeros((2, k)), np.full((2, k), 3600.0), np.zeros((2, k))
    for rule in system.spec.held_or_lost:
        rows = {"car": [0], "bus": [1], "any": [0, 1]}[rule.vehicle]
        for j, s in enumerate(system.stations):
            if s.kind != "checkpoint":
                continue
            if rule.checkpoints is not None and s.id not in rule.checkpoints:
                continue
            if rule.controlled_by is not None and s.controlled_by != rule.controlled_by:
                continue
            for r in rows:
                held_p[r, j] = rule.held_p
                held_mean[r, j] = rule.held_mean_h * 3600.0
                lost_p[r, j] = rule.lost_p
    return held_p, held_mean, lost_p


def plain_params(system: CorridorSystem, runs: int) -> ReplicationParams:
    """Every replication with the system's own inspection times and hours."""
    inp_hours = [_hours_s(s.hours) for s in system.stations]
    opens = np.array([h[0] for h in inp_hours])
    closes = np.array([h[1] for h in inp_hours])
    k = len(system.stations)
    return ReplicationParams(
        scale=np.ones((runs, k)),
        open_s=np.tile(opens, (runs, 1)),
        close_s=np.tile(closes, (runs, 1)),
    )


#: Vehicle slots held in memory at once (replications x vehicles) in demand mode.
_CHUNK_SLOTS = 4_000_000


def run_monte_carlo(
    system: CorridorSystem,
    runs: int,
    seed: int,
    *,
    chunks: int = 20,
    progress: Callable[[int], None] | None = None,
    params: ReplicationParams | None = None,
    vehicles: VehicleSource | None = None,
    trace: bool = False,
) -> RawResults:
    """`runs` replications; the same seed gives the same results whatever the chunking.

    `params` may vary inspection times and hours per replication (a calibration); `vehicles`
    may give each replication its own vehicles (demand mode); by default the system's.
    `trace` keeps every vehicle's passage at every station (for checks; memory R x K x N)."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    inp = kernel_inputs(system)
    source = vehicles if vehicles is not None else PlanVehicles(system)
    prm = params if params is not None else plain_params(system, runs)
    n_st = inp.leg_s.shape[0]
    n_cp = int((inp.cp_row >= 0).sum())
    n_j = int((inp.j_row >= 0).sum())
    d = inp.n_days
    first = np.zeros((runs, n_st))
    median = np.zeros((runs, n_st))
    last = np.zeros((runs, n_st))
    queue = np.zeros((runs, max(n_cp, 1), inp.sample_t.shape[0]), dtype=np.int32)
    day_veh = np.zeros((runs, n_st, d))
    day_people = np.zeros((runs, n_st, d))
    held = np.zeros((runs, n_st, 2))
    lost = np.zeros((runs, n_st, 2))
    night = np.zeros((runs, n_st))
    fate = np.zeros((runs, 4, 2))
    journey = np.full((runs, max(n_j, 1), d + 1, 3), np.nan)
    out_people = np.zeros((runs, 1))
    traced = np.full((runs, n_st, source.width) if trace else (1, 1, 1), np.nan)
    size = max(1, math.ceil(runs / max(1, chunks)))
    if vehicles is not None:
        size = max(1, min(size, _CHUNK_SLOTS // max(1, source.width)))
    for lo in range(0, runs, size):
        hi = min(runs, lo + size)
        rows = source.rows(lo, hi)
        kernel.run_replications(
            seed,
            lo,
            hi - lo,
            rows.n,
            rows.depart,
            rows.access,
            rows.people,
            rows.kind,
            inp.leg_s,
            inp.breakdown_p,
            inp.lanes,
            inp.tables,
            np.ascontiguousarray(prm.open_s[lo:hi]),
            np.ascontiguousarray(prm.close_s[lo:hi]),
            inp.overnight,
            inp.ahead_s,
            np.ascontiguousarray(prm.scale[lo:hi]),
            inp.held_p,
            inp.held_mean_s,
            inp.lost_p,
            inp.fparams,
            inp.clock,
            inp.sample_t,
            inp.cp_row,
            inp.j_row,
            inp.out_stage,
            first[lo:hi],
            median[lo:hi],
            last[lo:hi],
            queue[lo:hi],
            day_veh[lo:hi],
            day_people[lo:hi],
            held[lo:hi],
            lost[lo:hi],
            night[lo:hi],
            fate[lo:hi],
            journey[lo:hi],
            out_people[lo:hi],
            traced[lo:hi] if trace else traced,
            trace,
            max(1, min(numba.get_num_threads(), hi - lo)),
        )
        if progress is not None:
            progress(hi - lo)
    return RawResults(
        first_s=first,
        median_s=median,
        last_s=last,
        queue=queue,
        day_vehicles=day_veh,
        day_people=day_people,
        held=held,
        lost=lost,
        night=night,
        fate=fate,
        journey_s=journey,
        journey_stations=[k for k in range(n_st) if inp.j_row[k] >= 0],
        out_people=out_people[:, 0],
        sample_t_s=inp.sample_t,
        checkpoint_stations=[k for k in range(n_st) if inp.cp_row[k] >= 0],
        horizon_s=float(inp.fparams[13]),
        trace_s=traced if trace else None,
    )
