"""The field reporters' page in a real Chromium against a real `safepassage serve`: a report
reaches the log; offline, reports wait on the phone (the page reloads from its service worker,
the queue from IndexedDB), go out when the network returns, and a report sent again after a
lost answer is stored once; a refused report shows its reason. Weight and accessibility held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from safepassage.ops.store import EventStore
from tests.web.browser import (
    HAS_PLAYWRIGHT,
    NO_PLAYWRIGHT,
    offline_page,
    serious_accessibility_problems,
    served,
)
from tests.web.test_public_page import _fill

pytestmark = pytest.mark.skipif(not HAS_PLAYWRIGHT, reason=NO_PLAYWRIGHT)

#: The issue's budget for a reporter's first load (page, script, style, manifest).
FIRST_LOAD_BUDGET = 200_000


def _events(base: str, token: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{base}/api/v1/events?limit=5000", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    events: list[dict[str, Any]] = r.json()["events"]
    return events


def _state_of(page: Any, ident: str) -> str:
    return str(page.get_attribute(f'#queue li[data-id="{ident}"]', "class"))


def test_reporter_submits_online_and_offline_each_report_stored_once(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    store = EventStore(db)
    _fill(store, datetime.now(UTC) - timedelta(hours=1))
    reporter = store.add_user("manhush-7", "reporter", ["cp01"], ["mariupol"])
    desk = store.add_user("desk", "coordinator")
    store.close()
    with served(db) as base, offline_page(base, width=400, height=800) as (page, refused, received):
        page.goto(f"{base}/report/#token={reporter}")
        page.wait_for_selector("#reporter:not([hidden])")
        assert reporter not in page.url  # the token left the address bar
        assert "manhush-7 (reporter); assignment: cp01" in page.inner_text("#who")
        first_load = sum(received.values())
        assert first_load <= FIRST_LOAD_BUDGET, (
            f"first load {first_load:,} B > {FIRST_LOAD_BUDGET:,}"
        )
        assert serious_accessibility_problems(page) == []

        # Online: a count goes straight through and is acknowledged with its place in the log.
        page.fill("#vehicles", "12")
        page.fill("#people", "41")
        page.click("#report-form button[type=submit]")
        page.wait_for_selector("#queue li.acknowledged")
        online_id = page.get_attribute("#queue li.acknowledged", "data-id")
        stored = [e for e in _events(base, desk) if e["id"] == online_id]
        assert len(stored) == 1 and stored[0]["data"]["vehicles"] == 12
        assert stored[0]["data"]["people"] == 41 and stored[0]["reporter"] == "manhush-7"

        # Offline: the page comes back from the service worker, the report waits on the phone.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.context.set_offline(True)
        page.reload()
        page.wait_for_selector("#reporter:not([hidden])")
        assert "offline" in page.inner_text("#net")
        page.select_option("#kind", "queue")
        page.fill("#waiting", "37")
        page.click("#report-form button[type=submit]")
        page.wait_for_selector("#queue li.queued")
        queued_id = page.get_attribute("#queue li.queued", "data-id")
        page.evaluate("window.safepassageReporter.flush()")  # a try without network: still queued
        page.wait_for_function(
            f'document.querySelector(\'#queue li[data-id="{queued_id}"]\').className === "queued"'
        )
        assert "queued on this phone" in page.inner_text(f'#queue li[data-id="{queued_id}"]')

        # Back online: it goes out by itself and is acknowledged.
        page.context.set_offline(False)
        page.wait_for_selector(f'#queue li.acknowledged[data-id="{queued_id}"]', timeout=30_000)
        # The answer was lost (say): the phone sends the same report again; stored once.
        page.evaluate(
            """id => new Promise(done => { const r = indexedDB.open('safepassage-reporter');
              r.onsuccess = () => { const t = r.result.transaction('outbox', 'readwrite');
                const s = t.objectStore('outbox'); s.get(id).onsuccess = e => {
                  const item = e.target.result; item.state = 'sent'; s.put(item); };
                t.oncomplete = () => done(true); }; })""",
            queued_id,
        )
        page.evaluate("window.safepassageReporter.flush()")
        page.wait_for_selector(f'#queue li.acknowledged[data-id="{queued_id}"]')
        log = _events(base, desk)
        assert [e["data"].get("waiting") for e in log if e["id"] == queued_id] == [37]
        assert sum(1 for e in log if e["data"].get("waiting") == 37) == 1

        # A report the server refuses says why (a checkpoint outside the assignment).
        page.evaluate(
            """() => new Promise(done => { const r = indexedDB.open('safepassage-reporter');
              r.onsuccess = () => { const t = r.result.transaction('outbox', 'readwrite');
                t.objectStore('outbox').put({id: '00000000-0000-4000-8000-000000000009',
                  state: 'queued', created: new Date().toISOString(), event: {
                  id: '00000000-0000-4000-8000-000000000009', type: 'checkpoint_count',
                  occurred_at: new Date().toISOString(), corridor: 'mariupol',
                  status: 'unverified', data: {checkpoint: 'cp09', vehicles: 3}}});
                t.oncomplete = () => done(true); }; })"""
        )
        page.evaluate("window.safepassageReporter.flush()")
        rejected = page.wait_for_selector("#queue li.rejected")
        assert rejected is not None and "outside your assignment" in rejected.inner_text()
        assert _state_of(page, online_id or "") == "acknowledged"
        assert refused == []
