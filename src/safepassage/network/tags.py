"""OpenStreetMap tagging rules for drivable roads: which ways, which direction, how fast.

Default speeds and the country speed limits are documented in docs/network.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Road classes we keep, in order; an edge stores the index of its class in this tuple.
HIGHWAY_CLASSES: tuple[str, ...] = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
    "other",  # MATSim links without a type, corridor links without a class
)
CLASS_INDEX: dict[str, int] = {name: i for i, name in enumerate(HIGHWAY_CLASSES)}
DRIVABLE: frozenset[str] = frozenset(HIGHWAY_CLASSES[:-1])

#: Free-flow speed when a way has no usable maxspeed (km/h). Conservative urban values,
#: close to the defaults of OSRM's car profile and osmnx's speed imputation.
DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 110.0,
    "motorway_link": 60.0,
    "trunk": 90.0,
    "trunk_link": 50.0,
    "primary": 65.0,
    "primary_link": 45.0,
    "secondary": 55.0,
    "secondary_link": 40.0,
    "tertiary": 45.0,
    "tertiary_link": 35.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 40.0,
    "other": 50.0,
}

#: Lanes per direction when a way has no `lanes` tag.
DEFAULT_LANES: dict[str, int] = {"motorway": 2, "trunk": 2}

#: Implicit speed limits (km/h) for `maxspeed=CC:zone` values. Source: national rules as listed
#: on the OSM wiki page "Default speed limits" (2024); `None` in a zone means "no limit" and
#: falls back to the class default.
COUNTRY_SPEED_KMH: dict[str, dict[str, float]] = {
    "UA": {"urban": 50, "rural": 90, "trunk": 110, "motorway": 130, "living_street": 20},
    "RU": {"urban": 60, "rural": 90, "trunk": 90, "motorway": 110, "living_street": 20},
    "PT": {"urban": 50, "rural": 90, "trunk": 100, "motorway": 120},
    "FI": {"urban": 50, "rural": 80, "motorway": 120},
    "FR": {"urban": 50, "rural": 80, "trunk": 110, "motorway": 130},
    "DE": {"urban": 50, "rural": 100, "trunk": 100, "living_street": 7},
    "PL": {"urban": 50, "rural": 90, "trunk": 120, "motorway": 140},
    "US": {"urban": 40, "rural": 88},
    "AU": {"urban": 50, "rural": 100},
    "SY": {"urban": 50, "rural": 80, "motorway": 110},
    "PS": {"urban": 50, "rural": 80},
    "SD": {"urban": 50, "rural": 80},
}
#: Zone values shared by most countries, used when a country is not listed above.
GENERIC_ZONE_KMH: dict[str, float] = {
    "urban": 50,
    "rural": 90,
    "trunk": 100,
    "motorway": 110,
    "living_street": 20,
    "school": 30,
    "zone30": 30,
    "zone20": 20,
    "bicycle_road": 30,
}

#: Every tag key the rules below read.
RELEVANT_KEYS: tuple[str, ...] = (
    "highway",
    "area",
    "service",
    "motorcar",
    "motor_vehicle",
    "vehicle",
    "access",
    "oneway",
    "junction",
    "maxspeed",
    "lanes",
    "lanes:forward",
    "lanes:backward",
)

_EXCLUDED_SERVICE = frozenset({"parking_aisle", "driveway", "emergency_access", "drive-through"})
_NO = frozenset({"no", "private", "agricultural", "forestry", "delivery", "emergency"})
_YES = frozenset({"yes", "designated", "permissive", "destination", "customers"})
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")
MPH_TO_KMH = 1.609344


def is_drivable(tags: Mapping[str, str]) -> bool:
    """True when a way tagged `tags` is open to private motor vehicles."""
    highway = tags.get("highway")
    if highway not in DRIVABLE or tags.get("area") == "yes":
        return False
    if highway == "service" and tags.get("service") in _EXCLUDED_SERVICE:
        return False
    # The most specific access tag wins: motorcar, then motor_vehicle, then vehicle, then access.
    for key in ("motorcar", "motor_vehicle", "vehicle", "access"):
        value = tags.get(key)
        if value is None:
            continue
        if value in _YES:
            return True
        if value in _NO:
            return False
    return True


def oneway_direction(tags: Mapping[str, str]) -> int:
    """+1 for one-way along the way, -1 for one-way against it, 0 for two-way."""
    value = tags.get("oneway")
    if value in ("yes", "true", "1"):
        return 1
    if value in ("-1", "reverse"):
        return -1
    if value in ("no", "false", "0"):
        return 0
    if tags.get("junction") in ("roundabout", "circular"):
        return 1
    if tags.get("highway") in ("motorway",):
        return 1
    return 0


def parse_maxspeed(value: str | None, highway: str) -> float | None:
    """The speed limit in km/h from a `maxspeed` value, or None when it cannot be used.

    Understands numbers (`50`), units (`30 mph`, `50 km/h`), lists (`50;70`: the lowest),
    country zones (`UA:urban`, `RU:rural`, `DE:zone30`), `walk` and `none`.
    """
    if not value:
        return None
    value = value.strip()
    if ";" in value or "|" in value:
        parts = [parse_maxspeed(v, highway) for v in re.split(r"[;|]", value)]
        speeds = [s for s in parts if s is not None]
        return min(speeds) if speeds else None
    match = _NUMBER.match(value)
    if match:
        number = float(match.group(1))
        unit = match.group(2)
        if unit == "mph":
            number *= MPH_TO_KMH
        elif unit == "knots":
            number *= 1.852
        return number if number > 0 else None
    if value == "walk":
        return 7.0
    if value == "none":
        return None
    if ":" in value:
        country, zone = value.split(":", 1)
        zone = zone.lower()
        table = COUNTRY_SPEED_KMH.get(country.upper(), {})
        speed = table.get(zone, GENERIC_ZONE_KMH.get(zone))
        return float(speed) if speed is not None else None
    return None


def speed_kmh(tags: Mapping[str, str], highway: str) -> float:
    """Free-flow speed: the posted limit where usable, else the class default."""
    limit = parse_maxspeed(tags.get("maxspeed"), highway)
    return limit if limit is not None else DEFAULT_SPEED_KMH[highway]


def _positive_int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        number = int(float(value.split(";")[0]))
    except ValueError:
        return None
    return number if number > 0 else None


def lanes_per_direction(tags: Mapping[str, str], highway: str, oneway: int) -> tuple[int, int]:
    """Lanes (forward, backward) along the way's drawing direction."""
    default = DEFAULT_LANES.get(highway, 1)
    total = _positive_int(tags.get("lanes"))
    forward = _positive_int(tags.get("lanes:forward"))
    backward = _positive_int(tags.get("lanes:backward"))
    if oneway != 0:
        lanes = total or forward or backward or default
        return (lanes, 0) if oneway == 1 else (0, lanes)
    half = max(1, total // 2) if total else default
    return (forward or half, backward or half)
