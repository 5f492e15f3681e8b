"""Forecast times across a clock change (Europe/Kyiv: 27 March 2022 02:00 -> 03:00 local,
30 October 2022 04:00 -> 03:00). Opening intervals are checked against local times converted
to instants here with zoneinfo; the hand-computable one-lane case gives its daily count on a
23-hour day; reported times carry the local hour."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from safepassage.forecast.clock import day_table
from safepassage.forecast.demand import DemandDraws, DemandVehicles
from safepassage.forecast.engine import run_monte_carlo
from safepassage.forecast.kernel_parts import _closing_time_py, _drive_on_py, _next_open_py
from safepassage.forecast.result import Forecast
from safepassage.forecast.system import CorridorSystem, Station
from safepassage.model.scenario import ForecastSpec, Spread

KYIV = ZoneInfo("Europe/Kyiv")
QUIET = ForecastSpec(driver_cv=0, road_cv=0, departure_lateness={"mean_min": 0, "sd_min": 0})
SPRING = datetime(2022, 3, 25, 12, 30, tzinfo=KYIV)
AUTUMN = datetime(2022, 10, 28, 12, 30, tzinfo=KYIV)


def _seconds(start: datetime, day: date, at: time) -> float:
    """Oracle: seconds from `start` until Kyiv's clocks read `at` on `day` (through UTC)."""
    local = datetime(day.year, day.month, day.day, at.hour, at.minute, tzinfo=KYIV)
    return (local.astimezone(UTC) - start.astimezone(UTC)).total_seconds()


def _oracle(start: datetime, opens: time, closes: time, days: int) -> list[tuple[float, float]]:
    """Open intervals [a, b) on instants, from the start's date for `days` dates, clipped at 0."""
    out = []
    for i in range(-1, days):
        day = start.date() + timedelta(days=i)
        # Closing at 00:00 or before opening: the hours end on the next date.
        end_day = day if time(0) < closes and opens < closes else day + timedelta(days=1)
        a = _seconds(start, day, opens)
        b = _seconds(start, end_day, closes)
        if b > 0:
            out.append((max(a, 0.0), b))
    return out


def _engine(start: datetime, opens: time, closes: time, days: int) -> list[tuple[float, float]]:
    """The kernel's intervals: next opening from t, its closing, on from there."""
    clock = day_table(start, days * 86400.0)
    o = opens.hour * 3600.0
    c = closes.hour * 3600.0 or 86400.0
    out, t = [], 0.0
    while len(out) < days:
        a = _next_open_py(t, o, c, clock)
        b = _closing_time_py(a, o, c, clock)
        out.append((a, b))
        t = b
    return out


@pytest.mark.parametrize("start", [SPRING, AUTUMN], ids=["spring", "autumn"])
@pytest.mark.parametrize(
    "hours", [(time(8), time(18)), (time(1), time(5)), (time(22), time(6)), (time(6), time(0))]
)
def test_opening_intervals_are_local_hours_on_instants(
    start: datetime, hours: tuple[time, time]
) -> None:
    days = 6
    expected = _oracle(start, *hours, days + 1)[:days]
    assert _engine(start, *hours, days) == expected


@pytest.mark.parametrize(
    ("start", "change", "length_h"),
    [(SPRING, date(2022, 3, 27), 23), (AUTUMN, date(2022, 10, 30), 25)],
)
def test_the_change_day_keeps_ten_hours_and_the_next_day_opens_at_eight(
    start: datetime, change: date, length_h: int
) -> None:
    clock = day_table(start, 6 * 86400.0)
    d = (change - start.date()).days
    assert clock[d + 1, 0] - clock[d, 0] == length_h * 3600
    a = _next_open_py(clock[d, 0], 8 * 3600.0, 18 * 3600.0, clock)
    b = _closing_time_py(a, 8 * 3600.0, 18 * 3600.0, clock)
    assert b - a == 10 * 3600
    after_change = _next_open_py(b, 8 * 3600.0, 18 * 3600.0, clock)
    opened = (start.astimezone(UTC) + timedelta(seconds=after_change)).astimezone(KYIV)
    assert (opened.date(), opened.hour, opened.minute) == (change + timedelta(days=1), 8, 0)
    # No driving after dark (07:00-19:00): a vehicle at the stop at 20:00 local drives on at
    # 07:00 local the next morning, however long the night.
    night = _seconds(start, change - timedelta(days=1), time(20))
    on = _drive_on_py(night, 600.0, 7 * 3600.0, 19 * 3600.0, clock)
    assert on == _seconds(start, change, time(7))


def _one_lane(start: datetime, days: int) -> tuple[CorridorSystem, DemandVehicles]:
    exit_cp = Station("exit", "checkpoint", 0.0, 0.0, 1, Spread(mean=45, sd=0), (time(8), time(18)))
    end = datetime.combine(start.date() + timedelta(days=days), time(0), tzinfo=KYIV)
    horizon = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()
    system = CorridorSystem(
        name="clock change",
        start=start,
        window_end_s=3600.0,
        stations=[exit_cp, Station("city", "destination", 1800.0, 30.0)],
        depart_s=np.zeros(1),
        access_s=np.zeros(1),
        people=np.ones(1),
        spec=QUIET,
        horizon_s=horizon,
    )
    vehicles = DemandVehicles(
        seed=3,
        horizon_s=horizon,
        draws=DemandDraws(
            pool_cars=np.full(2, 10_000.0),
            cars_per_day=np.zeros(2),
            occupancy=np.full(2, 3.0),
        ),
        origin_access_s=np.array([300.0]),
        origin_share=np.array([1.0]),
        bus_depart_s=np.zeros(0),
        bus_access_s=np.zeros(0),
        bus_people=np.zeros(0),
    )
    return system, vehicles


@pytest.mark.parametrize(
    ("start", "hours"),
    [
        (datetime(2022, 3, 26, tzinfo=KYIV), [24.0, 23.0, 24.0]),
        (datetime(2022, 10, 29, tzinfo=KYIV), [24.0, 25.0, 24.0]),
    ],
    ids=["spring", "autumn"],
)
def test_one_lane_passes_800_every_local_day_across_the_change(
    start: datetime, hours: list[float]
) -> None:
    """Open 08:00-18:00 local with 45 s inspections and a queue that never empties: 10 h x
    3600 / 45 = 800 vehicles each local date, the change day included."""
    system, vehicles = _one_lane(start, 3)
    raw = run_monte_carlo(system, 2, seed=1, vehicles=vehicles, trace=True)
    assert raw.day_vehicles.shape[2] == 3
    # Each passage read on Kyiv's clock here: per local date 800, from 08:00:45 to 18:00.
    assert raw.trace_s is not None
    passed = raw.trace_s[0, 0][np.isfinite(raw.trace_s[0, 0])]
    local = [
        (start.astimezone(UTC) + timedelta(seconds=float(t))).astimezone(KYIV)
        for t in passed[passed <= (system.horizon_s or 0.0)]
    ]
    for i in range(3):
        day = [x for x in local if x.date() == start.date() + timedelta(days=i)]
        assert len(day) == 800
        assert min(day).time() == time(8, 0, 45) and max(day).time() == time(18, 0)
    assert (raw.day_vehicles[:, 0, :] == 800).all()
    assert (raw.day_vehicles[:, 1, :] == 800).all()
    fc = Forecast(system, raw, 2, 1, mode="demand", zone="Europe/Kyiv")
    rows = [r for r in fc.daily() if r["station"] == "exit"]
    dates = [(start.date() + timedelta(days=i)).isoformat() for i in range(3)]
    assert [r["date"] for r in rows] == dates
    assert [r["hours"] for r in rows] == hours
    # The first vehicle on the change day is inspected from 08:00 local (done 08:00:45).
    change = datetime.combine(start.date() + timedelta(days=1), time(8), tzinfo=KYIV)
    at = (change.astimezone(UTC) - start.astimezone(UTC)).total_seconds() + 45
    assert fc.when(at) == change.isoformat(timespec="minutes")
    assert fc.when(at).startswith(f"{change.date().isoformat()}T08:00")


def test_reported_times_carry_the_local_hour() -> None:
    """Seconds after the start read on the local clock: 10 real hours after 00:00 on 27 March
    is 11:00 (+03:00); 10 real hours after 00:00 on 30 October is 09:00 (+02:00)."""
    for start, expected in [
        (datetime(2022, 3, 27, tzinfo=KYIV), "2022-03-27T11:00+03:00"),
        (datetime(2022, 10, 30, tzinfo=KYIV), "2022-10-30T09:00+02:00"),
    ]:
        system, vehicles = _one_lane(start, 2)
        raw = run_monte_carlo(system, 1, seed=1, vehicles=vehicles)
        fc = Forecast(system, raw, 1, 1, mode="demand", zone="Europe/Kyiv")
        assert fc.when(10 * 3600) == expected
        # The first passage each day reported as 08:00 local, the change day included.
        first = fc.stations()[0]["first"]["p50"]
        assert first == datetime.combine(start.date(), time(8), tzinfo=KYIV).isoformat(
            timespec="minutes"
        )
        assert fc.as_dict()["horizon_end"] == datetime.combine(
            start.date() + timedelta(days=2), time(0), tzinfo=KYIV
        ).isoformat(timespec="minutes")
