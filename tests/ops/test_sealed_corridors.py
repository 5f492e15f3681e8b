"""Where the log's integrity meets the API's corridors: a user's corridors are under its seal
(widening a reporter in the database is found), `users corridors` seals the row again but
never vouches for a forged one, and a database made before corridors existed (migration
0002_integrity, sealed users) upgrades with its users still valid. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from safepassage.errors import SafePassageError
from safepassage.ops.keys import SigningKey, integrity_paths
from safepassage.ops.store import EventStore, engine_for
from tests.ops.conftest import postgres_url

MIGRATIONS = Path(__file__).parents[2] / "src" / "safepassage" / "ops" / "migrations"


def _body(row: dict[str, Any]) -> bytes:
    """A user row's sealed body as the store wrote it before corridors existed (an oracle
    written here with json, not the store's code)."""
    fields = ("name", "token_hash", "role", "scope", "created_at", "revoked_at")
    return json.dumps({k: row[k] for k in fields}, sort_keys=True, separators=(",", ":")).encode()


def test_widened_corridors_are_found(store: EventStore) -> None:
    token = store.add_user("manhush-7", "reporter", ["cp04-manhush"], ["mariupol"])
    assert store.user_for_token(token).corridors == ["mariupol"]  # type: ignore[union-attr]
    assert store.verify().ok
    with store.engine.begin() as conn:  # the insider gives the reporter another corridor
        conn.execute(
            sa.text("UPDATE users SET corridors = :c WHERE name = 'manhush-7'"),
            {"c": json.dumps(["berdyansk", "mariupol"])},
        )
    assert store.user_for_token(token) is None
    result = store.verify()
    assert not result.ok and result.table == "users" and "manhush-7" in result.reason
    with pytest.raises(SafePassageError, match="seal does not match"):
        store.set_corridors("manhush-7", ["mariupol"])  # no re-sealing of a forged row


def test_corridors_set_through_the_service_are_sealed_and_audited(store: EventStore) -> None:
    token = store.add_user("desk", "coordinator")  # every corridor: none stored
    store.set_corridors("desk", ["mariupol"])
    assert store.user_for_token(token).corridors == ["mariupol"]  # type: ignore[union-attr]
    store.set_corridors("desk", [])  # back to every corridor, still sealed
    assert store.user_for_token(token).corridors == []  # type: ignore[union-attr]
    result = store.verify()
    assert result.ok and result.audit_checked == 3, result
    actions = [a["action"] for a in reversed(store.audit_trail(10))]
    assert actions == ["users.add", "users.corridors", "users.corridors"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_database_from_before_corridors_upgrades(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEPASSAGE_INTEGRITY_DIR", str(tmp_path / "integrity"))
    if backend == "sqlite":
        url = str(tmp_path / "old.db")
    else:
        url = postgres_url(request.getfixturevalue("postgres_server"))
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    (head,) = ScriptDirectory.from_config(cfg).get_heads()  # one head: the two 0002s chained
    engine = engine_for(url)
    with engine.begin() as conn:  # the schema as main had it before the merge
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002_integrity")
    key = SigningKey.load_or_create(integrity_paths(url)[0])
    token = secrets.token_urlsafe(24)
    row = {
        "name": "desk",
        "token_hash": hashlib.sha256(token.encode()).hexdigest(),
        "role": "coordinator",
        "scope": "[]",
        "created_at": "2026-11-30T10:00:00+00:00",
        "revoked_at": None,
    }
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (name, token_hash, role, scope, created_at, revoked_at, mac) "
                "VALUES (:name, :token_hash, :role, :scope, :created_at, :revoked_at, :mac)"
            ),
            {**row, "mac": key.seal(_body(row))},
        )
    engine.dispose()

    store = EventStore(url)  # migrates to the head
    try:
        with store.engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == head == "0003_user_corridors"
        user = store.user_for_token(token)
        assert user is not None and user.role == "coordinator" and user.corridors == []
        assert store.verify().ok
        store.set_corridors("desk", ["mariupol"])
        assert store.user_for_token(token).corridors == ["mariupol"]  # type: ignore[union-attr]
        assert store.verify().ok
    finally:
        store.close()
