"""A corridor announcement made from a plan: the route as the plan's stations in order and the
expected minutes per leg (free-flow driving plus the mean inspection at the station reached), so
that live ETAs have the plan to go by until convoys have been observed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from safepassage.errors import Problem, SafePassageError
from safepassage.forecast.system import system_from_plan
from safepassage.model.prepare import PreparedScenario
from safepassage.ops.events import EventIn, canonical, validate_event
from safepassage.plan import make_plan

NAMESPACE = uuid.UUID("5afe9a55-0000-4000-8000-0000a11ce000")


def announcement_from_plan(
    prepared: PreparedScenario,
    corridor: str,
    name: str | None = None,
    agreed_by: str | None = None,
) -> EventIn:
    """The announcement of a scenario's corridor, with its public `name` when given. A
    scenario's window is a planning input: it is published as an assumption unless
    `agreed_by` names who agreed it."""
    s = prepared.scenario
    window = s.window()
    if window is None:
        raise SafePassageError(
            Problem("the scenario has no corridor window to announce", file=str(prepared.path))
        )
    system = system_from_plan(make_plan(prepared), prepared)
    stations = system.stations
    legs = [
        round((b.leg_s + (b.inspection.mean if b.inspection else 0.0)) / 60, 1)
        for b in stations[1:]
    ]
    data = {
        "route": [st.id for st in stations],
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "timezone": window.timezone or s.timezone,
        "modes": list(s.corridor.modes) if s.corridor else ["car", "bus"],
        "legs_min": [max(leg, 0.1) for leg in legs],
        **({"name": name} if name else {}),
        "window_basis": "agreed" if agreed_by else "assumed",
    }
    if agreed_by:
        data["window_agreed_by"] = agreed_by
    ident = uuid.uuid5(NAMESPACE, f"{corridor}|{canonical(data).decode()}")
    return validate_event(
        {
            "id": str(ident),
            "type": "corridor_announced",
            "occurred_at": datetime.now(UTC).isoformat(),
            "corridor": corridor,
            "status": "unverified",
            "source": f"plan of {s.name} (planned leg times; window "
            + (f"agreed by {agreed_by})" if agreed_by else "ASSUMED in the scenario)"),
            "data": data,
        }
    )
