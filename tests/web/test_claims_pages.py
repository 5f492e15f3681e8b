"""The claims' HTML pages: the review queue and a claim's page. The pages carry no data
without a token; their bodies (readers only) show every part of a claim, places by name, and
the queue suggests duplicates; in a real Chromium a coordinator confirms a claim from the
queue and the log then holds the review."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.api.routes.claims_pages import CLAIMS_CSP
from safepassage.model.load import load_scenario
from safepassage.ops.state import StateSettings
from safepassage.ops.store import EventStore
from tests.model.test_scenario import MARIUPOL
from tests.web.browser import (
    HAS_PLAYWRIGHT,
    NO_PLAYWRIGHT,
    offline_page,
    serious_accessibility_problems,
    served,
)

CP = "cp01-mariupol-exit"  # named "Mariupol (exit)" by the scenario


def event(kind: str, at: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": at,
        "corridor": "mariupol",
        "data": data,
        **extra,
    }


def announcement() -> dict[str, Any]:
    return event(
        "corridor_announced",
        "2022-03-15T07:00:00+02:00",
        {
            "name": "Mariupol - Zaporizhzhia",
            "route": [CP, "zaporizhzhia"],
            "window": {"start": "2022-03-15T09:00+02:00", "end": "2022-03-15T18:00+02:00"},
            "timezone": "Europe/Kyiv",
        },
    )


TOLL = event(
    "claim",
    "2022-03-15T12:00:00+02:00",
    {
        "kind": "killed",
        "value": 2500,
        "qualifier": "as_many_as",
        "said_by": "city council <b>of</b> Mariupol",
        "party": True,
        "via": "news report",
        "method": "count of burials",
    },
)
FIRST = event(
    "claim",
    "2022-03-15T15:00:00+02:00",
    {
        "kind": "crossed",
        "unit": "vehicles",
        "value": 160,
        "place": CP,
        "span": "interval",
        "since": "2022-03-15T13:00:00+02:00",
        "said_by": "city council",
    },
)
SECOND = event(  # the same cars, heard from another source: a likely duplicate
    "claim",
    "2022-03-15T15:10:00+02:00",
    {
        "kind": "crossed",
        "unit": "vehicles",
        "value": 158,
        "place": CP,
        "span": "interval",
        "since": "2022-03-15T13:05:00+02:00",
        "said_by": "regional administration",
    },
)


def deny(claim: dict[str, Any]) -> dict[str, Any]:
    data = {"claim": claim["id"], "action": "deny", "by": "the other side", "party": True}
    return event("claim_review", "2022-03-15T13:00:00+02:00", data)


@pytest.fixture
def app(tmp_path: Path) -> tuple[TestClient, dict[str, str]]:
    store = EventStore(str(tmp_path / "claims.db"))
    client = TestClient(
        create_app(
            store,
            settings=StateSettings(public_delay_min=0),
            clock=lambda: datetime(2022, 3, 15, 14, 0, tzinfo=UTC),
            rate=1000,
            burst=1000,
            token_ttl_s=0,
            scenarios=[load_scenario(MARIUPOL)[0]],
        )
    )
    tokens = {
        "coord": store.add_user("council-desk", "coordinator"),
        "rep": store.add_user("reporter-1", "reporter", [CP], ["mariupol"]),
        "obs": store.add_user("icrc-observer", "observer"),
    }
    head = {"Authorization": f"Bearer {tokens['coord']}"}
    for e in (announcement(), TOLL, FIRST, SECOND, deny(TOLL)):
        answer = client.post("/api/v1/events", json=e, headers=head)
        assert answer.status_code == 201, answer.text
    return client, tokens


def bearer(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}"}


def text_of(html: str) -> str:
    """The words of an HTML fragment (tags dropped, entities of the test's strings decoded)."""
    words = re.sub(r"<[^>]+>", " ", html).replace("&lt;", "<").replace("&gt;", ">")
    return re.sub(r"\s+", " ", words.replace("&amp;", "&").replace("&#39;", "'"))


def test_pages_carry_no_data_and_the_same_headers_as_the_other_pages(
    app: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = app
    for path in ("/claims/mariupol", f"/claims/mariupol/{TOLL['id']}"):
        page = client.get(path)
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == CLAIMS_CSP
        assert page.headers["x-frame-options"] == "DENY"
        assert "2,500" not in page.text and "city council" not in page.text
        assert '<script src="/static/claims/claims.js"' in page.text
    assert client.get("/static/claims/claims.js").status_code == 200
    assert client.get("/claims/mariupol/not-a-claim").status_code == 422


def test_bodies_need_a_readers_token(app: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = app
    queue = "/api/v1/claims/mariupol/queue.html"
    page = f"/api/v1/claims/mariupol/{TOLL['id']}/page.html"
    for path in (queue, page):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=bearer(tokens, "rep")).status_code == 403
        assert client.get(path, headers=bearer(tokens, "obs")).status_code == 200
    other = f"/api/v1/claims/elsewhere/{TOLL['id']}/page.html"
    missing = client.get(other, headers=bearer(tokens, "obs"))
    assert missing.status_code == 404 and "elsewhere" in missing.json()["detail"]


def test_queue_lists_what_awaits_review_with_names_and_duplicates(
    app: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = app
    answer = client.get("/api/v1/claims/mariupol/queue.html", headers=bearer(tokens, "coord"))
    html = answer.text
    words = text_of(html)
    # The toll is denied: no longer pending. The two counts await review, oldest first.
    assert f'id="claim-{TOLL["id"]}"' not in html
    assert html.index(FIRST["id"]) < html.index(f'id="claim-{SECOND["id"]}"')
    assert "2 claim(s) await review" in words
    assert "Mariupol (exit)" in words and CP not in words  # a name, never the id
    first = html[html.index(f'id="claim-{FIRST["id"]}"') : html.index(f'id="claim-{SECOND["id"]}"')]
    assert f'data-of="{SECOND["id"]}"' in first  # suggested: same place, close, similar
    assert "158 and 160" in text_of(first) or "160 and 158" in text_of(first)
    assert 'data-reviewer="council-desk"' in html


def test_claim_page_shows_every_part_of_it(app: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = app
    path = f"/api/v1/claims/mariupol/{TOLL['id']}/page.html"
    html = client.get(path, headers=bearer(tokens, "obs")).text
    words = text_of(html)
    assert "<b>of</b>" not in html and "&lt;b&gt;of&lt;/b&gt;" in html  # escaped
    assert "as many as 2,500 people killed" in words
    assert "as many as" in words  # the qualifier
    assert "a party to the conflict" in words and "via news report" in words
    assert "2022-03-15 12:00 Europe/Kyiv (UTC+02:00)" in words  # as-of: date and zone
    assert "count of burials" in words  # the method
    assert "a running total to date" in words
    assert "Denied by the other side" in words
    history = words[words.index("History") :]
    assert "entered" in history and "deny" in history and "the other side" in history


def test_reviews_show_on_the_page_with_who_and_how(app: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = app
    head = bearer(tokens, "coord")
    link = event(
        "claim_review",
        "2022-03-15T15:30:00+02:00",
        {"claim": SECOND["id"], "action": "duplicate_of", "by": "council-desk", "of": FIRST["id"]},
    )
    confirm = event(
        "claim_review",
        "2022-03-15T15:40:00+02:00",
        {
            "claim": FIRST["id"],
            "action": "confirm",
            "by": "council-desk",
            "how": "called the mayor",
        },
    )
    for e in (link, confirm):
        assert client.post("/api/v1/events", json=e, headers=head).status_code == 201
    words = text_of(
        client.get(f"/api/v1/claims/mariupol/{FIRST['id']}/page.html", headers=head).text
    )
    assert "confirmed by council-desk (called the mayor)" in words
    assert "Also said by regional administration" in words  # one figure, two sources
    assert "Repeated by" in words
    queue = client.get("/api/v1/claims/mariupol/queue.html", headers=head).text
    assert "Nothing awaits review" in text_of(queue)
    # The duplicate's page says where it is counted: in the figure of the claim it repeats.
    second = text_of(
        client.get(f"/api/v1/claims/mariupol/{SECOND['id']}/page.html", headers=head).text
    )
    assert "Linked as a duplicate of another claim" in second
    assert "counted in the claim it repeats" in second and "160 vehicles" in second


def _poll(page: Any, expression: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(200)


@pytest.mark.skipif(not HAS_PLAYWRIGHT, reason=NO_PLAYWRIGHT)
def test_a_coordinator_confirms_a_claim_from_the_queue_in_chromium(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    store = EventStore(db)
    desk = store.add_user("council-desk", "coordinator")
    store.close()
    head = {"Authorization": f"Bearer {desk}"}
    with served(db, "--scenario", str(MARIUPOL)) as base, offline_page(base) as (page, refused, _):
        for e in (announcement(), TOLL, FIRST):
            assert httpx.post(f"{base}/api/v1/events", json=e, headers=head).status_code == 201
        page.goto(f"{base}/claims/mariupol")
        assert "Enter your token" in page.inner_text("#message")
        assert page.inner_text("#body").strip() == ""
        page.goto(f"{base}/claims/mariupol#token={desk}")
        page.wait_for_selector("#body[data-state=ready], #body[data-state=error]")
        assert page.get_attribute("#body", "data-state") == "ready", page.inner_text("#message")
        assert desk not in page.url
        row = f"#claim-{FIRST['id']}"
        assert "Mariupol (exit)" in page.inner_text(row)
        assert serious_accessibility_problems(page) == []
        page.click(f"{row} button[data-action=confirm]")  # no "how" yet: refused
        assert "Say how it was verified" in page.inner_text("#message")
        page.fill(f"{row} input[name=how]", "seen on the checkpoint's camera")
        page.click(f"{row} button[data-action=confirm]")
        _poll(page, "document.getElementById('message').textContent.startsWith('Recorded')")
        assert page.query_selector(row) is None  # confirmed: no longer in the queue
        assert page.query_selector(f"#claim-{TOLL['id']}") is not None
        record = httpx.get(f"{base}/api/v1/claims/{FIRST['id']}", headers=head).json()
        assert record["status"]["state"] == "confirmed"
        assert record["status"]["by"] == "council-desk"
        assert record["status"]["how"] == "seen on the checkpoint's camera"
        assert [h["action"] for h in record["history"]] == ["entered", "confirm"]
        page.goto(f"{base}/claims/mariupol/{FIRST['id']}")
        page.wait_for_selector("#body[data-state=ready]")
        assert "confirmed by council-desk" in page.inner_text("#claim")
        assert refused == []
