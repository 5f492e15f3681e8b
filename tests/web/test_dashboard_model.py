"""The dashboard shows the model's waits and ETAs apart from the observed figures, labelled
as model estimates with the calibration they came from and its age; in a real Chromium
against a real `safepassage serve --calibration`, every other request refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest

from safepassage.forecast.calibrate import Observation
from safepassage.forecast.live import refit
from safepassage.model.prepare import prepare_scenario
from safepassage.ops.store import EventStore
from tests.model.test_scenario import MARIUPOL
from tests.web.browser import HAS_PLAYWRIGHT, NO_PLAYWRIGHT, offline_page, served
from tests.web.test_coordinator_map import _poll
from tests.web.test_dashboard import CORRIDOR, open_corridor

EXIT = "cp01-mariupol-exit"


@pytest.mark.skipif(not HAS_PLAYWRIGHT, reason=NO_PLAYWRIGHT)
def test_dashboard_shows_model_estimates_apart_and_labelled(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    # A calibration of 40 cars an hour counted out since three hours ago.
    seen = [Observation(now - timedelta(hours=2), 40), Observation(now - timedelta(hours=1), 80)]
    prepared = prepare_scenario(MARIUPOL, cut_off="warning")
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps(refit(prepared, EXIT, now - timedelta(hours=3), seen)))
    db = str(tmp_path / "ops.db")
    store = EventStore(db)
    open_corridor(store, now)
    desk = store.add_user("desk", "coordinator")
    store.close()
    options = ("--scenario", str(MARIUPOL), "--calibration", f"{CORRIDOR}={cal}")
    with served(db, *options) as base, offline_page(base) as (page, refused, _):
        auth = {"Authorization": f"Bearer {desk}"}
        state: dict = {}
        for _ in range(600):  # the model's first estimate runs in a worker process
            state = httpx.get(f"{base}/api/v1/state/{CORRIDOR}", headers=auth).json()
            if state["model_estimates"]["etas"]:
                break
            page.wait_for_timeout(200)
        model = state["model_estimates"]
        assert model["etas"], model
        page.goto(f"{base}/dashboard#token={desk}")
        _poll(page, "document.getElementById('model-etas').textContent.includes('MODEL ESTIMATE')")
        box = page.inner_text("#model-box")
        assert "Model estimates (not observations)" in box
        cal_id = model["calibration"]["id"]
        assert f"Calibration {cal_id}" in box and "ago" in box  # its calibration and age
        assert "on 2 confirmed count(s)" in box
        # The destination's ETA and band as the state gives them (hours to one decimal).
        last = model["etas"][-1]
        etas = page.inner_text("#model-etas")
        assert f"at Zaporizhzhia about {last['eta']['p50']['text']}" in etas
        assert f"P50 {last['p50']:.1f} h" in etas
        # Never among the observed figures: the counts, paces and every-figure list say
        # nothing of the model, and keep the observed 30 and 200 vehicles apart.
        for observed in ("#out", "#paces", "#figures", "#waiting", "#etas"):
            text = page.inner_text(observed)
            assert "MODEL" not in text.upper() and cal_id not in text, observed
        assert "30 vehicles" in page.inner_text("#out")
        assert refused == []
