"""`safepassage report sitrep|hxl|cap` through the real command, on the reconstructed log."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.cli.test_cli import cli
from tests.conftest import shared_file

LOG = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022-log.jsonl"
CORRIDOR = "mariupol-zaporizhzhia"
SCENARIO = LOG.parent / "mariupol-2022.yaml"


def _db(tmp_path: Path) -> str:
    db = str(tmp_path / "ops.db")
    assert cli("ops", "replay", str(LOG), "--db", db, "--create").returncode == 0
    return db


def test_report_commands_on_the_mariupol_log(tmp_path: Path) -> None:
    import xmlschema

    db = _db(tmp_path)
    sitrep = cli(
        "report", "sitrep", "--corridor", CORRIDOR, "--db", db, "--at", "2022-03-15T14:00+02:00"
    )
    assert sitrep.returncode == 0, sitrep.stderr
    # The corridor by the name its announcement gave it.
    assert "# Situation report: corridor Mariupol - Zaporizhzhia" in sitrep.stdout
    text = sitrep.stdout
    # The council's "open" of 14 March 13:00 was not renewed: a day later it is unknown.
    # (Brackets and "+" come Markdown-escaped by md(); they render as written in the log.)
    assert r"unknown since 2022-03-14 16:00 Europe/Kyiv \(UTC\+02:00\)" in text
    assert r"open according to Mariupol city council \(claimed; not confirmed\)" in text
    assert r"window RECONSTRUCTED \(not reported\)" in text
    # 2,000 waiting at the pace of 1,840 cars over 23 hours (80 an hour): 25 h, not 65 min.
    assert "- Wait: at least 25 h 00 min" in text
    assert "1,840 vehicles/h" not in text
    hxl = cli("report", "hxl", "--db", db, "--out", str(tmp_path / "counts.csv"))
    assert hxl.returncode == 0, hxl.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "counts.csv").read_text(encoding="utf-8"))))
    assert rows[0]["as_of"] == "#date+reported" and rows[0]["corridor"] == "#loc+corridor+code"
    vehicles = {
        (r["value"], r["status"], r["source"].split(",")[0])
        for r in rows[1:]
        if r["unit"] == "vehicles" and r["place"] == "cp01-mariupol-exit"
    }
    assert ("1840", "reported", "Interfax-Ukraine") in vehicles
    assert not any(r["value"] in ("6500", "4000") for r in rows[1:])  # no cross-source sums
    cap = cli("report", "cap", "--corridor", CORRIDOR, "--db", db, "--public-delay", "0")
    assert cap.returncode == 0, cap.stderr
    xmlschema.XMLSchema(str(shared_file("cap/CAP-v1.2.xsd"))).validate(cap.stdout)


def test_sitrep_names_places_from_the_scenario_inert_in_markdown(tmp_path: Path) -> None:
    """With `--scenario`, places read by their names, never by id; a name is Markdown-escaped
    like every other text (a scenario's name could carry a link or HTML)."""
    db = _db(tmp_path)
    scenario = SCENARIO.read_text(encoding="utf-8").replace(
        'en: "Mariupol (exit)"', 'en: "Mariupol [exit](http://x.example) <b>"'
    )
    path = tmp_path / "scenario.yaml"
    path.write_text(scenario, encoding="utf-8")
    plain = cli("report", "sitrep", "--corridor", CORRIDOR, "--db", db, "--scenario", str(SCENARIO))
    assert plain.returncode == 0, plain.stderr
    assert r"### Mariupol \(exit\)" in plain.stdout and "cp01-mariupol-exit" not in plain.stdout
    assert r"Route: Mariupol \(exit\) - Manhush - Berdiansk" in plain.stdout
    hostile = cli("report", "sitrep", "--corridor", CORRIDOR, "--db", db, "--scenario", str(path))
    assert hostile.returncode == 0, hostile.stderr
    assert r"### Mariupol \[exit\]\(http://x.example\) \<b\>" in hostile.stdout
    assert "](http" not in hostile.stdout and "<b>" not in hostile.stdout


def test_report_mistakes_are_named(tmp_path: Path) -> None:
    db = _db(tmp_path)
    unknown = cli("report", "sitrep", "--corridor", "nowhere", "--db", db)
    assert unknown.returncode == 2 and "nowhere" in unknown.stderr
    bad_at = cli("report", "hxl", "--db", db, "--at", "15 March")
    assert bad_at.returncode == 2 and "--at" in bad_at.stderr and "offset" in bad_at.stderr
    not_yet = cli("report", "cap", "--corridor", CORRIDOR, "--db", db)  # 60 min delay
    assert not_yet.returncode == 2 and "public" in not_yet.stderr
    bad_status = cli("report", "cap", "--corridor", CORRIDOR, "--db", db, "--status", "Real")
    assert bad_status.returncode == 2 and "CAP status" in bad_status.stderr
    ahead = cli("report", "cap", "--corridor", CORRIDOR, "--db", db, "--public-delay", "-5")
    assert ahead.returncode == 2 and "--public-delay" in ahead.stderr
    typo = cli("report", "hxl", "--db", str(tmp_path / "opz.db"))
    assert typo.returncode == 2 and "does not exist" in typo.stderr and "--create" in typo.stderr
    assert not (tmp_path / "opz.db").exists()
    for result in (unknown, bad_at, not_yet, bad_status, typo):
        assert "Traceback" not in result.stderr
