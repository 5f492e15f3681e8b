"""The decision-support options through the real command: terminal tables and the printable
schedule page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SMALL = Path(__file__).resolve().parent / "data" / "small-corridor.yaml"


def test_plan_prints_schedule_limits_and_levers(tmp_path: Path) -> None:
    page = tmp_path / "schedule.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "safepassage",
            "plan",
            str(SMALL),
            "--schedule",
            "--schedule-html",
            str(page),
            "--sensitivity",
            "--more-buses",
            "3",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=True,
    )
    out = done.stdout
    assert "limit (checkpoint): checkpoint City exit gate" in out
    assert "exit-gate" not in out  # names, never ids, in what people read
    # The schedule names places as the scenario does (no names given: the id made readable).
    assert "route 0 to safe town" in out and "City exit gate (08:00-20:00; +" in out
    assert "bus b1:" in out and "3 more buses" in out
    assert "window needed: 50% out" in out
    assert "bus risk at checkpoints:" in out
    assert "buses for all 450 who need a seat" in out
    assert "Traceback" not in done.stderr
    html = page.read_text()
    assert "north school" in html and "Bus timetables" in html
    assert "north-school" not in html
