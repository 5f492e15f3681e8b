"""When the disk is full or the database read-only: clients hear what is wrong (503 naming it),
health says not ok with the reason, it is logged once, the WAL checkpoint thread lives on, and
all works again once space is back."""

from __future__ import annotations

import logging
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.ops.store import EventStore
from tests.ops.test_reliability import announcement


def _event(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "checkpoint_count",
        "occurred_at": "2022-03-15T14:05:00+02:00",
        "corridor": "mariupol",
        "source": "x" * 150,
        "data": {"checkpoint": "cp04-manhush", "vehicles": i % 50 + 1},
    }


def _until(check: Any) -> None:
    """Wait (at most 20 s) for a background thread to reach a state; not a timing test."""
    deadline = time.monotonic() + 20
    while not check():
        assert time.monotonic() < deadline, "the state was never reached"
        time.sleep(0.05)


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KiB file system (tmpfs; needs root, else the test is skipped)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tiny file system here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_said_and_survived(
    tiny_fs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    monkeypatch.setenv("SAFEPASSAGE_INTEGRITY_DIR", str(tmp_path / "integrity"))
    filler = tiny_fs / "filler"
    filler.write_bytes(b"\0" * 160_000)  # the operator's other files, freed later
    store = EventStore(str(tiny_fs / "ops.db"))
    store.append([announcement()], "desk")
    token = store.add_user("desk", "coordinator")
    fast = {"rate": 10_000, "burst": 10_000, "event_rate": 10_000, "event_burst": 10_000}
    client = TestClient(create_app(store, **fast))
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/health").json()["ok"] is True
    caplog.set_level(logging.ERROR)
    for i in range(400):  # fill the disk
        r = client.post(
            "/api/v1/events/bulk",
            json=[_event(i * 10 + k) for k in range(10)],
            headers=auth,
        )
        if r.status_code != 200:
            break
    assert r.status_code == 503 and "disk is full" in r.json()["detail"], r.text
    for i in range(200):  # single events may still fit in what a failed bulk left free
        again = client.post("/api/v1/events", json=_event(i), headers=auth)
        if again.status_code != 201:
            break
    assert again.status_code == 503 and "disk is full" in again.json()["detail"]
    health = client.get("/api/v1/health", headers=auth)
    assert health.status_code == 503 and not health.json()["ok"]
    assert any("disk is full" in p for p in health.json()["problems"])
    public = client.get("/api/v1/health").json()
    assert public["problems"] == ["the database cannot record (disk full, read-only or failing)"]

    def logged() -> int:
        return sum(r.getMessage().startswith("writes fail") for r in caplog.records)

    before = logged()
    for i in range(3):
        failed = client.post("/api/v1/events", json=_event(i), headers=auth)
        assert failed.status_code == 503 and "disk is full" in failed.json()["detail"]
    assert logged() == before  # logged once, not once per failed write
    checkpointer = store._checkpointer
    assert checkpointer is not None
    _until(lambda: checkpointer.last_error is not None)
    assert "full" in checkpointer.last_error and checkpointer.alive()
    filler.unlink()  # space is back
    _until(lambda: checkpointer.last_error is None)
    assert checkpointer.alive()
    ok = client.post("/api/v1/events", json=_event(2), headers=auth)
    assert ok.status_code == 201, ok.text
    assert client.get("/api/v1/health").json()["ok"] is True
    assert store.verify().ok
    store.close()


def _restrict(store: EventStore, pragma: str) -> None:
    """Every new connection of the store runs `pragma`; the pool is emptied so all do."""

    @sa.event.listens_for(store.engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(pragma)

    store.engine.dispose()


@pytest.mark.parametrize(
    ("pragma", "words"),
    [("PRAGMA max_page_count = {pages}", "disk is full"), ("PRAGMA query_only = ON", "read-only")],
)
def test_full_or_read_only_database_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pragma: str, words: str
) -> None:
    """Anywhere (no root needed): SQLite's own limits stand for a full disk and a read-only
    file."""
    monkeypatch.setenv("SAFEPASSAGE_INTEGRITY_DIR", str(tmp_path / "integrity"))
    store = EventStore(str(tmp_path / "ops.db"))
    store.append([announcement()], "desk")
    token = store.add_user("desk", "coordinator")
    client = TestClient(create_app(store))
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    _restrict(store, pragma.format(pages=pages))
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        r = client.post("/api/v1/events/bulk", json=[_event(i) for i in range(300)], headers=auth)
        if r.status_code != 200:
            break
    assert r.status_code == 503 and words in r.json()["detail"], r.text
    health = client.get("/api/v1/health", headers=auth)
    assert health.status_code == 503 and any(words in p for p in health.json()["problems"])
    store.close()
