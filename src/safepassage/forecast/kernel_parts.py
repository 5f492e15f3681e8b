"""Building blocks of the forecast kernel: the counter-based generator, draws, opening
hours, suspensions, the sort that carries vehicle indices, a lane's earliest start, per-day
counts, and vehicles held or lost at a checkpoint."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numba import njit

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


# Local time: `clock` is the table of local days from `forecast.clock` (per local date: the
# seconds from the start to its midnight, from that midnight to the day's clock change, and the
# change's jump). Wall-clock rules read it instead of `t % DAY`, so a 23- or 25-hour day keeps
# its hours on the local clock.
def _midnight_py(d: int, clock: Any) -> float:
    """Seconds from the start to the first instant of local day d (24-hour days past the table)."""
    n = clock.shape[0]
    if d < 0:
        return float(clock[0, 0] + d * DAY)
    if d < n:
        return float(clock[d, 0])
    return float(clock[n - 1, 0] + (d - n + 1) * DAY - clock[n - 1, 2])


_midnight = _jit_inline(_midnight_py)


def _day_of_py(t: float, clock: Any) -> int:
    """The local day that contains t."""
    n = clock.shape[0]
    if t < clock[0, 0]:
        return int((t - clock[0, 0]) // DAY)
    end = _midnight(n, clock)
    if t >= end:
        return int(n + (t - end) // DAY)
    lo, hi = 0, n - 1
    while lo < hi:  # the last day whose midnight is <= t
        mid = (lo + hi + 1) // 2
        if clock[mid, 0] <= t:
            lo = mid
        else:
            hi = mid - 1
    return lo


_day_of = _jit_inline(_day_of_py)


def _at_wall_py(d: int, wall: float, clock: Any) -> float:
    """When the local clock of day d reads `wall` seconds (the first time, if it reads it twice;
    a time skipped in spring reads with the offset before the change)."""
    m = _midnight(d, clock)
    if 0 <= d < clock.shape[0]:
        change, jump = clock[d, 1], clock[d, 2]
        if wall >= change + (jump if jump > 0.0 else 0.0):
            return float(m + wall - jump)
    return float(m + wall)


_at_wall = _jit_inline(_at_wall_py)


def _wall_of_py(t: float, d: int, clock: Any) -> float:
    """What the local clock reads at t (inside local day d), in seconds of the day."""
    e = t - _midnight(d, clock)
    if 0 <= d < clock.shape[0] and e >= clock[d, 1]:
        return float(e + clock[d, 2])
    return float(e)


_wall_of = _jit_inline(_wall_of_py)


def _next_open_py(t: float, opens: float, closes: float, clock: Any) -> float:
    """The first moment >= t inside daily hours [opens, closes) (seconds of the local day);
    `opens` < 0 means always open. Hours may pass midnight (opens > closes)."""
    if opens < 0.0:
        return t
    d = _day_of(t, clock)
    if opens < closes:
        a = _at_wall(d, opens, clock)
        if t < a:
            return float(a)
        if t < _at_wall(d, closes, clock):
            return t
        return float(_at_wall(d + 1, opens, clock))
    if t < _at_wall(d, closes, clock):
        return t
    a = _at_wall(d, opens, clock)
    return float(a) if t < a else t


_next_open = _jit_inline(_next_open_py)


def _closing_time_py(t: float, opens: float, closes: float, clock: Any) -> float:
    """When the daily hours that contain t end (t inside them); infinity for always open."""
    if opens < 0.0:
        return math.inf
    d = _day_of(t, clock)
    b = _at_wall(d, closes, clock)
    if opens < closes or t < b:
        return float(b)
    return float(_at_wall(d + 1, closes, clock))


_closing_time = _jit_inline(_closing_time_py)


def _drive_on_py(t: float, ahead: float, drive_from: float, drive_to: float, clock: Any) -> float:
    """When a vehicle at an overnight stop at t drives on: now if the next stop can be reached
    by `drive_to` (local), else at `drive_from` (local) that day or the next."""
    d = _day_of(t, clock)
    if _wall_of(t, d, clock) < drive_from:
        return float(_at_wall(d, drive_from, clock))
    if t + ahead > _at_wall(d, drive_to, clock):
        return float(_at_wall(d + 1, drive_from, clock))
    return t


_drive_on = _jit_inline(_drive_on_py)


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


def _sort_prefix_py(times: Any, ids: Any, m: int, width: int) -> None:
    """Sort `times[:m]` ascending and permute `ids[:m]` with them (0 <= id < 2**width).

    Each id is written into the low `width` bits of its time's mantissa, so the sort moves one
    float per element and compares whole values (ties go to the lower id). This moves a time by
    at most 2**width units in its last place: under 31 microseconds for times below 24 days
    and up to 131,072 vehicles, far below anything the model resolves."""
    head = times[:m]
    bits = head.view(np.int64)
    mask = np.int64((1 << width) - 1)
    keep = ~mask
    for i in range(m):
        bits[i] = (bits[i] & keep) | ids[i]
    _sort_packed(head)
    for i in range(m):
        ids[i] = bits[i] & mask


_sort_prefix = _jit(_sort_prefix_py)


def _sort_any_py(times: Any, ids: Any, m: int, width: int) -> None:
    """As `_sort_prefix` for an order that may be far from sorted (the departures, a pool that
    leaves at once): the same packed values, so the same result, in O(m log m)."""
    head = times[:m]
    bits = head.view(np.int64)
    mask = np.int64((1 << width) - 1)
    keep = ~mask
    for i in range(m):
        bits[i] = (bits[i] & keep) | ids[i]
    head[:] = np.sort(head)
    for i in range(m):
        ids[i] = bits[i] & mask


_sort_any = _jit(_sort_any_py)


def _sort_with_ids_py(times: Any, ids: Any) -> None:
    """Sort `times` ascending and permute `ids` (0 <= id < n) with them (see `_sort_prefix`)."""
    n = times.shape[0]
    _sort_prefix(times, ids, n, _id_bits(n))


_sort_with_ids = _jit(_sort_with_ids_py)


def _earliest_start_py(
    s: float,
    lane: int,
    state: Any,
    open_from: float,
    open_to: float,
    opens: float,
    closes: float,
    clock: Any,
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
            s = _next_open(s, opens, closes, clock)
            open_to = _closing_time(s, opens, closes, clock)
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


def _day_counts_py(
    through: Any,
    m: int,
    vid: Any,
    people: Any,
    clock: Any,
    horizon: float,
    day_veh: Any,
    day_people: Any,
    day_lo: Any,
) -> int:
    """Vehicles and people passing per local day up to the horizon (`through[:m]` ascending);
    `day_lo[d]` the first place of day d (one scan: the day changes rarely). Returns how many
    pass by the horizon."""
    n_days = day_veh.shape[0]
    day = 0
    bound = _midnight(1, clock)  # the end of local day 0
    day_lo[0] = 0
    # Counts accumulate in registers and are stored when the day changes: a store per vehicle
    # made each addition wait for the previous one (a fifth of the kernel's time).
    limit = bound if bound < horizon else horizon
    cnt = 0.0
    ppl = 0.0
    end = m
    for i in range(m):
        t = through[i]
        if t >= limit:
            if t > horizon:
                end = i
                break
            day_veh[day] += cnt
            day_people[day] += ppl
            cnt = 0.0
            ppl = 0.0
            while t >= bound and day < n_days:
                day += 1
                bound = _midnight(day + 1, clock)
                if day < n_days:
                    day_lo[day] = i
            if day >= n_days:
                break
            limit = bound if bound < horizon else horizon
        cnt += 1.0
        ppl += people[vid[i]]
    if day < n_days:
        day_veh[day] += cnt
        day_people[day] += ppl
    for d in range(day + 1, n_days):
        day_lo[d] = end
    return end


_day_counts = _jit(_day_counts_py)


def _held_or_lost_py(
    state: Any,
    k: int,
    nxt: Any,
    m: int,
    vid: Any,
    kind: Any,
    people: Any,
    held_p: Any,
    held_mean: Any,
    lost_p: Any,
    horizon: float,
    lost_t: Any,
    held_h: Any,
    held: Any,
    lost: Any,
) -> tuple[Any, int, bool]:
    """After inspection at checkpoint k, some vehicles are held for hours (pulled aside, not
    blocking the lane) and some turned back or seized (set to NEVER: they sort last and leave
    the live prefix). Returns the generator state, the vehicles lost and whether any changed."""
    n_lost = 0
    changed = False
    for i in range(m):
        v = vid[i]
        c = kind[v]
        u, state = _uniform(state)
        t = nxt[i]
        if u < lost_p[c, k]:
            lost_t[v] = t
            nxt[i] = NEVER
            n_lost += 1
            changed = True
            if t <= horizon:
                lost[k, 0] += 1.0
                lost[k, 1] += people[v]
        elif u < lost_p[c, k] + held_p[c, k]:
            hold, state = _exponential(state, held_mean[c, k])
            nxt[i] = t + hold
            changed = True
            if t <= horizon:
                held[k, 0] += 1.0
                held[k, 1] += people[v]
                if t + hold > horizon:
                    held_h[v] = 1.0
    return state, n_lost, changed


_held_or_lost = _jit(_held_or_lost_py)
