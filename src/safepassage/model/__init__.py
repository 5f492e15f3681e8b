"""The scenario vocabulary, its loading and checking."""

from safepassage.model.load import load_scenario
from safepassage.model.prepare import PreparedScenario, prepare_scenario
from safepassage.model.scenario import (
    Checkpoint,
    Corridor,
    Destination,
    Fleet,
    Hazard,
    Origin,
    Scenario,
    Waypoint,
    Window,
)

__all__ = [
    "Checkpoint",
    "Corridor",
    "Destination",
    "Fleet",
    "Hazard",
    "Origin",
    "PreparedScenario",
    "Scenario",
    "Waypoint",
    "Window",
    "load_scenario",
    "prepare_scenario",
]
