"""A situation report (Markdown) of one corridor for coordinators, from its live state.

Every figure says what it counts, who stated it, how far it is verified and when (date, time
and zone): totals, paces, queues and waits per status and source, never added across them;
where sources disagree, each and the range. The status says who stated it, how they know and
how old it is; reconstructions, assumptions and plans are labelled as such.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from safepassage.figures.when import stamp


def _md(text: object) -> str:
    """Text a user typed, made inert in Markdown (no links, emphasis, tables or HTML)."""
    return md(text)


def _status_line(status: dict[str, Any] | None) -> str:
    if status is None:
        return "no status reported"
    word = status["status"].upper()
    return f"**{word}**: {_md(status['text'])}"


_MARKUP = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+!|~&"} | {"\n": " ", "\r": " "})


def md(text: object) -> str:
    """`text` as literal Markdown: every character that could start markup (links, images,
    emphasis, HTML, table cells) escaped, line breaks flattened. For all that users typed."""
    return str(text).translate(_MARKUP)


def _window(state: dict[str, Any], zone: str) -> list[str]:
    window = state.get("window")
    if not window:
        return ["- Window: none announced"]
    span = f"{stamp(window['start'], zone)} to {stamp(window['end'], zone)}"
    return [f"- Window: {span}: {_md(window['words'])}"]


def _checkpoint(cp_id: str, cp: dict[str, Any]) -> list[str]:
    heard = cp["last_heard"]["text"] if cp.get("last_heard") else "never"
    lines = ["", f"### {_md(cp_id)}", "", f"Last heard from: {heard}.", ""]
    lines += [f"- Total: {_md(f['text'])}" for f in cp["totals"]] or ["- No counts."]
    lines += [f"- Pace over the last hour: {_md(p['text'])}" for p in cp["paces"]]
    lines += [f"- Queue: {_md(q['text'])}" for q in cp["queues"]]
    lines += [f"- Wait: {_md(w['text'])}" for w in cp["waits"]]
    for d in cp["sources_differ"]:
        lines.append("- Sources differ:")
        lines += ["  " + _md(line) for line in d["text"].splitlines()]
    return lines


def sitrep_markdown(
    state: dict[str, Any],
    *,
    title: str | None = None,
    words: Callable[[str], str] | None = None,
) -> str:
    """The report of a corridor state (`Projection.corridor_state`); `words` puts names for
    place ids (`model.names.in_words` of the corridor's scenario, with `md` as its escape):
    people read names."""
    text = _sitrep(state, title)
    return words(text) if words is not None else text


def _sitrep(state: dict[str, Any], title: str | None) -> str:
    if not state.get("known"):
        return (
            f"# Situation report: {_md(state['corridor'])}\n\nNothing recorded for this corridor.\n"
        )
    zone = state["zone"]
    lines = [
        f"# {_md(title or 'Situation report')}: corridor {_md(state.get('name') or state['corridor'])}",
        "",
        f"As of {state['as_of']['text']} (log up to event #{state['events_applied']}).",
        "",
        "## Status",
        "",
        f"- Latest: {_status_line(state['status'])}",
        f"- Latest confirmed: {_status_line(state['last_confirmed_status'])}",
        *_window(state, zone),
    ]
    if state.get("route"):
        lines.append("- Route: " + " - ".join(_md(r) for r in state["route"]))
    if state.get("expected_trip"):
        trip = state["expected_trip"]
        lines.append(f"- Journey: about {trip['minutes']} min: {_md(trip['words'])}")
    lines += [
        "",
        "## Checkpoints",
        "",
        "Each figure with its source, status and time. Figures of different statuses, kinds "
        "or sources are never added; a queue is a lower bound (the last queue a source saw, "
        "less what that source counted out since).",
    ]
    for cp_id, cp in state["checkpoints"].items():
        lines += _checkpoint(cp_id, cp)
    if not state["checkpoints"]:
        lines.append("\nNo counts yet.")
    lines += ["", "## Other figures", ""]
    lines += [f"- {_md(f['text'])}" for f in state["figures"]] or ["None reported."]
    for d in state["sources_differ"]:
        lines.append("- Sources differ:")
        lines += ["  " + _md(line) for line in d["text"].splitlines()]
    lines.append(f"\nClaims awaiting review: {state['awaiting_review']}.")
    lines += _convoys(state, zone)
    lines += ["", "## Alerts", ""]
    lines += [f"- {_alert(a, zone)}" for a in state["alerts"]] or ["None."]
    lines += ["", "## Incidents", ""]
    lines += [
        f"- {_md(i['kind'])} ({_md(i['where'])}), {i['at']['text']}: {_md(i['status'])}"
        + (f", source: {_md(i['source'])}" if i.get("source") else "")
        for i in state["incidents"]
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
        "Figures from the corridor's append-only event log (safepassage). Each keeps its "
        "reporter and source in the log; `safepassage log verify` checks that nothing in it was "
        "changed.",
        "",
    ]
    return "\n".join(lines)


def _convoys(state: dict[str, Any], zone: str) -> list[str]:
    lines = ["", "## Convoys", ""]
    if not state["convoys"]:
        return [*lines, "No convoy passages reported."]
    lines += [
        "ETAs from the median leg times observed for other convoys, else the announced plan's "
        "leg times (planned, not observed).",
        "",
        "| convoy | last waypoint | at | status | next | ETA next | ETA destination | ETA from | overdue |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for cv in state["convoys"]:
        overdue = f"{cv['overdue_min']} min" if cv["overdue_min"] is not None else "no"
        cells = (
            cv["id"],
            cv["last_waypoint"],
            stamp(cv["at"], zone)
            + (
                f" ({cv['basis'].upper()}, not reported)"
                if cv.get("basis") in ("reconstructed", "assumed")
                else ""
            ),
            cv["status"],
            cv["next_waypoint"] or "-",
            stamp(cv["eta_next"], zone) if cv["eta_next"] else "-",
            stamp(cv["eta_destination"], zone) if cv["eta_destination"] else "-",
            "; ".join(cv["eta_based_on"]) or "-",
            overdue,
        )
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return lines


def _alert(a: dict[str, Any], zone: str) -> str:
    kind = a["kind"]
    if kind == "checkpoint_silent":
        return f"Checkpoint {_md(a['checkpoint'])} silent for {a['minutes']} min while the corridor is open."
    if kind == "convoy_overdue":
        return f"Convoy {_md(a['convoy'])} overdue at {_md(a['at'])} by {a['minutes']} min."
    if kind == "status_contradicted":
        return (
            f"Open status contradicted: {_md(a['incident_kind'])} on the route"
            f" ({_md(a.get('place') or 'segment')}), {a['at']['text']}."
        )
    if kind == "status_stale":
        return (
            f"Status unknown since {a['unknown_since']['text']}: the last report "
            f"({_md(a['said'])}, {a['last_said_at']['text']}) was not renewed."
        )
    return _md(a)
