"""The brief's figures are the plan's JSON figures, and the PDF's text (read back with a PDF
reader) holds the headline figures."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SMALL = Path(__file__).resolve().parent / "data" / "small-corridor.yaml"


def _run(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "safepassage", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data


@pytest.fixture(scope="module")
def plan_json() -> dict[str, Any]:
    return _run("plan", str(SMALL), "--json", "--sensitivity")


def _hours(seconds: float | None) -> str | None:
    return None if seconds is None else f"{seconds / 3600:,.1f}"


def _pdf_reader() -> Any:
    try:
        import weasyprint  # noqa: F401  (loads Pango: fails where it is missing)
    except OSError as exc:
        pytest.skip(f"WeasyPrint cannot load Pango here ({exc}); `python3 dev.py test` installs it")
    import pypdf

    return pypdf


def test_brief_figures_are_the_plans(plan_json: dict[str, Any], tmp_path: Path) -> None:
    pypdf = _pdf_reader()
    out = tmp_path / "brief.pdf"
    fig = _run("brief", str(SMALL), "--out", str(out), "--json", "--forecast-runs", "200")["brief"]
    d = plan_json
    assert fig["people_out_by_window_end"] == d["people_out_by_window_end"]
    assert fig["people_total"] == d["people_total"]
    assert fig["bound"] == math.floor(d["bound"]["people_out_by_window_end_max"] + 1e-9)
    for key in ("p50", "p90", "p100"):
        assert fig["window_needed_h"][key] == _hours(d["window_needed_s"][key])
    useful = [r for r in d["sensitivity"] if r["people_gained"] > 0 or r["egress_saved_s"] > 0]
    # The brief names places as people know them: the JSON's names, never the ids.
    assert [lv["lever"] for lv in fig["levers"]] == [r["lever_name"] for r in useful[:3]]
    assert [lv["people_gained"] for lv in fig["levers"]] == [r["people_gained"] for r in useful[:3]]
    assert d["bottlenecks"][0]["name"] in fig["limit"]
    assert fig["bus_need_people"] == sum(o["bus_people"] for o in d["origins"])
    assert fig["bus_people"] == sum(b["people"] for b in d["buses"])
    assert fig["buses_needed"] == d["buses_needed"]
    assert fig["bus_risk"] == d["bus_risk"] and d["bus_risk"]["buses_expected_lost"] > 0
    # The forecast figures are what `safepassage forecast` says with the same runs and seed.
    fc = _run("forecast", str(SMALL), "--from", "plan", "--runs", "200", "--seed", "0", "--json")
    assert fig["forecast"]["people_out_by_window_end"] == fc["people_out_by_window_end"]
    assert fig["forecast"]["last_arrival"] == fc["stations"][-1]["last"]

    reader = pypdf.PdfReader(str(out))
    assert len(reader.pages) == 1  # one page
    text = " ".join(reader.pages[0].extract_text().split())
    assert f"{d['people_out_by_window_end']:,} of {d['people_total']:,} people" in text
    assert f"more than {fig['bound']:,} people" in text
    assert f"a window of {fig['window_needed_h']['p90']} hours" in text
    for lever in fig["levers"]:
        assert lever["lever"] in text
    assert "City exit gate" in text and "exit-gate" not in text
    n = d["buses_needed"]["buses_for_all_seats_out_by_window_end"]
    assert f"out by the window's end: {n} buses (now 2)" in text
    band = fig["forecast"]["people_out_by_window_end"]
    assert f"between {band['p10']:,} and {band['p90']:,} people out" in text


def test_brief_html_and_bad_suffix(tmp_path: Path) -> None:
    page = tmp_path / "brief.html"
    _run("brief", str(SMALL), "--out", str(page), "--json")
    assert "What to ask for" in page.read_text()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "safepassage",
            "brief",
            str(SMALL),
            "--out",
            str(tmp_path / "b.doc"),
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert done.returncode == 2 and "use .pdf or .html" in done.stderr
    assert "Traceback" not in done.stderr
