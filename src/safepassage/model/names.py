"""Display names: what people read instead of ids, in their language.

A scenario, its places and (later) announcements carry `names` by language tag. A page asks for
one language and falls back, in order, to the tag's base language (`pt` for `pt-BR`), English,
the first name given, and last to the id made readable, so a page never shows nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from safepassage.model.scenario import Checkpoint, Place, Scenario, Waypoint

FALLBACK = "en"


def _names_and_id(obj: Any) -> tuple[Mapping[str, str], str]:
    if isinstance(obj, Mapping):
        return obj.get("names") or {}, str(obj.get("id") or obj.get("name") or "")
    if isinstance(obj, Scenario):
        return obj.names, obj.name
    return getattr(obj, "names", None) or {}, str(getattr(obj, "id", ""))


def readable_id(ident: str) -> str:
    """`cp04-manhush` -> `cp04 manhush`: an id as a last resort, not an error."""
    return ident.replace("-", " ").replace("_", " ")


def display_name(obj: Any, lang: str = FALLBACK) -> str:
    """The name of a scenario, place or dict with `names` (and `id`) in `lang`, with fallbacks."""
    names, ident = _names_and_id(obj)
    for tag in (lang, lang.split("-")[0], FALLBACK):
        if names.get(tag):
            return names[tag]
    if names:
        return next(iter(names.values()))
    return ident if isinstance(obj, Scenario) else readable_id(ident)


def languages(scenario: Scenario) -> list[str]:
    """Every language a scenario names something in, English first."""
    seen: dict[str, None] = {FALLBACK: None, **dict.fromkeys(scenario.names)}
    places: list[Place] = [*scenario.origins, *scenario.destinations]
    places += [*scenario.checkpoints, *scenario.waypoints]
    for place in places:
        seen.update(dict.fromkeys(place.names))
    return list(seen)


def public_route(scenario: Scenario, lang: str = FALLBACK) -> list[str]:
    """The route as the public sees it: the corridor's places marked `public` in order, then
    the destinations; every other checkpoint and waypoint stays off public pages."""
    if scenario.corridor is None:
        return [display_name(d, lang) for d in scenario.destinations]
    places: dict[str, Checkpoint | Waypoint] = {p.id: p for p in scenario.checkpoints}
    places.update({p.id: p for p in scenario.waypoints})
    shown = [
        places[ident] for ident in scenario.corridor.via if ident in places and places[ident].public
    ]
    return [display_name(p, lang) for p in [*shown, *scenario.destinations]]


_TOKEN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def place_namer(
    scenario: Scenario | Sequence[Scenario] | None,
    lang: str = "en",
    escape: Callable[[str], str] = lambda name: name,
) -> Callable[[str], str]:
    """A place id to the scenario's display name in `lang` (the id itself where no scenario
    has it). Several scenarios (a server serving more than one): their places together.
    `escape` makes a name inert in the output's markup (the Markdown sitrep)."""
    many = [] if scenario is None else [scenario] if isinstance(scenario, Scenario) else scenario
    places = {ident: p for s in many for ident, p in s.places().items()}

    def name(ident: str) -> str:
        return escape(display_name(places[ident], lang)) if ident in places else ident

    return name


def in_words(
    scenario: Scenario | Sequence[Scenario] | None,
    lang: str = "en",
    escape: Callable[[str], str] = lambda name: name,
) -> Callable[[str], str]:
    """A function putting the display name (as `place_namer`) for every place id in a text
    ("1 more inspection lane at cp04-manhush" -> "... at Manhush"): the planner's
    descriptions and the live state name places by id, people read names."""
    name = place_namer(scenario, lang, escape)
    return lambda text: _TOKEN.sub(lambda match: name(match.group(0)), text)
