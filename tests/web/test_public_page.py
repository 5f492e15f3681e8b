"""The public status page: what it says, what it must never show, that it needs nothing from
elsewhere, and that a real Chromium renders it from a real server."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.ops.events import validate_event
from safepassage.ops.state import StateSettings
from safepassage.ops.store import EventStore
from tests.web.browser import CHROMIUM, NO_CHROMIUM, chromium, served

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
                },
                "confirmed",
            ),
            _event(
                "corridor_status",
                now - timedelta(hours=3),
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
    assert ">OPEN<" in text and "Status confirmed" in text
    assert "cp01 &rarr; manhush &rarr; zaporizhzhia" in text
    assert "about 5 h 5 min" in text  # 90 + 215 announced minutes
    assert "<b>640</b>" in text and "<b>350</b>" in text and "990" not in text  # apart
    assert "30 minutes later" in text
    for secret in (REPORTER, "convoy-3", "shelling", "Ivan", "ICRC"):
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
    app = create_app(store, settings=StateSettings(public_delay_min=30), clock=lambda: later)
    text = TestClient(app).get("/status").text
    assert "OPEN, BUT THE WINDOW HAS ENDED" in text and ">OPEN<" not in text
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
        assert ">ВІДКРИТО<" in page.text and "Стан: підтверджено" in page.text
        assert "Маршрут" in page.text and "близько 5 год 5 хв" in page.text
        assert "Люди: <b>640</b>" in page.text and "<b>350</b>" in page.text
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
    _fill(store, datetime.now(UTC) - timedelta(hours=1))
    store.close()
    with served(db) as base:
        dom = chromium(f"{base}/status", "--dump-dom")
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert "Corridor mariupol" in dom.stdout and ">OPEN<" in dom.stdout
        assert "<b>640</b>" in dom.stdout
        shot = tmp_path / "status.png"
        chromium(f"{base}/status", f"--screenshot={shot}", "--window-size=420,900")
        assert shot.exists() and shot.stat().st_size > 5_000  # something was drawn


def test_exit_wait_is_shown_as_a_lower_bound_in_both_languages() -> None:
    from safepassage.web.public import public_page_html

    corridor = {
        "corridor": "mariupol",
        "status": "open",
        "status_verification": "confirmed",
        "status_at": "2022-03-15T07:05:00+00:00",
        "route": ["cp01", "zaporizhzhia"],
        "window": {"start": "2022-03-15T09:00:00+02:00", "end": "2022-03-15T18:00:00+02:00"},
        "expected_trip_min": None,
        "left_through": "cp01",
        "exit_wait": {"minutes": 135, "queue_seen_at": "2022-03-15T09:40:00+00:00"},
        "out": {k: {"people": 0, "vehicles": 0, "buses": 0} for k in ("confirmed", "unconfirmed")},
    }
    view = {"as_of": "2022-03-15T10:00+00:00", "delay_min": 60, "corridors": [corridor]}
    english = public_page_html(view, "en")
    assert "Waiting at cp01: at least about 2 h 15 min" in english
    assert "queue last reported 2022-03-15 11:40 (UTC+0200)" in english
    assert "Очікування на cp01: щонайменше близько 2 год 15 хв" in public_page_html(view, "uk")
    corridor["exit_wait"] = None
    assert "Waiting at" not in public_page_html(view, "en")
