from __future__ import annotations

import pytest

from safepassage.network.tags import (
    is_drivable,
    lanes_per_direction,
    oneway_direction,
    parse_maxspeed,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("30 mph", 30 * 1.609344),
        ("20mph", 20 * 1.609344),
        ("UA:urban", 50.0),
        ("UA:rural", 90.0),
        ("ua:motorway", 130.0),
        ("RU:urban", 60.0),
        ("XX:urban", 50.0),
        ("DE:zone30", 30.0),
        ("50;70", 50.0),
        ("walk", 7.0),
        ("none", None),
        ("signals", None),
        ("", None),
        (None, None),
        ("0", None),
    ],
)
def test_parse_maxspeed(value: str | None, expected: float | None) -> None:
    result = parse_maxspeed(value, "primary")
    assert result == pytest.approx(expected) if expected is not None else result is None


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "primary"}, True),
        ({"highway": "footway"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "track"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "access": "no", "motor_vehicle": "yes"}, True),
        ({"highway": "residential", "motor_vehicle": "no"}, False),
        ({"highway": "residential", "motorcar": "no"}, False),
        ({"highway": "residential", "access": "destination"}, True),
        ({"highway": "service", "service": "parking_aisle"}, False),
        ({"highway": "service"}, True),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "residential", "area": "yes"}, False),
    ],
)
def test_is_drivable(tags: dict[str, str], expected: bool) -> None:
    assert is_drivable(tags) is expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "primary", "oneway": "yes"}, 1),
        ({"highway": "primary", "oneway": "-1"}, -1),
        ({"highway": "primary", "oneway": "no"}, 0),
        ({"highway": "primary", "junction": "roundabout"}, 1),
        ({"highway": "primary", "junction": "roundabout", "oneway": "no"}, 0),
        ({"highway": "motorway"}, 1),
        ({"highway": "residential"}, 0),
    ],
)
def test_oneway_direction(tags: dict[str, str], expected: int) -> None:
    assert oneway_direction(tags) == expected


def test_lanes() -> None:
    assert lanes_per_direction({"lanes": "4"}, "primary", 0) == (2, 2)
    assert lanes_per_direction({"lanes": "3"}, "primary", 1) == (3, 0)
    assert lanes_per_direction({"lanes": "2"}, "primary", -1) == (0, 2)
    assert lanes_per_direction(
        {"lanes": "3", "lanes:forward": "2", "lanes:backward": "1"}, "primary", 0
    ) == (2, 1)
    assert lanes_per_direction({}, "motorway", 1) == (2, 0)
    assert lanes_per_direction({}, "residential", 0) == (1, 1)
    assert lanes_per_direction({"lanes": "garbage"}, "residential", 0) == (1, 1)
