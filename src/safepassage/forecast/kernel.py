"""The Monte Carlo engine: vehicles through a corridor of stations, one replication per thread.

A replication moves every vehicle station by station, keeping their times in passage order
(position-major arrays, with the vehicle index alongside). At each station the times are
re-sorted (an insertion sort that is near linear: the order changes little from one station to
the next), and at a checkpoint vehicles are served first come, first served by the lane that
can start earliest: exact for FIFO multi-lane queues, including overtaking between stations
(breakdowns, driver speeds). Everything a replication draws comes from its own counter-based
generator (splitmix64 seeded from the run's seed and the replication's index, its state kept
in a register), so results depend on the seed only: not on threads, chunking or the machine.

Time is in real seconds from the window's start; rules of the local day (opening hours,
driving hours, daily counts) read the table of local days (`forecast.clock`), so a clock change
keeps them on the local clock. Suspensions of the ceasefire freeze all travel and
inspection; opening hours, lane closures and the no-driving-after-dark rule delay starts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numba import njit, prange

from safepassage.forecast.kernel_parts import (
    _GOLDEN,
    _MIX1,
    DAY,
    MAX_LANES,
    MAX_SUSPENSIONS,
    NEVER,
    _advance,
    _clear_until,
    _day_counts,
    _drive_on,
    _earliest_start,
    _exponential,
    _from_table,
    _gap,
    _held_or_lost,
    _id_bits,
    _jit,
    _mix,
    _sort_any,
    _sort_packed,
    _sort_prefix,
    _sort_with_ids,
    _uniform,
    id_bits,
)

__all__ = [
    "DAY",
    "FLOAT_PARAMS",
    "MAX_LANES",
    "MAX_SUSPENSIONS",
    "NEVER",
    "_gap",
    "_sort_packed",
    "_sort_with_ids",
    "id_bits",
    "run_replications",
]

_jit_parallel = cast(Callable[..., Any], njit(cache=True, parallel=True, error_model="numpy"))


def _one_replication_py(
    rep_seed: np.uint64,
    n: int,  # vehicles in this replication (the first n of the arrays below)
    depart: Any,  # (N,) departure from the origin (planned, or arrival at the assembly point)
    access: Any,  # (N,) free-flow seconds from the origin to the first station
    people: Any,  # (N,)
    kind: Any,  # (N,) 0 car, 1 bus
    leg_s: Any,  # (K,) free-flow seconds from the previous station (leg_s[0] unused)
    leg_breakdown_p: Any,  # (K,) probability of a breakdown on the leg into the station
    lanes: Any,  # (K,) 0 for stations that are not checkpoints
    svc_table: Any,  # (K + 2, Q) quantiles: inspection per station, driver factor, lateness
    open_s: Any,  # (K,) opening second of day, -1 for always
    close_s: Any,
    overnight: Any,  # (K,) bool: a designated overnight stop
    ahead_s: Any,  # (K,) nominal seconds from this stop to the next stop or the end
    svc_scale: Any,  # (K,) multiplier of inspection times in this replication (calibration)
    held_p: Any,  # (2, K) probability a car / bus is held at the checkpoint
    held_mean: Any,  # (2, K) mean seconds held
    lost_p: Any,  # (2, K) probability a car / bus is turned back or seized
    fparams: Any,  # float parameters, see `FLOAT_PARAMS`
    clock: Any,  # (D', 3) the local days on elapsed seconds (see `forecast.clock`)
    sample_t: Any,  # (T,) times at which queues are counted
    cp_row: Any,  # (K,) row of each checkpoint station in `queue`, -1 otherwise
    j_row: Any,  # (K,) row of each station in `journey`, -1 for none
    out_stage: int,
    # outputs for this replication
    first: Any,  # (K,)
    median: Any,
    last: Any,
    queue: Any,  # (C, T) int32
    day_veh: Any,  # (K, D) vehicles passing per local day
    day_people: Any,  # (K, D) people passing per local day
    held: Any,  # (K, 2) vehicles and people held by the horizon
    lost: Any,  # (K, 2) vehicles and people lost by the horizon
    night: Any,  # (K,) share of the vehicles passing an overnight stop that stay the night
    fate: Any,  # (4, 2) at the horizon: arrived, waiting, held, lost (vehicles, people)
    journey: Any,  # (J, D + 1, 3) seconds from the first station: first/median/last to leave
    out_people: Any,  # (1,) people through `out_stage` by the window's end
    trace: Any,  # (K, N) each vehicle's passage per station (NaN: lost), when `tracing`
    tracing: bool,
    presort_any: bool,  # departures may be far from ordered (a pool): sort them in O(n log n)
    work: Any,  # (6, N) float scratch space of the calling thread
    vid: Any,  # (N,) int scratch space: the vehicle at each place of `cur`
    pos: Any,  # (N,) int scratch space: the place of each vehicle
) -> None:
    n0 = n
    width = _id_bits(depart.shape[0])
    n_stages = leg_s.shape[0]
    state = rep_seed
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
    n_days = day_veh.shape[1]

    # Suspensions of the ceasefire: a Poisson process of intervals over the horizon.
    s_start = np.empty(MAX_SUSPENSIONS)
    s_end = np.empty(MAX_SUSPENSIONS)
    n_susp = 0
    if susp_rate > 0.0:
        t, state = _exponential(state, 1.0 / susp_rate)
        while t < horizon and n_susp < MAX_SUSPENSIONS:
            s_start[n_susp] = t
            length, state = _exponential(state, susp_mean)
            s_end[n_susp] = t + length
            gap, state = _exponential(state, 1.0 / susp_rate)
            t = s_end[n_susp] + gap
            n_susp += 1

    # Per vehicle (indexed by vehicle): the driver's speed factor. Rows n_stages and
    # n_stages + 1 of the table hold the driver factor and the lateness.
    driver = work[0]
    exit_t = work[3]  # when each vehicle passed the first station
    lost_t = work[4]  # when it was turned back or seized (NEVER: it was not)
    held_h = work[5]  # 1 when held at the horizon
    for v in range(n):
        if driver_sigma > 0.0:
            driver[v], state = _from_table(state, svc_table, n_stages)
        else:
            driver[v] = 1.0
        lost_t[v] = NEVER
        held_h[v] = 0.0
    road = np.empty(n_stages)
    for k in range(n_stages):
        u1, state = _uniform(state)
        u2, state = _uniform(state)
        z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
        road[k] = math.exp(road_sigma * z - 0.5 * road_sigma**2)

    # Per place in passage order: `cur` the times at the current station, `nxt` the next
    # times being computed (the two swap), `vid` the vehicle at each place.
    cur = work[1]
    nxt = work[2]
    # Into the first station: departure, lateness, the way from the origin.
    for v in range(n):
        t = depart[v]
        if late_sigma >= 0.0:
            late, state = _from_table(state, svc_table, n_stages + 1)
            t += late
        cur[v] = _advance(t, access[v] * driver[v] * road[0], s_start, s_end, n_susp)
        vid[v] = v
    if presort_any:
        _sort_any(cur, vid, n, width)
    else:
        _sort_prefix(cur, vid, n, width)

    lane_free = np.empty(MAX_LANES)
    lane_clear = np.empty(MAX_LANES)  # starts below this need no check (see _clear_until)
    lane_susp = np.empty(MAX_LANES, dtype=np.int64)
    closed_from = np.empty(MAX_LANES)
    closed_to = np.empty(MAX_LANES)
    closure_every = 1.0 / closure_rate if closure_rate > 0.0 else 0.0
    day_lo = np.empty(n_days, dtype=np.int64)
    pick = np.full((n_days + 1, 3), -1, dtype=np.int64)  # vehicles whose journeys are followed
    for k in range(n_stages):
        if k > 0:
            # Departures from the previous station (ascending) plus this leg.
            p = leg_breakdown_p[k]
            log_q = math.log1p(-p) if p > 0.0 else 0.0
            skip, state = _gap(state, log_q)
            leg = leg_s[k] * road[k]
            for i in range(n):
                t = cur[i]
                if skip == 0:
                    delay, state = _exponential(state, breakdown_mean)
                    t += delay
                    skip, state = _gap(state, log_q)
                else:
                    skip -= 1
                cur[i] = _advance(t, leg * driver[vid[i]], s_start, s_end, n_susp)
            _sort_prefix(cur, vid, n, width)
        # cur[:n]: arrivals at station k, ascending.
        c = lanes[k]
        swap = False
        if c > 0:
            opens = open_s[k]
            closes = close_s[k]
            if opens < 0.0:
                open_from, open_to = -NEVER, NEVER
            else:  # an empty interval: the first start looks the hours up
                open_from, open_to = NEVER, -NEVER
            for j in range(c):
                lane_free[j] = -NEVER
                lane_clear[j] = -NEVER
                lane_susp[j] = 0
                if closure_rate > 0.0:
                    gap, state = _exponential(state, closure_every)
                    length, state = _exponential(state, closure_mean)
                    closed_from[j] = gap
                    closed_to[j] = gap + length
                else:
                    closed_from[j] = NEVER
                    closed_to[j] = NEVER
            scale = svc_scale[k]
            if c == 1:
                free = -NEVER  # one lane: its state in registers
                clear = -NEVER
                for i in range(n):
                    a = cur[i]
                    s = a if a > free else free
                    if s >= clear or s < open_from:
                        s, state, open_from, open_to = _earliest_start(
                            s, 0, state, open_from, open_to, opens, closes, clock,
                            s_start, s_end, n_susp, lane_susp, closed_from, closed_to,
                            closure_every, closure_mean,
                        )  # fmt: skip
                        clear = _clear_until(0, open_to, s_start, n_susp, lane_susp, closed_from)
                    service, state = _from_table(state, svc_table, k)
                    free = _advance(s, service * scale, s_start, s_end, n_susp)
                    nxt[i] = free
            else:
                for i in range(n):
                    a = cur[i]
                    # The lane free first: if nothing blocks a start there, no other lane
                    # can start earlier.
                    best_lane = 0
                    free = lane_free[0]
                    for j in range(1, c):
                        if lane_free[j] < free:
                            free = lane_free[j]
                            best_lane = j
                    s = a if a > free else free
                    if s >= lane_clear[best_lane] or s < open_from:
                        s = NEVER
                        for j in range(c):
                            sj = a if a > lane_free[j] else lane_free[j]
                            sj, state, open_from, open_to = _earliest_start(
                                sj, j, state, open_from, open_to, opens, closes, clock,
                                s_start, s_end, n_susp, lane_susp, closed_from, closed_to,
                                closure_every, closure_mean,
                            )  # fmt: skip
                            lane_clear[j] = _clear_until(
                                j, open_to, s_start, n_susp, lane_susp, closed_from
                            )
                            # Every moment from the query to sj is blocked for this lane, so it
                            # is not free before sj whichever lane this vehicle takes. Keeping
                            # that also keeps the lane's later queries at or after its lazily
                            # drawn closures and its suspension pointer (without it a lane
                            # passed over during a closure served inside it once the closure
                            # had been drawn past).
                            lane_free[j] = sj
                            if sj < s:
                                s = sj
                                best_lane = j
                    service, state = _from_table(state, svc_table, k)
                    done = _advance(s, service * scale, s_start, s_end, n_susp)
                    lane_free[best_lane] = done
                    nxt[i] = done
                # Several lanes let vehicles pass one another: passage order.
                _sort_prefix(nxt, vid, n, width)
            # One lane passes vehicles in arrival order, so nxt is ascending either way.
            row = cp_row[k]
            a_i = 0
            b_i = 0
            for q in range(sample_t.shape[0]):
                tq = sample_t[q]
                while a_i < n and cur[a_i] <= tq:
                    a_i += 1
                while b_i < n and nxt[b_i] <= tq:
                    b_i += 1
                queue[row, q] = a_i - b_i
            if held_p[0, k] + held_p[1, k] + lost_p[0, k] + lost_p[1, k] > 0.0:
                state, n_lost, changed = _held_or_lost(
                    state, k, nxt, n, vid, kind, people, held_p, held_mean, lost_p, horizon,
                    lost_t, held_h, held, lost,
                )  # fmt: skip
                if changed:
                    _sort_prefix(nxt, vid, n, width)
                    n -= n_lost
            through = nxt
            swap = True
        else:
            through = cur
            if overnight[k] and drive_from >= 0.0:
                # No driving after dark: stay the night unless the next stop (or the end) can
                # be reached in daylight at free-flow pace. Keeps the order.
                stayed = 0
                for i in range(n):
                    t = _drive_on(cur[i], ahead_s[k], drive_from, drive_to, clock)
                    if t > cur[i]:
                        stayed += 1
                    nxt[i] = t
                night[k] = stayed / n if n > 0 else 0.0
                swap = True
        if n > 0:
            first[k] = through[0]
            median[k] = through[n // 2]
            last[k] = through[n - 1]
        else:
            first[k] = math.nan
            median[k] = math.nan
            last[k] = math.nan
        passed = _day_counts(
            through, n, vid, people, clock, horizon, day_veh[k], day_people[k], day_lo
        )
        if k == out_stage:
            for i in range(n):
                if through[i] > window_end:
                    break
                out_people[0] += people[vid[i]]
        if k == 0:
            # Follow the first, median and last vehicle to leave each day, and of all.
            for i in range(n):
                exit_t[vid[i]] = through[i]
            # Only vehicles leaving by the horizon: day_lo ends at `passed`.
            for d in range(n_days):
                lo = day_lo[d]
                hi = day_lo[d + 1] if d + 1 < n_days else passed
                if hi > lo:
                    pick[d, 0] = vid[lo]
                    pick[d, 1] = vid[lo + (hi - 1 - lo) // 2]
                    pick[d, 2] = vid[hi - 1]
            if passed > 0:
                pick[n_days, 0] = vid[0]
                pick[n_days, 1] = vid[(passed - 1) // 2]
                pick[n_days, 2] = vid[passed - 1]
        if tracing:
            for i in range(n):
                trace[k, vid[i]] = through[i]
        jr = j_row[k]
        if jr >= 0:
            for i in range(n):
                pos[vid[i]] = i
            for d in range(n_days + 1):
                for w in range(3):
                    v = pick[d, w]
                    if v >= 0 and lost_t[v] == NEVER:
                        journey[jr, d, w] = through[pos[v]] - exit_t[v]
                    else:
                        journey[jr, d, w] = math.nan
        if swap:
            cur, nxt = nxt, cur

    # Where every vehicle stands at the horizon. cur[:n]: passages at the last station.
    for i in range(n):
        pos[vid[i]] = 1 if cur[i] <= horizon else 0
    for v in range(n0):
        if lost_t[v] <= horizon:
            c = 3
        elif held_h[v] > 0.0:
            c = 2
        elif lost_t[v] == NEVER and pos[v] == 1:
            c = 0
        else:
            c = 1
        fate[c, 0] += 1.0
        fate[c, 1] += people[v]


_one_replication = _jit(_one_replication_py)


def _run_py(
    seed: int,
    first_rep: int,
    n_reps: int,
    n_veh: Any,  # (n_reps,) vehicles in each replication
    depart: Any,  # (1 or n_reps, N): shared by all replications, or one row each
    access: Any,
    people: Any,
    kind: Any,
    leg_s: Any,
    leg_breakdown_p: Any,
    lanes: Any,
    svc_table: Any,
    open_s: Any,  # (n_reps, K)
    close_s: Any,
    overnight: Any,
    ahead_s: Any,
    svc_scale: Any,  # (n_reps, K)
    held_p: Any,
    held_mean: Any,
    lost_p: Any,
    fparams: Any,
    clock: Any,
    sample_t: Any,
    cp_row: Any,
    j_row: Any,
    out_stage: int,
    first: Any,  # (n_reps, K)
    median: Any,
    last: Any,
    queue: Any,  # (n_reps, C, T)
    day_veh: Any,  # (n_reps, K, D)
    day_people: Any,
    held: Any,  # (n_reps, K, 2)
    lost: Any,
    night: Any,  # (n_reps, K)
    fate: Any,  # (n_reps, 4, 2)
    journey: Any,  # (n_reps, J, D + 1, 3)
    out_people: Any,  # (n_reps, 1)
    trace: Any,  # (n_reps, K, N) per-vehicle passages, or (1, 1, 1) when not tracing
    tracing: bool,
    n_workers: int,
) -> None:
    base = _mix(np.uint64(seed) * _GOLDEN + np.uint64(0x5AFE))
    n_max = depart.shape[1]
    shared = depart.shape[0] == 1
    # One worker per thread, each with its own scratch space, taking every n_workers-th
    # replication; a replication's draws depend only on its index, not on its worker.
    for w in prange(n_workers):
        work = np.empty((6, n_max))
        vid = np.empty(n_max, dtype=np.int64)
        pos = np.empty(n_max, dtype=np.int64)
        for r in range(w, n_reps, n_workers):
            rep_seed = _mix(base ^ (np.uint64(first_rep + r) * _MIX1))
            row = 0 if shared else r
            t_row = r if tracing else 0
            _one_replication(
                rep_seed,
                n_veh[r],
                depart[row],
                access[row],
                people[row],
                kind[row],
                leg_s,
                leg_breakdown_p,
                lanes,
                svc_table,
                open_s[r],
                close_s[r],
                overnight,
                ahead_s,
                svc_scale[r],
                held_p,
                held_mean,
                lost_p,
                fparams,
                clock,
                sample_t,
                cp_row,
                j_row,
                out_stage,
                first[r],
                median[r],
                last[r],
                queue[r],
                day_veh[r],
                day_people[r],
                held[r],
                lost[r],
                night[r],
                fate[r],
                journey[r],
                out_people[r],
                trace[t_row],
                tracing,
                not shared,
                work,
                vid,
                pos,
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
