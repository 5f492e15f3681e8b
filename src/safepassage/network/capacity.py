"""Road capacity in vehicles per hour per lane, by road class.

Values are the Highway Capacity Manual (TRB, HCM 2010) base rates reduced for the conditions
of an evacuation through a damaged city: uninterrupted-flow freeways carry about 2,000
passenger cars per hour per lane; signalised or junction-controlled urban roads reach
1,900 x g/C, i.e. roughly half of that; minor streets with parking and junctions every block
far less. They are planning values, not measurements: override them per scenario
(`capacity_vph_per_lane:` in the scenario file) or per call.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from safepassage.network.tags import HIGHWAY_CLASSES

CAPACITY_VPH_PER_LANE: dict[str, float] = {
    "motorway": 2000.0,
    "motorway_link": 1500.0,
    "trunk": 1800.0,
    "trunk_link": 1200.0,
    "primary": 1200.0,
    "primary_link": 1000.0,
    "secondary": 1000.0,
    "secondary_link": 800.0,
    "tertiary": 800.0,
    "tertiary_link": 700.0,
    "unclassified": 600.0,
    "residential": 500.0,
    "living_street": 200.0,
    "service": 300.0,
    "road": 600.0,
    "other": 1000.0,
}


def capacity_table(overrides: Mapping[str, float] | None = None) -> np.ndarray:
    """Per-lane capacity for each class index, with `overrides` (class name to vph) applied."""
    table = dict(CAPACITY_VPH_PER_LANE)
    for name, value in (overrides or {}).items():
        if name not in table:
            raise KeyError(name)
        table[name] = float(value)
    return np.array([table[name] for name in HIGHWAY_CLASSES], dtype=np.float64)
