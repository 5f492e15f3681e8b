"""The Castlemaine scenario built from the agentsoz/ees Mount Alexander data."""

from __future__ import annotations

from pathlib import Path

from safepassage.model import prepare_scenario
from safepassage.model.ees import scenario_from_ees


def test_from_ees_builds_a_valid_scenario(tmp_path: Path, mount_alexander_dir: Path) -> None:
    out = tmp_path / "castlemaine.yaml"
    data = scenario_from_ees(mount_alexander_dir, out, crs="EPSG:28355")
    people = sum(o["people"] for o in data["origins"])
    cars = sum(o["cars"] for o in data["origins"])
    assert people == 10867
    assert 4000 < cars < people  # one car per household
    assert [d["id"] for d in data["destinations"]] == ["elphinstone"]
    prepared = prepare_scenario(out)
    assert prepared.scenario.people_total == people
    assert prepared.graph.meta["format"] == "matsim"
    assert max(prepared.snap_distance_m.values()) < 500
