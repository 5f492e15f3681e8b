"""The public status page: what it says, what it must never show, that it needs nothing from
elsewhere, and that a real Chromium renders it from a real server."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.ops.events import validate_event
from safepassage.ops.state import StateSettings
from safepassage.ops.store import EventStore
from tests.web.browser import (
    CHROMIUM,
    HAS_PLAYWRIGHT,
    NO_CHROMIUM,
    NO_PLAYWRIGHT,
    chromium,
    offline_page,
    served,
)

SHOTS = os.environ.get("SAFEPASSAGE_SCREENSHOTS")

REPORTER = "manhush-reporter-7"


def _event(kind: str, at: datetime, data: dict[str, Any], status: str = "unverified") -> Any:
    return validate_event(
        {
            "id": str(uuid.uuid4()),
            "type": kind,
            "occurred_at": at.isoformat(),
            "corridor": "mariupol",
            "status": status,
            "data": data,
        }
    )


def _fill(store: EventStore, now: datetime) -> None:
    """A corridor open now (window until 8 h from now), counts confirmed and not, a convoy and
    an incident whose details must stay private."""
    window = {
        "start": (now - timedelta(hours=3)).astimezone().isoformat(),
        "end": (now + timedelta(hours=8)).astimezone().isoformat(),
    }
    store.append(
        [
            _event(
                "corridor_announced",
                now - timedelta(hours=4),
                {
                    "route": ["cp01", "manhush", "zaporizhzhia"],
                    "window": window,
                    "legs_min": [90, 215],
                    "name": "Mariupol - Zaporizhzhia",
                },
                "confirmed",
            ),
            _event(
                "corridor_status",
                now - timedelta(hours=2),
                {"status": "open", "said_by": "ICRC"},
                "confirmed",
            ),
            _event(
                "checkpoint_count",
                now - timedelta(hours=2),
                {"checkpoint": "cp01", "vehicles": 160, "people": 640},
                "confirmed",
            ),
            _event(
                "checkpoint_count",
                now - timedelta(hours=1),
                {"checkpoint": "cp01", "vehicles": 90, "people": 350},
            ),
            _event(
                "waypoint_passage",
                now - timedelta(hours=1),
                {"convoy": "convoy-3", "waypoint": "manhush"},
            ),
            _event(
                "incident",
                now - timedelta(minutes=90),
                {"kind": "shelling", "place": "manhush", "note": "driver Ivan hurt"},
            ),
        ],
        REPORTER,
    )


def test_public_page_answers_and_keeps_private_things_out(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "ops.db"))
    now = datetime.now(UTC)
    _fill(store, now)
    clock = [now]
    app = create_app(store, settings=StateSettings(public_delay_min=30), clock=lambda: clock[0])
    c = TestClient(app)
    assert "No corridor to report" in c.get("/status").text  # just recorded: not public yet
    clock[0] = now + timedelta(hours=1)  # an hour later: everything is past the delay
    page = c.get("/status")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert ">OPEN<" in text and "Status OPEN according to ICRC: confirmed; said " in text
    # No served scenario names the route's places: only where it starts and ends is shown.
    assert '<span class="route">cp01 → zaporizhzhia</span>' in text
    assert "Last confirmed: OPEN, by ICRC, " in text
    assert "about 5 h 5 min" in text and "from the plan, not observed" in text  # 90 + 215
    assert "640 people out through cp01" in text and "350 people out through cp01" in text
    assert "990" not in text  # confirmed and unverified apart
    assert (
        "Said by field report. Confirmed" in text and "Said by field report. Not verified" in text
    )
    assert "30 minutes later" in text
    for secret in (REPORTER, "convoy-3", "shelling", "Ivan"):
        assert secret not in text, secret
    # Nothing from anywhere else: no script, no external address, no stylesheet link.
    assert "<script" not in text and "<link" not in text
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    assert len(text.encode()) < 12_000  # a few kilobytes for bad connections
    assert c.get("/status.json").json() == c.get("/api/v1/public/status").json()
    store.close()


def test_open_after_the_window_is_not_shown_as_go(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "ops.db"))
    now = datetime.now(UTC)
    _fill(store, now)
    later = now + timedelta(hours=12)  # the window ended 4 h before
    settings = StateSettings(public_delay_min=30, status_stale_after_min=24 * 60)
    app = create_app(store, settings=settings, clock=lambda: later)
    text = TestClient(app).get("/status").text
    assert "OPEN, BUT THE WINDOW HAS ENDED" in text and ">OPEN<" not in text
    # With the default rule (3 hours), nobody renewed the status: it is unknown.
    app = create_app(store, settings=StateSettings(public_delay_min=30), clock=lambda: later)
    text = TestClient(app).get("/status").text
    assert ">STATUS UNKNOWN<" in text and "Nobody has renewed this status since" in text
    assert "OPEN, BUT" not in text
    store.close()


def test_public_page_in_ukrainian(tmp_path: Path) -> None:
    """By `?lang=uk` or by the browser's language; every phrase translated, the figures the
    same; an unknown language falls back to English."""
    store = EventStore(str(tmp_path / "ops.db"))
    now = datetime.now(UTC)
    _fill(store, now)
    later = now + timedelta(hours=1)  # everything is past the delay
    c = TestClient(
        create_app(store, settings=StateSettings(public_delay_min=30), clock=lambda: later)
    )
    asked = c.get("/status?lang=uk")
    by_browser = c.get("/status", headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"})
    for page in (asked, by_browser):
        assert page.headers["content-language"] == "uk" and 'lang="uk"' in page.text
        assert ">ВІДКРИТО<" in page.text and "за словами ICRC: підтверджено" in page.text
        assert "Маршрут" in page.text and "близько 5 год 5 хв" in page.text
        assert "640 людей виїхали через cp01" in page.text and "350 людей" in page.text
        assert "Confirmed" not in page.text and "OPEN" not in page.text  # nothing left over
    assert ">OPEN<" in c.get("/status", headers={"Accept-Language": "fr-FR"}).text
    assert c.get("/status?lang=english").status_code == 422
    store.close()


def test_every_language_has_every_phrase() -> None:
    from safepassage.web.public import TEXT

    keys = set(TEXT["en"])
    for lang, table in TEXT.items():
        assert set(table) == keys, lang
        for key, phrase in table.items():
            fields = sorted(f for f in re.findall(r"{(\w+)}", TEXT["en"][key]))
            assert sorted(re.findall(r"{(\w+)}", phrase)) == fields, (lang, key)


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_chromium_renders_the_page_from_a_real_server(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    store = EventStore(db)
    _fill(store, datetime.now(UTC) - timedelta(minutes=30))  # the status is 2.5 h old: fresh
    store.close()
    with served(db) as base:
        dom = chromium(f"{base}/status", "--dump-dom")
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert "Corridor Mariupol - Zaporizhzhia" in dom.stdout and ">OPEN<" in dom.stdout
        assert "640 people out through cp01" in dom.stdout
        shot = tmp_path / "status.png"
        chromium(f"{base}/status", f"--screenshot={shot}", "--window-size=420,900")
        assert shot.exists() and shot.stat().st_size > 5_000  # something was drawn


def test_exit_wait_is_shown_as_a_lower_bound_in_both_languages(tmp_path: Path) -> None:
    from safepassage.report import public_view
    from safepassage.web.public import public_page_html

    store = EventStore(str(tmp_path / "ops.db"))
    now = datetime.now(UTC).replace(microsecond=0)
    window = {
        "start": (now - timedelta(hours=3)).isoformat(),
        "end": (now + timedelta(hours=8)).isoformat(),
    }
    store.append(
        [
            _event(
                "corridor_announced",
                now - timedelta(hours=4),
                {
                    "name": "Mariupol - Zaporizhzhia",
                    "route": ["cp01", "zaporizhzhia"],
                    "window": window,
                    "timezone": "Europe/Kyiv",
                },
            ),
            _event(
                "checkpoint_count",
                now - timedelta(minutes=10),
                {
                    "checkpoint": "cp01",
                    "interval_start": (now - timedelta(minutes=70)).isoformat(),
                    "vehicles": 120,
                    "waiting": 270,
                },
            ),
        ],
        REPORTER,
    )
    view = public_view(store, datetime.now(UTC), StateSettings(public_delay_min=0))
    store.close()
    english = public_page_html(view, "en")
    # 270 waiting at 120 an hour: at least 2 h 15 min (arrivals to the queue are not counted).
    assert "Waiting at cp01: at least 2 h 15 min, for a queue of 270 vehicles seen " in english
    assert "Europe/Kyiv (UTC+0" in english
    assert "at the pace of 120 an hour; said by field report; Not verified." in english
    ukrainian = public_page_html(view, "uk")
    assert "Очікування на cp01: щонайменше 2 год 15 хв" in ukrainian
    view["corridors"][0]["exit_waits"] = []
    assert "Waiting at" not in public_page_html(view, "en")


def test_the_page_has_three_languages_and_every_phrase_in_each() -> None:
    from safepassage.web.phrases import AVOID, BRING, LANGUAGES, TEXT

    assert set(TEXT) == set(LANGUAGES) == {"uk", "en", "ru"}
    for table in TEXT.values():
        assert all(table[k].strip() for k in (*BRING, *AVOID))
        assert len(set(table.values())) > 80  # translated, not one phrase copied over


def _named_corridor(store: EventStore, now: datetime) -> None:
    """The scenario's corridor, announced through seven of its places, open and confirmed."""
    window = {
        "start": (now - timedelta(hours=3)).isoformat(),
        "end": (now + timedelta(hours=8)).isoformat(),
    }
    route = [
        "cp01-mariupol-exit",
        "cp02-melekine",
        "cp04-manhush",
        "manhush",
        "cp05",
        "berdyansk",
        "zaporizhzhia",
    ]
    events = [
        _event(
            "corridor_announced",
            now - timedelta(hours=4),
            {"route": route, "window": window, "timezone": "Europe/Kyiv", "name": "Corridor A"},
            "confirmed",
        ),
        _event(
            "corridor_status",
            now - timedelta(hours=1),
            {"status": "open", "said_by": "ICRC"},
            "confirmed",
        ),
        _event(
            "checkpoint_count",
            now - timedelta(hours=1),
            {"checkpoint": "cp01-mariupol-exit", "vehicles": 40},
            "confirmed",
        ),
    ]
    store.append(events, REPORTER)


#: The route's places marked public in scenarios/mariupol-2022.yaml, and its destination.
TOWNS = {
    "en": "Mariupol (exit) → Manhush → Berdiansk → Zaporizhzhia",
    "uk": "Маріуполь, виїзд → Мангуш → Бердянськ → Запоріжжя",
    "ru": "Мариуполь, выезд → Мангуш → Бердянск → Запорожье",
}
HIDDEN = ("Melekine", "Мелекіне", "Мелекино", "Checkpoint 5", "Блокпост 5", "Manhush checkpoint")


def test_public_page_names_the_main_towns_in_three_languages(tmp_path: Path) -> None:
    from safepassage.model.load import load_scenario
    from tests.model.test_scenario import MARIUPOL

    store = EventStore(str(tmp_path / "ops.db"))
    now = datetime.now(UTC)
    _named_corridor(store, now)
    scenario = load_scenario(str(MARIUPOL))[0]
    app = create_app(store, settings=StateSettings(public_delay_min=0), scenarios=[scenario])
    c = TestClient(app)
    for lang, towns in TOWNS.items():
        page = c.get(f"/status?lang={lang}")
        assert page.headers["content-language"] == lang
        text = page.text
        assert f'<span class="route">{towns}</span>' in text, lang
        assert not [h for h in HIDDEN if h in text], lang  # no other checkpoint is published
        assert "cp0" not in text.replace("/cap/", "")  # no id, but in the CAP link's address
        assert "40 " in text and "2025" not in text
        assert len(page.content) <= 50_000 and "<script" not in text
    russian = c.get("/status", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).text
    assert ">ОТКРЫТ<" in russian and "40 машин выехали через Мариуполь, выезд" in russian
    assert "Возьмите с собой" in russian and "удалять мессенджеры и фото" in russian
    assert "Последнее подтверждение: ОТКРЫТ, ICRC, " in russian
    english = c.get("/status?lang=en").text
    assert "delete messengers and photos before checkpoints" in english
    assert 'href="/api/v1/public/cap.atom"' in english and 'href="/status.json"' in english
    store.close()


@pytest.mark.skipif(not HAS_PLAYWRIGHT, reason=NO_PLAYWRIGHT)
def test_public_page_without_javascript_in_three_languages(tmp_path: Path) -> None:
    from tests.model.test_scenario import MARIUPOL

    db = str(tmp_path / "ops.db")
    store = EventStore(db)
    _named_corridor(store, datetime.now(UTC))
    store.close()
    with (
        served(db, "--scenario", str(MARIUPOL)) as base,
        offline_page(base, javascript=False, width=420, height=900) as (page, refused, received),
    ):
        for lang, towns in TOWNS.items():
            page.goto(f"{base}/status?lang={lang}")
            assert page.inner_text(".route") == towns
            assert page.get_attribute("html", "lang") == lang
        weight = sum(n for url, n in received.items() if "/status" in url)
        assert 0 < weight <= 3 * 50_000 and refused == []
        page.goto(f"{base}/status?lang=uk")
        shot = tmp_path / "status.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if SHOTS:
            shutil.copy(shot, Path(SHOTS) / "status-uk.png")


def test_an_unconfirmed_status_is_shown_with_the_last_confirmed_one(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "ops.db"))
    now = datetime.now(UTC)
    _fill(store, now)  # "open", confirmed, said by ICRC two hours before `now`
    claim = {"status": "closed", "said_by": "city council", "basis": "claimed"}
    store.append([_event("corridor_status", now - timedelta(minutes=40), claim)], REPORTER)
    later = now + timedelta(hours=1)  # everything recorded is past the 30-minute delay
    app = create_app(store, settings=StateSettings(public_delay_min=30), clock=lambda: later)
    c = TestClient(app)
    (corridor,) = c.get("/status.json").json()["corridors"]
    assert corridor["status_detail"]["said_by"] == "city council"
    last = corridor["last_confirmed"]
    assert last["said"] == "open" and last["said_by"] == "ICRC"
    assert last["verification"] == "confirmed" and "reporter" not in last
    # The time the page writes: the confirmed status's, in the corridor's zone (oracle: the
    # event's time formatted here, not the server's text).
    said = (now - timedelta(hours=2)).astimezone(ZoneInfo(corridor["zone"]))
    assert last["as_of"]["text"].startswith(said.strftime("%Y-%m-%d %H:%M"))
    text = c.get("/status").text
    assert "This status has not been confirmed by anyone independent." in text
    assert f"Last confirmed: OPEN, by ICRC, {said.strftime('%Y-%m-%d %H:%M')}" in text
    uk = c.get("/status?lang=uk").text
    assert "Цей стан ніхто незалежний не підтвердив." in uk and "Востаннє підтверджено:" in uk
    store.close()
