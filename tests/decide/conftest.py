"""The bundled Mariupol plan, computed once for the decision-support tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepassage.model import prepare_scenario
from safepassage.model.prepare import PreparedScenario
from safepassage.plan import Plan, make_plan

MARIUPOL = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022.yaml"


@pytest.fixture(scope="session")
def mariupol_prepared() -> PreparedScenario:
    return prepare_scenario(MARIUPOL, cut_off="warning")


@pytest.fixture(scope="session")
def mariupol_plan(mariupol_prepared: PreparedScenario) -> Plan:
    return make_plan(mariupol_prepared)
