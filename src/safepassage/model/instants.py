"""Durations and offsets on instants, never on wall clocks.

Python subtracts two datetimes that share a tzinfo object on their wall clocks: 20:00 to 08:00
Europe/Kyiv over the night of 26-27 March 2022 comes out as 12 h where 11 h passed (the clocks
went forward). Every duration and every "start plus n seconds" in the planner goes through UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def elapsed_s(start: datetime, end: datetime) -> float:
    """Seconds from `start` to `end` as they pass (both aware)."""
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()


def after(start: datetime, seconds: float) -> datetime:
    """The instant `seconds` after `start`, on `start`'s zone (its local clock may jump)."""
    tz = start.tzinfo
    moment = start.astimezone(UTC) + timedelta(seconds=seconds)
    return moment.astimezone(tz) if tz is not None else moment
