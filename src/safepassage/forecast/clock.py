"""The corridor's local clock as the kernel sees it: a table of local days on elapsed seconds.

The kernel counts seconds from the window's start (instants). Opening hours, the driving
rule and the daily buckets are local wall-clock rules, and a local day is 23 or 25 hours long
when the clocks change. Each row of the table is one local date from the start's:
[seconds from the start to its local midnight, seconds from that midnight to the clock change
that day (`NO_CHANGE` when none), the jump of the wall clock there in seconds (+3600 in
spring)]. Rows run past the horizon; the kernel extends the last row by plain 24-hour days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray

from safepassage.model.instants import after, elapsed_s

#: "No clock change this day" in the table's second column.
NO_CHANGE = 1e300
#: Rows kept past the horizon's last local date (vehicles still queuing after it).
SPARE_DAYS = 8


def local_midnight(start: datetime, d: int) -> datetime:
    """The first instant of the d-th local date from `start`'s (aware, on its zone)."""
    day = start.date() + timedelta(days=d)
    return wall_time(start, day, time(0, 0))


def wall_time(start: datetime, day: date, at: time) -> datetime:
    """The instant the local clock (`start`'s zone) reads `at` on `day`."""
    # A wall time in a spring gap reads with the offset before the change (fold=0), as zoneinfo
    # does; normalising through UTC gives the instant it names.
    local = datetime.combine(day, at, tzinfo=start.tzinfo)
    return local.astimezone(UTC).astimezone(start.tzinfo) if start.tzinfo else local


def n_local_days(start: datetime, horizon_s: float) -> int:
    """How many local dates [start, start + horizon) touches (at least one)."""
    end = after(start, horizon_s)
    days = (end.date() - start.date()).days
    at_midnight = elapsed_s(local_midnight(start, days), end) == 0.0
    return max(1, days if at_midnight else days + 1)


def day_table(start: datetime, horizon_s: float) -> NDArray[np.float64]:
    """The local days from `start`'s date to past the horizon (see the module's docstring)."""
    rows = n_local_days(start, horizon_s) + SPARE_DAYS
    table = np.empty((rows, 3))
    for d in range(rows):
        lo, hi = local_midnight(start, d), local_midnight(start, d + 1)
        table[d, 0] = elapsed_s(start, lo)
        table[d, 1], table[d, 2] = _change(lo, hi)
    return table


def _change(lo: datetime, hi: datetime) -> tuple[float, float]:
    """Seconds from `lo` to the clock change before `hi` and its jump; (NO_CHANGE, 0) if none."""
    before, past = lo.utcoffset(), hi.utcoffset()
    if before is None or past is None or before == past:
        return NO_CHANGE, 0.0
    a, b = 0, int(elapsed_s(lo, hi))
    while b - a > 1:  # the first whole second on the new offset
        mid = (a + b) // 2
        if after(lo, mid).utcoffset() == before:
            a = mid
        else:
            b = mid
    return float(b), (past - before).total_seconds()
