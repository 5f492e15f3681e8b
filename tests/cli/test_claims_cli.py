"""`safepassage claims` through the real command: a toll entered, reviewed, queried."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import cli


def test_enter_review_and_query_a_claim(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.db")
    added = cli(
        "claims", "add", "--corridor", "mariupol", "--kind", "killed", "--value", "2500",
        "--qualifier", "as_many_as", "--place", "mariupol", "--said-by", "local authorities",
        "--party", "--via", "news agency", "--at", "2022-03-16T12:00+02:00", "--db", db, "--create",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    claim = added.stdout.split(": ")[-1].strip()
    queued = json.loads(cli("claims", "queue", "--db", db, "--json").stdout)
    assert [q["claim"] for q in queued] == [claim] and queued[0]["state"] == "reported"
    for at, args in (
        ("13:00", ["--action", "unverifiable", "--by", "desk", "--how", "no independent access"]),
        ("13:05", ["--action", "deny", "--by", "the other side", "--party"]),
    ):
        done = cli("claims", "review", claim, *args, "--at", f"2022-03-16T{at}+02:00", "--db", db)
        assert done.returncode == 0, done.stderr
    shown = json.loads(cli("claims", "show", claim, "--db", db, "--json").stdout)
    assert [h["action"] for h in shown["history"]] == ["entered", "unverifiable", "deny"]
    assert shown["status"]["state"] == "denied" and shown["status"]["unverifiable"]
    assert "as many as 2,500 people killed" in shown["figures"][0]["text"]
    bad = cli(
        "claims",
        "add",
        "--corridor",
        "m",
        "--kind",
        "killed",
        "--said-by",
        "x",
        "--qualifier",
        "range",
        "--low",
        "9",
        "--high",
        "3",
        "--db",
        db,
    )
    assert bad.returncode == 2 and "above" in bad.stderr and "Traceback" not in bad.stderr
    missing = cli("claims", "review", "nope", "--action", "confirm", "--by", "x", "--db", db)
    assert missing.returncode == 2 and "no claim 'nope'" in missing.stderr
