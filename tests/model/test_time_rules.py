"""Time on instants: windows, opening hours and slots across clock changes; a window written
at another zone's offset and a scenario without a zone are flagged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from safepassage.model import prepare_scenario
from safepassage.plan import make_plan

SCENARIO = """\
name: dst
ZONE
network:
  links:
    - {from: a, to: cp, length_km: 10, capacity_vph: 600}
    - {from: cp, to: b, length_km: 10, capacity_vph: 600}
origins:
  - {id: a, at: [47.0, 37.0], people: 400, cars: 200}
destinations:
  - {id: b, at: [47.5, 36.0]}
checkpoints:
  - {id: cp, at: [47.2, 36.5], controlled_by: UA, lanes: 1, inspection_s: {mean: 60}, open: "06:00-07:00"}
occupancy: {car: 2}
corridor:
  window: {start: START, end: 2022-03-27T08:00}
"""


def scenario(
    tmp_path: Path, *, zone: str = "timezone: Europe/Kyiv", start: str = "2022-03-26T20:00"
) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("ZONE", zone).replace("START", start))
    return path


def test_window_across_the_clock_change_is_eleven_hours(tmp_path: Path) -> None:
    prepared = prepare_scenario(scenario(tmp_path))
    window = prepared.scenario.window()
    assert window is not None and window.duration_s == 11 * 3600  # clocks went forward at 03:00
    plan = make_plan(prepared)
    p = plan.problem
    assert p.window_steps == 11 * 60
    data = plan.as_dict()
    assert data["window"]["end"] == "2022-03-27T08:00:00+03:00"
    # The checkpoint opens at 06:00 local summer time = 03:00 UTC: 9 h after 18:00 UTC.
    cp = np.array([p.graph.n_edges], dtype=np.int64)
    open_steps = np.flatnonzero(p.capacity_block(cp, 0, p.window_steps)[0] > 0)
    assert open_steps[0] == 9 * 60 and open_steps.size == 60
    assert p.step_time(open_steps[0]).astimezone(UTC) == datetime(2022, 3, 27, 3, 0, tzinfo=UTC)
    # Every departure slot starts on the instant its step starts.
    for slot in data["origins"][0]["slots"]:
        start = datetime.fromisoformat(slot["start"])
        end = datetime.fromisoformat(slot["end"])
        assert (end - start).total_seconds() == 600 or start.utcoffset() != end.utcoffset()
        assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == 600


def test_moscow_time_window_in_a_kyiv_scenario_is_flagged(tmp_path: Path) -> None:
    prepared = prepare_scenario(
        scenario(tmp_path, start="2022-03-26T20:00:00+03:00")  # Kyiv is at +02:00 then
    )
    texts = [str(w) for w in prepared.warnings]
    assert any("+03:00" in t and "+02:00" in t and "corridor.window.start" in t for t in texts)
    assert not any("corridor.window.end" in t for t in texts)


def test_scenario_without_a_time_zone_is_flagged(tmp_path: Path) -> None:
    path = scenario(tmp_path, zone="")
    prepared = prepare_scenario(path)
    assert any("no `timezone`" in str(w) for w in prepared.warnings)
    out = subprocess.run(
        [sys.executable, "-m", "safepassage", "scenario", "check", str(path), "--json"],
        capture_output=True,
        text=True,
        env=os.environ,
        check=True,
    )
    data = json.loads(out.stdout)
    assert any("no `timezone`" in w for w in data["warnings"])
    # Read as UTC: the window is then 12 h (no clock change in UTC).
    assert data["window"]["hours"] == 12
    kyiv = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "safepassage",
                "scenario",
                "check",
                str(scenario(tmp_path)),
                "--json",
            ],
            capture_output=True,
            text=True,
            env=os.environ,
            check=True,
        ).stdout
    )
    assert kyiv["window"]["hours"] == 11 and kyiv["warnings"] == []
