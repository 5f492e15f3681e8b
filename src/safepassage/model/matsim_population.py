"""Read a MATSim population (plans) XML: each agent's home and evacuation preference.

EES populations (agentsoz/ees) are MATSim plans files whose persons carry attributes such as
`EvacLocationPreference` ("Name,x,y" in the file's coordinate system) and, from the archetypes
generator, `HouseholdId`. The home is the first `home` activity of the selected plan (else of
the first plan), by its x and y. The file may state its coordinate system as the population
attribute `coordinateReferenceSystem`.
"""

from __future__ import annotations

import gzip
import typing
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from safepassage.errors import InputFileError, require_file


@dataclass(frozen=True)
class Agent:
    id: str
    household: str | None
    home_x: float
    home_y: float
    evac: tuple[str, float, float] | None  # preferred evacuation place: name, x, y


@dataclass
class Population:
    agents: list[Agent] = field(default_factory=list)
    crs: str | None = None
    without_home: int = 0  # persons skipped: no home activity with coordinates


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return typing.cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def parse_preference(text: str, where: str) -> tuple[str, float, float]:
    """`Name,x,y` to (name, x, y), with an error naming `where` when malformed."""
    parts = [p.strip() for p in text.rsplit(",", 2)]
    try:
        if len(parts) != 3 or not parts[0]:
            raise ValueError
        return parts[0], float(parts[1]), float(parts[2])
    except ValueError:
        raise InputFileError(
            f"{where}: EvacLocationPreference {text!r} is not 'Name,x,y'"
            " (a place name and its coordinates in the file's coordinate system)"
        ) from None


def read_population(path: str | Path) -> Population:
    """Every person with a home activity; raise InputFileError on an unreadable file."""
    path = require_file(path)
    population = Population()
    depth_person = 0
    try:
        with _open(path) as handle:
            for event, elem in ET.iterparse(handle, events=("start", "end")):
                if elem.tag == "person":
                    depth_person += 1 if event == "start" else -1
                    if event == "end":
                        _person(elem, path, population)
                        elem.clear()
                elif (
                    event == "end"
                    and depth_person == 0
                    and elem.tag == "attribute"
                    and elem.get("name") == "coordinateReferenceSystem"
                ):
                    population.crs = (elem.text or "").strip() or None
    except (ET.ParseError, OSError, EOFError) as exc:
        raise InputFileError.at(path, f"not a readable MATSim population XML: {exc}") from None
    if not population.agents:
        raise InputFileError.at(
            path,
            "no person with a home activity (x, y) found",
            "is this a MATSim population file (<population><person><plan><activity type='home'>)?",
        )
    return population


def _person(elem: ET.Element, path: Path, population: Population) -> None:
    person_id = elem.get("id", "?")
    attrs = {
        a.get("name", ""): (a.text or "").strip()
        for block in elem.findall("attributes")
        for a in block.findall("attribute")
    }
    plans = elem.findall("plan")
    plan = next((p for p in plans if p.get("selected") == "yes"), plans[0] if plans else None)
    home = None
    if plan is not None:
        home = next(
            (
                a
                for a in plan.findall("activity")
                if (a.get("type") or "").lower().startswith("home") and a.get("x") and a.get("y")
            ),
            None,
        )
    if home is None:
        population.without_home += 1
        return
    pref = attrs.get("EvacLocationPreference")
    population.agents.append(
        Agent(
            id=person_id,
            household=attrs.get("HouseholdId") or None,
            home_x=float(home.get("x", "nan")),
            home_y=float(home.get("y", "nan")),
            evac=parse_preference(pref, f"{path}: person {person_id}") if pref else None,
        )
    )
