"""Times written for people: in the corridor's own offset, to the minute."""

from __future__ import annotations

from datetime import datetime


def local_time(value: datetime | str, like: datetime | None) -> str:
    """`value` at the offset of `like` (the corridor's window start, if known), to the minute,
    with the offset spelled out."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if like is not None and like.tzinfo is not None:
        when = when.astimezone(like.tzinfo)
    text = when.strftime("%Y-%m-%d %H:%M (UTC%z)")
    return text.replace("(UTC+0000)", "(UTC)")


def window_ended(window: dict[str, str] | None, as_of: datetime) -> datetime | None:
    """When the agreed window ended, if it has by `as_of`; None while it lasts (or if none)."""
    if not window or not window.get("end"):
        return None
    end = datetime.fromisoformat(window["end"])
    return end if end <= as_of else None


def zone_of(window: dict[str, str] | None, fallback: datetime | None = None) -> datetime | None:
    """The moment whose offset local times use: the window's start, else `fallback`."""
    if window and window.get("start"):
        return datetime.fromisoformat(window["start"])
    return fallback
