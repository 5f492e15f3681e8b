"""The coordinators' dashboard: a self-contained page whose script, in a real Chromium against
a real server, reads the state with a token from the address's fragment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.ops.store import EventStore
from tests.web.browser import CHROMIUM, NO_CHROMIUM, chromium, served
from tests.web.test_public_page import _fill


def test_dashboard_page_is_self_contained_and_its_data_needs_a_token(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "ops.db"))
    _fill(store, datetime.now(UTC))
    obs = store.add_user("icrc-observer", "observer")
    rep = store.add_user("manhush-7", "reporter", ["cp01"])
    c = TestClient(create_app(store))
    page = c.get("/dashboard")
    assert (
        page.status_code == 200 and "connect-src 'self'" in page.headers["content-security-policy"]
    )
    assert not re.search(r'(src|href)="(https?:)?//', page.text) and "<link" not in page.text
    assert "innerHTML" not in page.text  # values go in as text, never as markup
    assert c.get("/api/v1/state").status_code == 401
    headers = {"Authorization": f"Bearer {rep}"}
    assert c.get("/api/v1/state", headers=headers).status_code == 403
    listed = c.get("/api/v1/state", headers={"Authorization": f"Bearer {obs}"})
    assert listed.json() == {"corridors": ["mariupol"]}
    assert "default-src 'none'" in c.get("/status").headers["content-security-policy"]
    store.close()


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_chromium_runs_the_dashboard_against_a_real_server(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    store = EventStore(db)
    _fill(store, datetime.now(UTC) - timedelta(hours=1))
    token = store.add_user("desk", "coordinator")
    store.close()
    with served(db) as base:
        # The virtual time budget lets the page's script fetch and draw before the DOM is read.
        dom = chromium(
            f"{base}/dashboard#token={token}", "--virtual-time-budget=15000", "--dump-dom"
        )
        assert dom.returncode == 0, dom.stderr[-2000:]
        html = dom.stdout
        assert "Corridor mariupol" in html and ">OPEN<" in html
        assert "<td>160 veh, 0 bus, 640 ppl</td><td>90 veh, 0 bus, 350 ppl</td>" in html
        assert "convoy-3" in html  # coordinators see convoys; the public page never does
        assert token not in html  # the token left the address bar and the page
        refused = chromium(
            f"{base}/dashboard#token=wrong", "--virtual-time-budget=8000", "--dump-dom"
        )
        assert "token refused" in refused.stdout
