"""A situation report (Markdown) of one corridor for coordinators, from its live state.

Every figure says where it comes from and how far it is verified: the status with who said it,
counts with confirmed and unconfirmed in separate columns (never summed), the queue as the
lower bound it is, ETAs with what they are based on.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from safepassage.report.text import local_time, zone_of


def _fmt(sums: dict[str, int] | None) -> str:
    if not sums:
        return "0"
    text = f"{sums['vehicles']:,} veh, {sums['buses']:,} bus, {sums['people']:,} ppl"
    unknown = sums.get("vehicles_without_people", 0)
    return text + (f" (people not reported for {unknown:,} veh)" if unknown else "")


def _status_line(status: dict[str, Any] | None, zone: datetime | None) -> str:
    if status is None:
        return "no status reported"
    return (
        f"**{status['status'].upper()}** ({status['verification']}; said by "
        f"{md(status['said_by'])} at {local_time(status['at'], zone)})"
    )


_MARKUP = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+!|~&"} | {"\n": " ", "\r": " "})


def md(text: object) -> str:
    """`text` as literal Markdown: every character that could start markup (links, images,
    emphasis, HTML, table cells) escaped, line breaks flattened. For all that users typed."""
    return str(text).translate(_MARKUP)


def _cell(text: object) -> str:
    # A pipe inside a value would break the Markdown table (user values also go through md).
    return str(text).replace("|", "/")


def sitrep_markdown(state: dict[str, Any], *, title: str | None = None) -> str:
    """The report of a corridor state (`Projection.corridor_state`)."""
    if not state.get("known"):
        return (
            f"# Situation report: {md(state['corridor'])}\n\nNothing recorded for this corridor.\n"
        )
    window = state.get("window")
    zone = zone_of(window, datetime.fromisoformat(state["as_of"]))
    lines = [
        f"# {md(title or 'Situation report')}: corridor {md(state['corridor'])}",
        "",
        f"As of {local_time(state['as_of'], zone)} (log up to event #{state['events_applied']}).",
        "",
        "## Status",
        "",
        f"- Latest: {_status_line(state['status'], zone)}",
        f"- Latest confirmed: {_status_line(state['last_confirmed_status'], zone)}",
    ]
    if window:
        lines.append(
            f"- Window: {local_time(window['start'], zone)} to {local_time(window['end'], zone)}"
        )
    if state.get("route"):
        lines.append("- Route: " + " - ".join(md(r) for r in state["route"]))
    lines += [
        "",
        "## Checkpoints",
        "",
        "Counts as reported. Confirmed and unconfirmed are kept apart and never added; the "
        "queue is a lower bound (last vehicles seen waiting, less those counted out since), and "
        "so is the wait (that queue at the last hour's pace).",
        "",
        "| checkpoint | out, confirmed | out, unconfirmed | in, confirmed | in, unconfirmed "
        "| vehicles/h (last hour) | queue (at least) | wait (at least) | last heard |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for cp_id, cp in state["checkpoints"].items():
        queue = cp["queue_estimate"]
        lines.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    md(cp_id),
                    _fmt(cp["out"].get("confirmed")),
                    _fmt(cp["out"].get("unconfirmed")),
                    _fmt(cp["in"].get("confirmed")),
                    _fmt(cp["in"].get("unconfirmed")),
                    cp["throughput_vph"],
                    queue["vehicles"] if queue else "not reported",
                    f"{cp['wait_estimate']['minutes']} min" if cp.get("wait_estimate") else "-",
                    local_time(cp["last_heard"], zone) if cp["last_heard"] else "never",
                )
            )
            + " |"
        )
    if not state["checkpoints"]:
        lines.append("| (no counts yet) | | | | | | | | |")
    lines += ["", "## Convoys", ""]
    if state["convoys"]:
        lines += [
            "ETAs from the median leg times observed for other convoys, else the announced "
            "plan's leg times.",
            "",
            "| convoy | last waypoint | at | next | ETA next | ETA destination | overdue |",
            "|---|---|---|---|---|---|---|",
        ]
        for cv in state["convoys"]:
            overdue = f"{cv['overdue_min']} min" if cv["overdue_min"] is not None else "no"
            lines.append(
                "| "
                + " | ".join(
                    _cell(x or "-")
                    for x in (
                        md(cv["id"]),
                        md(cv["last_waypoint"]),
                        local_time(cv["at"], zone),
                        cv["next_waypoint"] and md(cv["next_waypoint"]),
                        cv["eta_next"] and local_time(cv["eta_next"], zone),
                        cv["eta_destination"] and local_time(cv["eta_destination"], zone),
                        overdue,
                    )
                )
                + " |"
            )
    else:
        lines.append("No convoy passages reported.")
    lines += ["", "## Alerts", ""]
    lines += [f"- {_alert(a)}" for a in state["alerts"]] or ["None."]
    lines += ["", "## Incidents", ""]
    kinds = Counter((i["kind"], i["status"]) for i in state["incidents"])
    lines += [
        f"- {kind}: {n} ({verification})" for (kind, verification), n in sorted(kinds.items())
    ] or ["None reported."]
    held = state.get("held_for_review") or []
    if held:
        lines += [
            "",
            "## Held for review",
            "",
            f"{len(held)} count(s) with more people than their vehicles can carry, kept out of "
            "every figure above until checked: " + ", ".join(md(h["id"]) for h in held[:20]),
        ]
    lines += [
        "",
        "---",
        "Figures from the corridor's append-only event log (safepassage). Each count keeps its "
        "reporter and source in the log; `safepassage log verify` checks that nothing in it was "
        "changed.",
        "",
    ]
    return "\n".join(lines)


def _alert(a: dict[str, Any]) -> str:
    kind = a["kind"]
    if kind == "checkpoint_silent":
        return f"Checkpoint {md(a['checkpoint'])} silent for {a['minutes']} min while the corridor is open."
    if kind == "convoy_overdue":
        return f"Convoy {md(a['convoy'])} overdue at {md(a['at'])} by {a['minutes']} min."
    if kind == "status_contradicted":
        return f"Open status contradicted: {a['incident_kind']} reported (incident time {a['at']})."
    return str(a)
