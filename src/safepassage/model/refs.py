"""Reference checks on the raw scenario data: they run even when other fields are invalid,
so that one `scenario check` lists every problem."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

Report = Callable[[tuple[str | int, ...], str, str | None], None]
GROUPS = ("origins", "destinations", "checkpoints", "waypoints")


def _items(data: dict[str, Any], *path: str) -> list[tuple[int, dict[str, Any]]]:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def suggest(ref: object, valid: set[str], what: str) -> str:
    if not valid:
        return f"no {what} are defined"
    close = difflib.get_close_matches(str(ref), sorted(valid), n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(valid)[:12])}"


def check_references(data: dict[str, Any], report: Report) -> None:
    """Unique ids; corridor `via`, bus depots and link ends name places that exist."""
    seen: dict[str, str] = {}
    ids: dict[str, set[str]] = {}
    for group in (*GROUPS, "network.nodes"):
        path = group.split(".")
        ids[group] = set()
        for i, item in _items(data, *path):
            ident = item.get("id")
            if not isinstance(ident, str):
                continue
            if ident in seen:
                report(
                    (*path, i, "id"),
                    f"id {ident!r} is already used in {seen[ident]}",
                    "ids must be unique",
                )
            seen[ident] = group
            ids[group].add(ident)
    corridor_ids = ids["checkpoints"] | ids["waypoints"]
    corridor = data.get("corridor")
    via = corridor.get("via") if isinstance(corridor, dict) else None
    for i, ref in enumerate(via if isinstance(via, list) else []):
        if ref not in corridor_ids:
            report(
                ("corridor", "via", i),
                f"{ref!r} is not a checkpoint or waypoint",
                suggest(ref, corridor_ids, "checkpoints or waypoints"),
            )
    others = corridor.get("alternatives") if isinstance(corridor, dict) else None
    for k, alternative in enumerate(others if isinstance(others, list) else []):
        for i, ref in enumerate(alternative if isinstance(alternative, list) else []):
            if ref not in corridor_ids:
                report(
                    ("corridor", "alternatives", k, i),
                    f"{ref!r} is not a checkpoint or waypoint",
                    suggest(ref, corridor_ids, "checkpoints or waypoints"),
                )
    forecast = data.get("forecast")
    out_at = forecast.get("out_at") if isinstance(forecast, dict) else None
    stations = corridor_ids | ids["destinations"]
    if out_at is not None and out_at not in stations:
        report(
            ("forecast", "out_at"),
            f"{out_at!r} is not a checkpoint, waypoint or destination",
            suggest(out_at, stations, "stations"),
        )
    depots = ids["destinations"] | ids["waypoints"] | ids["origins"]
    for i, bus in _items(data, "fleet", "buses"):
        if "depot" in bus and bus["depot"] not in depots:
            report(
                ("fleet", "buses", i, "depot"),
                f"depot {bus['depot']!r} is not a destination, waypoint or origin",
                suggest(bus["depot"], depots, "places"),
            )
    for i, origin in _items(data, "origins"):
        targets = origin.get("to")
        for j, ref in enumerate(targets if isinstance(targets, list) else []):
            if ref not in ids["destinations"]:
                report(
                    ("origins", i, "to", j),
                    f"{ref!r} is not a destination",
                    suggest(ref, ids["destinations"], "destinations"),
                )
    for i, link in _items(data, "network", "links"):
        for end in ("from", "to"):
            if end in link and link[end] not in seen:
                report(
                    ("network", "links", i, end),
                    f"{link[end]!r} is not a known place",
                    suggest(link[end], set(seen), "places"),
                )
