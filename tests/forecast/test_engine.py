"""The Monte Carlo engine: against a SimPy model of the same system, against M/M/c, and its
promises (same seed, same result; chunking does not matter; rules do what they say)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import stats

from safepassage.forecast.engine import run_monte_carlo, service_table
from safepassage.forecast.reference import simulate
from safepassage.forecast.system import CorridorSystem, Station
from safepassage.model.scenario import ForecastSpec, Spread

START = datetime(2022, 3, 15, 9, 0, tzinfo=UTC)


def corridor(
    n: int = 60,
    spacing_s: float = 40.0,
    spec: ForecastSpec | None = None,
    hours: tuple | None = None,
    overnight: bool = False,
) -> CorridorSystem:
    from datetime import time

    stations = [
        Station("exit", "checkpoint", 0.0, 0.0, 1, Spread(mean=45, sd=30), hours),
        Station("town", "waypoint", 1800.0, 30.0, overnight_stop=overnight),
        Station(
            "bridge", "checkpoint", 600.0, 10.0, 2, Spread(mean=80, sd=40, distribution="gamma")
        ),
        Station("city", "destination", 2400.0, 40.0),
    ]
    del time
    return CorridorSystem(
        name="test corridor",
        start=START,
        window_end_s=4 * 3600.0,
        stations=stations,
        depart_s=np.arange(n) * spacing_s,
        access_s=np.full(n, 300.0),
        people=np.full(n, 3.0),
        spec=spec or ForecastSpec(),
    )


def test_inspection_tables_have_the_stated_mean_and_spread() -> None:
    for dist in ("lognormal", "gamma"):
        table = service_table(Spread(mean=45, sd=30, distribution=dist))
        u = np.random.default_rng(0).uniform(0, 1, 400_000) * (table.shape[0] - 1)
        i = u.astype(int)
        draws = table[i] + (u - i) * (table[i + 1] - table[i])
        assert draws.mean() == pytest.approx(45, rel=0.01)
        assert draws.std() == pytest.approx(30, rel=0.03)


@pytest.mark.parametrize(
    "spec",
    [
        ForecastSpec(),
        ForecastSpec(
            suspensions={"per_day": 3.0, "mean_duration_h": 0.5},
            breakdowns={"per_100km": 2.0, "mean_delay_min": 30},
            driver_cv=0.15,
        ),
        ForecastSpec(
            lane_closures={"per_day": 8.0, "mean_duration_h": 1.0},
            suspensions={"per_day": 2.0, "mean_duration_h": 0.5},
        ),
    ],
    ids=["plain", "suspensions-breakdowns", "lane-closures"],
)
def test_distributions_equal_a_simpy_model_of_the_same_system(spec: ForecastSpec) -> None:
    """Two-sample Kolmogorov-Smirnov on 300 replications each (fixed seeds) for the first,
    median and last vehicle at every station: no p-value below 0.001 (16 comparisons: a 1.6%
    family-wise level), and means within 4 standard errors of their difference."""
    system = corridor(spec=spec)
    runs = 300
    fast = run_monte_carlo(system, runs, seed=11)
    ref = simulate(system, runs, seed=12)
    for name, ours in (("first", fast.first_s), ("median", fast.median_s), ("last", fast.last_s)):
        for k in range(len(system.stations)):
            result = stats.ks_2samp(ours[:, k], ref[name][:, k])
            assert result.pvalue > 0.001, (name, system.stations[k].id, result)
            se = math.hypot(ours[:, k].std(), ref[name][:, k].std()) / math.sqrt(runs)
            assert abs(ours[:, k].mean() - ref[name][:, k].mean()) < 4 * se


def test_opening_hours_and_overnight_stops_agree_with_simpy() -> None:
    from datetime import time

    spec = ForecastSpec(drive_hours="07:00-18:00")
    system = corridor(
        n=150, spacing_s=240, spec=spec, hours=(time(9, 0), time(17, 0)), overnight=True
    )
    fast = run_monte_carlo(system, 120, seed=3)
    ref = simulate(system, 120, seed=4)
    last = fast.last_s[:, -1]
    assert stats.ks_2samp(last, ref["last"][:, -1]).pvalue > 0.01
    # Nobody passes the exit outside 09:00-17:00 (UTC here) and nobody leaves the town at night.
    local = ((fast.last_s[:, 0] + 9 * 3600) % 86400) / 3600  # the window starts at 09:00
    assert ((local >= 9) & (local <= 17.5)).all()
    assert (fast.last_s[:, -1] > 86400).mean() > 0.5  # the last vehicles stay the night


def test_mm2_mean_number_in_system_matches_erlang_c() -> None:
    """Poisson arrivals, exponential inspection (gamma with sd = mean), 2 lanes, rho = 0.8:
    the time-average number of vehicles at the checkpoint equals L from Erlang C within 5%."""
    lam, mu, c = 1.6 / 60, 1 / 60, 2
    rng = np.random.default_rng(5)
    n = 20_000
    arrivals = np.cumsum(rng.exponential(1 / lam, n))
    system = CorridorSystem(
        name="M/M/2",
        start=START,
        window_end_s=float(arrivals[-1]),
        stations=[
            Station("cp", "checkpoint", 0.0, 0.0, c, Spread(mean=60, sd=60, distribution="gamma")),
            Station("out", "destination", 60.0, 1.0),
        ],
        depart_s=arrivals,
        access_s=np.zeros(n),
        people=np.ones(n),
        spec=ForecastSpec(driver_cv=0, road_cv=0, departure_lateness={"mean_min": 0}),
    )
    raw = run_monte_carlo(system, 40, seed=9)
    t = raw.sample_t_s
    steady = (t > 0.1 * arrivals[-1]) & (t < 0.9 * arrivals[-1])
    simulated_l = raw.queue[:, 0, steady].mean()
    rho = lam / (c * mu)
    a = lam / mu
    p0 = 1 / (
        sum(a**k / math.factorial(k) for k in range(c)) + a**c / (math.factorial(c) * (1 - rho))
    )
    erlang_c = a**c / (math.factorial(c) * (1 - rho)) * p0
    expected_l = erlang_c * rho / (1 - rho) + a
    assert simulated_l == pytest.approx(expected_l, rel=0.05)


def test_same_seed_same_forecast_whatever_the_chunking() -> None:
    system = corridor(
        spec=ForecastSpec(suspensions={"per_day": 2.0}, lane_closures={"per_day": 4.0})
    )
    a = run_monte_carlo(system, 64, seed=21, chunks=1)
    b = run_monte_carlo(system, 64, seed=21, chunks=7)
    c = run_monte_carlo(system, 64, seed=22, chunks=1)
    assert np.array_equal(a.last_s, b.last_s) and np.array_equal(a.queue, b.queue)
    assert not np.array_equal(a.last_s, c.last_s)


def test_fifo_and_capacity_hold_in_every_replication() -> None:
    """Passage order is physical: nobody is through a station before reaching the one before
    it, and a one-lane checkpoint never passes vehicles faster than back to back."""
    system = corridor(n=200, spacing_s=10)
    raw = run_monte_carlo(system, 50, seed=2)
    assert (np.diff(raw.first_s, axis=1) > 0).all()
    assert (np.diff(raw.last_s, axis=1) > 0).all()
    # 200 vehicles through one lane of 45 s mean: the last one needs about 200 x 45 s.
    spread = raw.last_s[:, 0] - raw.first_s[:, 0]
    assert spread.mean() == pytest.approx(199 * 45, rel=0.1)


def test_lane_closures_and_suspensions_only_delay() -> None:
    base = run_monte_carlo(corridor(), 200, seed=4)
    worse = run_monte_carlo(
        corridor(
            spec=ForecastSpec(
                suspensions={"per_day": 4, "mean_duration_h": 1},
                lane_closures={"per_day": 6, "mean_duration_h": 1},
            )
        ),
        200,
        seed=4,
    )
    assert worse.last_s[:, -1].mean() > base.last_s[:, -1].mean() + 600
    assert worse.out_people.mean() <= base.out_people.mean()
