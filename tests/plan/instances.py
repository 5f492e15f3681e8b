"""Random small scenarios with integer per-step capacities, for exact cross-checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

STEP_S = 60.0


@st.composite
def small_scenarios(
    draw: st.DrawFn, *, with_hours: bool = False, fixed: bool = False, at_exits: bool = False
) -> dict[str, Any]:
    """1-3 origins, 1-2 destinations (2 and each origin tied to one when `fixed`), 0-2
    checkpoints on a random connected link graph; with `at_exits`, also a checkpoint on the road
    into every destination (random hours when `with_hours`), as at a city's exits (random extra
    links may bypass it)."""
    n_origins = draw(st.integers(2 if fixed else 1, 3))
    n_dest = 2 if fixed else draw(st.integers(1, 2))
    n_mid = draw(st.integers(1, 3))
    n_cp = draw(st.integers(0, min(2, n_mid)))
    origins = [f"o{i}" for i in range(n_origins)]
    dests = [f"d{i}" for i in range(n_dest)]
    mids = [f"m{i}" for i in range(n_mid)]
    cps = mids[:n_cp]
    names = origins + mids + dests
    at = {name: [47.0 + 0.01 * i, 37.0 + 0.01 * i] for i, name in enumerate(names)}
    links = []

    def link(a: str, b: str) -> None:
        minutes = draw(st.integers(1, 6))
        links.append(
            {
                "from": a,
                "to": b,
                "length_km": minutes,  # at 60 km/h: `minutes` whole steps
                "speed_kmh": 60,
                "capacity_vph": 60 * draw(st.integers(1, 4)),  # 1-4 cars a step
                "oneway": draw(st.booleans()),
            }
        )

    for o in origins:
        link(o, draw(st.sampled_from(mids)))
    for i, m in enumerate(mids[1:], 1):
        link(mids[i - 1], m)
    exits = {d: f"cp-{d}" for d in dests} if at_exits else {}
    for d in dests:
        if d in exits:  # the exit's checkpoint on its own place just before it
            link(draw(st.sampled_from(mids)), exits[d])
            link(exits[d], d)
        else:
            link(draw(st.sampled_from(mids)), d)
    for _ in range(draw(st.integers(0, 3))):
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        if a != b:
            link(a, b)
    occupancy = draw(st.sampled_from([2.0, 4.0]))
    origin_rows = []
    for o in origins:
        cars = draw(st.integers(1, 30))
        row = {"id": o, "at": at[o], "people": int(cars * occupancy), "cars": cars}
        if fixed:
            row["to"] = [draw(st.sampled_from(dests))]
        origin_rows.append(row)
    checkpoints = [
        {
            "id": f"cp-{m}",
            "at": at[m],
            "controlled_by": "X",
            "lanes": draw(st.integers(1, 2)),
            "inspection_s": {"mean": 60},
            **({"open": "09:10-09:40"} if with_hours and draw(st.booleans()) else {}),
        }
        for m in cps
    ]
    hours = ["09:05-09:15", "09:20-09:50", "09:00-09:10"]
    checkpoints += [
        {
            "id": cp,
            "at": [at[d][0], at[d][1] + 0.005],
            "controlled_by": "X",
            "lanes": draw(st.integers(1, 2)),
            "inspection_s": {"mean": 60 * draw(st.integers(1, 2))},
            **({"open": draw(st.sampled_from(hours))} if with_hours else {}),
        }
        for d, cp in exits.items()
    ]
    # Checkpoints sit on the mid nodes: rename those nodes to the checkpoint ids.
    rename = {m: f"cp-{m}" for m in cps}
    for row in links:
        row["from"] = rename.get(row["from"], row["from"])
        row["to"] = rename.get(row["to"], row["to"])
    nodes = [{"id": m, "at": at[m]} for m in mids if m not in rename]
    window_min = draw(st.integers(10, 40))
    return {
        "name": "random",
        "timezone": "UTC",
        "network": {"nodes": nodes, "links": links},
        "origins": origin_rows,
        "destinations": [{"id": d, "at": at[d]} for d in dests],
        "checkpoints": checkpoints,
        "occupancy": {"car": occupancy},
        "corridor": {
            "window": {
                "start": "2022-03-15T09:00:00",
                "end": f"2022-03-15T{9 + window_min // 60:02d}:{window_min % 60:02d}:00",
            }
        },
    }


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
