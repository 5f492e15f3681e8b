"""The demand mode: capacity decides the flow (a hand-computable case), people are conserved
(arrived + waiting + held + lost = demand), holds and losses happen as often as stated, and the
daily counts agree with every vehicle's own passage times (recomputed here with numpy)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from safepassage.forecast.demand import DemandDraws, DemandVehicles
from safepassage.forecast.engine import run_monte_carlo
from safepassage.forecast.kernel import DAY
from safepassage.forecast.result import Forecast
from safepassage.forecast.system import CorridorSystem, Station
from safepassage.model.scenario import ForecastSpec, HeldOrLost, Spread

KYIV = ZoneInfo("Europe/Kyiv")
QUIET = ForecastSpec(driver_cv=0, road_cv=0, departure_lateness={"mean_min": 0, "sd_min": 0})


def _system(
    stations: list[Station], days: int, start: datetime, spec: ForecastSpec = QUIET
) -> CorridorSystem:
    return CorridorSystem(
        name="demand test",
        start=start,
        window_end_s=3600.0,
        stations=stations,
        depart_s=np.zeros(1),
        access_s=np.zeros(1),
        people=np.ones(1),
        spec=spec,
        horizon_s=days * DAY,
    )


def _vehicles(
    runs: int, pool: float, per_day: float, occupancy: float, horizon: float, buses: int = 0
) -> DemandVehicles:
    return DemandVehicles(
        seed=3,
        horizon_s=horizon,
        draws=DemandDraws(
            pool_cars=np.full(runs, pool),
            cars_per_day=np.full(runs, per_day),
            occupancy=np.full(runs, occupancy),
        ),
        origin_access_s=np.array([300.0, 900.0]),
        origin_share=np.array([0.7, 0.3]),
        bus_depart_s=np.arange(buses) * 600.0,
        bus_access_s=np.full(buses, 600.0),
        bus_people=np.full(buses, 50.0),
    )


@pytest.mark.parametrize("lanes", [1, 2])
def test_capacity_decides_the_flow_hand_computed(lanes: int) -> None:
    """One checkpoint open 08:00-18:00, fixed 45 s inspections, a queue that never empties:
    every day exactly lanes x 10 h x 3600 / 45 = lanes x 800 vehicles through."""
    start = datetime(2022, 3, 14, 0, 0, tzinfo=KYIV)
    exit_cp = Station(
        "exit", "checkpoint", 0.0, 0.0, lanes, Spread(mean=45, sd=0), (time(8), time(18))
    )
    system = _system([exit_cp, Station("city", "destination", 1800.0, 30.0)], 3, start)
    raw = run_monte_carlo(
        system, 4, seed=1, vehicles=_vehicles(4, 10_000, 0.0, 3.0, system.horizon_s or 0)
    )
    assert (raw.day_vehicles[:, 0, :] == lanes * 800).all()
    assert (raw.day_people[:, 0, :] == lanes * 800 * 3.0).all()
    # The destination, 30 minutes on, sees the same flow shifted by half an hour.
    assert (raw.day_vehicles[:, 1, :] == lanes * 800).all()


def _busy_corridor(start: datetime) -> CorridorSystem:
    spec = ForecastSpec(
        suspensions={"per_day": 0.5, "mean_duration_h": 2},
        lane_closures={"per_day": 1.0, "mean_duration_h": 1},
        breakdowns={"per_100km": 0.5, "mean_delay_min": 60},
        drive_hours="07:00-19:00",
        held_or_lost=[
            HeldOrLost(vehicle="bus", held_p=0.2, held_mean_h=5, lost_p=0.1),
            HeldOrLost(vehicle="car", checkpoints=["mid"], held_p=0.05, lost_p=0.02),
        ],
    )
    stations = [
        Station("exit", "checkpoint", 0.0, 0.0, 1, Spread(mean=40, sd=25), (time(8), time(20))),
        Station("town", "waypoint", 3600.0, 60.0, overnight_stop=True),
        Station("mid", "checkpoint", 1200.0, 20.0, 2, Spread(mean=60, sd=30)),
        Station("city", "destination", 2400.0, 40.0),
    ]
    return _system(stations, 4, start, spec)


def test_people_are_conserved_and_daily_counts_match_every_vehicle() -> None:
    start = datetime(2022, 3, 14, 13, 0, tzinfo=KYIV)
    system = _busy_corridor(start)
    horizon = system.horizon_s or 0.0
    runs = 12
    vehicles = _vehicles(runs, 1500, 900.0, 4.0, horizon, buses=30)
    raw = run_monte_carlo(system, runs, seed=5, vehicles=vehicles, trace=True)
    fate = raw.fate
    # Demand: every vehicle drawn (counted by the generator, not by the kernel) and its people.
    for r in range(runs):
        rows = vehicles.rows(r, r + 1)
        n = int(rows.n[0])
        people = rows.people[0, :n]
        kind = rows.kind[0, :n]
        assert fate[r, :, 0].sum() == n
        assert fate[r, :, 1].sum() == pytest.approx(people.sum())
        trace = raw.trace_s[r, :, :n] if raw.trace_s is not None else None
        assert trace is not None
        # Independently from each vehicle's passages: arrived = at the destination by the
        # horizon; lost = never reaching a station after one it reached.
        dest = trace[-1]
        arrived = np.isfinite(dest) & (dest <= horizon)
        assert fate[r, 0, 0] == arrived.sum()
        assert fate[r, 0, 1] == pytest.approx(people[arrived].sum())
        lost = ~np.isfinite(dest)
        assert fate[r, 3, 0] <= lost.sum()  # lost after the horizon count as waiting then
        # Daily counts per station from the passages (local days, up to the horizon).
        offset = 13 * 3600.0
        for k in range(len(system.stations)):
            t = trace[k]
            ok = np.isfinite(t) & (t <= horizon)
            day = np.floor((t[ok] + offset) / DAY).astype(int)
            expected = np.bincount(day, minlength=raw.day_vehicles.shape[2])
            assert np.array_equal(raw.day_vehicles[r, k], expected)
            got = np.bincount(day, weights=people[ok], minlength=raw.day_vehicles.shape[2])
            assert np.allclose(raw.day_people[r, k], got)
        # Buses were stopped at both checkpoints, cars only at "mid": no car lost at the exit.
        at_exit = np.isfinite(trace[0])
        assert at_exit[kind == 0].all()
    # Lost and held vehicles are counted apart, and some were.
    assert raw.lost[:, :, 0].sum() > 0 and raw.held[:, :, 0].sum() > 0
    assert (fate[:, 1, 0] > 0).all()  # the queue outlasts the horizon: people still waiting


def test_daily_json_is_consistent_with_the_fates() -> None:
    """With one replication the P50 is the value itself: the daily rows at the destination
    add up to the arrived, those at the exit to everyone who left by the horizon."""
    start = datetime(2022, 3, 14, 13, 0, tzinfo=KYIV)
    system = _busy_corridor(start)
    vehicles = _vehicles(1, 800, 600.0, 3.5, system.horizon_s or 0.0, buses=12)
    raw = run_monte_carlo(system, 1, seed=8, vehicles=vehicles, trace=True)
    d = Forecast(system, raw, 1, 8, mode="demand", zone="Europe/Kyiv").as_dict()
    dest = [r for r in d["daily"] if r["station"] == "city"]
    assert (
        sum(r["vehicles"]["p50"] for r in dest)
        == d["fate_at_horizon"]["arrived"]["vehicles"]["p50"]
    )
    assert dest[0]["date"] == "2022-03-14" and dest[0]["hours"] == 11.0
    assert [r["hours"] for r in dest[1:]] == [24.0, 24.0, 24.0, 13.0]  # 4 x 24 h from 13:00
    assert sum(r["people"]["p50"] for r in dest) == pytest.approx(
        d["fate_at_horizon"]["arrived"]["people"]["p50"], abs=len(dest)
    )
    f = d["fate_at_horizon"]
    parts = sum(f[x]["vehicles"]["p50"] for x in ("arrived", "waiting", "held", "lost"))
    assert parts == f["demand"]["vehicles"]["p50"]
    assert raw.trace_s is not None
    left = raw.trace_s[0, 0]
    exits = [r for r in d["daily"] if r["station"] == "exit"]
    horizon = raw.horizon_s
    assert sum(r["vehicles"]["p50"] for r in exits) == int((left <= horizon).sum())


def test_holds_and_losses_happen_as_often_as_stated() -> None:
    """One checkpoint: a car is lost with probability 0.1 and held with 0.2 (binomial bounds
    over 40 x 400 cars); held vehicles keep going, later."""
    start = datetime(2022, 3, 14, 0, 0, tzinfo=KYIV)
    spec = QUIET.model_copy(
        update={"held_or_lost": [HeldOrLost(vehicle="car", held_p=0.2, held_mean_h=2, lost_p=0.1)]}
    )
    stations = [
        Station("cp", "checkpoint", 0.0, 0.0, 4, Spread(mean=10, sd=5)),
        Station("city", "destination", 600.0, 10.0),
    ]
    system = _system(stations, 2, start, spec)
    raw = run_monte_carlo(system, 40, seed=2, vehicles=_vehicles(40, 400, 0.0, 2.0, 2 * DAY))
    cars = 40 * 400
    for share, got in ((0.1, raw.lost[:, 0, 0].sum()), (0.2, raw.held[:, 0, 0].sum())):
        sd = (cars * share * (1 - share)) ** 0.5
        assert abs(got - cars * share) < 4 * sd
    assert raw.fate[:, 0, 0].sum() == cars - raw.lost[:, 0, 0].sum()  # held ones arrive
