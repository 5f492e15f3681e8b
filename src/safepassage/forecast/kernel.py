"""The Monte Carlo engine: vehicles through a corridor of stations, one replication per thread.

A replication moves every vehicle station by station. At each station the vehicles are put in
order of arrival (an insertion sort: the order changes little from one station to the next, so
this is close to linear), and at a checkpoint they are served first come, first served by the
lane that can start earliest: exact for FIFO multi-lane queues, including overtaking between
stations (breakdowns, driver speeds). Everything a replication draws comes from its own
counter-based generator (splitmix64 seeded from the run's seed and the replication's index), so
results depend on the seed only: not on threads, chunking or the machine.

Time is in seconds from the window's start. Suspensions of the ceasefire freeze all travel and
inspection; opening hours, lane closures and the no-driving-after-dark rule delay starts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numba import njit, prange

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO53 = 1.0 / 9007199254740992.0
DAY = 86400.0
MAX_SUSPENSIONS = 64


_jit = cast(Callable[..., Any], njit(cache=True, error_model="numpy"))
_jit_inline = cast(Callable[..., Any], njit(cache=True, inline="always", error_model="numpy"))
_jit_parallel = cast(Callable[..., Any], njit(cache=True, parallel=True, error_model="numpy"))


def _mix_py(z: Any) -> Any:
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


_mix = _jit_inline(_mix_py)


def _uniform_py(state: Any) -> float:
    """A uniform number in (0, 1) from a splitmix64 state (a one-element uint64 array)."""
    state[0] = state[0] + _GOLDEN
    z = _mix(state[0])
    # Through int64: converting a uint64 to a double is several instructions on x86-64.
    return (float(np.int64(z >> _S11)) + 0.5) * _TWO53


_uniform = _jit_inline(_uniform_py)


def _normal_py(state: Any, spare: Any) -> float:
    """A standard normal (Box-Muller; the second value of each pair is kept in `spare`)."""
    if spare[0] > 0.0:
        spare[0] = 0.0
        return float(spare[1])
    u1 = _uniform(state)
    u2 = _uniform(state)
    radius = math.sqrt(-2.0 * math.log(u1))
    spare[0] = 1.0
    spare[1] = radius * math.sin(2.0 * math.pi * u2)
    return radius * math.cos(2.0 * math.pi * u2)


_normal = _jit_inline(_normal_py)


def _exponential_py(state: Any, mean: float) -> float:
    return -mean * math.log(_uniform(state))


_exponential = _jit_inline(_exponential_py)


def _from_table_py(state: Any, table: Any, row: int) -> float:
    """Inverse-transform sampling from a row of quantiles at evenly spaced probabilities."""
    x = _uniform(state) * (table.shape[1] - 1)
    q = int(x)
    return float(table[row, q] + (x - q) * (table[row, q + 1] - table[row, q]))


_from_table = _jit_inline(_from_table_py)


def _next_open_py(t: float, opens: float, closes: float, day_offset: float) -> float:
    """The first moment >= t inside daily hours [opens, closes) (seconds of the local day);
    `opens` < 0 means always open. Hours may pass midnight (opens > closes)."""
    if opens < 0.0:
        return t
    tod = (t + day_offset) % DAY
    midnight = t - tod
    if opens < closes:
        if tod < opens:
            return midnight + opens
        if tod < closes:
            return t
        return midnight + DAY + opens
    if tod >= opens or tod < closes:
        return t
    return midnight + opens


_next_open = _jit_inline(_next_open_py)


def _advance_py(t: float, duration: float, s_start: Any, s_end: Any, n_susp: int) -> float:
    """When an activity of `duration` active seconds started at t ends, frozen in suspensions
    (sorted, disjoint intervals)."""
    if n_susp == 0 or t >= s_end[n_susp - 1] or t + duration <= s_start[0]:
        return t + duration  # the common case: no suspension in reach
    remaining = duration
    for i in range(n_susp):
        if s_end[i] <= t:
            continue
        if s_start[i] > t:
            run = min(remaining, s_start[i] - t)
            t += run
            remaining -= run
            if remaining <= 0.0:
                return t
        t = max(t, s_end[i])
    return t + remaining


_advance = _jit_inline(_advance_py)


def _insertion_sort_py(order: Any, keys: Any) -> None:
    """Sort `order` (indices) and `keys` (their keys, in the same positions) together by key;
    fast when they are nearly sorted already."""
    n = order.shape[0]
    for i in range(1, n):
        k = keys[i]
        if keys[i - 1] <= k:
            continue
        item = order[i]
        j = i - 1
        while j >= 0 and keys[j] > k:
            keys[j + 1] = keys[j]
            order[j + 1] = order[j]
            j -= 1
        keys[j + 1] = k
        order[j + 1] = item


_insertion_sort = _jit(_insertion_sort_py)


def _sort_values_py(values: Any) -> None:
    for i in range(1, values.shape[0]):
        v = values[i]
        j = i - 1
        while j >= 0 and values[j] > v:
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = v


_sort_values = _jit(_sort_values_py)


def _one_replication_py(
    rep_seed: np.uint64,
    depart: Any,  # (n,) planned departure from the origin
    access: Any,  # (n,) free-flow seconds from the origin to the first station
    people: Any,  # (n,)
    leg_s: Any,  # (K,) free-flow seconds from the previous station (leg_s[0] unused)
    leg_breakdown_p: Any,  # (K,) probability of a breakdown on the leg into the station
    lanes: Any,  # (K,) 0 for stations that are not checkpoints
    svc_table: Any,  # (K + 2, Q) quantiles: inspection per station, driver factor, lateness
    open_s: Any,  # (K,) opening second of day, -1 for always
    close_s: Any,
    overnight: Any,  # (K,) bool: a designated overnight stop
    ahead_s: Any,  # (K,) nominal seconds from this stop to the next stop or the end
    svc_scale: Any,  # (K,) multiplier of inspection times in this replication (calibration)
    fparams: Any,  # float parameters, see `FLOAT_PARAMS`
    sample_t: Any,  # (T,) times at which queues are counted
    cp_row: Any,  # (K,) row of each checkpoint station in `queue`, -1 otherwise
    out_stage: int,
    # outputs for this replication
    first: Any,  # (K,)
    median: Any,
    last: Any,
    queue: Any,  # (C, T) int32
    per_day: Any,  # (K, D) people passing per local day (first, out and last station only)
    out_people: Any,  # (1,) people through `out_stage` by the window's end
    work: Any,  # (6, n) float scratch space of the calling thread
    order: Any,  # (n,) int scratch space
) -> None:
    n = depart.shape[0]
    n_stages = leg_s.shape[0]
    state = np.empty(1, dtype=np.uint64)
    state[0] = rep_seed
    spare = np.zeros(2)
    day_offset = fparams[0]
    window_end = fparams[1]
    driver_sigma = fparams[2]
    road_sigma = fparams[3]
    late_sigma = fparams[5]
    susp_rate = fparams[6]
    susp_mean = fparams[7]
    closure_rate = fparams[8]
    closure_mean = fparams[9]
    breakdown_mean = fparams[10]
    drive_from = fparams[11]
    drive_to = fparams[12]
    horizon = fparams[13]
    n_days = per_day.shape[1]

    # Suspensions of the ceasefire: a Poisson process of intervals over the horizon.
    s_start = np.empty(MAX_SUSPENSIONS)
    s_end = np.empty(MAX_SUSPENSIONS)
    n_susp = 0
    if susp_rate > 0.0:
        t = _exponential(state, 1.0 / susp_rate)
        while t < horizon and n_susp < MAX_SUSPENSIONS:
            s_start[n_susp] = t
            s_end[n_susp] = t + _exponential(state, susp_mean)
            t = s_end[n_susp] + _exponential(state, 1.0 / susp_rate)
            n_susp += 1

    driver = work[0]
    # Rows n_stages and n_stages + 1 of the table hold the driver factor and the lateness.
    for v in range(n):
        driver[v] = _from_table(state, svc_table, n_stages) if driver_sigma > 0.0 else 1.0
    road = np.empty(n_stages)
    for k in range(n_stages):
        road[k] = math.exp(road_sigma * _normal(state, spare) - 0.5 * road_sigma**2)

    arr = work[1]
    dep = work[2]
    passage = work[3]
    scratch = work[4]
    for v in range(n):
        order[v] = v
    # Into the first station: planned departure, lateness, the way from the origin.
    for v in range(n):
        t = depart[v]
        if late_sigma >= 0.0:
            t += _from_table(state, svc_table, n_stages + 1)
        arr[v] = _advance(t, access[v] * driver[v] * road[0], s_start, s_end, n_susp)
        scratch[v] = arr[v]  # `order` is the identity here

    lane_free = np.empty(8)
    lane_closed_from = np.empty(8)
    lane_closed_to = np.empty(8)
    for k in range(n_stages):
        if k > 0:
            # In the previous station's order, so that `scratch` holds keys nearly sorted.
            for i in range(n):
                v = order[i]
                t = dep[v]
                if leg_breakdown_p[k] > 0.0 and _uniform(state) < leg_breakdown_p[k]:
                    t += _exponential(state, breakdown_mean)
                travel = leg_s[k] * driver[v] * road[k]
                t = _advance(t, travel, s_start, s_end, n_susp)
                arr[v] = t
                scratch[i] = t
        _insertion_sort(order, scratch)  # now scratch[i] = arr[order[i]], ascending
        c = lanes[k]
        if c > 0:
            for j in range(c):
                lane_free[j] = -1e300
                if closure_rate > 0.0:
                    lane_closed_from[j] = _exponential(state, 1.0 / closure_rate)
                    lane_closed_to[j] = lane_closed_from[j] + _exponential(state, closure_mean)
                else:
                    lane_closed_from[j] = 1e300
                    lane_closed_to[j] = 1e300
            simple = open_s[k] < 0.0 and n_susp == 0 and closure_rate <= 0.0
            for i in range(n):
                v = order[i]
                best = 1e300
                best_lane = 0
                for j in range(c):
                    s = max(arr[v], lane_free[j])
                    for _ in range(0 if simple else 16):
                        before = s
                        s = _next_open(s, open_s[k], close_s[k], day_offset)
                        if n_susp > 0 and s_start[0] <= s < s_end[n_susp - 1]:
                            for m in range(n_susp):  # no inspection starts in a suspension
                                if s_start[m] <= s < s_end[m]:
                                    s = s_end[m]
                        while lane_closed_to[j] <= s:  # closures that ended: draw the next
                            lane_closed_from[j] = lane_closed_to[j] + _exponential(
                                state, 1.0 / closure_rate
                            )
                            lane_closed_to[j] = lane_closed_from[j] + _exponential(
                                state, closure_mean
                            )
                        if lane_closed_from[j] <= s:
                            s = lane_closed_to[j]
                        if s == before:
                            break
                    if s < best:
                        best = s
                        best_lane = j
                service = _from_table(state, svc_table, k) * svc_scale[k]
                done = _advance(best, service, s_start, s_end, n_susp)
                lane_free[best_lane] = done
                dep[v] = done
                passage[i] = done
            _sort_values(passage)  # already sorted with one lane; nearly, with several
            row = cp_row[k]
            a = 0
            b = 0
            for q in range(sample_t.shape[0]):
                tq = sample_t[q]
                while a < n and scratch[a] <= tq:
                    a += 1
                while b < n and passage[b] <= tq:
                    b += 1
                queue[row, q] = a - b
        else:
            for i in range(n):
                v = order[i]
                passage[i] = arr[v]
                t = arr[v]
                if overnight[k] and drive_from >= 0.0:
                    # No driving after dark: stay the night unless the next stop (or the end)
                    # can be reached in daylight at free-flow pace.
                    tod = (t + day_offset) % DAY
                    if tod < drive_from:
                        t += drive_from - tod
                    elif tod + ahead_s[k] > drive_to:
                        t += DAY - tod + drive_from
                dep[v] = t
        first[k] = passage[0]
        median[k] = passage[n // 2]
        last[k] = passage[n - 1]
        if k == 0 or k == out_stage or k == n_stages - 1:  # the stations reported per day
            for v in range(n):
                through = dep[v] if c > 0 else arr[v]
                day = math.floor((through + day_offset) * (1.0 / DAY))
                if 0 <= day < n_days:
                    per_day[k, day] += people[v]
                if k == out_stage and through <= window_end:
                    out_people[0] += people[v]


_one_replication = _jit(_one_replication_py)


def _run_py(
    seed: int,
    first_rep: int,
    n_reps: int,
    depart: Any,
    access: Any,
    people: Any,
    leg_s: Any,
    leg_breakdown_p: Any,
    lanes: Any,
    svc_table: Any,
    open_s: Any,
    close_s: Any,
    overnight: Any,
    ahead_s: Any,
    svc_scale: Any,  # (n_reps, K)
    fparams: Any,
    sample_t: Any,
    cp_row: Any,
    out_stage: int,
    first: Any,  # (n_reps, K)
    median: Any,
    last: Any,
    queue: Any,  # (n_reps, C, T)
    per_day: Any,  # (n_reps, K, D)
    out_people: Any,  # (n_reps, 1)
    n_workers: int,
) -> None:
    base = _mix(np.uint64(seed) * _GOLDEN + np.uint64(0x5AFE))
    n = depart.shape[0]
    # One worker per thread, each with its own scratch space, taking every n_workers-th
    # replication; a replication's draws depend only on its index, not on its worker.
    for w in prange(n_workers):
        work = np.empty((6, n))
        order = np.empty(n, dtype=np.int64)
        for r in range(w, n_reps, n_workers):
            rep_seed = _mix(base ^ (np.uint64(first_rep + r) * _MIX1))
            _one_replication(
                rep_seed,
                depart,
                access,
                people,
                leg_s,
                leg_breakdown_p,
                lanes,
                svc_table,
                open_s,
                close_s,
                overnight,
                ahead_s,
                svc_scale[r],
                fparams,
                sample_t,
                cp_row,
                out_stage,
                first[r],
                median[r],
                last[r],
                queue[r],
                per_day[r],
                out_people[r],
                work,
                order,
            )


run_replications = _jit_parallel(_run_py)

#: Order of the float parameters passed to the kernel.
FLOAT_PARAMS = (
    "day_offset_s",
    "window_end_s",
    "driver_sigma",
    "road_sigma",
    "late_mu",
    "late_sigma",
    "suspension_rate_per_s",
    "suspension_mean_s",
    "closure_rate_per_s",
    "closure_mean_s",
    "breakdown_mean_s",
    "drive_from_s",
    "drive_to_s",
    "horizon_s",
)
