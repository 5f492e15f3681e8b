"""HXL CSV (Humanitarian Exchange Language): checkpoint counts with hashtags under the header.

One row per corridor, checkpoint, direction and verification, so that confirmed and unconfirmed
figures sit in different rows and a tool that sums a column must first choose which. HXL core
hashtags where the dictionary has one (#date, #loc, #status, #affected, #indicator, #meta);
the attributes +corridor, +checkpoint, +vehicles, +buses, +throughput and +verification are
this project's own (HXL allows lower-case attributes of one's own).
"""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = [
    ("as_of", "#date+reported"),
    ("corridor", "#loc+corridor+code"),
    ("checkpoint", "#loc+checkpoint+code"),
    ("direction", "#meta+direction"),
    ("verification", "#status+verification"),
    ("vehicles", "#indicator+vehicles+num"),
    ("buses", "#indicator+buses+num"),
    ("people", "#affected+displaced+num"),
    ("vehicles_without_people", "#indicator+vehicles+people_unreported+num"),
    ("throughput_vph", "#indicator+throughput+num"),
    ("last_heard", "#date+last_report"),
]


def checkpoint_rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of a corridor state (`Projection.corridor_state`): counts as recorded, apart by
    direction and verification."""
    rows = []
    for cp_id, cp in state.get("checkpoints", {}).items():
        for direction in ("out", "in"):
            for verification in ("confirmed", "unconfirmed"):
                sums = cp[direction].get(verification)
                if not sums:
                    continue
                rows.append(
                    {
                        "as_of": state["as_of"],
                        "corridor": state["corridor"],
                        "checkpoint": cp_id,
                        "direction": direction,
                        "verification": verification,
                        "vehicles": sums["vehicles"],
                        "buses": sums["buses"],
                        "people": sums["people"],
                        "vehicles_without_people": sums.get("vehicles_without_people", 0),
                        # Throughput is of all counts out, whatever their verification.
                        "throughput_vph": cp["throughput_vph"] if direction == "out" else "",
                        "last_heard": cp["last_heard"] or "",
                    }
                )
    return rows


def hxl_csv(states: list[dict[str, Any]]) -> str:
    """The HXL CSV of one or more corridor states: a header row, a hashtag row, then data."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in COLUMNS])
    writer.writerow([tag for _, tag in COLUMNS])
    for state in states:
        for row in checkpoint_rows(state):
            writer.writerow([row[name] for name, _ in COLUMNS])
    return out.getvalue()
