"""Build a scenario from an Emergency Evacuation Simulator (agentsoz/ees) data directory.

The Mount Alexander (Castlemaine) files: a MATSim network in EPSG:28355 and a synthetic
population with household ids, home coordinates and each resident's preferred evacuation place.
Each household becomes one car at its home node; homes sharing a node and a preferred place
become one origin.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer

from safepassage.errors import InputFileError
from safepassage.network.load import load_network
from safepassage.network.snap import snap
from safepassage.network.summary import largest_strong_component

EES_CRS = "EPSG:28355"
POPULATION_FILE = "population-archetypes.csv.gz"
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


def _households(rows: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    households: dict[str, dict[str, Any]] = {}
    for row in rows:
        hh = households.setdefault(row["HouseholdId"], {"people": 0, "home": None, "pref": None})
        hh["people"] += 1
        if hh["home"] is None:
            lon, lat = json.loads(row["Geographical.Coordinate"])
            hh["home"] = (float(lat), float(lon))
        if hh["pref"] is None and row["EvacLocationPreference"]:
            name, x, y = row["EvacLocationPreference"].split(",")
            hh["pref"] = (name.strip(), float(x), float(y))
    return households


def scenario_from_ees(
    directory: str | Path, out: str | Path, *, window_hours: float = 6.0
) -> dict[str, Any]:
    """Write a scenario YAML for the EES data in `directory` to `out`; return the scenario data."""
    directory, out = Path(directory), Path(out)
    network_path = directory / NETWORK_FILE
    households = _households(_read_population(directory / POPULATION_FILE))
    graph = load_network(network_path, crs=EES_CRS)
    to_wgs = Transformer.from_crs(EES_CRS, "EPSG:4326", always_xy=True)

    destinations: dict[str, tuple[float, float]] = {}
    for hh in households.values():
        name, x, y = hh["pref"]
        if _slug(name) not in destinations:
            lon, lat = to_wgs.transform(x, y)
            destinations[_slug(name)] = (round(lat, 6), round(lon, 6))

    keys = list(households)
    homes = np.array([households[k]["home"] for k in keys])
    nodes = snap(graph, homes[:, 0], homes[:, 1], among=largest_strong_component(graph)).node
    groups: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for key, node in zip(keys, nodes.tolist(), strict=True):
        group = groups[(node, _slug(households[key]["pref"][0]))]
        group[0] += 1
        group[1] += households[key]["people"]

    origins = [
        {
            "id": f"n{graph.node_id[node]}-{dest}",
            "at": [round(float(graph.lat[node]), 6), round(float(graph.lon[node]), 6)],
            "people": people,
            "cars": cars,
            "car_occupancy": round(people / cars, 4),
            "to": [dest],
        }
        for (node, dest), (cars, people) in sorted(groups.items())
    ]
    data: dict[str, Any] = {
        "name": "Castlemaine region evacuation (from agentsoz/ees Mount Alexander data)",
        "timezone": "Australia/Melbourne",
        "network": {
            "matsim": os.path.relpath(network_path.resolve(), out.resolve().parent),
            "crs": EES_CRS,
        },
        "origins": origins,
        "destinations": [{"id": k, "at": list(v)} for k, v in sorted(destinations.items())],
        "corridor": {
            "window": {
                "start": "2026-01-15T14:00:00",
                "end": f"2026-01-15T{14 + int(window_hours):02d}:00:00",
            },
            "note": f"ASSUMPTION: a {window_hours:g}-hour evacuation window; the data set gives none",
        },
        "assumptions": [
            "Each household leaves in one car from its home's nearest network node.",
            "Everyone goes to their household's preferred evacuation place (EvacLocationPreference).",
            f"A {window_hours:g}-hour window.",
        ],
        "sources": [
            "agentsoz/ees, Mount Alexander scenario (MIT licence); network built from OSM (ODbL)"
        ],
    }
    import yaml

    out.write_text(
        "# Generated by `safepassage scenario from-ees`; edit the assumptions, not the origins.\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    )
    return data
