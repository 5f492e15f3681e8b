"""Bottlenecks in words: the limiting checkpoint of Mariupol, its share of the window full
and its queue, cross-checked with plain counts of the plan's vehicles."""

from __future__ import annotations

from pathlib import Path

from safepassage.decide.bottlenecks import describe
from safepassage.plan import Plan


def test_mariupol_exit_is_the_limit_with_its_queue(mariupol_plan: Plan) -> None:
    plan = mariupol_plan
    p = plan.problem
    necks = plan.bottlenecks()
    first = necks[0]
    assert first["resource"] == "checkpoint cp01-mariupol-exit"
    assert first["kind"] == "checkpoint"
    # Open 08:00-18:00 and the window 09:00-18:00: 540 open minutes, full for most of them.
    assert 0 < first["full_minutes"] <= 540
    assert first["share_of_window_full"] == round(first["full_minutes"] / 540, 3)
    # Every vehicle passes the exit: those not through it by the window's end queue behind it
    # (independent count: all cars and bus trips, less what the hourly loads show inside it).
    vehicles = sum(o.car_pcu for o in p.origins) + len(plan.bus_trips)
    exit_loads = next(c for c in plan.checkpoint_loads() if c["id"] == "cp01-mariupol-exit")
    end = p.step_time(p.window_steps)
    inside = sum(
        h["vehicles"] for h in exit_loads["load_by_hour"] if h["hour_start"] < end.isoformat()
    )
    assert abs(first["queue_vehicles_at_window_end"] - (vehicles - inside)) <= 1.0
    last = max(b.step + int(p.routes[b.route].offsets[0]) for b in plan.bookings)
    assert first["queue_hours_after_window_end"] >= 24  # checkpoint closes at night: days
    assert last > p.window_steps
    assert "cp01-mariupol-exit" in describe(first) and "vehicles still to pass" in describe(first)


def test_roads_are_named_by_places(mariupol_plan: Plan) -> None:
    from safepassage.decide.names import Namer

    p = mariupol_plan.problem
    namer = Namer(p)
    for edge in range(p.graph.n_edges):
        text = namer.resource(edge)
        assert text.startswith("road from ") and "(way" not in text


def test_limits_and_levers_are_named_as_people_know_them() -> None:
    """`plan --json --sensitivity` gives each bottleneck, lever and the lanes question the
    scenario's display names beside the ids (read from the YAML here, not by the code)."""
    import json
    import subprocess
    import sys

    import yaml

    small = Path(__file__).resolve().parent / "data" / "small-corridor.yaml"
    raw = yaml.safe_load(small.read_text())
    english = {
        c["id"]: c["names"]["en"] for c in raw["checkpoints"] if "names" in c and "en" in c["names"]
    }
    out = subprocess.run(
        [sys.executable, "-m", "safepassage", "plan", str(small), "--json", "--sensitivity"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    data = json.loads(out)
    texts = [b["name"] for b in data["bottlenecks"]] + [
        r["lever_name"] for r in data["sensitivity"]
    ]
    assert texts and all(ident not in t for t in texts for ident in english)
    necks = [b for b in data["bottlenecks"] if "exit-gate" in b["resource"]]
    assert necks and all(english["exit-gate"] in b["name"] for b in necks)
    lanes = data["lanes_needed"]
    if lanes["checkpoint"] in english:
        assert lanes["checkpoint_name"] == english[lanes["checkpoint"]]
