"""The map component in a real Chromium with the network cable pulled: every request to
anything but the local server (or, for a report, the file itself) is refused, and the map
still draws its basemap, overlay, labels, legend, scale and attribution. Page weights are
held to budgets; the plan report shows names, never ids, with and without script."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.model.test_scenario import MARIUPOL
from tests.ops.test_reliability import free_port
from tests.web.browser import (
    HAS_PLAYWRIGHT,
    NO_PLAYWRIGHT,
    offline_page,
    serious_accessibility_problems,
)

pytestmark = pytest.mark.skipif(not HAS_PLAYWRIGHT, reason=NO_PLAYWRIGHT)

#: Budgets (bytes). The map library is most of both: about 1.06 MB of script.
MAP_PAGE_BUDGET = 1_600_000  # page, library, our module, glyphs and the tiles in view
PLAN_REPORT_BUDGET = 1_350_000  # one self-contained file: library, glyph subset, data
READY = "[data-sp-map][data-state=ready], [data-sp-map][data-state=error]"


def _feature(kind: str, coords: Any, **props: Any) -> dict[str, Any]:
    kind_of = "LineString" if kind == "route" else "Polygon" if kind == "hazard" else "Point"
    return {
        "type": "Feature",
        "geometry": {"type": kind_of, "coordinates": coords},
        "properties": {"kind": kind, **props},
    }


OVERLAY = {
    "type": "FeatureCollection",
    "features": [
        _feature(
            "route",
            [[7.4128, 43.7311], [7.4202, 43.7368], [7.4275, 43.7398]],
            name="Монако → Монте-Карло",
        ),
        _feature("origin", [7.4128, 43.7311], name="Фонвьей", id="fontvieille"),
        _feature("destination", [7.4275, 43.7398], name="Монте-Карло", id="monte-carlo"),
        _feature("checkpoint", [7.4202, 43.7368], name="Пост А", status="open", throughput_vph=90),
        _feature(
            "checkpoint", [7.4180, 43.7345], name="Пост Б", status="closed", throughput_vph=40
        ),
        _feature("incident", [7.4240, 43.7385], name="Інцидент"),
        _feature("hazard", [[[7.415, 43.733], [7.417, 43.733], [7.417, 43.735], [7.415, 43.733]]]),
        _feature("convoy", [7.4190, 43.7350], name="Колона 3"),
    ],
}


@contextmanager
def map_server(basemap: Path, overlay: Path) -> Iterator[str]:
    """A real `safepassage map serve` on a free port; yields its base URL."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "safepassage",
        "map",
        "serve",
        str(basemap),
        "--geojson",
        str(overlay),
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "map server did not start"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        assert proc.stderr is not None
        proc.stderr.close()


def _rendered(page: Any, layer: str, prop: str = "name") -> list[Any]:
    return page.evaluate(
        f"window.spMaps[0].queryRenderedFeatures({{layers: ['{layer}']}}).map(f => f.properties['{prop}'])"
    )


@pytest.mark.shared
def test_map_with_basemap_renders_offline_from_the_local_server_only(
    monaco_pmtiles: Path, tmp_path: Path
) -> None:
    overlay = tmp_path / "overlay.geojson"
    overlay.write_text(json.dumps(OVERLAY, ensure_ascii=False))
    with (
        map_server(monaco_pmtiles, overlay) as base,
        offline_page(base) as (page, refused, received),
    ):
        ranges: list[tuple[str | None, int]] = []
        page.on(
            "response",
            lambda r: (
                ranges.append((r.request.headers.get("range"), r.status))
                if r.url.endswith(".pmtiles")
                else None
            ),
        )
        page.goto(f"{base}/")
        page.wait_for_selector(READY, timeout=60_000)
        box = page.locator("[data-sp-map]")
        assert box.get_attribute("data-state") == "ready", box.get_attribute("data-errors")
        assert refused == []  # nothing even tried to leave this computer
        assert ranges and all(
            r and r.startswith("bytes=") and status == 206 for r, status in ranges
        )
        # The basemap drew roads and the extract's place names (Latin script glyphs).
        assert len(_rendered(page, "base-roads", "class")) > 100
        assert {"Monte-Carlo", "La Condamine"} <= set(_rendered(page, "base-places"))
        # The overlay: Cyrillic labels, both statuses, incident and hazard; no convoy for a
        # page that is not a coordinator's.
        labels = set(_rendered(page, "sp-labels"))
        assert {"Фонвьей", "Монте-Карло"} <= labels and "Колона 3" not in labels
        assert sorted(_rendered(page, "sp-checkpoint", "status")) == ["closed", "open"]
        assert _rendered(page, "sp-incident") and _rendered(page, "sp-hazard", "kind")
        assert page.evaluate("window.spMaps[0].getLayer('sp-convoy') === undefined")
        legend = page.inner_text(".sp-legend")
        for words in ("corridor route", "checkpoint", "open", "closed", "hazard", "incident"):
            assert words in legend
        assert "convoy" not in legend
        assert "OpenStreetMap" in page.inner_text(".maplibregl-ctrl-attrib")
        assert page.inner_text(".maplibregl-ctrl-scale").strip().endswith(("m", "km"))
        assert (
            page.evaluate(
                "document.querySelector('script[src^=\"http\"]:not([src^=\"' + location.origin + '\"])')"
            )
            is None
        )
        weight = sum(received.values())
        assert weight <= MAP_PAGE_BUDGET, f"map page {weight:,} bytes > budget {MAP_PAGE_BUDGET:,}"
        assert serious_accessibility_problems(page) == []


@pytest.fixture(scope="module")
def plan_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "plan.html"
    cmd = [
        sys.executable,
        "-m",
        "safepassage",
        "plan",
        str(MARIUPOL),
        "--html",
        str(out),
        "--lang",
        "uk",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


def test_plan_report_map_shows_names_and_legend_offline(plan_report: Path) -> None:
    size = plan_report.stat().st_size
    assert size <= PLAN_REPORT_BUDGET, f"plan report {size:,} bytes > budget {PLAN_REPORT_BUDGET:,}"
    with offline_page("file://") as (page, refused, _):
        page.goto(plan_report.as_uri())
        page.wait_for_selector(READY, timeout=60_000)
        box = page.locator("[data-sp-map]")
        assert box.get_attribute("data-state") == "ready", box.get_attribute("data-errors")
        assert refused == []
        labels = set(_rendered(page, "sp-labels"))
        assert {"Запоріжжя", "Бердянськ"} <= labels  # drawn with the glyphs inlined in the file
        legend = page.inner_text(".sp-legend")
        assert "From Маріуполь, виїзд to Запоріжжя" in legend and "assembly point" in legend
        assert page.inner_text(".maplibregl-ctrl-scale").strip().endswith("km")
        text = page.inner_text("body")
        assert "Мангуш, блокпост" in text and "Драмтеатр, Маріуполь" in text
        for ident in ("cp04-manhush", "drama-theatre", "zaporizhzhia", "cp18-ua-kamianske"):
            assert ident not in text  # names, never ids
        assert "15 Mar 2022 09:00 EET (UTC+02:00)" in text  # dates with year and zone
        assert serious_accessibility_problems(page) == []


def test_plan_report_without_script_shows_the_sketch_with_names(plan_report: Path) -> None:
    with offline_page("file://", javascript=False) as (page, refused, _):
        page.goto(plan_report.as_uri())
        sketch = page.locator(".sp-map-fallback")
        assert sketch.is_visible() and refused == []
        words = sketch.inner_text()
        assert "Запоріжжя" in words and "Драмтеатр, Маріуполь" in words
        assert "From Маріуполь, виїзд to Запоріжжя" in words
        # The chart says what its axes are and the values at the end of each line.
        chart = page.locator("figure.chart").inner_text()
        assert "people out" in chart and "hours after the window opens" in chart
        assert "planned:" in chart and "at the end" in chart
