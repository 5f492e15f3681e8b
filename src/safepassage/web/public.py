"""The public status page: for the public and families, one honest answer per corridor: is it
open, which way (the main towns only, never every checkpoint), when, how long, what to take
and what not, when the status was last confirmed and by whom, and how many people are out
(confirmed and not, apart).

Rendered from the public view only (aggregate and delayed) with templates/status.html.j2: one
small HTML document with its style inline and no script, readable without JavaScript; it
refreshes itself every two minutes with a meta tag, for bad connections. In Ukrainian, English
and Russian (`?lang=`, else the browser's Accept-Language); the phrases are in phrases.py.
Places are named from the served scenarios (`serve --scenario`); a place no scenario names is
shown as its id made readable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from safepassage.figures.when import stamp
from safepassage.model.names import display_name, readable_id
from safepassage.model.scenario import Scenario
from safepassage.report.text import window_ended
from safepassage.web.assets import render
from safepassage.web.phrases import AVOID, BRING, LANGUAGES, TEXT

__all__ = ["LANGUAGES", "TEXT", "PlaceNames", "pick_language", "public_page_html"]

REFRESH_S = 120
#: What the status badge's class is (the words carry the meaning; colour only helps).
STATUS_CLASS = {"open": "open", "suspended": "warn", "closed": "closed"}
Names = Callable[[str], str]


class PlaceNames:
    """Names of places in one language from the served scenarios, and which places the public
    route may show: those marked `public` and the destinations."""

    def __init__(self, scenarios: Sequence[Scenario] = ()) -> None:
        self.places: dict[str, Any] = {}
        self.public: set[str] = set()
        for s in scenarios:
            for p in s.places().values():
                self.places[p.id] = p
                if getattr(p, "public", False):
                    self.public.add(p.id)
            self.public.update(d.id for d in s.destinations)

    def namer(self, lang: str) -> Names:
        def name(ident: str) -> str:
            place = self.places.get(ident)
            return display_name(place, lang) if place is not None else readable_id(ident)

        return name

    def route(self, route: list[str], lang: str) -> list[str]:
        """The towns of `route` the public may see, named in `lang`: the places marked public;
        where no served scenario knows the route, only where it starts and where it ends."""
        name = self.namer(lang)
        known = [i for i in route if i in self.places]
        if known:
            return [name(i) for i in route if i in self.public]
        ends = list(dict.fromkeys([route[0], route[-1]])) if route else []
        return [name(i) for i in ends]


def pick_language(asked: str | None, accept_language: str | None) -> str:
    """`asked` if it is one of ours, else the first of ours in Accept-Language, else English."""
    if asked in TEXT:
        return asked
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in TEXT:
            return code
    return "en"


def _window_phrase(
    t: dict[str, str], window: dict[str, Any] | None, as_of: datetime, zone: str
) -> str:
    if not window:
        return t["no_window"]
    start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
    basis = t.get(f"w_{window.get('basis', 'announced')}", t["w_announced"])
    span = t["window"].format(basis=basis, start=stamp(start, zone), end=stamp(end, zone))
    if as_of < start:
        return f"{span} {t['not_started']}"
    if window_ended(window, as_of):
        return f"{span} {t['ended']}"
    return f"{span} {t['in_progress']}"


def _value(t: dict[str, str], f: dict[str, Any]) -> str:
    lo, hi, q = f["low"], f["high"], f["qualifier"]
    if hi is None:
        return t["q_at_least"].format(n=f"{lo:,}")
    if lo is None or q == "as_many_as":
        return t["q_as_many_as"].format(n=f"{hi:,}")
    if lo != hi:
        return t["q_range"].format(low=f"{lo:,}", high=f"{hi:,}")
    return t["q_about"].format(n=f"{lo:,}") if q == "about" else f"{lo:,}"


def _span(t: dict[str, str], span: dict[str, Any]) -> str:
    end = span["end"]["text"]
    if span["kind"] == "interval" and span["start"] is None:
        return t["span_open"].format(end=end)
    start = span["start"]["text"] if span["start"] else ""
    return t[f"span_{span['kind']}"].format(start=start, end=end)


def _status_words(t: dict[str, str], status: dict[str, Any]) -> str:
    words = t[f"s_{status['state']}"]
    if (status["state"] == "denied" and status["denied_by"]) or (
        status["state"] == "disputed" and status["disputed_by"]
    ):
        words = ""  # "denied by X" below says it
    elif status["by"] and status["state"] not in ("denied", "disputed"):
        words += t["by"].format(who=status["by"])
    extra = [t["denied_by"].format(who=w) for w in status["denied_by"]]
    extra += [t["disputed_by"].format(who=w) for w in status["disputed_by"]]
    if status["unverifiable"] and status["state"] != "unverifiable":
        extra.append(t["s_unverifiable"].lower())
    text = "; ".join(w for w in [words, *extra] if w)
    return text[:1].upper() + text[1:]


def figure_line(t: dict[str, str], f: dict[str, Any], name: Names = readable_id) -> str:
    """One figure of the public view in words of `t`: value, what, when, who, status; its
    place by `name`."""
    source = f["source"]["name"] + (t["party"] if f["source"]["party"] else "")
    if f["source"].get("via"):
        source += t["via"].format(via=f["source"]["via"])
    for other in f.get("also_said_by", []):
        source += ", " + other["name"]
    place = ""
    if f["what"]["place"]:
        at = f["what"]["kind"] in ("crossed", "arrived", "waiting")
        place = (" {place}" if at else t["in_place"]).format(place=name(f["what"]["place"]))
    unreported = f.get("vehicles_without_people")
    tail = t["unreported"].format(n=f"{unreported:,}") if unreported else ""
    return _line(t, f, source, place) + tail


def _line(t: dict[str, str], f: dict[str, Any], source: str, place: str) -> str:
    return t["figure"].format(
        value=_value(t, f),
        unit=t[f"unit_{f['what']['unit']}"],
        kind=t[f"kind_{f['what']['kind']}"],
        place=place,
        span=_span(t, f["span"]),
        source=source,
        basis=t.get(f"b_{f['basis']}", ""),
        status=_status_words(t, f["status"]),
    )


def _figures(
    t: dict[str, str], figures: list[dict[str, Any]], differ: list[dict[str, Any]], name: Names
) -> list[str]:
    items = [figure_line(t, f, name) for f in figures]
    for d in differ:
        high = f"{d['high']:,}" if d["high"] is not None else "?"
        low = f"{d['low']:,}" if d["low"] is not None else "0"
        items.append(t["sources_differ"].format(low=low, high=high))
    return items


def _wait_line(t: dict[str, str], w: dict[str, Any], through: str) -> str:
    lo, hi = w["minutes_low"], w["minutes_high"]
    h, m = divmod(lo or 0, 60)
    if hi is None:
        wait = t["wait_at_least"].format(h=h, m=m)
    elif lo == hi:
        wait = t["wait_about"].format(h=h, m=m)
    else:
        h2, m2 = divmod(hi, 60)
        wait = t["wait_range"].format(h=h, m=m, h2=h2, m2=m2)
    queue, pace = w["queue"], w["pace"]
    return t["wait"].format(
        through=through,
        wait=wait,
        queue=_value(t, w["queue_seen"]),
        time=w["queue_seen"]["as_of"]["text"],
        pace=f"{pace['per_hour_low']:,.0f}",
        source=queue["source"]["name"],
        status=_status_words(t, queue["status"]),
    )


def _said(t: dict[str, str], detail: dict[str, Any] | None) -> str:
    if detail is None:
        return t["no_status"]
    basis = t.get(f"b_{detail['basis']}", "")
    verification = t.get(f"v_{detail['verification']}", t["v_unverified"])
    said = t["status_said"].format(
        status=t[detail["said"]] if detail["said"] in t else detail["said"],
        said_by=detail["said_by"],
        basis=basis,
        verification=verification,
        time=detail["as_of"]["text"],
    )
    if detail["stale"]:
        said += " " + t["stale"].format(time=detail["unknown_since"]["text"])
    return said


def _corridor(
    t: dict[str, str], c: dict[str, Any], as_of: datetime, names: PlaceNames, lang: str
) -> dict[str, Any]:
    """What the template shows of one corridor, in words of `t`."""
    status = c["status"] if c["status"] in STATUS_CLASS else "unknown"
    words, cls = t[status], STATUS_CLASS.get(status, "unknown")
    warning = None
    detail = c.get("status_detail")
    if status == "open" and (detail is None or detail["verification"] != "confirmed"):
        # Only a confirmed "open" is green: a claim or an unverified report is not a go.
        words, cls = t["open_unconfirmed"], "warn"
    if status == "open" and window_ended(c.get("window"), as_of):
        # "Open" past the window must not read as "go".
        words, cls = t["open_ended"], "warn"
        warning = t["ended_warning"]
    name = names.namer(lang)
    zone = c.get("zone") or "UTC"
    minutes = c.get("expected_trip_min")
    through = name(c["left_through"]) if c.get("left_through") else t["first_checkpoint"]
    confirmed = None
    if detail is not None:
        # The latest status when confirmed; else it is said to be unconfirmed, followed by the
        # latest confirmed one (older, with its time) when there is one.
        last = detail if detail["verification"] == "confirmed" else c.get("last_confirmed")
        confirmed = "" if last is detail else t["never_confirmed"]
        if last is not None:
            line = t["last_confirmed"].format(
                status=t.get(last["said"], last["said"]),
                who=last["said_by"],
                time=last["as_of"]["text"],
            )
            confirmed = f"{confirmed} {line}".strip()
    return {
        "id": c["corridor"],
        "title": t["corridor"].format(id=c.get("name") or readable_id(c["corridor"])),
        "words": words,
        "cls": cls,
        "said": _said(t, detail),
        "confirmed": confirmed,
        "warning": warning,
        "route": names.route(c.get("route") or [], lang),
        "window": _window_phrase(t, c.get("window"), as_of, zone),
        "trip": t["trip"].format(h=minutes // 60, m=minutes % 60) if minutes else None,
        "waits": [_wait_line(t, w, through) for w in c.get("exit_waits") or []],
        "caption": t["out_caption"].format(through=through),
        "out": _figures(t, c.get("out") or [], c.get("out_sources_differ") or [], name),
        "other": _figures(t, c.get("figures") or [], c.get("sources_differ") or [], name),
    }


def public_page_html(
    view: dict[str, Any], lang: str = "en", names: PlaceNames | None = None
) -> str:
    """The page for a public view (`PublicProjection.view`) in `lang` (a key of TEXT), places
    named by `names` (the served scenarios)."""
    t = TEXT[lang]
    names = names or PlaceNames()
    as_of = datetime.fromisoformat(view["as_of"])
    zone = view["corridors"][0].get("zone") if view["corridors"] else None
    return render(
        "status.html.j2",
        lang=lang,
        t=t,
        refresh_s=REFRESH_S,
        corridors=[_corridor(t, c, as_of, names, lang) for c in view["corridors"]],
        bring=[t[k] for k in BRING],
        avoid=[t[k] for k in AVOID],
        others={code: label for code, label in LANGUAGES.items() if code != lang},
        footer=t["footer"].format(
            time=stamp(as_of, zone), delay=f"{view['delay_min']:g}", refresh=REFRESH_S // 60
        ),
    )
