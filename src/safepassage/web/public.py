"""The public status page: for the public and families, one honest answer per corridor: is it
open, which way, when, how long, and how many people are out (confirmed and not, apart).

Rendered from the public view only (aggregate and delayed), as one small HTML document with its
style inline and no script: it refreshes itself every two minutes with a meta tag and weighs a
few kilobytes, for bad connections.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from safepassage.report.text import local_time, zone_of

REFRESH_S = 120
#: Status -> (words shown, colour). The words carry the meaning; colour only helps.
STATUS_WORDS = {
    "open": ("OPEN", "#1b7f3b"),
    "suspended": ("SUSPENDED", "#b35900"),
    "closed": ("CLOSED", "#b00020"),
    "unknown": ("STATUS UNKNOWN", "#555555"),
}
VERIFICATION_WORDS = {
    "confirmed": "confirmed",
    "claimed": "announced by one party, not confirmed",
    "unverified": "not verified",
    None: "no report yet",
}

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:42rem;color:#111;
background:#fff;line-height:1.4}
h1{font-size:1.3rem;margin:0 0 .5rem}
section{border:2px solid #ccc;border-radius:.5rem;padding:.8rem;margin:1rem 0}
.status{font-size:1.8rem;font-weight:700;color:#fff;padding:.2rem .6rem;border-radius:.3rem;
display:inline-block}
.route{font-weight:600}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.2rem .4rem;
border-bottom:1px solid #ddd}
.small{font-size:.85rem;color:#444}
"""


def _window_phrase(window: dict[str, str] | None, as_of: datetime) -> str:
    if not window:
        return "No agreed window announced."
    zone = zone_of(window)
    start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
    span = f"{local_time(start, zone)} to {local_time(end, zone)}"
    if as_of < start:
        return f"Agreed window: {span} (not started as of this report)."
    if as_of >= end:
        return f"Agreed window: {span} (<strong>ended</strong>)."
    return f"Agreed window: {span} (in progress as of this report)."


def _ended(window: dict[str, str] | None, as_of: datetime) -> bool:
    return window is not None and datetime.fromisoformat(window["end"]) <= as_of


def _corridor(c: dict[str, Any], as_of: datetime) -> str:
    words, colour = STATUS_WORDS.get(c["status"], STATUS_WORDS["unknown"])
    warning = ""
    if c["status"] == "open" and _ended(c.get("window"), as_of):
        # "Open" past the agreed window must not read as "go".
        words, colour = "OPEN, BUT THE WINDOW HAS ENDED", "#b35900"
        warning = "<p><strong>The agreed window has ended. Check before travelling.</strong></p>"
    zone = zone_of(c.get("window"), as_of)
    if c.get("status_at"):
        verification = VERIFICATION_WORDS.get(c.get("status_verification"), "not verified")
        said = f"Status {verification}; reported {escape(local_time(c['status_at'], zone))}."
    else:
        said = "No status reported yet."
    route = " &rarr; ".join(escape(r) for r in c.get("route") or []) or "not announced"
    trip = (
        f"<p>Expected journey along the route: about {c['expected_trip_min'] // 60:.0f} h "
        f"{c['expected_trip_min'] % 60:.0f} min without waiting at checkpoints.</p>"
        if c.get("expected_trip_min")
        else ""
    )
    out = c["out"]
    rows = "".join(
        f"<tr><th>{label}</th><td>{out[key]['people']:,}</td><td>{out[key]['vehicles']:,}</td>"
        f"<td>{out[key]['buses']:,}</td></tr>"
        for key, label in (("confirmed", "Confirmed"), ("unconfirmed", "Reported, not confirmed"))
    )
    through = escape(c["left_through"]) if c.get("left_through") else "the first checkpoint"
    return f"""<section aria-label="corridor {escape(c["corridor"])}">
<h1>Corridor {escape(c["corridor"])}</h1>
<p><span class="status" style="background:{colour}">{words}</span></p>
<p>{said}</p>{warning}
<p>Route: <span class="route">{route}</span></p>
<p>{_window_phrase(c.get("window"), as_of)}</p>
{trip}<table><caption class="small">Out through {through} so far. The two rows are never
added together.</caption>
<tr><th></th><th>people</th><th>vehicles</th><th>buses</th></tr>{rows}</table>
</section>"""


def public_page_html(view: dict[str, Any]) -> str:
    """The page for a public view (`PublicProjection.view`)."""
    as_of = datetime.fromisoformat(view["as_of"])
    body = "".join(_corridor(c, as_of) for c in view["corridors"]) or (
        "<section><h1>No corridor to report</h1><p>Nothing has been announced yet, or not "
        "long enough ago to be published.</p></section>"
    )
    zone = zone_of(view["corridors"][0].get("window") if view["corridors"] else None, as_of)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_S}">
<title>Evacuation corridor status</title><style>{STYLE}</style></head>
<body><main>
{body}
<p class="small">Situation as of {escape(local_time(as_of, zone))}, published
{view["delay_min"]:g} minutes later on purpose (for the safety of the people on the road).
Counts come from reports at checkpoints; only confirmed figures have been checked. This page
updates itself every {REFRESH_S // 60} minutes. Data: <a href="/status.json">status.json</a>.</p>
</main></body></html>
"""
