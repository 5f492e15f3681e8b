"""`safepassage forecast ...` through the real command: forecast, calibrate, sweep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import cli

MARIUPOL = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022.yaml"


def test_forecast_json_and_html_reproducible(tmp_path: Path) -> None:
    html = tmp_path / "forecast.html"
    first = cli(
        "forecast", str(MARIUPOL), "--runs", "60", "--seed", "5", "--json", "--html", str(html)
    )
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    again = json.loads(
        cli("forecast", str(MARIUPOL), "--runs", "60", "--seed", "5", "--json").stdout
    )
    assert data["stations"] == again["stations"] and data["queues"] == again["queues"]
    other = json.loads(
        cli("forecast", str(MARIUPOL), "--runs", "60", "--seed", "6", "--json").stdout
    )
    assert other["stations"] != data["stations"]
    ids = [s["id"] for s in data["stations"]]
    assert ids[0] == "cp01-mariupol-exit" and ids[-1] == "zaporizhzhia"
    assert {"berdyansk", "tokmak", "vasylivka"} <= set(ids)
    assert data["out_at"] == "cp18-ua-kamianske"
    assert 0.0 <= data["p_window_suffices"] <= 1.0
    for s in data["stations"]:
        for which in ("first", "median", "last"):
            q = s[which]
            assert q["p10"] <= q["p50"] <= q["p90"]
    # People are conserved: what passes the exit per day adds up to everyone simulated.
    assert sum(d["mean"] for d in data["exit_people_per_day"]["days"]) == pytest.approx(
        data["people"], rel=0.01
    )
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page and "cp01-mariupol-exit" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_forecast_calibrate_then_use(tmp_path: Path) -> None:
    out = tmp_path / "cal.json"
    args = [
        "forecast", "calibrate", str(MARIUPOL),
        "--checkpoint", "cp01-mariupol-exit",
        "--from", "2022-03-14T13:00",
        "--count", "2022-03-14T15:00=160",
        "--count", "2022-03-15T14:00=2000",
        "--hours", "always",
        "--out", str(out), "--json",
    ]  # fmt: skip
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    cal = json.loads(result.stdout)
    t = cal["throughput_vph"]
    assert t["p5"] < 80 < t["p95"] and 70 < t["mean"] < 90  # 160/2 h and 2000/25 h
    assert cal["consistent"]
    used = cli("forecast", str(MARIUPOL), "--runs", "40", "--calibration", str(out), "--json")
    assert used.returncode == 0, used.stderr
    assert json.loads(used.stdout)["calibration"]["checkpoint"] == "cp01-mariupol-exit"
    # Under 08:00-18:00 hours the same counts need two different rates: flagged, not hidden.
    strict = json.loads(cli(*args[:-5], "--hours", "08:00-18:00", "--json").stdout)
    assert not strict["consistent"]


def test_calibrate_bad_input_is_a_clear_error() -> None:
    result = cli(
        "forecast", "calibrate", str(MARIUPOL), "--checkpoint", "cp99",
        "--from", "2022-03-14T13:00", "--count", "2022-03-14T15:00=160",
    )  # fmt: skip
    assert result.returncode == 2 and "cp99" in result.stderr and "Traceback" not in result.stderr
    result = cli(
        "forecast", "calibrate", str(MARIUPOL), "--checkpoint", "cp01-mariupol-exit",
        "--from", "2022-03-14T13:00", "--count", "15:00 160",
    )  # fmt: skip
    assert result.returncode == 2 and "TIME=VEHICLES" in result.stderr


def test_sweep_on_local_processes() -> None:
    result = cli(
        "forecast", "sweep", str(MARIUPOL), "--vary", "cp01-mariupol-exit.lanes=1,2",
        "--runs", "20", "--workers", "2", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    points = json.loads(result.stdout)["points"]
    assert [p["overrides"]["cp01-mariupol-exit.lanes"] for p in points] == [1, 2]
    one, two = points
    # A second lane at the exit (the bottleneck) gets more people out by the window's end.
    assert two["people_out_by_window_end"]["p50"] > one["people_out_by_window_end"]["p50"]
    bad = cli("forecast", "sweep", str(MARIUPOL), "--vary", "nowhere.lanes=2", "--runs", "5")
    assert bad.returncode == 2 and "nowhere.lanes" in bad.stderr


def test_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "forecast.html"
    result = cli("forecast", str(MARIUPOL), "--runs", "5", "--html", str(target))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cannot write output" in result.stderr and "forecast.html" in result.stderr
    result = cli("plan", str(MARIUPOL), "--geojson", str(target.with_suffix(".geojson")))
    assert result.returncode == 2 and "cannot write output" in result.stderr
