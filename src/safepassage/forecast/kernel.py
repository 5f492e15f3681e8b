"""The Monte Carlo engine: vehicles through a corridor of stations, one replication per thread.

A replication moves every vehicle station by station, keeping their times in passage order
(position-major arrays, with the vehicle index alongside). At each station the times are
re-sorted (an insertion sort that is near linear: the order changes little from one station to
the next), and at a checkpoint vehicles are served first come, first served by the lane that
can start earliest: exact for FIFO multi-lane queues, including overtaking between stations
(breakdowns, driver speeds). Everything a replication draws comes from its own counter-based
generator (splitmix64 seeded from the run's seed and the replication's index, its state kept
in a register), so results depend on the seed only: not on threads, chunking or the machine.

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
#: Lane state is kept in fixed arrays of this size.
MAX_LANES = 8
NEVER = 1e300
#: "No breakdown before this many more vehicles" when breakdowns are off.
_NO_SKIP_END = 1 << 62


_jit = cast(Callable[..., Any], njit(cache=True, error_model="numpy"))
_jit_inline = cast(Callable[..., Any], njit(cache=True, inline="always", error_model="numpy"))
_jit_parallel = cast(Callable[..., Any], njit(cache=True, parallel=True, error_model="numpy"))


def _mix_py(z: Any) -> Any:
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


_mix = _jit_inline(_mix_py)


# The generator's state is passed in and returned (a uint64 in a register) rather than kept in
# a one-element array: the compiler cannot keep an array element in a register across the
# stores into the time arrays, and the reload sat on every draw's critical path.
def _uniform_py(state: Any) -> tuple[float, Any]:
    """A uniform number in (0, 1) and the next splitmix64 state."""
    state = state + _GOLDEN
    z = _mix(state)
    # Through int64: converting a uint64 to a double is several instructions on x86-64.
    return (float(np.int64(z >> _S11)) + 0.5) * _TWO53, state


_uniform = _jit_inline(_uniform_py)


def _exponential_py(state: Any, mean: float) -> tuple[float, Any]:
    u, state = _uniform(state)
    return -mean * math.log(u), state


_exponential = _jit_inline(_exponential_py)


def _from_table_py(state: Any, table: Any, row: int) -> tuple[float, Any]:
    """Inverse-transform sampling from a row of quantiles at evenly spaced probabilities."""
    u, state = _uniform(state)
    x = u * (table.shape[1] - 1)
    q = int(x)
    return float(table[row, q] + (x - q) * (table[row, q + 1] - table[row, q])), state


_from_table = _jit_inline(_from_table_py)


def _gap_py(state: Any, log_q: float) -> tuple[int, Any]:
    """Vehicles passed over before the next breakdown on a leg (geometric, `log_q` = log(1 - p)):
    one draw per breakdown instead of one per vehicle, the same Bernoulli process."""
    if log_q >= 0.0:
        return _NO_SKIP_END, state
    u, state = _uniform(state)
    g = math.log(u) / log_q
    return (int(g) if g < 4e18 else _NO_SKIP_END), state


_gap = _jit_inline(_gap_py)


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


def _closing_time_py(t: float, opens: float, closes: float, day_offset: float) -> float:
    """When the daily hours that contain t end (t inside them); infinity for always open."""
    if opens < 0.0:
        return math.inf
    tod = (t + day_offset) % DAY
    midnight = t - tod
    if opens < closes or tod < closes:
        return midnight + closes
    return midnight + DAY + closes


_closing_time = _jit_inline(_closing_time_py)


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


def _sort_packed_py(keys: Any) -> None:
    """Sort nearly sorted floats in place, ascending.

    An insertion sort that keeps the last four places in registers and updates them with
    min/max, so an element that moves back up to three places costs no branch: in the
    benchmark corridor over half the elements move at every station (drivers overtake), and a
    mispredicted branch per element was most of the sort's time. An element that moves back
    four places or more takes the plain insertion."""
    n = keys.shape[0]
    for i in range(1, min(n, 4)):
        x = keys[i]
        j = i - 1
        while j >= 0 and keys[j] > x:
            keys[j + 1] = keys[j]
            j -= 1
        keys[j + 1] = x
    if n <= 4:
        return
    # The window: k1..k4 hold places i-1..i-4 (memory there is stale until written back).
    k1 = keys[3]
    k2 = keys[2]
    k3 = keys[1]
    k4 = keys[0]
    for i in range(4, n):
        x = keys[i]
        if k4 > x:
            keys[i - 1] = k1
            keys[i - 2] = k2
            keys[i - 3] = k3
            keys[i - 4] = k4
            j = i - 1
            while j >= 0 and keys[j] > x:
                keys[j + 1] = keys[j]
                j -= 1
            keys[j + 1] = x
            k1 = keys[i]
            k2 = keys[i - 1]
            k3 = keys[i - 2]
            k4 = keys[i - 3]
            continue
        keys[i - 4] = k4  # leaves the window in place: k4 <= x
        # x goes in before every window element above it. Written as comparisons that
        # compile to min/max instructions; all new values are computed before any is
        # assigned (updating k1 in place let the compiler emit a branch: 20% slower overall).
        lo1 = k1 if k1 < x else x
        lo2 = k2 if k2 < x else x
        n0 = k1 if k1 > x else x
        n1 = k2 if k2 > lo1 else lo1
        n2 = k3 if k3 > lo2 else lo2
        k4 = k3 if k3 < x else x
        k1 = n0
        k2 = n1
        k3 = n2
    keys[n - 1] = k1
    keys[n - 2] = k2
    keys[n - 3] = k3
    keys[n - 4] = k4


_sort_packed = _jit(_sort_packed_py)


def id_bits(n: int) -> int:
    """Low mantissa bits that carry a vehicle index when times are sorted (at least one)."""
    width = 1
    while (1 << width) < n:
        width += 1
    return width


_id_bits = _jit_inline(id_bits)


def _sort_with_ids_py(times: Any, ids: Any) -> None:
    """Sort `times` ascending and permute `ids` (0 <= id < n) with them.

    Each id is written into the low bits of its time's mantissa, so the sort moves one float
    per element and compares whole values (ties go to the lower id). This moves a time by at
    most 2**id_bits(n) units in its last place: under 31 microseconds for times below 24 days
    and n up to 131,072 vehicles, far below anything the model resolves."""
    n = times.shape[0]
    bits = times.view(np.int64)
    mask = np.int64((1 << _id_bits(n)) - 1)
    keep = ~mask
    for i in range(n):
        bits[i] = (bits[i] & keep) | ids[i]
    _sort_packed(times)
    for i in range(n):
        ids[i] = bits[i] & mask


_sort_with_ids = _jit(_sort_with_ids_py)


def _earliest_start_py(
    s: float,
    lane: int,
    state: Any,
    open_from: float,
    open_to: float,
    opens: float,
    closes: float,
    day_offset: float,
    s_start: Any,
    s_end: Any,
    n_susp: int,
    lane_susp: Any,
    closed_from: Any,
    closed_to: Any,
    closure_every: float,
    closure_mean: float,
) -> tuple[float, Any, float, float]:
    """The first moment >= s when `lane` may start an inspection: inside opening hours,
    outside suspensions and outside the lane's closures (drawn lazily as its time moves on).

    [open_from, open_to) is an open interval of the station already found; lane_susp[lane]
    the first suspension not over by the lane's last start. Returns the start, the generator
    state and the open interval."""
    while True:
        before = s
        if opens >= 0.0 and not open_from <= s < open_to:
            s = _next_open(s, opens, closes, day_offset)
            open_to = _closing_time(s, opens, closes, day_offset)
            open_from = s
        m = lane_susp[lane]
        while m < n_susp and s_end[m] <= s:
            m += 1
        lane_susp[lane] = m
        if m < n_susp and s_start[m] <= s:
            s = s_end[m]
        while closed_to[lane] <= s:
            gap, state = _exponential(state, closure_every)
            length, state = _exponential(state, closure_mean)
            closed_from[lane] = closed_to[lane] + gap
            closed_to[lane] = closed_from[lane] + length
        if closed_from[lane] <= s:
            s = closed_to[lane]
        if s == before:
            return s, state, open_from, open_to


_earliest_start = _jit_inline(_earliest_start_py)


def _clear_until_py(
    lane: int, open_to: float, s_start: Any, n_susp: int, lane_susp: Any, closed_from: Any
) -> float:
    """Up to when starts on `lane` need no check after `_earliest_start`: the next suspension,
    closure of the lane or closing time, whichever comes first."""
    until = closed_from[lane]
    m = lane_susp[lane]
    if m < n_susp and s_start[m] < until:
        until = s_start[m]
    return until if until < open_to else open_to


_clear_until = _jit_inline(_clear_until_py)


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
    work: Any,  # (3, n) float scratch space of the calling thread
    vid: Any,  # (n,) int scratch space: the vehicle at each place of `cur`
) -> None:
    n = depart.shape[0]
    n_stages = leg_s.shape[0]
    state = rep_seed
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
    for v in range(n):
        if driver_sigma > 0.0:
            driver[v], state = _from_table(state, svc_table, n_stages)
        else:
            driver[v] = 1.0
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
    # Into the first station: planned departure, lateness, the way from the origin.
    for v in range(n):
        t = depart[v]
        if late_sigma >= 0.0:
            late, state = _from_table(state, svc_table, n_stages + 1)
            t += late
        cur[v] = _advance(t, access[v] * driver[v] * road[0], s_start, s_end, n_susp)
        vid[v] = v
    _sort_with_ids(cur, vid)

    lane_free = np.empty(MAX_LANES)
    lane_clear = np.empty(MAX_LANES)  # starts below this need no check (see _clear_until)
    lane_susp = np.empty(MAX_LANES, dtype=np.int64)
    closed_from = np.empty(MAX_LANES)
    closed_to = np.empty(MAX_LANES)
    closure_every = 1.0 / closure_rate if closure_rate > 0.0 else 0.0
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
            _sort_with_ids(cur, vid)
        # cur: arrivals at station k, ascending.
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
                            s, 0, state, open_from, open_to, opens, closes, day_offset,
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
                                sj, j, state, open_from, open_to, opens, closes, day_offset,
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
                _sort_with_ids(nxt, vid)
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
            through = nxt
            swap = True
        else:
            through = cur
            if overnight[k] and drive_from >= 0.0:
                # No driving after dark: stay the night unless the next stop (or the end) can
                # be reached in daylight at free-flow pace. Keeps the order.
                for i in range(n):
                    t = cur[i]
                    tod = (t + day_offset) % DAY
                    if tod < drive_from:
                        t += drive_from - tod
                    elif tod + ahead_s[k] > drive_to:
                        t += DAY - tod + drive_from
                    nxt[i] = t
                swap = True
        first[k] = through[0]
        median[k] = through[n // 2]
        last[k] = through[n - 1]
        if k == 0 or k == out_stage or k == n_stages - 1:  # the stations reported per day
            for i in range(n):
                t = through[i]
                day = math.floor((t + day_offset) * (1.0 / DAY))
                pp = people[vid[i]]
                if 0 <= day < n_days:
                    per_day[k, day] += pp
                if k == out_stage and t <= window_end:
                    out_people[0] += pp
        if swap:
            cur, nxt = nxt, cur


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
        work = np.empty((3, n))
        vid = np.empty(n, dtype=np.int64)
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
                vid,
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
