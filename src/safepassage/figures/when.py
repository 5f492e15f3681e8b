"""Times written for people and machines: always the date, the time without microseconds and
the zone by name, so that no figure is read in the wrong zone or on the wrong day."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "UTC"


def zone(name: str | None) -> tzinfo:
    """The zone called `name` (an IANA name such as Europe/Kyiv); UTC when none or unknown."""
    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_name(name: str | None) -> str:
    """The name `stamp` will write for `name` (UTC when it is none or not a known zone)."""
    return name if name and zone(name) is not UTC else DEFAULT_ZONE


def moment(value: datetime | str) -> datetime:
    """An aware datetime from a datetime or ISO text; a naive one is refused (whose zone?)."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        raise ValueError(f"time {when.isoformat()} has no zone; give it an offset or a zone")
    return when


def _offset(when: datetime) -> str:
    delta = when.utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta else 0
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h:02d}:{m:02d}"


def stamp(value: datetime | str, zone_name_: str | None = None) -> str:
    """`2022-03-14 13:00 Europe/Kyiv (UTC+02:00)`: date, time to the minute, zone name and
    offset; in UTC `2022-03-14 11:00 UTC`."""
    name = zone_name(zone_name_)
    when = moment(value).astimezone(zone(name))
    text = when.strftime("%Y-%m-%d %H:%M")
    return f"{text} UTC" if name == DEFAULT_ZONE else f"{text} {name} ({_offset(when)})"


def iso(value: datetime | str, zone_name_: str | None = None) -> str:
    """ISO 8601 in the zone, to the second, with its offset: `2022-03-14T13:00:00+02:00`."""
    when = moment(value).astimezone(zone(zone_name(zone_name_)))
    return when.replace(microsecond=0).isoformat()


def timed(value: datetime | str | None, zone_name_: str | None = None) -> dict[str, str] | None:
    """A time for JSON: ISO text, the zone's name and the text people read."""
    if value is None:
        return None
    return {
        "time": iso(value, zone_name_),
        "zone": zone_name(zone_name_),
        "text": stamp(value, zone_name_),
    }
