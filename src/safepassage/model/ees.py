"""Build a scenario from Emergency Evacuation Simulator (agentsoz/ees) data.

A MATSim network and a population: either the archetypes CSV (household ids, home lon/lat and
each resident's preferred evacuation place) or a MATSim population XML (agents with a home
activity and attributes such as `EvacLocationPreference` and `HouseholdId`). Each household
becomes one car at its home node (an agent without a household drives alone); homes sharing a
node and a preferred place become one origin. Coordinates are in the coordinate system given
with `crs`, else the one the population or network file states; never assumed.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from safepassage.errors import InputFileError
from safepassage.model.matsim_population import parse_preference, read_population
from safepassage.model.scenario import zone
from safepassage.network.load import load_network
from safepassage.network.matsim import declared_crs
from safepassage.network.snap import snap
from safepassage.network.summary import largest_strong_component

POPULATION_FILE = "population-archetypes.csv.gz"
POPULATION_XML = ("population.xml.gz", "population.xml", "plans.xml.gz", "plans.xml")
NETWORK_FILE = "network.xml.gz"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "place"


def _read_population(path: Path) -> list[dict[str, str]]:
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, csv.Error, EOFError) as exc:
        raise InputFileError.at(path, f"cannot read the population file: {exc}") from None
    needed = {"HouseholdId", "Geographical.Coordinate", "EvacLocationPreference"}
    if not rows or not needed <= set(rows[0]):
        raise InputFileError.at(path, f"expected columns {', '.join(sorted(needed))}")
    return rows


Household = dict[str, Any]  # people, home (lat, lon), pref (name, x, y) or None


def _households(rows: list[dict[str, str]], path: Path) -> dict[str, Household]:
    households: dict[str, Household] = {}
    for n, row in enumerate(rows, start=2):
        hh = households.setdefault(row["HouseholdId"], {"people": 0, "home": None, "pref": None})
        hh["people"] += 1
        if hh["home"] is None:
            lon, lat = json.loads(row["Geographical.Coordinate"])
            hh["home"] = (float(lat), float(lon))
        if hh["pref"] is None and row["EvacLocationPreference"]:
            hh["pref"] = parse_preference(row["EvacLocationPreference"], f"{path}: row {n}")
    return households


def _transformer(crs: str, where: str) -> Transformer:
    try:
        return Transformer.from_crs(CRS.from_user_input(crs), CRS.from_epsg(4326), always_xy=True)
    except CRSError:
        raise InputFileError(
            f"{where}: unknown coordinate system {crs!r}; use an EPSG code such as EPSG:28355"
        ) from None


def _xml_households(path: Path, crs: str) -> dict[str, Household]:
    population = read_population(path)
    to_wgs = _transformer(crs, str(path))
    households: dict[str, Household] = {}
    for agent in population.agents:
        key = f"hh:{agent.household}" if agent.household else f"agent:{agent.id}"
        hh = households.setdefault(key, {"people": 0, "home": None, "pref": None})
        hh["people"] += 1
        if hh["home"] is None:
            lon, lat = to_wgs.transform(agent.home_x, agent.home_y)
            hh["home"] = (float(lat), float(lon))
        if hh["pref"] is None and agent.evac:
            hh["pref"] = agent.evac
    return households


def _population_path(directory: Path, population: Path | None) -> Path:
    if population is not None:
        return population
    for name in (POPULATION_FILE, *POPULATION_XML):
        if (directory / name).exists():
            return directory / name
    raise InputFileError.at(
        directory,
        "no population file found",
        f"expected {POPULATION_FILE} or a MATSim population ({', '.join(POPULATION_XML)}),"
        " or pass --population FILE",
    )


def _resolve_crs(crs: str | None, population: Path, network: Path) -> str:
    """`crs` if given, else what the population file states, else the network's; an error
    naming both files when none says."""
    if crs:
        return crs
    if population.name.endswith((".xml", ".xml.gz")):
        stated = declared_crs(population)
        if stated:
            return stated
    stated = declared_crs(network)
    if stated:
        return stated
    raise InputFileError.at(
        network,
        f"neither this network nor {population.name} states its coordinate system",
        "pass --crs, e.g. --crs EPSG:28355 for the EES Victorian data (GDA94 / MGA zone 55)",
    )


def window_end(start: str, hours: float) -> str:
    """The local clock time `hours` after `start` (ISO, no zone): a 12-hour window from 14:00
    ends at 02:00 the next day; fractional hours count."""
    if not hours > 0:
        raise InputFileError(f"--window-hours {hours:g}: the window must be longer than 0 hours")
    try:
        begin = datetime.fromisoformat(start)
    except ValueError:
        raise InputFileError(
            f"--start {start!r}: not a date and time; write it as 2026-01-15T14:00"
        ) from None
    return (begin + timedelta(hours=hours)).isoformat(timespec="seconds")


def scenario_from_ees(
    directory: str | Path,
    out: str | Path,
    *,
    window_hours: float = 6.0,
    population: str | Path | None = None,
    crs: str | None = None,
    start: str = "2026-01-15T14:00:00",
    timezone: str = "Australia/Melbourne",
) -> dict[str, Any]:
    """Write a scenario YAML for the EES data in `directory` (or the MATSim `population` file)
    to `out`; return the scenario data."""
    directory, out = Path(directory), Path(out)
    network_path = directory / NETWORK_FILE
    pop_path = _population_path(directory, Path(population) if population else None)
    end = window_end(start, window_hours)
    start = datetime.fromisoformat(start).isoformat(timespec="seconds")
    try:
        zone(timezone)
    except ValueError as exc:
        raise InputFileError(f"--timezone: {exc}") from None
    used_crs = _resolve_crs(crs, pop_path, network_path)
    if pop_path.name.endswith(".csv.gz"):
        households = _households(_read_population(pop_path), pop_path)
    else:
        households = _xml_households(pop_path, used_crs)
    graph = load_network(network_path, crs=used_crs)
    to_wgs = _transformer(used_crs, str(pop_path))

    destinations: dict[str, tuple[float, float]] = {}
    for hh in households.values():
        if hh["pref"] is None:
            continue
        name, x, y = hh["pref"]
        if _slug(name) not in destinations:
            lon, lat = to_wgs.transform(x, y)
            destinations[_slug(name)] = (round(lat, 6), round(lon, 6))
    if not destinations:
        raise InputFileError.at(
            pop_path, "no agent states an EvacLocationPreference (Name,x,y): no destination known"
        )

    keys = list(households)
    homes = np.array([households[k]["home"] for k in keys])
    nodes = snap(graph, homes[:, 0], homes[:, 1], among=largest_strong_component(graph)).node
    groups: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for key, node in zip(keys, nodes.tolist(), strict=True):
        pref = households[key]["pref"]
        group = groups[(node, _slug(pref[0]) if pref else "")]
        group[0] += 1
        group[1] += households[key]["people"]

    origins = [
        {
            "id": f"n{graph.node_id[node]}-{dest or 'any'}",
            "at": [round(float(graph.lat[node]), 6), round(float(graph.lon[node]), 6)],
            "people": people,
            "cars": cars,
            "car_occupancy": round(people / cars, 4),
            **({"to": [dest]} if dest else {}),
        }
        for (node, dest), (cars, people) in sorted(groups.items())
    ]
    free = sum(people for (_, dest), (_, people) in groups.items() if not dest)
    data: dict[str, Any] = {
        "name": "Castlemaine region evacuation (from agentsoz/ees Mount Alexander data)"
        if directory.resolve().name == "mount-alexander"
        else f"Evacuation from agentsoz/ees data ({directory.resolve().name})",
        "timezone": timezone,
        "network": {
            "matsim": os.path.relpath(network_path.resolve(), out.resolve().parent),
            "crs": used_crs,
        },
        "origins": origins,
        "destinations": [{"id": k, "at": list(v)} for k, v in sorted(destinations.items())],
        "corridor": {
            "window": {"start": start, "end": end},
            "note": f"ASSUMPTION: a {window_hours:g}-hour evacuation window; the data set gives none",
        },
        "assumptions": [
            "Each household leaves in one car from its home's nearest network node"
            " (an agent without a household id drives alone).",
            "Everyone goes to their household's preferred evacuation place (EvacLocationPreference)"
            + (f"; {free:,} people without one may use any destination." if free else "."),
            f"A {window_hours:g}-hour window from {start} ({timezone}).",
            f"Coordinates in {used_crs}.",
        ],
        "sources": [
            f"agentsoz/ees data: {network_path.name} and {pop_path.name} (MIT licence);"
            " network built from OSM (ODbL)"
        ],
    }
    import yaml

    out.write_text(
        "# Generated by `safepassage scenario from-ees`; edit the assumptions, not the origins.\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    )
    return data
