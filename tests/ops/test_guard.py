"""The server and its log: checkpoints signed while it runs and at shutdown; a broken log
refused, or served with a warning on every response and page when told to; `serve` says
where its pages are."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.ops.store import EventStore
from tests.ops.test_reliability import announcement, free_port


def _event(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "checkpoint_count",
        "occurred_at": "2022-03-15T14:05:00+02:00",
        "corridor": "mariupol",
        "data": {"checkpoint": "cp04-manhush", "vehicles": i % 50 + 1},
    }


def _reporter(store: EventStore) -> str:
    """A reporter of corridor mariupol, announced first (event 1: the counts start at 2)."""
    store.append([announcement()], "council-desk")
    return store.add_user("reporter", "reporter", ["cp04-manhush"], ["mariupol"])


def _signed_seqs(store: EventStore) -> list[int]:
    path = store.integrity.heads.path
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line)["events"][0] for line in lines]


def _until(check: Any) -> None:
    """Wait (at most 30 s) for a background thread or process to get there."""
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, "never got there"
        time.sleep(0.05)


@pytest.fixture
def broken(tmp_path: Path) -> Iterator[EventStore]:
    """A log with a signed head whose newest events were then deleted through SQL."""
    store = EventStore(str(tmp_path / "ops.db"))
    store.add_user("desk", "admin")
    token = _reporter(store)
    client = TestClient(create_app(store))
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/v1/events/bulk", json=[_event(i) for i in range(5)], headers=auth)
    assert r.status_code == 200
    assert store.integrity.seal()[0].ok and _signed_seqs(store)[-1] == 6
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE seq > 4"))
    store.token = token  # type: ignore[attr-defined]
    yield store
    store.close()


def test_checkpoints_are_signed_while_serving(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "ops.db"))
    token = _reporter(store)
    app = create_app(store, checkpoint_every_s=0.1)
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {token}"}
        r = client.post("/api/v1/events/bulk", json=[_event(i) for i in range(6)], headers=auth)
        assert r.status_code == 200 and r.json()["stored"] == 6
        _until(lambda: _signed_seqs(store)[-1] == 7)
        client.post("/api/v1/events", json=_event(8), headers=auth)
    assert _signed_seqs(store)[-1] == 8  # at shutdown
    assert store.verify().ok
    store.close()


def test_a_broken_log_is_refused(broken: EventStore) -> None:
    client = TestClient(create_app(broken))
    public = client.get("/status.json")
    assert public.status_code == 503 and "integrity check" in public.json()["detail"]
    assert "5..6" not in public.text  # the detail would tell anyone the log's size
    assert client.get("/dashboard").status_code == 503
    health = client.get("/api/v1/health")
    assert health.status_code == 503 and "integrity" in health.json()["problems"][0]
    assert _signed_seqs(broken)[-1] == 6  # nothing signed over it


def test_a_broken_log_served_on_request_carries_a_warning(broken: EventStore) -> None:
    client = TestClient(create_app(broken, allow_broken_log=True))
    public = client.get("/status.json")
    assert public.status_code == 200 and "integrity check" in public.headers["warning"]
    page = client.get("/status")
    assert page.status_code == 200 and "integrity check" in page.headers["warning"]
    body = page.text
    assert body.index('role="alert"') < body.index("</body>") and "may have been altered" in body
    assert int(page.headers["content-length"]) == len(page.content)
    dashboard = client.get("/dashboard")
    assert "may have been altered" in dashboard.text
    auth = {"Authorization": f"Bearer {broken.token}"}  # type: ignore[attr-defined]
    write = client.post("/api/v1/events", json=_event(1), headers=auth)
    assert write.status_code == 201 and "integrity check" in write.headers["warning"]


def test_serve_refuses_a_broken_log_and_says_where_its_pages_are(
    broken: EventStore, tmp_path: Path
) -> None:
    db = str(tmp_path / "ops.db")
    port = free_port()
    cmd = [sys.executable, "-m", "safepassage", "serve", "--db", db, "--port", str(port)]
    refused = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "events 5..6 are missing" in refused.stderr and "--allow-broken-log" in refused.stderr
    negative = subprocess.run([*cmd, "--public-delay", "-1"], capture_output=True, text=True)
    assert negative.returncode == 2 and "--public-delay" in negative.stderr
    proc = subprocess.Popen(
        [*cmd, "--allow-broken-log"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert f"dashboard:   http://127.0.0.1:{port}/dashboard\n" in lines
        assert f"public page: http://127.0.0.1:{port}/status\n" in lines

        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/status", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        _until(up)
        page = httpx.get(f"http://127.0.0.1:{port}/status")
        assert "may have been altered" in page.text and "warning" in page.headers
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)  # reads and closes both pipes


def test_damage_before_the_newest_checkpoint_is_found_after_start(tmp_path: Path) -> None:
    """An edit that leaves the newest checkpoint's row alone passes the quick check at start;
    the full check the server runs in the background then finds it and the log is refused."""
    store = EventStore(str(tmp_path / "ops.db"))
    token = _reporter(store)
    auth = {"Authorization": f"Bearer {token}"}
    client = TestClient(create_app(store))
    client.post("/api/v1/events/bulk", json=[_event(i) for i in range(4)], headers=auth)
    assert store.integrity.seal()[0].ok
    with store.engine.begin() as conn:
        data = '{"checkpoint":"cp04-manhush","vehicles":200}'
        conn.execute(sa.text("UPDATE events SET data = :d WHERE seq = 2"), {"d": data})
    app = create_app(store)
    with TestClient(app) as served:
        guard = app.state.services.guard
        _until(lambda: guard.problem is not None)
        refused = served.get("/status.json")
        assert refused.status_code == 503 and "integrity check" in refused.json()["detail"]
        assert "event 2" in (guard.problem or "")  # the detail stays inside (log, log verify)
    store.close()


def _secure(response: Any) -> bool:
    """The gate's security headers (api/guard.py) are on `response`."""
    h = response.headers
    return (
        h["x-content-type-options"] == "nosniff"
        and h["referrer-policy"] == "no-referrer"
        and h["x-frame-options"] == "DENY"
        and "frame-ancestors 'none'" in h["content-security-policy"]
    )


def test_a_broken_log_is_refused_before_any_token_with_security_headers(
    broken: EventStore,
) -> None:
    """The log guard runs before the gate: its 503 carries the gate's headers, and a write is
    refused for the log before its token is looked up in a database no longer trusted (so
    wrong tokens are not even counted: the gate would answer 429 after 20 of them)."""
    client = TestClient(create_app(broken))
    for path in ("/status", "/status.json", "/dashboard", "/api/v1/state"):
        refused = client.get(path)
        assert refused.status_code == 503 and _secure(refused), path
    wrong = {"Authorization": "Bearer not-a-token"}
    for _ in range(25):
        write = client.post("/api/v1/events", json=_event(1), headers=wrong)
        assert write.status_code == 503 and _secure(write)
    health = client.get("/api/v1/health")
    assert health.status_code == 503 and _secure(health)
    assert "integrity" in health.json()["problems"][0]
    assert "5..6" not in health.text  # no detail for the public: it would tell the log's size


def test_a_broken_log_served_anyway_warns_on_the_gates_refusals(broken: EventStore) -> None:
    client = TestClient(create_app(broken, allow_broken_log=True))
    anonymous = client.post("/api/v1/events", json=_event(1))
    assert anonymous.status_code == 401 and _secure(anonymous)
    assert "integrity check" in anonymous.headers["warning"]
    page = client.get("/status")
    assert page.status_code == 200 and _secure(page) and "may have been altered" in page.text
    assert "style-src 'unsafe-inline'" in page.headers["content-security-policy"]  # its own


def test_a_missing_key_stops_the_service_saying_why(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "ops.db"))
    token = store.add_user("desk", "coordinator")
    store.close()  # signs a checkpoint
    (tmp_path / "ops.db.key").unlink()
    store = EventStore(str(tmp_path / "ops.db"))
    client = TestClient(create_app(store, allow_broken_log=True))
    health = client.get("/api/v1/health")
    assert health.status_code == 503 and "integrity" in health.json()["problems"][0]
    refused = client.get("/api/v1/state", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401  # no seal can be checked: nobody is let in
    assert not (tmp_path / "ops.db.key").exists()
    store.close()
