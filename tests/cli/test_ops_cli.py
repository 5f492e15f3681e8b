"""`safepassage users`, `ops replay`, `log verify` through the real command."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from safepassage.ops.state import Projection
from safepassage.ops.store import EventStore
from tests.cli.test_cli import cli

LOG = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022-log.jsonl"


def test_replay_the_reconstructed_log_then_verify(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    first = cli("ops", "replay", str(LOG), "--db", db, "--create", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"stored": 10, "duplicate": 0, "conflict": 0}
    again = json.loads(cli("ops", "replay", str(LOG), "--db", db, "--json").stdout)
    assert again == {"stored": 0, "duplicate": 10, "conflict": 0}
    assert cli("log", "verify", "--db", db).returncode == 0
    store = EventStore(db)
    p = Projection()
    for e in store.read():
        p.apply(e)
    state = p.corridor_state("mariupol-zaporizhzhia", datetime(2022, 3, 17, tzinfo=UTC))
    store.close()
    exit_out = state["checkpoints"]["cp01-mariupol-exit"]["out"]
    assert exit_out == {
        "unconfirmed": {
            "vehicles": 6500,
            "buses": 0,
            "people": 11000,
            "vehicles_without_people": 4000,  # 160 + 1,840 + 2,000 cars counted without people
        }
    }  # all claims
    assert state["checkpoints"]["zaporizhzhia-reception"]["in"]["unconfirmed"]["people"] == 6426
    with sqlite3.connect(db) as conn:  # someone edits history behind the log's back
        conn.execute("UPDATE events SET data = replace(data, '1840', '1940') WHERE seq = 5")
    tampered = cli("log", "verify", "--db", db)
    assert tampered.returncode == 1 and "event 5" in tampered.stderr


def test_bad_replay_file_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = LOG.read_text(encoding="utf-8").splitlines()
    lines[6] = lines[6].replace('"vehicles": 160', '"vehicles": -160')
    bad.write_text("\n".join(lines), encoding="utf-8")
    result = cli("ops", "replay", str(bad), "--db", str(tmp_path / "x.db"), "--create")
    assert result.returncode == 2 and "bad.jsonl:7" in result.stderr and "vehicles" in result.stderr
    assert "Traceback" not in result.stderr


def test_users_add_and_revoke(tmp_path: Path) -> None:
    db = str(tmp_path / "u.db")
    added = cli(
        "users",
        "add",
        "manhush-7",
        "--role",
        "reporter",
        "--scope",
        "cp04-manhush",
        "--db",
        db,
        "--create",
    )
    token = added.stdout.strip()
    assert added.returncode == 0 and len(token) >= 30
    store = EventStore(db)
    user = store.user_for_token(token)
    assert user is not None and user.role == "reporter" and user.scope == ["cp04-manhush"]
    assert cli("users", "add", "x", "--role", "reporter", "--db", db).returncode == 2  # no scope
    assert cli("users", "add", "y", "--role", "king", "--db", db).returncode == 2
    assert cli("users", "revoke", "manhush-7", "--db", db).returncode == 0
    assert store.user_for_token(token) is None
    assert cli("users", "revoke", "manhush-7", "--db", db).returncode == 2
    store.close()


def test_announce_from_the_plan_gives_etas(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    scenario = LOG.parent / "mariupol-2022.yaml"
    first = cli("ops", "announce", str(scenario), "--corridor", "mariupol", "--db", db, "--create")
    assert first.returncode == 0 and first.stdout.startswith("stored"), first.stderr
    store = EventStore(db)
    (announced,) = store.read()
    route, legs = announced.data["route"], announced.data["legs_min"]
    assert route[0] == "cp01-mariupol-exit" and route[-1] == "zaporizhzhia"
    assert len(legs) == len(route) - 1 and 200 < sum(legs) < 600  # about 5 hours of driving
    from safepassage.ops.events import validate_event

    store.append(
        [
            validate_event(
                {
                    "id": "00000000-0000-4000-8000-000000000abc",
                    "type": "waypoint_passage",
                    "occurred_at": "2022-03-15T09:30:00+02:00",
                    "corridor": "mariupol",
                    "data": {"convoy": "c1", "waypoint": "cp01-mariupol-exit"},
                }
            )
        ],
        "r",
    )
    p = Projection()
    for e in store.read():
        p.apply(e)
    store.close()
    (convoy,) = p.corridor_state("mariupol", datetime(2022, 3, 15, 8, tzinfo=UTC))["convoys"]
    eta = datetime.fromisoformat(convoy["eta_destination"])
    halfway = datetime.fromisoformat("2022-03-15T09:30:00+02:00") + timedelta(minutes=legs[0] / 2)
    (moving,) = p.corridor_state("mariupol", halfway)["convoys"]
    assert moving["estimated_position"]["share_of_leg"] == 0.5
    assert moving["estimated_position"]["between"] == [route[0], route[1]]
    expected = datetime.fromisoformat("2022-03-15T09:30:00+02:00") + timedelta(minutes=sum(legs))
    assert abs(eta - expected) < timedelta(minutes=1)  # reported to the minute
