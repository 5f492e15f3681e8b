"""Model estimates for the operations service: refit from confirmed counts, the wait at the
checkpoint and journey times, all marked as model estimates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from safepassage.forecast.calibrate import Observation
from safepassage.forecast.live import MARK, latest_estimates
from safepassage.model.prepare import prepare_scenario

KYIV = ZoneInfo("Europe/Kyiv")
MARIUPOL = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022.yaml"


def test_latest_estimates_from_confirmed_counts() -> None:
    prepared = prepare_scenario(MARIUPOL, cut_off="warning")
    opened = datetime(2022, 3, 14, 13, 0, tzinfo=KYIV)
    counts = [
        Observation(datetime(2022, 3, 14, 15, 0, tzinfo=KYIV), 160),
        Observation(datetime(2022, 3, 15, 14, 0, tzinfo=KYIV), 2000),
        Observation(datetime(2022, 3, 15, 14, 0, tzinfo=KYIV), 2000, what="waiting"),
    ]
    now = datetime(2022, 3, 15, 14, 30, tzinfo=KYIV)
    est = latest_estimates(prepared, "cp01-mariupol-exit", opened, counts, now, runs=40)
    assert est["kind"] == MARK and "model estimate" in est["kind"]
    # 2,000 cars queued ahead at about 80 an hour: about 25 hours (the band's median).
    rate = est["calibration"]["throughput_vph"]["mean"]
    assert est["wait_h"]["p50"] == pytest.approx(2000 / rate, rel=0.1)
    assert est["wait_h"]["p10"] <= est["wait_h"]["p50"] <= est["wait_h"]["p90"]
    assert est["wait_from"] == "the last reported queue"
    assert est["journeys_h"][-1]["to"] == "zaporizhzhia"
    today = est["journeys_h"][-1]["leaving_today"]
    assert today is not None and today["date"] == "2022-03-15"
