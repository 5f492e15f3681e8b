"""`safepassage log head` and `log verify --expect` through the real command; commands that
read a database refuse one that does not exist."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli.test_cli import cli

LOG = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022-log.jsonl"


def test_a_missing_database_is_refused_not_made(tmp_path: Path) -> None:
    db = str(tmp_path / "typo.db")
    for args in (
        ("log", "verify", "--db", db),
        ("log", "head", "--db", db),
        ("users", "add", "desk", "--role", "coordinator", "--db", db),
        ("users", "revoke", "desk", "--db", db),
        ("ops", "replay", str(LOG), "--db", db),
    ):
        result = cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "typo.db" in result.stderr and "does not exist" in result.stderr
        assert "--create" in result.stderr and "Traceback" not in result.stderr
        assert not Path(db).exists()
    made = cli("users", "add", "desk", "--role", "coordinator", "--db", db, "--create")
    assert made.returncode == 0 and Path(db).exists()
    assert cli("log", "verify", "--db", db).returncode == 0


def test_a_head_kept_off_site_shows_what_was_cut(tmp_path: Path) -> None:
    """The insider removes the newest events and the checkpoint file; the head printed by
    `log head` and kept elsewhere still shows it."""
    db = str(tmp_path / "ops.db")
    assert cli("ops", "replay", str(LOG), "--db", db, "--create").returncode == 0
    head = cli("log", "head", "--db", db, "--json")
    assert head.returncode == 0, head.stderr
    signed = json.loads(head.stdout)
    assert signed["events"][0] == 10 and signed["n"] == 1
    text = cli("log", "head", "--db", db)
    assert f"events 10 {signed['events'][1]}" in text.stdout and "--expect 10:" in text.stdout
    ok = cli("log", "verify", "--db", db, "--expect", f"10:{signed['events'][1]}")
    assert ok.returncode == 0 and "1 signed checkpoints and the given heads match" in ok.stdout
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM events WHERE seq > 8")
    cut = cli("log", "verify", "--db", db)
    assert cut.returncode == 1 and "event 9: events 9..10 are missing" in cut.stderr
    (tmp_path / "ops.db.heads").unlink()
    alone = cli("log", "verify", "--db", db)
    assert alone.returncode == 0  # nothing left in the database or next to it says otherwise
    kept = cli("log", "verify", "--db", db, "--expect", signed["expect"].split()[1])
    assert kept.returncode == 1 and "event 9" in kept.stderr and "--expect 10" in kept.stderr
    bad = cli("log", "verify", "--db", db, "--expect", "10")
    assert bad.returncode == 2 and "SEQ:HASH" in bad.stderr
