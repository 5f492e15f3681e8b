"""The vectorised FIFO queue against a SimPy model of the same system, and against M/M/c."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from safepassage.forecast.queues import draw_service, fifo_lanes


def simpy_departures(arrivals: np.ndarray, service: np.ndarray, lanes: int) -> np.ndarray:
    """One replication through a SimPy Resource with `lanes` servers (FIFO)."""
    env = simpy.Environment()
    checkpoint = simpy.Resource(env, capacity=lanes)
    out = np.zeros(arrivals.shape[0])

    def vehicle(i: int):  # type: ignore[no-untyped-def]
        with checkpoint.request() as turn:
            yield turn
            yield env.timeout(service[i])
            out[i] = env.now

    def source():  # type: ignore[no-untyped-def]
        for i in range(arrivals.shape[0]):
            yield env.timeout(arrivals[i] - env.now)
            env.process(vehicle(i))

    env.process(source())
    env.run()
    return out


@pytest.mark.parametrize("lanes", [1, 2, 3])
def test_matches_simpy_exactly_on_the_same_draws(lanes: int) -> None:
    rng = np.random.default_rng(7)
    arrivals = np.sort(rng.uniform(0, 3600, size=(5, 200)), axis=1)
    service = draw_service(rng, 60.0, 30.0, (5, 200))
    ours = fifo_lanes(arrivals, service, lanes)
    for r in range(5):
        theirs = simpy_departures(arrivals[r], service[r], lanes)
        np.testing.assert_allclose(ours[r], theirs, rtol=0, atol=1e-6)


def test_draw_service_moments() -> None:
    rng = np.random.default_rng(1)
    for distribution in ("lognormal", "gamma"):
        x = draw_service(rng, 90.0, 40.0, (400, 500), distribution)
        assert x.mean() == pytest.approx(90.0, rel=0.01)
        assert x.std() == pytest.approx(40.0, rel=0.03)
        assert (x > 0).all()


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c in steady state (Erlang C)."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


@pytest.mark.parametrize("lanes", [1, 2])
def test_mm_c_steady_state_wait(lanes: int) -> None:
    # Poisson arrivals at 80% load, exponential inspections of 60 s; warm-up discarded.
    rng = np.random.default_rng(2022)
    mu = 1 / 60.0
    lam = 0.8 * lanes * mu
    reps, n, warm = 200, 3000, 1000
    arrivals = np.cumsum(rng.exponential(1 / lam, size=(reps, n)), axis=1)
    service = rng.exponential(1 / mu, size=(reps, n))
    wait = fifo_lanes(arrivals, service, lanes) - service - arrivals
    expected = erlang_c_wait(lam, mu, lanes)
    assert wait[:, warm:].mean() == pytest.approx(expected, rel=0.05)
