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

from safepassage.report.text import local_time, window_ended, zone_of

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
        "said": "Status {verification}; reported {time}.",
        "no_status": "No status reported yet.",
        "route": "Route",
        "not_announced": "not announced",
        "no_window": "No agreed window announced.",
        "window": "Agreed window: {start} to {end}",
        "not_started": "(not started as of this report).",
        "ended": "(<strong>ended</strong>).",
        "in_progress": "(in progress as of this report).",
        "trip": "Expected journey along the route: about {h} h {m} min without waiting at "
        "checkpoints.",
        "out_caption": "Out through {through} so far. Confirmed and unconfirmed are never added together.",
        "first_checkpoint": "the first checkpoint",
        "wait": "Waiting at {through}: at least about {h} h {m} min at the last hour's pace "
        "(queue last reported {time}).",
        "people": "People",
        "vehicles": "Vehicles",
        "buses": "Buses",
        "vehicles_without_people": "Vehicles with no people count",
        "confirmed": "Confirmed",
        "unconfirmed": "Reported, not confirmed",
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
        "said": "Стан: {verification}; повідомлено {time}.",
        "no_status": "Стан ще не повідомлено.",
        "route": "Маршрут",
        "not_announced": "не оголошено",
        "no_window": "Узгоджений період не оголошено.",
        "window": "Узгоджений період: з {start} до {end}",
        "not_started": "(на час цього звіту ще не почався).",
        "ended": "(<strong>завершився</strong>).",
        "in_progress": "(триває на час цього звіту).",
        "trip": "Очікувана тривалість поїздки маршрутом: близько {h} год {m} хв без очікування "
        "на блокпостах.",
        "out_caption": "Виїхали через {through} на цей час. Підтверджені й непідтверджені цифри ніколи не додаються.",
        "first_checkpoint": "перший блокпост",
        "wait": "Очікування на {through}: щонайменше близько {h} год {m} хв за темпом останньої "
        "години (черга востаннє повідомлена {time}).",
        "people": "Люди",
        "vehicles": "Автомобілі",
        "buses": "Автобуси",
        "vehicles_without_people": "Авто без даних про кількість людей",
        "confirmed": "Підтверджено",
        "unconfirmed": "Повідомлено, не підтверджено",
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


def _window_phrase(t: dict[str, str], window: dict[str, str] | None, as_of: datetime) -> str:
    if not window:
        return t["no_window"]
    zone = zone_of(window)
    start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
    span = t["window"].format(start=local_time(start, zone), end=local_time(end, zone))
    if as_of < start:
        return f"{span} {t['not_started']}"
    if window_ended(window, as_of):
        return f"{span} {t['ended']}"
    return f"{span} {t['in_progress']}"


def _corridor(t: dict[str, str], c: dict[str, Any], as_of: datetime) -> str:
    status = c["status"] if c["status"] in STATUS_COLOUR else "unknown"
    words, colour = t[status], STATUS_COLOUR.get(status, GREY)
    warning = ""
    if status == "open" and window_ended(c.get("window"), as_of):
        # "Open" past the agreed window must not read as "go".
        words, colour = t["open_ended"], AMBER
        warning = f"<p><strong>{t['ended_warning']}</strong></p>"
    zone = zone_of(c.get("window"), as_of)
    if c.get("status_at"):
        verification = t.get(f"v_{c.get('status_verification')}", t["v_unverified"])
        said = t["said"].format(
            verification=verification, time=escape(local_time(c["status_at"], zone))
        )
    else:
        said = t["no_status"]
    route = " &rarr; ".join(escape(r) for r in c.get("route") or []) or t["not_announced"]
    minutes = c.get("expected_trip_min")
    trip = f"<p>{t['trip'].format(h=minutes // 60, m=minutes % 60)}</p>" if minutes else ""
    out = c["out"]
    # Two lines, not a table: they fit any phone, and each says what it counts.
    rows = "".join(
        f"<dt>{t[key]}</dt><dd>"
        + " · ".join(
            f"{t[what]}: <b>{out[key].get(what, 0):,}</b>"
            for what in ("people", "vehicles", "buses", "vehicles_without_people")
            if what != "vehicles_without_people" or out[key].get(what)
        )
        + "</dd>"
        for key in ("confirmed", "unconfirmed")
    )
    through = escape(c["left_through"]) if c.get("left_through") else t["first_checkpoint"]
    wait = c.get("exit_wait")
    if wait:
        seen = escape(local_time(wait["queue_seen_at"], zone))
        h, m = divmod(wait["minutes"], 60)
        trip += f"<p>{t['wait'].format(through=through, h=h, m=m, time=seen)}</p>"
    title = escape(c.get("name") or c["corridor"])
    return f"""<section aria-label="{title}">
<h1>{t["corridor"].format(id=title)}</h1>
<p><span class="status" style="background:{colour}">{words}</span></p>
<p>{said}</p>{warning}
<p>{t["route"]}: <span class="route">{route}</span></p>
<p>{_window_phrase(t, c.get("window"), as_of)}</p>
{trip}<p class="small">{t["out_caption"].format(through=through)}</p>
<dl>{rows}</dl></section>"""


def public_page_html(view: dict[str, Any], lang: str = "en") -> str:
    """The page for a public view (`PublicProjection.view`) in `lang` (a key of TEXT)."""
    t = TEXT[lang]
    as_of = datetime.fromisoformat(view["as_of"])
    body = "".join(_corridor(t, c, as_of) for c in view["corridors"]) or (
        f"<section><h1>{t['none_title']}</h1><p>{t['none_text']}</p></section>"
    )
    zone = zone_of(view["corridors"][0].get("window") if view["corridors"] else None, as_of)
    switch = " · ".join(
        f'<a href="?lang={code}" hreflang="{code}" lang="{code}">{name}</a>'
        for code, name in LANGUAGES.items()
        if code != lang
    )
    footer = t["footer"].format(
        time=escape(local_time(as_of, zone)),
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
