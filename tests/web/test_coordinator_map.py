"""The coordinators' map (/dashboard/map) in a real Chromium against a real `safepassage serve
--scenario`, with every request but the server's refused: the demo log's corridor drawn with
the scenario's names, incidents and convoy positions; a checkpoint of a window that ended in
2022 is never drawn as open."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from safepassage.ops.store import EventStore
from tests.model.test_scenario import MARIUPOL
from tests.web.browser import (
    HAS_PLAYWRIGHT,
    NO_PLAYWRIGHT,
    offline_page,
    serious_accessibility_problems,
    served,
)

pytestmark = pytest.mark.skipif(not HAS_PLAYWRIGHT, reason=NO_PLAYWRIGHT)
DEMO_LOG = MARIUPOL.parent / "mariupol-2022-log.jsonl"
#: Where the test run leaves its screenshots for the README (docs/img) when asked to.
SHOTS = os.environ.get("SAFEPASSAGE_SCREENSHOTS")


def _rendered(page: Any, layer: str, prop: str) -> list[str]:
    script = f"window.spMaps[0].queryRenderedFeatures({{layers: ['{layer}']}}).map(f => f.properties['{prop}'])"
    return list(page.evaluate(script))


def _poll(page: Any, expression: str, timeout_s: float = 60.0) -> None:
    """Wait until `expression` is true (evaluated over DevTools: the page's CSP forbids the
    string evaluation that Playwright's wait_for_function uses)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(200)


def test_coordinator_map_of_the_demo_log_offline(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    replay = [
        sys.executable,
        "-m",
        "safepassage",
        "ops",
        "replay",
        str(DEMO_LOG),
        "--db",
        db,
        "--create",
    ]
    assert subprocess.run(replay, capture_output=True).returncode == 0
    store = EventStore(db)
    desk = store.add_user("desk", "coordinator")
    store.close()
    with served(db, "--scenario", str(MARIUPOL)) as base, offline_page(base) as (page, refused, _):
        page.goto(f"{base}/dashboard/map")
        assert "Enter your token" in page.inner_text("#message")
        page.goto(f"{base}/dashboard/map#token={desk}")
        page.wait_for_selector("#map[data-state=ready], #map[data-state=error]", timeout=60_000)
        assert page.get_attribute("#map", "data-state") == "ready", page.get_attribute(
            "#map", "data-errors"
        )
        assert desk not in page.url and refused == []
        assert "the agreed window ended" in page.inner_text("#message")
        statuses = _rendered(page, "sp-checkpoint", "status")
        assert statuses and "open" not in statuses and "ended" in statuses
        labels = set(_rendered(page, "sp-labels", "name"))
        assert {"Zaporizhzhia", "Berdiansk"} <= labels
        assert _rendered(page, "sp-incident", "kind") and _rendered(page, "sp-convoy", "kind")
        assert "window ended" in page.inner_text(".sp-legend")
        # The README's picture (docs/img/coordinator-map.png), before this test adds anything.
        _poll(page, "window.spMaps[0].loaded()")
        shot = tmp_path / "coordinator-map.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 20_000
        if SHOTS:
            shutil.copy(shot, Path(SHOTS) / "coordinator-map.png")

        # Live: an incident recorded now reaches the open page through the stream, without a
        # reload (the fallback would poll only every 30 s).
        _poll(page, "document.getElementById('map').dataset.live === 'stream'")
        before = len(_rendered(page, "sp-incident", "kind"))
        event = {
            "id": str(uuid.uuid4()),
            "type": "incident",
            "occurred_at": datetime.now(UTC).isoformat(),
            "corridor": "mariupol-zaporizhzhia",
            "data": {"kind": "shelling", "place": "manhush"},
        }
        posted = httpx.post(
            f"{base}/api/v1/events", json=event, headers={"Authorization": f"Bearer {desk}"}
        )
        assert posted.status_code == 201
        _poll(
            page,
            f"window.spMaps[0].queryRenderedFeatures({{layers: ['sp-incident']}}).length > {before}",
            20,
        )
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
        # Names in Ukrainian on request.
        page.select_option("#lang", "uk")
        page.click("#sign-in button[type=submit]")
        _poll(
            page,
            "window.spMaps.length > 1 && window.spMaps[1].loaded() && window.spMaps[1]"
            ".queryRenderedFeatures({layers: ['sp-labels']}).some(f => f.properties.name === 'Запоріжжя')",
        )
        assert serious_accessibility_problems(page) == []


def test_state_stream_sends_the_state_then_each_change(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    replay = [
        sys.executable,
        "-m",
        "safepassage",
        "ops",
        "replay",
        str(DEMO_LOG),
        "--db",
        db,
        "--create",
    ]
    assert subprocess.run(replay, capture_output=True).returncode == 0
    store = EventStore(db)
    desk = store.add_user("desk", "coordinator")
    rep = store.add_user("manhush-7", "reporter", ["cp01-mariupol-exit"], ["mariupol-zaporizhzhia"])
    store.close()
    auth = {"Authorization": f"Bearer {desk}"}
    with served(db) as base:
        url = f"{base}/api/v1/state/mariupol-zaporizhzhia/stream"
        assert httpx.get(url, timeout=5).status_code == 401
        assert (
            httpx.get(url, headers={"Authorization": f"Bearer {rep}"}, timeout=5).status_code == 403
        )
        assert (
            httpx.get(f"{base}/api/v1/state/nowhere/stream", headers=auth, timeout=5).status_code
            == 404
        )
        with httpx.stream("GET", url, headers=auth, timeout=20) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.iter_lines()
            first = _next_state(lines)
            count = {
                "id": str(uuid.uuid4()),
                "type": "checkpoint_count",
                "occurred_at": datetime.now(UTC).isoformat(),
                "corridor": "mariupol-zaporizhzhia",
                "data": {"checkpoint": "cp01-mariupol-exit", "vehicles": 7},
            }
            assert httpx.post(f"{base}/api/v1/events", json=count, headers=auth).status_code == 201
            second = _next_state(lines)
            assert second["id"] > first["id"]  # the log's sequence number moved
            assert second["state"]["corridor"] == "mariupol-zaporizhzhia"


def _next_state(lines: Any) -> dict[str, Any]:
    """The next `event: state` message (id and parsed data), skipping keep-alives."""
    message: dict[str, Any] = {}
    for line in lines:
        if line.startswith("id: "):
            message["id"] = int(line[4:])
        elif line.startswith("data: "):
            message["state"] = json.loads(line[6:])
        elif line == "" and "state" in message:
            return message
    raise AssertionError("the stream ended")


def test_checkpoint_is_sized_by_its_confirmed_pace_only(tmp_path: Path) -> None:
    """The map reads the state's paces (issue 11's shape): 30 confirmed vehicles in half an
    hour is 60 an hour (oracle: count / 0.5 h); the unverified 200 of the same half hour is
    never added to it (460) nor used (400); the scenario's capacity is no live figure."""
    from tests.web.test_dashboard import open_corridor

    db = str(tmp_path / "ops.db")
    store = EventStore(db)
    open_corridor(store, datetime.now(UTC))
    desk = store.add_user("desk", "coordinator")
    store.close()
    with served(db, "--scenario", str(MARIUPOL)) as base, offline_page(base) as (page, refused, _):
        page.goto(f"{base}/dashboard/map#token={desk}")
        page.wait_for_selector("#map[data-state=ready], #map[data-state=error]", timeout=60_000)
        assert page.get_attribute("#map", "data-state") == "ready"
        script = (
            "window.spMaps[0].querySourceFeatures('sp').filter(f => f.properties.kind === "
            "'checkpoint').map(f => [f.properties.name, f.properties.pace_vph ?? null, "
            "f.properties.throughput_vph ?? null, f.properties.status])"
        )
        rows = {
            name: (pace, capacity, status) for name, pace, capacity, status in page.evaluate(script)
        }
        assert rows["Mariupol (exit)"] == (60, None, "open")
        assert all(
            pace is None and capacity is None
            for n, (pace, capacity, _) in rows.items()
            if n != "Mariupol (exit)"
        )
        assert refused == []
