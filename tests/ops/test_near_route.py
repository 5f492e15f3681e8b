"""An incident contradicts an open status only on or near the route: by name (its place is a
waypoint, its segment joins two) or, where its position or its place's is known, by distance
to the line through the route's places (within `near_route_km`). Distances are checked
against great-circle distances to densely sampled points of each leg (an independent
computation)."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from safepassage.api.app import create_app
from safepassage.model.load import load_scenario
from safepassage.ops.state import Projection, StateSettings
from safepassage.ops.status import distance_to_line_km
from safepassage.ops.store import EventStore
from tests.model.test_scenario import MARIUPOL
from tests.ops.test_state_figures import T0, announced, ev

KM_PER_DEGREE_LAT = 6371.0088 * math.pi / 180
# The test route's places (test_state_figures.ROUTE): on the meridian 37 E, 0.5 degrees apart.
PLACES = (
    ("cp01", 47.0, 37.0),
    ("manhush", 47.5, 37.0),
    ("berdyansk", 48.0, 37.0),
    ("zaporizhzhia", 48.5, 37.0),
    ("village", 47.25, 37.01),  # 0.76 km east of the road
    ("town", 47.25, 37.3),  # 22.6 km east of it
)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def sampled_km(point: tuple[float, float], line: list[tuple[float, float]]) -> float:
    """The least great-circle distance to 2,001 points along each leg."""
    best = math.inf
    for a, b in pairwise(line):
        for i in range(2001):
            t = i / 2000
            best = min(
                best, haversine_km(point, (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])))
            )
    return best


coordinate = st.tuples(st.floats(45.0, 49.0), st.floats(34.0, 39.0))


@settings(max_examples=60, deadline=None)
@given(point=coordinate, line=st.lists(coordinate, min_size=2, max_size=4))
def test_distance_to_the_route_is_the_great_circle_distance(
    point: tuple[float, float], line: list[tuple[float, float]]
) -> None:
    got = distance_to_line_km(point, line)
    want = sampled_km(point, line)
    assert got is not None
    # Sampling overshoots by at most half a sample step; the plane is within 1 % up to
    # 100 km (what decides "near" is a few km); farther, far stays far.
    step = max(haversine_km(a, b) for a, b in pairwise(line)) / 2000
    if want <= 100:
        assert abs(got - want) <= 0.01 * want + step + 0.01
    else:
        assert got > 0.9 * want


def state(events: list[Any], **kw: Any) -> dict[str, Any]:
    p = Projection(StateSettings(places=PLACES, **kw))
    for e in events:
        p.apply(e)
    return p.corridor_state("c", T0 + timedelta(hours=2))


def contradicted(s: dict[str, Any]) -> set[str]:
    return {a["incident"] for a in s["alerts"] if a["kind"] == "status_contradicted"}


def shelling(**where: Any) -> Any:
    return ev("incident", T0 + timedelta(hours=1), {"kind": "shelling", **where})


def test_an_incident_near_the_route_contradicts_one_far_from_it_does_not() -> None:
    status = ev("corridor_status", T0, {"status": "open", "said_by": "council"}, "claimed")
    east_1km = 37.0 + 1.0 / (KM_PER_DEGREE_LAT * math.cos(math.radians(47.75)))
    near = shelling(at=[47.75, east_1km])  # 1 km off the road between two waypoints
    far = shelling(at=[47.75, 37.0 + 10 * (east_1km - 37.0)])  # 10 km off
    village, town = shelling(place="village"), shelling(place="town")
    unknown = shelling(place="somewhere-unmapped")
    s = state([announced(), status, near, far, village, town, unknown])
    assert contradicted(s) == {near.id, village.id}
    where = {i["id"]: i["where"] for i in s["incidents"]}
    assert where[near.id] == "near the route (1.0 km from it)"
    assert where[far.id] == "off the route (10.0 km from it)"
    assert where[town.id] == "off the route (22.6 km from it)"
    assert where[unknown.id] == "off the route"
    # The threshold is a setting: at 0.5 km the village is off the route too.
    assert contradicted(state([announced(), status, near, village], near_route_km=0.5)) == set()


def test_a_checkpoints_status_is_contradicted_near_that_checkpoint_only() -> None:
    at_cp = ev(
        "corridor_status", T0, {"status": "open", "said_by": "council", "checkpoint": "manhush"}
    )
    east = 1.0 / (KM_PER_DEGREE_LAT * math.cos(math.radians(47.5)))
    by_it = shelling(at=[47.5, 37.0 + east])  # 1 km from the checkpoint
    up_the_road = shelling(at=[47.25, 37.0])  # on the road, 28 km from it
    s = state([announced(), at_cp, by_it, up_the_road])
    assert contradicted(s) == {by_it.id}


def test_the_served_scenarios_give_the_positions(tmp_path: Path) -> None:
    scenario = load_scenario(MARIUPOL)[0]
    places = scenario.places()
    route = ["cp01-mariupol-exit", "manhush", "berdyansk"]
    store = EventStore(str(tmp_path / "near.db"))
    now = datetime(2022, 3, 15, 11, 30, tzinfo=UTC)  # the status is 90 min old
    app = create_app(store, clock=lambda: now, scenarios=[scenario], token_ttl_s=0)
    client = TestClient(app)
    head = {"Authorization": f"Bearer {store.add_user('desk', 'coordinator')}"}

    def post(kind: str, at: str, data: dict[str, Any]) -> None:
        e = {
            "id": str(uuid.uuid4()),
            "type": kind,
            "occurred_at": at,
            "corridor": "m",
            "data": data,
        }
        assert client.post("/api/v1/events", json=e, headers=head).status_code == 201

    window = {"start": "2022-03-15T09:00+02:00", "end": "2022-03-15T18:00+02:00"}
    post(
        "corridor_announced",
        "2022-03-15T08:00+02:00",
        {"name": "M", "route": route, "window": window},
    )
    post("corridor_status", "2022-03-15T12:00+02:00", {"status": "open", "said_by": "council"})
    lat, lon = places["manhush"].at
    post("incident", "2022-03-15T13:00+02:00", {"kind": "shelling", "at": [lat + 0.005, lon]})
    s = client.get("/api/v1/state/m", headers=head).json()
    assert [a["kind"] for a in s["alerts"] if a["kind"] == "status_contradicted"] == [
        "status_contradicted"
    ]
    assert s["incidents"][0]["where"].startswith("near the route (0.")
    # Its time stays its time; the position it gave is `position` (it once took `at`'s place,
    # and the sitrep and the dashboard's incident table failed on it).
    assert s["incidents"][0]["at"]["time"] == "2022-03-15T11:00:00+00:00"  # 13:00 Kyiv
    assert s["incidents"][0]["position"] == [lat + 0.005, lon]
    # The situation report names the route's places from the served scenario, not by id.
    sitrep = client.get("/api/v1/state/m/sitrep.md", headers=head).text
    assert r"Route: Mariupol \(exit\) - Manhush - Berdiansk" in sitrep
    assert "cp01-mariupol-exit" not in sitrep
    # The corridors' list carries the names their announcements gave (the pages show those).
    assert client.get("/api/v1/state", headers=head).json() == {
        "corridors": ["m"],
        "names": {"m": "M"},
    }
