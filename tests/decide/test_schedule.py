"""The schedule people carry out adds up to the plan, and its times follow the routes."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from datetime import datetime
from html.parser import HTMLParser

from safepassage.decide.render import schedule_page_html, schedule_section_html
from safepassage.decide.schedule import schedule
from safepassage.plan import Plan


def test_schedule_sums_to_the_plans_totals(mariupol_plan: Plan) -> None:
    plan = mariupol_plan
    s = schedule(plan)
    data = plan.as_dict()
    assert s["people_total"] == data["people_total"] == 24_000
    out = 0
    for point, origin in zip(s["assembly_points"], data["origins"], strict=True):
        parts = (
            point["people_in_slots"]
            + point["people_on_buses"]
            + point["not_booked"]
            + point["waiting_for_bus"]
        )
        assert parts == origin["people"]
        assert point["not_booked"] == 0  # Mariupol: every car is booked (after the window)
        assert sum(r["cars"] for r in point["slots"]) == origin["cars"]
        out += sum(r["people"] for r in point["slots"] if r["out_by_window_end"])
        out += sum(b["people"] for b in point["buses"] if b["out_by_window_end"])
    assert out == data["people_out_by_window_end"]
    # Bus people: the plan's trips, counted by independent code.
    by_origin: dict[int, int] = defaultdict(int)
    for t in plan.bus_trips:
        by_origin[t.origin] += t.people
    for i, point in enumerate(s["assembly_points"]):
        assert point["people_on_buses"] == by_origin[i]
    assert sum(b["people"] for b in s["buses"]) == sum(by_origin.values())


def test_slot_times_follow_the_route(mariupol_plan: Plan) -> None:
    plan = mariupol_plan
    p = plan.problem
    s = schedule(plan)
    m = p.graph.n_edges
    point = s["assembly_points"][0]
    routes = {r["id"]: r for r in point["routes"]}
    for slot in point["slots"][:5]:
        route = p.routes[slot["route"]]
        start = datetime.fromisoformat(slot["start"])
        # Arrival: departure plus the route's whole steps (independent: from the route's own
        # free-flow time, rounded up to steps, out one step after).
        minutes = (datetime.fromisoformat(slot["arrive_from"]) - start).total_seconds() / 60
        assert minutes == route.total_steps - 1
        first = next(int(o) for r, o in zip(route.resources, route.offsets, strict=True) if r >= m)
        reached = datetime.fromisoformat(slot["first_checkpoint"]["from"])
        assert (reached - start).total_seconds() == first * p.step_s
        assert routes[slot["route"]]["places"][0] == point["id"]
        assert routes[slot["route"]]["places"][-1] == slot["destination"]
        assert routes[slot["route"]]["checkpoints"][0]["open"] == "08:00-18:00"


def test_each_bus_is_in_one_place_at_a_time(mariupol_plan: Plan) -> None:
    for bus in schedule(mariupol_plan)["buses"]:
        trips = bus["trips"]
        for a, b in itertools.pairwise(trips):
            assert datetime.fromisoformat(b["leave"]) > datetime.fromisoformat(a["arrive"])
            assert b["from"] == a["destination"]
        for t in trips:
            assert datetime.fromisoformat(t["leave"]) <= datetime.fromisoformat(t["depart"])


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)


def test_schedule_html_prints_in_black_and_white(mariupol_plan: Plan) -> None:
    s = schedule(mariupol_plan)
    page = schedule_page_html(s, "Mariupol: schedule")
    parser = _Text()
    parser.feed(page)
    text = " ".join(parser.text)
    for point in s["assembly_points"]:
        assert point["id"] in text
    assert f"{s['people_out_by_window_end']:,} of" in text
    colours = set(re.findall(r"#[0-9a-fA-F]{3,6}\b", parser.style))
    assert colours <= {"#000", "#fff"}
    assert "<html" not in schedule_section_html(s)
