"""The kernel's building blocks: the sort that carries vehicle indices in the times, the
geometric gaps between breakdowns, and lane closures against their long-run capacity."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from safepassage.forecast import kernel
from safepassage.forecast.engine import run_monte_carlo
from safepassage.forecast.system import CorridorSystem, Station
from safepassage.model.scenario import ForecastSpec, Spread

times_strategy = st.lists(
    st.one_of(
        st.floats(min_value=-1e6, max_value=2e6, allow_nan=False, allow_infinity=False),
        st.sampled_from([0.0, -0.0, 1.0, 3600.0]),  # ties and zeros
    ),
    max_size=300,
)


def _nearly_sorted(n: int, moves: int, seed: int) -> np.ndarray:
    """Ascending times with elements moved back by up to `moves` places (as overtaking does)."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.exponential(40.0, n))
    order = np.arange(n) - rng.integers(0, moves + 1, n) - rng.random(n)
    return t[np.argsort(order, kind="stable")]


@settings(max_examples=200, deadline=None)
@given(times_strategy)
def test_branch_free_sort_sorts_anything(values: list[float]) -> None:
    keys = np.array(values, dtype=np.float64)
    kernel._sort_packed(keys)
    assert np.array_equal(keys, np.sort(np.array(values, dtype=np.float64)))


@settings(max_examples=200, deadline=None)
@given(times_strategy)
def test_sort_with_ids_keeps_each_time_with_its_vehicle(values: list[float]) -> None:
    """Ascending result; ids a permutation that maps each place to its own time, moved by at
    most 2**id_bits units in the last place (the packed id)."""
    original = np.array(values, dtype=np.float64)
    n = original.shape[0]
    times = original.copy()
    ids = np.arange(n, dtype=np.int64)
    kernel._sort_with_ids(times, ids)
    assert np.all(np.diff(times) >= 0)
    assert sorted(ids.tolist()) == list(range(n))
    moved = np.spacing(np.abs(original[ids])) * 2 ** kernel.id_bits(n)
    assert np.all(np.abs(times - original[ids]) <= moved)
    # Sorting values each moved by at most d gives the true sorted values within d.
    assert np.all(np.abs(times - np.sort(original)) <= moved.max(initial=0))


@pytest.mark.parametrize("moves", [0, 1, 3, 4, 5, 40])
def test_sort_with_ids_on_overtaking_patterns(moves: int) -> None:
    """Moves of up to three places stay in the branch-free window; four and more take the
    plain insertion: both must give the exact order."""
    original = _nearly_sorted(5000, moves, seed=moves)
    times = original.copy()
    ids = np.arange(original.shape[0], dtype=np.int64)
    kernel._sort_with_ids(times, ids)
    assert np.array_equal(ids, np.argsort(original, kind="stable"))
    moved = np.spacing(original[ids]) * 2 ** kernel.id_bits(original.shape[0])
    assert np.all(np.abs(times - original[ids]) <= moved)


@njit(cache=False)
def _mean_gap(p: float, draws: int, seed: int) -> float:
    state = np.uint64(seed)
    total = 0.0
    log_q = math.log1p(-p)
    for _ in range(draws):
        g, state = kernel._gap(state, log_q)
        total += g
    return total / draws


@pytest.mark.parametrize("p", [0.001, 0.05, 0.5])
def test_breakdown_gaps_are_geometric(p: float) -> None:
    """Vehicles passed over between breakdowns: mean (1 - p) / p, as one draw per vehicle
    would give."""
    draws = 400_000
    mean = _mean_gap(p, draws, 12345)
    expected = (1 - p) / p
    sd = math.sqrt(1 - p) / p / math.sqrt(draws)
    assert abs(mean - expected) < 5 * sd


def _saturated_checkpoint(lanes: int, **uncertainty: dict[str, float]) -> CorridorSystem:
    n = 1500 * lanes
    spec = ForecastSpec(
        driver_cv=0,
        road_cv=0,
        departure_lateness={"mean_min": 0},
        **uncertainty,
    )
    return CorridorSystem(
        name="saturated",
        start=datetime(2022, 3, 15, 0, 0, tzinfo=UTC),
        window_end_s=100 * 3600.0,
        stations=[
            Station("cp", "checkpoint", 0.0, 0.0, lanes, Spread(mean=60, sd=0)),
            Station("out", "destination", 60.0, 1.0),
        ],
        depart_s=np.zeros(n),
        access_s=np.zeros(n),
        people=np.ones(n),
        spec=spec,
    )


@pytest.mark.parametrize("lanes", [1, 2])
@pytest.mark.parametrize(
    ("field", "every_h", "length_h"),
    [("lane_closures", 2.0, 1.0), ("suspensions", 3.0, 1.5)],
)
def test_blocked_time_takes_its_share_of_capacity(
    lanes: int, field: str, every_h: float, length_h: float
) -> None:
    """A checkpoint with a queue always waiting, 1,500 vehicles a lane at 60 s (25 h of work a
    lane), blocked a third of the time: lane closures (each lane on its own, every 2 h for 1 h
    on average; inspections already started finish) or suspensions (all lanes, every 3 h for
    1.5 h; inspections freeze). Starting unblocked, an on-off process with rates a and b is
    blocked f T - f / (a + b) of [0, T] on average, so the work ends near
    (25 - f / (a + b)) / (1 - f) h. Without the blocking it ends at 25 h exactly."""
    plain = run_monte_carlo(_saturated_checkpoint(lanes), 10, seed=1)
    assert plain.last_s[:, 0].mean() == pytest.approx(1500 * 60, rel=1e-9)
    blocked = _saturated_checkpoint(
        lanes, **{field: {"per_day": 24 / every_h, "mean_duration_h": length_h}}
    )
    raw = run_monte_carlo(blocked, 400, seed=2)
    f = length_h / (every_h + length_h)
    expected_h = (25 - f / (1 / every_h + 1 / length_h)) / (1 - f)
    assert raw.last_s[:, 0].mean() / 3600 == pytest.approx(expected_h, rel=0.03)
