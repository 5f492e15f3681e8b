"""The Porto planning benchmark scenario: 100,000 people at 200 assembly points, 4 exits on
the city's edge, 3 checkpoints. Seeded and documented in docs/benchmarks.md.

Assembly points: 200 nodes drawn uniformly (seed 2022) from the largest strongly connected
component, within 8 km of the centre (41.15 N, 8.61 W), 500 people each, 200 cars each (2.5
people per car). Exits: the component's nodes nearest to four points 12 km north, east,
south-east and south of the centre. Checkpoints at three exits (north, east, south): 3
lanes, 30 s a car (360 cars an hour). Window: 6 hours.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from safepassage.network.geo import haversine_m
from safepassage.network.load import load_network
from safepassage.network.snap import snap
from safepassage.network.summary import largest_strong_component

CENTRE = (41.15, -8.61)
KM_LAT = 1 / 111.2
KM_LON = 1 / (111.2 * np.cos(np.radians(41.15)))


def write_porto_scenario(pbf: Path, out: Path, *, seed: int = 2022) -> Path:
    g = load_network(pbf)
    comp = largest_strong_component(g)
    near = comp[haversine_m(g.lon[comp], g.lat[comp], CENTRE[1], CENTRE[0]) < 8000]
    rng = np.random.default_rng(seed)
    picks = rng.choice(near, size=200, replace=False)
    exits_at = {
        "exit-north": (CENTRE[0] + 12 * KM_LAT, CENTRE[1]),
        "exit-east": (CENTRE[0], CENTRE[1] + 12 * KM_LON),
        "exit-southeast": (CENTRE[0] - 8.5 * KM_LAT, CENTRE[1] + 8.5 * KM_LON),
        "exit-south": (CENTRE[0] - 12 * KM_LAT, CENTRE[1]),
    }
    exit_nodes = snap(
        g, [p[0] for p in exits_at.values()], [p[1] for p in exits_at.values()], among=comp
    ).node
    data = {
        "name": "Porto benchmark: 100,000 people, 200 assembly points, 4 exits",
        "timezone": "Europe/Lisbon",
        "network": {"osm": str(pbf.resolve())},
        "origins": [
            {
                "id": f"ap{i:03d}",
                "at": [float(g.lat[n]), float(g.lon[n])],
                "people": 500,
                "cars": 200,
            }
            for i, n in enumerate(picks.tolist())
        ],
        "destinations": [
            {"id": name, "at": [float(g.lat[n]), float(g.lon[n])]}
            for name, n in zip(exits_at, exit_nodes.tolist(), strict=True)
        ],
        "checkpoints": [
            {
                "id": f"cp-{name}",
                "at": [float(g.lat[n]), float(g.lon[n])],
                "controlled_by": "benchmark",
                "lanes": 3,
                "inspection_s": {"mean": 30, "sd": 15},
            }
            for name, n in zip(exits_at, exit_nodes.tolist(), strict=True)
            if name != "exit-southeast"
        ],
        "occupancy": {"car": 2.5},
        "corridor": {"window": {"start": "2026-06-01T08:00", "end": "2026-06-01T14:00"}},
    }
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out
