"""A corridor's alternative routes name places that exist, or the check says which one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SMALL = Path(__file__).resolve().parent / "data" / "small-corridor.yaml"


def test_unknown_place_in_an_alternative_is_named(tmp_path: Path) -> None:
    text = SMALL.read_text().replace(
        "  via: [exit-gate]\n", "  via: [exit-gate]\n  alternatives: [[exit-gate, old-mil]]\n"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "safepassage", "scenario", "check", str(bad)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert done.returncode != 0
    said = " ".join((done.stdout + done.stderr).split())
    assert "corridor.alternatives" in said and "'old-mil' is not a checkpoint or waypoint" in said
    assert "did you mean 'old-mill'?" in said and "Traceback" not in said
