"""The real `safepassage` command, run as a subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.osm_xml import LINE, write_osm


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "safepassage", *args], capture_output=True, text=True, timeout=300
    )


def test_help_on_every_command() -> None:
    for args in (
        [],
        ["network"],
        ["network", "info"],
        ["network", "route"],
        ["network", "export"],
        ["scenario"],
        ["scenario", "check"],
        ["scenario", "from-ees"],
        ["demo"],
        ["forecast"],
        ["forecast", "calibrate"],
        ["forecast", "sweep"],
        ["serve"],
        ["users", "add"],
        ["ops", "replay"],
        ["log", "verify"],
    ):
        result = cli(*args, "--help")
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage" in result.stdout


def test_demo_json() -> None:
    result = cli("demo", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["scenario"]["people"] == 24000 and data["scenario"]["checkpoints"] == 18
    plan = data["plan"]
    assert 0 < plan["people_out_by_window_end"] <= plan["bound"]["people_out_by_window_end_max"]


def test_plan_outputs(tmp_path: Path) -> None:
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022.yaml"
    html, geo = tmp_path / "plan.html", tmp_path / "plan.geojson"
    result = cli("plan", str(scenario), "--json", "--html", str(html), "--geojson", str(geo))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for key in ("people_total", "people_out_by_window_end", "egress_time_s", "bound", "gap"):
        assert key in data
    page = html.read_text()
    # Offline: nothing linked from elsewhere (tests/web/test_map_browser.py opens it with every
    # request refused); the map library's own code mentions URLs, so look at the markup only.
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert "<svg" in markup and not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup)
    assert "Mariupol corridor, 15 March 2022" in page and "Zaporizhzhia" in page
    kinds = {f["properties"]["kind"] for f in json.loads(geo.read_text())["features"]}
    assert kinds == {"route", "checkpoint", "origin", "destination"}


def test_exact_refuses_large_instances(tmp_path: Path) -> None:
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022.yaml"
    result = cli("plan", str(scenario), "--exact", "--step", "10")
    assert result.returncode == 2
    assert "too large for the exact solver" in result.stderr and "Traceback" not in result.stderr


def test_network_info_route_export(tmp_path: Path) -> None:
    osm = write_osm(tmp_path / "line.osm", LINE, [(1, list(range(1, 11)), {"highway": "primary"})])
    info = json.loads(cli("network", "info", str(osm), "--json").stdout)
    assert info["nodes"] == 2 and info["edges"] == 2 and info["components"]["strong"] == 1
    assert abs(info["road_km"] - 0.682) < 0.01
    result = cli(
        "network", "route", str(osm), "--from", "47.0,37.001", "--to", "47.0,37.010", "--json"
    )
    assert result.returncode == 0, result.stderr
    routes = json.loads(result.stdout)["routes"]
    assert len(routes[0]["coordinates"]) == 10
    out = tmp_path / "line.geojson"
    assert cli("network", "export", str(osm), "--geojson", str(out)).returncode == 0
    assert json.loads(out.read_text())["type"] == "FeatureCollection"


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    osm = write_osm(tmp_path / "line.osm", LINE, [(1, [1, 2, 3], {"highway": "primary"})])
    result = cli("network", "route", str(osm), "--from", "47.0", "--to", "47.0,37.0")
    assert result.returncode == 2 and "--from" in result.stderr and "Traceback" not in result.stderr
    result = cli(
        "network",
        "route",
        str(osm),
        "--from",
        "47.0,37.001",
        "--to",
        "47.0,37.003",
        "--avoid",
        "square:1",
    )
    assert result.returncode == 2 and "--avoid" in result.stderr


def test_scenario_check_reports_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\norigins: []\ndestinations: []\nnetwork: {}\nsurprise: 1\n")
    result = cli("scenario", "check", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "bad.yaml:5: surprise: unknown field" in result.stderr
    as_json = json.loads(cli("scenario", "check", str(bad), "--json").stdout)
    assert as_json["ok"] is False and len(as_json["problems"]) >= 3


def test_network_info_clipped_to_a_geojson_polygon(tmp_path: Path) -> None:
    osm = write_osm(tmp_path / "line.osm", LINE, [(1, list(range(1, 11)), {"highway": "primary"})])
    ring = [[37.0025, 46.9], [37.0075, 46.9], [37.0075, 47.1], [37.0025, 47.1], [37.0025, 46.9]]
    area = tmp_path / "area.geojson"
    area.write_text(
        json.dumps({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}})
    )
    info = json.loads(cli("network", "info", str(osm), "--polygon", str(area), "--json").stdout)
    assert info["nodes"] == 2 and abs(info["road_km"] - 4 * 0.0758) < 0.01
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "Point", "coordinates": [0, 0]}')
    result = cli("network", "info", str(osm), "--polygon", str(bad))
    assert result.returncode == 2 and "no Polygon" in result.stderr


def test_plan_quality_modes() -> None:
    """`--quality` (auto by default): path generation where it fits, its rounding loss in the
    JSON; a wrong mode is refused with the option named."""
    scenario = Path(__file__).resolve().parents[2] / "benchmarks" / "scenarios"
    scenario = scenario / "two-entry-roads.yaml"
    result = cli("plan", str(scenario), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    q = data["quality"]
    assert q["asked"] == "auto" and q["mode"] == "best" and q["used"] == "path generation"
    assert data["people_out_by_window_end"] == 3960  # the optimum (tests/plan/test_colgen.py)
    assert q["greedy_people_out_by_window_end"] == 2200
    assert q["rounding_loss_people"] == 0
    fast = json.loads(cli("plan", str(scenario), "--json", "--quality", "fast").stdout)
    assert fast["quality"] == {"mode": "fast", "asked": "fast"}
    assert fast["people_out_by_window_end"] == 2200
    wrong = cli("plan", str(scenario), "--quality", "perfect")
    assert wrong.returncode == 2 and "--quality" in wrong.stderr
    assert "Traceback" not in wrong.stderr
