"""CAP 1.2 alerts (OASIS Common Alerting Protocol) for a corridor's public status.

Made from the public view only (aggregate and delayed: no reporter, convoy or incident detail),
so an alert can be passed to any warning system or broadcaster. The verification of the status
becomes CAP's certainty; people out are given confirmed and unconfirmed apart, never summed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from xml.etree import ElementTree as ET

from safepassage.figures.when import stamp
from safepassage.report.text import window_ended

NS = "urn:oasis:names:tc:emergency:cap:1.2"
CapStatus = Literal["Actual", "Exercise", "System", "Test", "Draft"]

#: The corridor's status -> (response type, urgency, headline word) when it is confirmed,
#: observed, fresh and inside an agreed or announced window.
RESPONSE = {
    "open": ("Evacuate", "Immediate", "OPEN"),
    "suspended": ("Avoid", "Immediate", "SUSPENDED"),
    "closed": ("Avoid", "Expected", "CLOSED"),
    "unknown": ("Monitor", "Unknown", "STATUS UNKNOWN"),
}


def cap_terms(
    status: str, detail: dict[str, Any] | None, window: dict[str, Any] | None, ended: bool
) -> tuple[str, str, str, str]:
    """(responseType, urgency, certainty, headline word). Only a confirmed, observed, fresh
    status is "Observed" and only then "Immediate"; an open status on a party's claim, an
    unverified report, or a reconstructed or assumed window says "Prepare", never
    "Evacuate"; a stale status is unknown."""
    response, urgency, word = RESPONSE.get(status, RESPONSE["unknown"])
    if detail is None or detail["stale"]:
        return "Monitor", "Unknown", "Unknown", word
    firm = detail["verification"] == "confirmed" and detail["basis"] == "observed"
    certainty = {"confirmed": "Likely", "claimed": "Possible"}.get(
        detail["verification"], "Unknown"
    )
    if firm:
        certainty = "Observed"
    shaky_window = window is not None and window.get("basis") in ("assumed", "reconstructed")
    if status == "open":
        if ended:
            return "Monitor", "Unknown", certainty, word
        if not firm or shaky_window:
            return "Prepare", "Expected", certainty, "OPEN (NOT CONFIRMED)"
    elif not firm and urgency == "Immediate":
        urgency = "Expected"
    return response, urgency, certainty, word


@dataclass(frozen=True)
class CapOptions:
    sender: str = "safepassage@localhost"  # who issues the alert (an address or URI)
    sender_name: str = "safepassage"
    status: CapStatus = "Actual"
    language: str = "en"
    web: str | None = None  # a public page with more information
    contact: str | None = None
    expires_after: timedelta = timedelta(hours=2)


def cap_time(value: datetime) -> str:
    """CAP's date-time: seconds, an explicit offset, and "-00:00" for UTC (never "Z")."""
    text = value.astimezone(UTC).replace(microsecond=0).isoformat()
    return text.replace("+00:00", "-00:00")


def _identifier(sender: str, corridor: str, as_of: datetime) -> str:
    # CAP forbids spaces, commas and the characters < and & in identifiers.
    safe = re.sub(r"[^A-Za-z0-9_.:@-]", "_", f"{sender}:{corridor}")
    return f"{safe}:{as_of.astimezone(UTC):%Y%m%dT%H%MZ}"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _pair(parent: ET.Element, tag: str, name: str, value: str) -> None:
    element = _sub(parent, tag)
    _sub(element, "valueName", name)
    _sub(element, "value", value)


def _figure_lines(corridor: dict[str, Any]) -> list[str]:
    lines = [f"Out: {f['text']}." for f in corridor.get("out", [])]
    for d in corridor.get("out_sources_differ", []):
        lines.append(f"Sources differ (not added): from {d['low']:,} to {d['high'] or 0:,}.")
    lines += [f"{f['text']}." for f in corridor.get("figures", [])]
    if lines:
        lines.append("Figures of different statuses or sources are never added together.")
    return lines


def corridor_alert(
    corridor: dict[str, Any], as_of: datetime, sent: datetime, options: CapOptions | None = None
) -> ET.Element:
    """One CAP alert for one corridor of the public view (`PublicProjection.view`), whose
    figures are as of `as_of` and made public at `sent`."""
    opts = options or CapOptions()
    status = corridor["status"]
    detail = corridor.get("status_detail")
    verification = detail["verification"] if detail else "unverified"
    route = corridor.get("route") or []
    window = corridor.get("window") or {}
    ended = window_ended(window, as_of)
    zone = corridor.get("zone")
    response, urgency, certainty, word = cap_terms(status, detail, window, ended is not None)
    if ended is not None and status == "open":
        # An open status past the window is not a reason to set out: say so.
        word = f"OPEN, BUT THE WINDOW ENDED {stamp(ended, zone)}"
    if detail and detail["stale"]:
        word = f"STATUS UNKNOWN SINCE {detail['unknown_since']['text']}"
    ET.register_namespace("", NS)
    alert = ET.Element(f"{{{NS}}}alert")
    _sub(alert, "identifier", _identifier(opts.sender, corridor["corridor"], as_of))
    _sub(alert, "sender", opts.sender)
    _sub(alert, "sent", cap_time(sent))
    _sub(alert, "status", opts.status)
    _sub(alert, "msgType", "Alert")
    _sub(alert, "scope", "Public")
    _sub(
        alert,
        "note",
        "Aggregate and delayed public status from safepassage; verification: " + verification,
    )
    info = _sub(alert, "info")
    _sub(info, "language", opts.language)
    _sub(info, "category", "Safety")
    _sub(info, "category", "Transport")
    _sub(info, "event", "Humanitarian corridor status")
    _sub(info, "responseType", response)
    _sub(info, "urgency", urgency)
    _sub(info, "severity", "Severe")
    _sub(info, "certainty", certainty)
    _sub(info, "effective", cap_time(sent))
    _sub(info, "expires", cap_time(sent + opts.expires_after))
    _sub(info, "senderName", opts.sender_name)
    title = corridor.get("name") or corridor["corridor"]
    _sub(info, "headline", f"Corridor {title}: {word} ({verification})")
    lines = [f"Status: {detail['text']}." if detail else "No status reported."]
    if route:
        lines.append("Route: " + " - ".join(route) + ".")
    if window.get("start") and window.get("end"):
        start, end = (stamp(window[k], zone) for k in ("start", "end"))
        lines.append(
            f"Window: {start} to {end}, {window['words']}" + (" (ended)." if ended else ".")
        )
    lines += _figure_lines(corridor)
    lines.append(f"Figures as of {stamp(as_of, zone)}, published with a delay.")
    _sub(info, "description", "\n".join(lines))
    if response == "Prepare":
        _sub(
            info,
            "instruction",
            "The corridor is said to be open, but this is not confirmed. Be ready; do not set "
            "out on this report alone.",
        )
    elif status == "open" and ended is None:
        _sub(
            info,
            "instruction",
            "Use only the announced route and hours. Status can change without notice: check "
            "again before leaving.",
        )
    elif detail is None or detail["stale"] or status == "unknown":
        _sub(
            info,
            "instruction",
            "The corridor's status is not known: do not rely on an old report. Wait for a new "
            "status before travelling.",
        )
    elif status in ("suspended", "closed"):
        _sub(info, "instruction", "Do not travel on the corridor route until it is open again.")
    if opts.web:
        _sub(info, "web", opts.web)
    if opts.contact:
        _sub(info, "contact", opts.contact)
    _pair(info, "parameter", "corridor", corridor["corridor"])
    _pair(info, "parameter", "status_verification", verification)
    if detail:
        _pair(info, "parameter", "status_said_by", detail["said_by"])
        _pair(info, "parameter", "status_basis", detail["basis"])
        _pair(info, "parameter", "status_said_at", detail["as_of"]["time"])
        _pair(info, "parameter", "status_stale", "yes" if detail["stale"] else "no")
    for f in [*corridor.get("out", []), *corridor.get("figures", [])]:
        _pair(info, "parameter", "figure", f["text"])
    area = _sub(info, "area")
    _sub(area, "areaDesc", "Corridor route: " + (" - ".join(route) if route else "not announced"))
    return alert


def alert_xml(alert: ET.Element) -> bytes:
    """The alert as a UTF-8 XML document."""
    ET.indent(alert)
    return bytes(ET.tostring(alert, encoding="utf-8", xml_declaration=True))


def public_alerts(
    view: dict[str, Any], options: CapOptions | None = None, corridor: str | None = None
) -> list[ET.Element]:
    """CAP alerts for the corridors of a public view (or just `corridor`). Each is dated when
    its figures became public (their time plus the view's delay), so the same view always
    gives the same alert."""
    as_of = datetime.fromisoformat(view["as_of"])
    sent = as_of + timedelta(minutes=view["delay_min"])
    return [
        corridor_alert(c, as_of, sent, options)
        for c in view["corridors"]
        if corridor is None or c["corridor"] == corridor
    ]


ATOM = "http://www.w3.org/2005/Atom"


def alerts_feed(view: dict[str, Any], base_url: str, options: CapOptions | None = None) -> bytes:
    """An Atom feed with one entry per corridor's current CAP alert, linking to the alert
    document (`{base_url}/api/v1/public/cap/{corridor}.xml`): the form alert aggregators poll."""
    opts = options or CapOptions()
    alerts = public_alerts(view, opts)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    as_of = datetime.fromisoformat(view["as_of"])
    updated = (as_of + timedelta(minutes=view["delay_min"])).astimezone(UTC).isoformat()
    # An Atom id must be absolute: without a configured base URL, a name that is.
    sub(feed, "id", f"{base_url}/api/v1/public/cap.atom" if base_url else "urn:safepassage:cap")
    sub(feed, "title", "Evacuation corridor status (CAP 1.2)")
    sub(feed, "updated", updated)
    author = sub(feed, "author")
    sub(author, "name", opts.sender_name)
    sub(feed, "link", rel="self", href=f"{base_url}/api/v1/public/cap.atom")
    for alert in alerts:
        q = {"cap": NS}
        corridor = alert.findtext(
            "cap:info/cap:parameter[cap:valueName='corridor']/cap:value", namespaces=q
        )
        entry = sub(feed, "entry")
        sub(entry, "id", alert.findtext("cap:identifier", namespaces=q) or "")
        sub(entry, "title", alert.findtext("cap:info/cap:headline", namespaces=q) or "")
        sub(entry, "updated", updated)
        sub(entry, "summary", alert.findtext("cap:info/cap:description", namespaces=q) or "")
        sub(
            entry,
            "link",
            rel="alternate",
            type="application/cap+xml",
            href=f"{base_url}/api/v1/public/cap/{corridor}.xml",
        )
    ET.indent(feed)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
