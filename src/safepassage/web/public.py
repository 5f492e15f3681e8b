"""The public status page: for the public and families, one honest answer per corridor: is it
open, which way, when, how long, and how many people are out (confirmed and not, apart).

Rendered from the public view only (aggregate and delayed), as one small HTML document with its
style inline and no script: it refreshes itself every two minutes with a meta tag and weighs a
few kilobytes, for bad connections. In English and Ukrainian (`?lang=`, else the browser's
Accept-Language); every phrase of a language is in its table below, so a translation is
reviewed in one place.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from safepassage.figures.when import stamp
from safepassage.report.text import window_ended

REFRESH_S = 120
#: Status -> colour. The words carry the meaning; colour only helps.
STATUS_COLOUR = {"open": "#1b7f3b", "suspended": "#b35900", "closed": "#b00020"}
GREY, AMBER = "#555555", "#b35900"

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Evacuation corridor status",
        "corridor": "Corridor {id}",
        "open": "OPEN",
        "suspended": "SUSPENDED",
        "closed": "CLOSED",
        "unknown": "STATUS UNKNOWN",
        "open_ended": "OPEN, BUT THE WINDOW HAS ENDED",
        "ended_warning": "The agreed window has ended. Check before travelling.",
        "v_confirmed": "confirmed",
        "v_claimed": "announced by one party, not confirmed",
        "v_unverified": "not verified",
        "no_status": "No status reported yet.",
        "route": "Route",
        "not_announced": "not announced",
        "no_window": "No agreed window announced.",
        "window": "{basis}: {start} to {end}",
        "not_started": "(not started as of this report).",
        "ended": "(<strong>ended</strong>).",
        "in_progress": "(in progress as of this report).",
        "trip": "Planned journey along the route (from the plan, not observed): about {h} h "
        "{m} min without waiting at checkpoints.",
        "out_caption": "Out through {through}: each figure with its source and status. Figures "
        "of different statuses or sources are never added together.",
        "first_checkpoint": "the first checkpoint",
        "wait": "Waiting at {through}: {wait}, for a queue of {queue} vehicles seen {time} at "
        "the pace of {pace} an hour; said by {source}; {status}.",
        "wait_at_least": "at least {h} h {m} min",
        "wait_about": "about {h} h {m} min",
        "wait_range": "{h} h {m} min to {h2} h {m2} min",
        "figure": "{value} {unit} {kind}{place}, {span}. Said by {source}{basis}. {status}.",
        "q_at_least": "at least {n}",
        "q_as_many_as": "as many as {n}",
        "q_about": "about {n}",
        "q_range": "{low} to {high}",
        "unit_people": "people",
        "unit_vehicles": "vehicles",
        "unit_buses": "buses",
        "kind_killed": "killed",
        "kind_injured": "injured",
        "kind_missing": "missing",
        "kind_evacuated": "evacuated",
        "kind_crossed": "out through",
        "kind_arrived": "arrived at",
        "kind_sheltering": "sheltering",
        "kind_in_need": "in need",
        "kind_waiting": "waiting at",
        "kind_blocked": "blocked",
        "kind_seized": "seized",
        "span_stock": "at {end}",
        "span_cumulative": "in all up to {end}",
        "span_interval": "from {start} to {end}",
        "span_open": "reported {end}",
        "party": " (a party to the conflict)",
        "via": " via {via}",
        "b_claimed": " (a claim)",
        "b_reconstructed": " (RECONSTRUCTED, not reported)",
        "b_assumed": " (ASSUMED, not reported)",
        "s_reported": "Reported, not verified",
        "s_unverified": "Not verified",
        "s_under_review": "Under review",
        "s_confirmed": "Confirmed",
        "s_unverifiable": "Cannot be independently verified",
        "s_disputed": "Disputed",
        "s_denied": "Denied",
        "by": " by {who}",
        "denied_by": "denied by {who}",
        "disputed_by": "disputed by {who}",
        "sources_differ": "Sources differ: from {low} to {high}. They are not added or averaged.",
        "status_said": "Status {status} according to {said_by}{basis}: {verification}; said {time}.",
        "stale": "Nobody has renewed this status since {time}: treat it as unknown.",
        "w_agreed": "Agreed window",
        "w_announced": "Announced window (not confirmed as agreed)",
        "w_claimed": "Window as announced by one party (not confirmed)",
        "w_reconstructed": "Window RECONSTRUCTED (not reported)",
        "w_assumed": "Window ASSUMED for planning (not agreed)",
        "other_figures": "Other figures reported",
        "in_place": " in {place}",
        "open_unconfirmed": "OPEN (NOT CONFIRMED)",
        "unreported": " People were not reported for {n} of the vehicles of this source.",
        "none_title": "No corridor to report",
        "none_text": "Nothing has been announced yet, or not long enough ago to be published.",
        "footer": "Situation as of {time}, published {delay} minutes later on purpose (for the "
        "safety of the people on the road). Counts come from reports at checkpoints; only "
        "confirmed figures have been checked. This page updates itself every {refresh} "
        "minutes. Data:",
    },
    "uk": {
        "title": "Стан евакуаційного коридору",
        "corridor": "Коридор {id}",
        "open": "ВІДКРИТО",
        "suspended": "ПРИЗУПИНЕНО",
        "closed": "ЗАКРИТО",
        "unknown": "СТАН НЕВІДОМИЙ",
        "open_ended": "ВІДКРИТО, АЛЕ УЗГОДЖЕНИЙ ЧАС ЗАВЕРШИВСЯ",
        "ended_warning": "Узгоджений період завершився. Перевірте, перш ніж вирушати.",
        "v_confirmed": "підтверджено",
        "v_claimed": "оголошено однією стороною, не підтверджено",
        "v_unverified": "не перевірено",
        "no_status": "Стан ще не повідомлено.",
        "route": "Маршрут",
        "not_announced": "не оголошено",
        "no_window": "Узгоджений період не оголошено.",
        "window": "{basis}: з {start} до {end}",
        "not_started": "(на час цього звіту ще не почався).",
        "ended": "(<strong>завершився</strong>).",
        "in_progress": "(триває на час цього звіту).",
        "trip": "Запланована тривалість поїздки маршрутом (за планом, не спостережена): близько "
        "{h} год {m} хв без очікування на блокпостах.",
        "out_caption": "Виїхали через {through}: кожна цифра з джерелом і статусом. Цифри з "
        "різними статусами чи джерелами ніколи не додаються.",
        "first_checkpoint": "перший блокпост",
        "wait": "Очікування на {through}: {wait}, для черги з {queue} авто станом на {time} "
        "за темпу {pace} на годину; джерело: {source}; {status}.",
        "wait_at_least": "щонайменше {h} год {m} хв",
        "wait_about": "близько {h} год {m} хв",
        "wait_range": "від {h} год {m} хв до {h2} год {m2} хв",
        "figure": "{value} {unit} {kind}{place}, {span}. Джерело: {source}{basis}. {status}.",
        "q_at_least": "щонайменше {n}",
        "q_as_many_as": "до {n}",
        "q_about": "близько {n}",
        "q_range": "від {low} до {high}",
        "unit_people": "людей",
        "unit_vehicles": "авто",
        "unit_buses": "автобусів",
        "kind_killed": "загинули",
        "kind_injured": "поранені",
        "kind_missing": "зникли безвісти",
        "kind_evacuated": "евакуйовано",
        "kind_crossed": "виїхали через",
        "kind_arrived": "прибули до",
        "kind_sheltering": "в укриттях",
        "kind_in_need": "потребують допомоги",
        "kind_waiting": "чекають на",
        "kind_blocked": "заблоковано",
        "kind_seized": "захоплено",
        "span_stock": "на {end}",
        "span_cumulative": "загалом до {end}",
        "span_interval": "з {start} до {end}",
        "span_open": "повідомлено {end}",
        "party": " (сторона конфлікту)",
        "via": " через {via}",
        "b_claimed": " (заява)",
        "b_reconstructed": " (РЕКОНСТРУКЦІЯ, не повідомлялося)",
        "b_assumed": " (ПРИПУЩЕННЯ, не повідомлялося)",
        "s_reported": "Повідомлено, не перевірено",
        "s_unverified": "Не перевірено",
        "s_under_review": "Перевіряється",
        "s_confirmed": "Підтверджено",
        "s_unverifiable": "Неможливо незалежно перевірити",
        "s_disputed": "Оскаржено",
        "s_denied": "Заперечено",
        "by": " ({who})",
        "denied_by": "заперечує: {who}",
        "disputed_by": "оскаржує: {who}",
        "sources_differ": "Джерела розходяться: від {low} до {high}. Цифри не додаються і не усереднюються.",
        "status_said": "Стан {status} за словами {said_by}{basis}: {verification}; повідомлено {time}.",
        "stale": "Цей стан ніхто не підтвердив з {time}: вважайте його невідомим.",
        "w_agreed": "Узгоджений період",
        "w_announced": "Оголошений період (не підтверджено, що узгоджений)",
        "w_claimed": "Період за заявою однієї сторони (не підтверджено)",
        "w_reconstructed": "Період РЕКОНСТРУЙОВАНО (не повідомлялося)",
        "w_assumed": "Період ПРИПУЩЕНО для планування (не узгоджений)",
        "other_figures": "Інші повідомлені цифри",
        "in_place": " ({place})",
        "open_unconfirmed": "ВІДКРИТО (НЕ ПІДТВЕРДЖЕНО)",
        "unreported": " Для {n} авто цього джерела кількість людей не повідомлено.",
        "none_title": "Немає коридорів для звіту",
        "none_text": "Ще нічого не оголошено або оголошено надто недавно для публікації.",
        "footer": "Стан на {time}; опубліковано навмисно із затримкою {delay} хв (для безпеки "
        "людей у дорозі). Цифри надходять із повідомлень на блокпостах; перевірено лише "
        "підтверджені. Сторінка оновлюється кожні {refresh} хв. Дані:",
    },
}
LANGUAGES = {"en": "English", "uk": "Українська"}

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:42rem;color:#111;
background:#fff;line-height:1.4}
h1{font-size:1.3rem;margin:0 0 .5rem}
section{border:2px solid #ccc;border-radius:.5rem;padding:.8rem;margin:1rem 0}
.status{font-size:1.8rem;font-weight:700;color:#fff;padding:.2rem .6rem;border-radius:.3rem;
display:inline-block}
.route{font-weight:600}
dt{font-weight:700;margin-top:.4rem}dd{margin:0 0 .3rem 1rem}
.small{font-size:.85rem;color:#444}
nav{text-align:right}
"""


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
    span = t["window"].format(
        basis=basis, start=escape(stamp(start, zone)), end=escape(stamp(end, zone))
    )
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


def figure_line(t: dict[str, str], f: dict[str, Any]) -> str:
    """One figure of the public view in words of `t`: value, what, when, who, status."""
    source = f["source"]["name"] + (t["party"] if f["source"]["party"] else "")
    if f["source"].get("via"):
        source += t["via"].format(via=f["source"]["via"])
    for other in f.get("also_said_by", []):
        source += ", " + other["name"]
    place = ""
    if f["what"]["place"]:
        at = f["what"]["kind"] in ("crossed", "arrived", "waiting")
        place = (" {place}" if at else t["in_place"]).format(place=f["what"]["place"])
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


def _figures(t: dict[str, str], figures: list[dict[str, Any]], differ: list[dict[str, Any]]) -> str:
    items = [f"<li>{escape(figure_line(t, f))}</li>" for f in figures]
    for d in differ:
        high = f"{d['high']:,}" if d["high"] is not None else "?"
        low = f"{d['low']:,}" if d["low"] is not None else "0"
        items.append(f"<li>{escape(t['sources_differ'].format(low=low, high=high))}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


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
    return escape(said)


def _corridor(t: dict[str, str], c: dict[str, Any], as_of: datetime) -> str:
    status = c["status"] if c["status"] in STATUS_COLOUR else "unknown"
    words, colour = t[status], STATUS_COLOUR.get(status, GREY)
    warning = ""
    detail = c.get("status_detail")
    if status == "open" and (detail is None or detail["verification"] != "confirmed"):
        # Only a confirmed "open" is green: a claim or an unverified report is not a go.
        words, colour = t["open_unconfirmed"], AMBER
    if status == "open" and window_ended(c.get("window"), as_of):
        # "Open" past the window must not read as "go".
        words, colour = t["open_ended"], AMBER
        warning = f"<p><strong>{t['ended_warning']}</strong></p>"
    zone = c.get("zone") or "UTC"
    route = " &rarr; ".join(escape(r) for r in c.get("route") or []) or t["not_announced"]
    minutes = c.get("expected_trip_min")
    trip = f"<p>{t['trip'].format(h=minutes // 60, m=minutes % 60)}</p>" if minutes else ""
    through = escape(c["left_through"]) if c.get("left_through") else t["first_checkpoint"]
    for w in c.get("exit_waits") or []:
        trip += f"<p>{escape(_wait_line(t, w, through))}</p>"
    out = _figures(t, c.get("out") or [], c.get("out_sources_differ") or [])
    other = _figures(t, c.get("figures") or [], c.get("sources_differ") or [])
    other = f"<h2>{t['other_figures']}</h2>{other}" if other else ""
    title = escape(c.get("name") or c["corridor"])
    return f"""<section aria-label="{title}">
<h1>{t["corridor"].format(id=title)}</h1>
<p><span class="status" style="background:{colour}">{words}</span></p>
<p>{_said(t, c.get("status_detail"))}</p>{warning}
<p>{t["route"]}: <span class="route">{route}</span></p>
<p>{_window_phrase(t, c.get("window"), as_of, zone)}</p>
{trip}<p class="small">{t["out_caption"].format(through=through)}</p>
{out}{other}</section>"""


def public_page_html(view: dict[str, Any], lang: str = "en") -> str:
    """The page for a public view (`PublicProjection.view`) in `lang` (a key of TEXT)."""
    t = TEXT[lang]
    as_of = datetime.fromisoformat(view["as_of"])
    body = "".join(_corridor(t, c, as_of) for c in view["corridors"]) or (
        f"<section><h1>{t['none_title']}</h1><p>{t['none_text']}</p></section>"
    )
    zone = view["corridors"][0].get("zone") if view["corridors"] else None
    switch = " · ".join(
        f'<a href="?lang={code}" hreflang="{code}" lang="{code}">{name}</a>'
        for code, name in LANGUAGES.items()
        if code != lang
    )
    footer = t["footer"].format(
        time=escape(stamp(as_of, zone)),
        delay=f"{view['delay_min']:g}",
        refresh=REFRESH_S // 60,
    )
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_S}">
<title>{t["title"]}</title><style>{STYLE}</style></head>
<body><nav class="small">{switch}</nav><main>
{body}
<p class="small">{footer} <a href="/status.json">status.json</a>.</p>
</main></body></html>
"""
