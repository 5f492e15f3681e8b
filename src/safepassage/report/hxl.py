"""HXL CSV (Humanitarian Exchange Language): one row per figure, hashtags under the header.

A row is one total of one kind, unit, place, status and source, so a tool that sums a column
must first choose a status and a source (the columns that say them are HXL-tagged). Each row
carries its as-of time with offset and zone name, its span, qualifier and range, basis, and
the pace of that same figure over the last hour where there is one. HXL core hashtags where
the dictionary has one (#date, #loc, #status, #affected, #indicator, #meta, #org); the
attributes after them are this project's own (HXL allows lower-case attributes of one's own).
"""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = [
    ("as_of", "#date+reported"),
    ("zone", "#meta+zone"),
    ("corridor", "#loc+corridor+code"),
    ("place", "#loc+name"),
    ("kind", "#meta+kind"),
    ("unit", "#meta+unit"),
    ("value", "#indicator+value+num"),
    ("low", "#indicator+value+min+num"),
    ("high", "#indicator+value+max+num"),
    ("qualifier", "#meta+qualifier"),
    ("span", "#meta+span"),
    ("span_start", "#date+start"),
    ("span_end", "#date+end"),
    ("status", "#status+verification"),
    ("status_by", "#status+verification+by"),
    ("denied_by", "#status+denied+by"),
    ("source", "#org+source"),
    ("source_party", "#meta+source+party"),
    ("basis", "#meta+basis"),
    ("per_hour_last_hour", "#indicator+rate+num"),
    ("last_heard", "#date+last_report"),
]


def _row(
    state: dict[str, Any], f: dict[str, Any], pace: float | None, heard: str
) -> dict[str, Any]:
    span = f["span"]
    party = f["source"]["party"]
    return {
        "as_of": f["as_of"]["time"],
        "zone": f["as_of"]["zone"],
        "corridor": state["corridor"],
        "place": f["what"]["place"] or "",
        "kind": f["what"]["kind"],
        "unit": f["what"]["unit"],
        "value": "" if f["value"] is None else f["value"],
        "low": "" if f["low"] is None else f["low"],
        "high": "" if f["high"] is None else f["high"],
        "qualifier": f["qualifier"],
        "span": span["kind"],
        "span_start": span["start"]["time"] if span["start"] else "",
        "span_end": span["end"]["time"],
        "status": f["status"]["state"],
        "status_by": f["status"]["by"] or "",
        "denied_by": "; ".join(f["status"]["denied_by"]),
        "source": f["source"]["name"],
        "source_party": "" if party is None else ("yes" if party else "no"),
        "basis": f["basis"],
        "per_hour_last_hour": "" if pace is None else round(pace, 1),
        "last_heard": heard,
    }


def checkpoint_rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of a corridor state (`Projection.corridor_state`): each total with the pace of the
    same figure (same kind, unit, status and source) where there is one."""
    rows = []
    for cp in state.get("checkpoints", {}).values():
        paces = {
            tuple(p["figure_key"]): p["per_hour_low"]
            for p in cp["paces"]
            if p["per_hour_low"] == p["per_hour_high"]
        }
        heard = cp["last_heard"]["time"] if cp.get("last_heard") else ""
        for f in cp["totals"]:
            key = (
                f["what"]["kind"],
                f["what"]["unit"],
                f["what"]["place"],
                f["status"]["state"],
                f["source"]["name"],
            )
            rows.append(_row(state, f, paces.get(key), heard))
    for f in state.get("figures", []):
        rows.append(_row(state, f, None, ""))
    return rows


def hxl_csv(states: list[dict[str, Any]]) -> str:
    """The HXL CSV of one or more corridor states: a header row, a hashtag row, then data."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in COLUMNS])
    writer.writerow([tag for _, tag in COLUMNS])
    for state in states:
        for row in checkpoint_rows(state):
            writer.writerow([_cell(row[name]) for name, _ in COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> Any:
    # A cell a spreadsheet would run as a formula is prefixed so it stays text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
