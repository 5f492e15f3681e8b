"""The forecast report's HTML: the corridor drawn by the map component with the scenario's
names, and no place id left in what a reader sees; opened from the file with the network
cable pulled (everything inlined)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safepassage.model.load import load_scenario
from tests.cli.test_cli import cli
from tests.model.test_scenario import MARIUPOL
from tests.web.browser import HAS_PLAYWRIGHT, NO_PLAYWRIGHT, offline_page


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("forecast") / "forecast.html"
    run = cli("forecast", str(MARIUPOL), "--runs", "5", "--days", "1", "--html", str(target))
    assert run.returncode == 0, run.stderr
    return target


def _visible(html: str) -> str:
    """The report's text without its scripts, styles and the map's JSON options."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_forecast_report_names_places_and_has_the_map(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert html.count('<figure class="sp-map-figure">') == 1 and "The corridor" in html
    text = _visible(html)
    scenario = load_scenario(str(MARIUPOL))[0]
    ids = [i for i in scenario.places() if re.search(r"[-\d]", i)]
    assert [i for i in ids if i in text] == []
    assert "Mariupol (exit)" in text and "Zaporizhzhia" in text and "Berdiansk" in text
    assert "The first cars reach Zaporizhzhia" in text
    outside_scripts = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    assert not re.search(r'(src|href)="(https?:)?//', outside_scripts)


@pytest.mark.skipif(not HAS_PLAYWRIGHT, reason=NO_PLAYWRIGHT)
def test_forecast_map_draws_offline_with_names(report: Path) -> None:
    with offline_page("file://") as (page, refused, _):
        page.goto(report.as_uri())
        page.wait_for_selector(
            "[data-sp-map][data-state]:not([data-state=loading])", timeout=60_000
        )
        assert page.get_attribute("[data-sp-map]", "data-state") == "ready"
        page.wait_for_timeout(500)
        names = page.evaluate(
            "window.spMaps[0].queryRenderedFeatures({layers: ['sp-labels']})"
            ".map(f => f.properties.name)"
        )
        assert {"Zaporizhzhia", "Berdiansk"} <= set(names)
        assert "From Drama Theatre, Mariupol to Zaporizhzhia" in page.inner_text(".sp-legend")
        assert refused == []
