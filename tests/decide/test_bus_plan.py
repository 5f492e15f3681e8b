"""The optimised bus allocation, checked by plain code written apart from it: no bus in two
places, seats, depots and earliest starts respected, every checkpoint's capacity (from the
scenario, per step) shared with the plan's cars and never exceeded; the LP bound is at least
any feasible timetable's count (the planner's own); the CLI shows it everywhere."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from safepassage.decide.bus_plan import allocate, with_buses
from safepassage.decide.schedule import schedule
from safepassage.model import prepare_scenario
from safepassage.model.prepare import PreparedScenario
from safepassage.plan import Plan, make_plan

SMALL = Path(__file__).resolve().parent / "data" / "small-corridor.yaml"
UNLOAD_MIN = 10  # the planner's unloading time (plan/buses.py), minutes


def _variant(tmp: Path, bus_inspection: bool, late_start: bool = True) -> Path:
    """The small corridor with three buses from two depots, one starting late (unless not),
    and (when asked) a 5-minute bus inspection at the exit gate."""
    data = yaml.safe_load(SMALL.read_text())
    data["fleet"]["buses"] = [
        {"id": "b1", "seats": 40, "depot": "safe-town"},
        {"id": "b2", "seats": 50, "depot": "safe-town", "earliest": "2022-03-15T10:30:00"},
        {"id": "b3", "seats": 30, "depot": "north-school"},
    ]
    if bus_inspection:
        data["checkpoints"][0]["bus_inspection_s"] = 300
    if not late_start:
        del data["fleet"]["buses"][1]["earliest"]
    data["checkpoints"][0]["names"] = {"en": "Exit Gate Alpha"}
    path = tmp / f"buses-{bus_inspection}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _open(hours: str, clock: datetime) -> bool:
    if hours == "always":
        return True
    a, b = (int(x[:2]) * 60 + int(x[3:]) for x in hours.split("-"))
    minute = clock.hour * 60 + clock.minute
    return a <= minute < b if a < b else (minute >= a or minute < b)


def _check_feasible(plan: Plan, prepared: PreparedScenario) -> None:
    scenario, p = prepared.scenario, plan.problem
    step = p.step_s
    buses = {b.id: b for b in scenario.fleet.buses}
    start = p.start.replace(tzinfo=None)
    # Seats, and people per point within those who need a seat.
    carried: dict[int, int] = defaultdict(int)
    for t in plan.bus_trips:
        assert 0 < t.people <= buses[t.bus].seats
        carried[t.origin] += t.people
    for i, o in enumerate(p.origins):
        assert carried[i] + plan.waiting_for_bus[i] == o.bus_people
    # One place at a time; earliest starts; unloading before the next trip.
    by_bus: dict[str, list[Any]] = defaultdict(list)
    for t in plan.bus_trips:
        by_bus[t.bus].append(t)
    for bus, trips in by_bus.items():
        trips.sort(key=lambda t: t.depart_step)
        earliest = buses[bus].earliest
        first = 0 if earliest is None else (earliest - start).total_seconds() / step
        assert trips[0].leave_depot_step >= first
        for a, b in itertools.pairwise(trips):
            assert b.leave_depot_step >= a.out_step + UNLOAD_MIN * 60 / step
        for t in trips:
            assert t.leave_depot_step < t.depart_step < t.out_step
    # Checkpoint load per step: cars at their route offsets; a bus keeps one lane busy for
    # its inspection (bus_inspection_s) from when it reaches the checkpoint, and is later by
    # the difference after it; without one, it counts as one vehicle.
    m = p.graph.n_edges
    cps = scenario.checkpoints
    load: dict[tuple[int, int], float] = defaultdict(float)
    for b in plan.bookings:
        route = p.routes[b.route]
        for res, off in zip(route.resources.tolist(), route.offsets.tolist(), strict=True):
            if res >= m:
                load[(res - m, b.step + off)] += b.pcu
    for t in plan.bus_trips:
        route = p.routes[t.route]
        late_s = 0.0
        for res, off in zip(route.resources.tolist(), route.offsets.tolist(), strict=True):
            if res < m:
                continue
            c = cps[res - m]
            at = t.depart_step + off + int(-(-late_s // step))
            if c.bus_inspection_s is None:
                load[(res - m, at)] += min(1.0, 0.99 * c.lanes * step / c.inspection_s.mean)
                continue
            left = c.bus_inspection_s
            k = 0
            while left > 0:
                load[(res - m, at + k)] += min(step, left) / c.inspection_s.mean
                left -= step
                k += 1
            late_s += max(0.0, c.bus_inspection_s - c.inspection_s.mean)
        assert t.out_step >= t.depart_step + route.total_steps + int(late_s // step)
    for (k, s), vehicles in load.items():
        c = cps[k]
        clock = start + timedelta(seconds=s * step)
        cap = c.lanes * step / c.inspection_s.mean if _open(c.open, clock) else 0.0
        assert vehicles <= cap + 1e-6, (c.id, s, vehicles, cap)


def test_optimised_timetables_are_feasible(tmp_path: Path) -> None:
    prepared = prepare_scenario(_variant(tmp_path, True), cut_off="warning")
    plan = make_plan(prepared)
    allocation = allocate(plan, prepared)
    assert allocation is not None
    new = with_buses(plan, allocation, prepared)
    assert {t.bus for t in new.bus_trips} == {"b1", "b2", "b3"}
    _check_feasible(new, prepared)
    r = allocation.report
    assert r["lp_status"] == "optimal"
    assert r["bound_bus_people_out_by_window_end"] >= r["bus_people_out_by_window_end"]
    # The schedule adds up with the new trips and starts each bus at its own depot.
    s = schedule(new, prepared.scenario)
    assert s["people_out_by_window_end"] == round(new.people_out_by_window_end)
    first = {b["bus"]: b["trips"][0]["from"] for b in s["buses"]}
    assert first.get("b3", "north-school") == "north-school"
    assert first.get("b1", "safe-town") == "safe-town"


def test_bound_holds_against_the_planners_timetable(tmp_path: Path) -> None:
    """The planner's greedy trips are a feasible timetable (no bus inspection time): the LP
    bound is at least their count, and the kept timetable does at least as well. (The
    planner starts every bus at the window's start, so no late start here.)"""
    prepared = prepare_scenario(_variant(tmp_path, False, late_start=False), cut_off="warning")
    plan = make_plan(prepared)
    allocation = allocate(plan, prepared)
    assert allocation is not None
    W = plan.problem.window_steps
    greedy = sum(t.people for t in plan.bus_trips if t.out_step <= W)
    r = allocation.report
    assert r["bound_bus_people_out_by_window_end"] >= greedy
    assert r["bus_people_out_by_window_end"] >= greedy
    _check_feasible(with_buses(plan, allocation, prepared), prepared)
    # More buses cannot lower the bound (a plain monotonicity check of the LP).
    more = prepared.scenario.model_copy(deep=True)
    more.fleet.buses = [*more.fleet.buses, more.fleet.buses[0].model_copy(update={"id": "b9"})]
    bigger = allocate(plan, replace(prepared, scenario=more))
    assert bigger is not None
    assert (
        bigger.report["bound_bus_people_out_by_window_end"]
        >= (r["bound_bus_people_out_by_window_end"])
    )


def test_cli_shows_the_bus_plan_with_names(tmp_path: Path) -> None:
    path = _variant(tmp_path, True)
    html = tmp_path / "plan.html"
    sched = tmp_path / "schedule.html"
    run = [sys.executable, "-m", "safepassage", "plan", str(path), "--buses", "optimised"]
    env = os.environ.copy()
    done = subprocess.run([*run, "--json"], capture_output=True, text=True, env=env, check=True)
    data = json.loads(done.stdout)
    bp = data["bus_plan"]
    assert data["schedule"]["bus_plan"] == bp
    assert "LP relaxation" in bp["optimal"] and bp["heuristic"]
    on_buses = sum(b["people"] for b in data["buses"])
    assert on_buses == bp["bus_people_served"]
    waiting = sum(p["waiting_for_bus"] for p in data["schedule"]["assembly_points"])
    origins = yaml.safe_load(path.read_text())["origins"]
    # Seats: those who need a bus plus those the cars cannot take (3 people a car).
    seats = sum(o["people"] - min(o["people"] - o["need_bus"], 3 * o["cars"]) for o in origins)
    assert on_buses + waiting == seats
    text = subprocess.run(
        [*run, "--schedule", "--html", str(html), "--schedule-html", str(sched)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert "buses (optimised)" in text and "Exit Gate Alpha" in text
    for page in (html.read_text(), sched.read_text()):
        section = page.split('<section class="schedule">', 1)[1].split("</section>", 1)[0]
        assert "Bus timetables" in section and "Exit Gate Alpha" in section
        assert "exit-gate" not in section  # names, not ids
    bad = subprocess.run([*run[:-1], "fastest"], capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "--buses must be one of" in bad.stderr + bad.stdout


def test_schedule_pdf_holds_the_timetables(tmp_path: Path) -> None:
    try:
        import weasyprint  # noqa: F401  (loads Pango: fails where it is missing)
    except OSError as exc:
        pytest.skip(f"WeasyPrint cannot load Pango here ({exc}); `python3 dev.py test` installs it")
    import pypdf

    path = _variant(tmp_path, True)
    pdf = tmp_path / "schedule.pdf"
    run = [sys.executable, "-m", "safepassage", "plan", str(path), "--buses", "optimised"]
    data = json.loads(
        subprocess.run(
            [*run, "--json", "--schedule-pdf", str(pdf)],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            check=True,
        ).stdout
    )
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages)
    text = " ".join(text.split())
    assert "Bus timetables" in text and "Exit Gate Alpha" in text
    first_bus = data["schedule"]["buses"][0]
    assert f"{first_bus['bus']}: {first_bus['people']} people" in text
