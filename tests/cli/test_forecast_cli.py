"""`safepassage forecast ...` through the real command: forecast, calibrate, sweep."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.test_cli import cli

MARIUPOL = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022.yaml"


def test_forecast_json_and_html_reproducible(tmp_path: Path) -> None:
    html = tmp_path / "forecast.html"
    base = ["forecast", str(MARIUPOL), "--runs", "60", "--days", "3"]
    first = cli(*base, "--seed", "5", "--json", "--html", str(html))
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["mode"] == "demand"  # the default for a scenario with a corridor
    again = json.loads(cli(*base, "--seed", "5", "--json").stdout)
    assert data["daily"] == again["daily"] and data["queues"] == again["queues"]
    other = json.loads(cli(*base, "--seed", "6", "--json").stdout)
    assert other["daily"] != data["daily"]
    ids = [s["id"] for s in data["stations"]]
    assert ids[0] == "cp01-mariupol-exit" and ids[-1] == "zaporizhzhia"
    assert {"berdyansk", "tokmak", "vasylivka"} <= set(ids)
    # One row per local date and station, dates in the corridor's zone, bands in order.
    assert data["zone"] == "Europe/Kyiv" and data["start"].endswith("+02:00")
    dates = sorted({r["date"] for r in data["daily"]})
    assert dates == ["2022-03-15", "2022-03-16", "2022-03-17"]
    assert len(data["daily"]) == len(dates) * len(ids)
    for r in data["daily"]:
        for what in ("vehicles", "people"):
            q = r[what]
            assert q["p10"] <= q["p50"] <= q["p90"]
    f = data["fate_at_horizon"]
    assert f["lost"]["vehicles"]["p90"] > 0  # the scenario's buses and cars can be lost
    assert [j["to"] for j in data["journeys_h"]][-1] == "zaporizhzhia"
    assert {o["stop"] for o in data["overnight"]} == {"berdyansk", "tokmak"}
    assert "The first cars reach zaporizhzhia at 2022-03-15T" in data["headline"]["sentence"]
    page = html.read_text(encoding="utf-8")
    # The map component's scripts and styles are inlined (tests/web/test_forecast_map.py); outside them
    # the report names places and links nothing elsewhere.
    text = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    assert "<svg" in text and "Mariupol (exit)" in text and "Europe/Kyiv" in text
    assert "cp01-mariupol-exit" not in re.sub(r"<[^>]+>", "", text)
    assert "vehicles per day (P50, whisker P10-P90)" in text and "Assumptions" in text
    assert "http://" not in text and "https://" not in text


def test_plan_mode_keeps_the_plan_and_conserves_people() -> None:
    result = cli("forecast", str(MARIUPOL), "--from", "plan", "--runs", "30", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mode"] == "plan" and 0.0 <= data["p_window_suffices"] <= 1.0
    f = data["fate_at_horizon"]
    assert f["demand"]["vehicles"]["p50"] == data["vehicles"]
    exits = [r for r in data["daily"] if r["station"] == "cp01-mariupol-exit"]
    # The plan's cars all pass the exit (a few buses may be lost there).
    assert sum(r["vehicles"]["p50"] for r in exits) >= data["vehicles"] - 10


def test_forecast_calibrate_then_use(tmp_path: Path) -> None:
    out = tmp_path / "cal.json"
    args = [
        "forecast", "calibrate", str(MARIUPOL),
        "--checkpoint", "cp01-mariupol-exit",
        "--from", "2022-03-14T13:00",
        "--count", "2022-03-14T15:00=160",
        "--count", "2022-03-15T14:00=2000",
        "--waiting", "2022-03-15T14:00=2000",
        "--out", str(out), "--json",
    ]  # fmt: skip
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    cal = json.loads(result.stdout)
    t = cal["throughput_vph"]
    assert t["p5"] < 80 < t["p95"] and 70 < t["mean"] < 90  # 160/2 h and 2000/25 h
    assert cal["consistent"] and cal["hours"] == "always" and cal["demand"] is not None
    used = cli(
        "forecast", str(MARIUPOL), "--runs", "40", "--days", "2", "--calibration", str(out), "--json"
    )  # fmt: skip
    assert used.returncode == 0, used.stderr
    data = json.loads(used.stdout)
    assert data["calibration"]["checkpoint"] == "cp01-mariupol-exit"
    assert data["calibration"]["file"] == str(out) and "draws" not in data["calibration"]
    assert data["start"] == "2022-03-14T13:00+02:00"  # where the calibrated demand starts
    assert data["demand"]["source"].startswith("the calibration")
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
