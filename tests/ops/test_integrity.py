"""A log no one can rewrite unseen: each tampering an insider with the database can do (through
SQL, recomputing every hash the attack needs) is found by `verify`, on SQLite and PostgreSQL.
The hashes are recomputed here with hashlib and json, not with the store's code."""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safepassage.ops.integrity import Anchor, parse_expect
from safepassage.ops.store import EventStore
from tests.ops.conftest import count_event

ZERO = "0" * 64


def _h(prev: str, body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(prev.encode() + text.encode()).hexdigest()


def _content_hash(row: dict[str, Any]) -> str:
    content = {k: row[k] for k in ("id", "type", "occurred_at", "corridor", "status", "source")}
    content["supersedes"] = row["supersedes"]
    content["data"] = json.loads(row["data"])
    return _h("", content)


def rechain(conn: Connection, table: str, first: int) -> None:
    """What an insider does after changing row `first`: recompute it and every later row."""
    prev = conn.execute(sa.text(f"SELECT hash FROM {table} WHERE seq = :s"), {"s": first - 1})
    before = prev.scalar_one_or_none() or ZERO
    rows = conn.execute(
        sa.text(f"SELECT * FROM {table} WHERE seq >= :s ORDER BY seq"), {"s": first}
    )
    for r in [dict(r._mapping) for r in rows]:
        if table == "events":
            r["content_hash"] = _content_hash(r)
        body = {k: v for k, v in r.items() if k not in ("prev_hash", "hash")}
        new = _h(before, body)
        conn.execute(
            sa.text(
                f"UPDATE {table} SET prev_hash = :p, hash = :h"
                + (", content_hash = :c" if table == "events" else "")
                + " WHERE seq = :s"
            ),
            {"p": before, "h": new, "c": r.get("content_hash"), "s": r["seq"]},
        )
        before = new


@pytest.fixture
def signed(store: EventStore) -> EventStore:
    """Ten events in two signed checkpoints (after 5 and after 10), a user, audit entries."""
    store.add_user("desk", "coordinator")
    store.append([count_event(v) for v in range(1, 6)], "r1")
    result, checkpoint = store.integrity.seal()
    assert result.ok and checkpoint is not None and checkpoint.head.events_seq == 5
    store.append([count_event(v) for v in range(6, 11)], "r2")
    result, checkpoint = store.integrity.seal()
    assert result.ok and checkpoint is not None and checkpoint.head.events_seq == 10
    whole = store.verify()
    assert whole.ok and whole.checked == 10 and whole.checkpoints == 2, whole
    return store


def _bad(
    store: EventStore, table: str, first_bad: int | None, words: str, *, fast: bool = True
) -> None:
    """`verify` finds it where and as said; with `fast`, so does the quick check from the
    newest checkpoint (at start and before signing), which then signs nothing."""
    result = store.verify()
    assert not result.ok, result
    assert (result.table, result.first_bad_seq) == (table, first_bad), result
    assert words in result.reason, result
    after, _ = store.integrity.seal()
    assert after.ok is not fast
    assert len(store.integrity.heads.path.read_text().splitlines()) == 2


def test_tail_deletion(signed: EventStore) -> None:
    with signed.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE seq > 7"))
    _bad(signed, "events", 8, "missing")


def test_middle_edit_rechained(signed: EventStore) -> None:
    with signed.engine.begin() as conn:
        data = '{"checkpoint":"cp04-manhush","people":4,"vehicles":999}'
        conn.execute(sa.text("UPDATE events SET data = :d WHERE seq = 7"), {"d": data})
        rechain(conn, "events", 7)
    # Events 1-5 still match the first checkpoint; the change is somewhere in 6..10.
    _bad(signed, "events", 6, "rewritten")


def test_full_wipe(signed: EventStore) -> None:
    with signed.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events"))
    _bad(signed, "events", 1, "events 1..10 are missing")


def test_audit_wipe(signed: EventStore) -> None:
    with signed.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit"))
    _bad(signed, "audit", 1, "missing")


def test_inserted_user(signed: EventStore) -> None:
    token = secrets.token_urlsafe(24)
    with signed.engine.begin() as conn:  # an admin, and its audit entry chained on the end
        conn.execute(
            sa.text(
                "INSERT INTO users (name, token_hash, role, scope, created_at, mac) "
                "VALUES ('mallory', :t, 'admin', '[]', '2026-01-01T00:00:00+00:00', :m)"
            ),
            {"t": hashlib.sha256(token.encode()).hexdigest(), "m": secrets.token_hex(32)},
        )
        seq = conn.execute(sa.text("SELECT max(seq) FROM audit")).scalar_one() + 1
        conn.execute(
            sa.text(
                'INSERT INTO audit (seq, at, "user", action, detail, prev_hash, hash) '
                "VALUES (:s, '2026-01-01T00:00:00+00:00', 'cli', 'users.add', "
                '\'{"name": "mallory", "role": "admin"}\', \'\', \'\')'
            ),
            {"s": seq},
        )
        rechain(conn, "audit", seq)
    assert signed.user_for_token(token) is None  # the forged admin cannot sign in
    result = signed.verify()
    assert not result.ok and result.table == "users" and "mallory" in result.reason


def test_swapped_rows_rechained(signed: EventStore) -> None:
    with signed.engine.begin() as conn:
        conn.execute(sa.text("UPDATE events SET seq = -3 WHERE seq = 3"))
        conn.execute(sa.text("UPDATE events SET seq = 3 WHERE seq = 4"))
        conn.execute(sa.text("UPDATE events SET seq = 4 WHERE seq = -3"))
        rechain(conn, "events", 3)
    _bad(signed, "events", 1, "events 1..5 were rewritten")


def test_swapped_rows_not_rechained(signed: EventStore) -> None:
    with signed.engine.begin() as conn:
        conn.execute(sa.text("UPDATE events SET seq = -3 WHERE seq = 3"))
        conn.execute(sa.text("UPDATE events SET seq = 3 WHERE seq = 4"))
        conn.execute(sa.text("UPDATE events SET seq = 4 WHERE seq = -3"))
    # Not caught by the quick check (rows before the newest checkpoint are not recomputed);
    # the full check (`log verify`, and the server's after it starts) finds it.
    _bad(signed, "events", 3, "does not follow", fast=False)


def test_a_head_kept_elsewhere_catches_what_the_checkpoints_lost(signed: EventStore) -> None:
    """An insider with the database and the checkpoint file: deletes the newest events and the
    checkpoint that named them. Only a head kept off-site (`--expect`) still shows it."""
    kept = signed.verify().head
    assert kept is not None
    expect = parse_expect(f"{kept.events_seq}:{kept.events_hash}")
    heads = signed.integrity.heads.path
    heads.write_text(heads.read_text().splitlines()[0] + "\n")
    with signed.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE seq > 5"))
        conn.execute(sa.text("DELETE FROM audit WHERE seq > 2"))
    assert signed.verify().ok  # consistent with what is left
    result = signed.verify([expect])
    assert not result.ok and result.first_bad_seq == 6 and "--expect" in result.reason


def test_edited_checkpoint_file(signed: EventStore) -> None:
    heads = signed.integrity.heads.path
    lines = heads.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["events"][0] = 9
    heads.write_text(lines[0] + "\n" + json.dumps(entry, separators=(",", ":")) + "\n")
    result = signed.verify()
    assert (
        not result.ok and result.table == "checkpoints" and "line 2: bad signature" in result.reason
    )
    heads.write_text(lines[1] + "\n")  # the first line removed
    result = signed.verify()
    assert not result.ok and "line 1: does not follow" in result.reason


def test_key_file_is_private_and_kept(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "ops.db"))
    store.add_user("desk", "coordinator")
    key = tmp_path / "ops.db.key"
    assert key.stat().st_mode & 0o777 == 0o600
    first = key.read_bytes()
    store.close()
    again = EventStore(str(tmp_path / "ops.db"))
    again.add_user("desk2", "coordinator")
    assert key.read_bytes() == first and again.verify().ok
    again.close()
    key.chmod(0o644)
    reopened = EventStore(str(tmp_path / "ops.db"))
    with pytest.raises(Exception, match="chmod 600"):
        reopened.integrity.key()
    reopened.close()


def test_expect_is_checked_for_form() -> None:
    assert parse_expect("12:" + "a" * 64) == Anchor(
        "events", 12, "a" * 64, "the head given with --expect 12"
    )
    assert parse_expect("audit:3:" + "b" * 64).table == "audit"
    for bad in ("12", "x:" + "a" * 64, "12:abc", "12:" + "g" * 64):
        with pytest.raises(Exception, match="SEQ:HASH"):
            parse_expect(bad)
