"""The expected effect of bus seizures equals a seeded simulation of the same model, written
separately (each passage a coin flip)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from safepassage.decide.bus_risk import bus_risk
from safepassage.model.prepare import PreparedScenario
from safepassage.plan import Plan


def test_expected_losses_match_a_simulation(
    mariupol_plan: Plan, mariupol_prepared: PreparedScenario
) -> None:
    scenario = mariupol_prepared.scenario.model_copy(deep=True)
    assert bus_risk(mariupol_plan, scenario) is None  # no risk given: nothing to say
    for c in scenario.checkpoints[:3]:
        c.bus_loss_risk = 0.02
    result = bus_risk(mariupol_plan, scenario)
    assert result is not None
    p = mariupol_plan.problem
    m = p.graph.n_edges
    risky = {p.graph.n_edges + k for k in range(3)}
    rng = np.random.default_rng(7)
    runs = 4000
    carried = np.zeros(runs)
    trips = defaultdict(list)
    for t in mariupol_plan.bus_trips:
        trips[t.bus].append(t)
    for legs in trips.values():
        legs.sort(key=lambda t: t.depart_step)
        alive = np.ones(runs, dtype=bool)
        for t in legs:
            n = sum(1 for r in p.routes[t.route].resources.tolist() if r in risky and r >= m)
            # In (the depot is Zaporizhzhia, a destination) and out again: 2n passages.
            for _ in range(2 * n):
                alive &= rng.random(runs) >= 0.02
            carried += t.people * alive
    mean, sd = carried.mean(), carried.std() / np.sqrt(runs)
    assert abs(result["bus_people_expected"] - mean) < 4 * sd + 1
    assert result["bus_people_expected"] < result["bus_people_planned"]
    assert 0 < result["buses_expected_lost"] <= result["buses"]
