"""Opening hours read the local minute of every step from the zone's offsets, not from a
datetime per step: the same minutes as the plain computation, across both clock changes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from safepassage.model.instants import after
from safepassage.plan.problem import PlanningProblem


@pytest.mark.parametrize(
    ("zone", "start", "step_s"),
    [
        ("Europe/Kyiv", datetime(2022, 3, 26, 20, 0), 60.0),  # spring: 03:00 -> 04:00
        ("Europe/Kyiv", datetime(2022, 10, 29, 22, 0), 5.0),  # autumn: 04:00 -> 03:00
        ("Europe/Monaco", datetime(2026, 10, 24, 20, 0), 30.0),
        ("Australia/Lord_Howe", datetime(2026, 4, 4, 20, 0), 60.0),  # a half-hour change
        ("Asia/Kathmandu", datetime(2026, 6, 1, 8, 0), 45.0),  # +05:45, no change
        ("UTC", datetime(2026, 6, 1, 8, 0, 30), 7.0),
    ],
)
def test_local_minutes_match_a_datetime_per_step(zone: str, start: datetime, step_s: float) -> None:
    tz = ZoneInfo(zone)
    problem = PlanningProblem.__new__(PlanningProblem)  # only `start` and `step_s` are read
    problem.start = start.replace(tzinfo=tz)
    problem.step_s = step_s
    t0, t1 = 3, int(20 * 3600 / step_s)
    expected = np.array(
        [
            (lambda d: d.hour * 60 + d.minute)(after(problem.start, t * step_s))
            for t in range(t0, t1)
        ]
    )
    assert np.array_equal(problem.local_minutes(t0, t1), expected)
