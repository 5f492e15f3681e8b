"""The scenario's `forecast` section: defaults, and mistakes named with their line."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from safepassage.errors import SafePassageError
from safepassage.forecast.calibrate import open_seconds
from safepassage.model.prepare import prepare_scenario

MARIUPOL = Path(__file__).resolve().parents[2] / "scenarios" / "mariupol-2022.yaml"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = MARIUPOL.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "variant.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_bad_forecast_fields_are_reported_with_their_place(tmp_path: Path) -> None:
    path = _variant(tmp_path, "out_at: cp18-ua-kamianske", "out_at: cp18-ua-kamyanske")
    with pytest.raises(SafePassageError) as err:
        prepare_scenario(path)
    text = str(err.value.problems[0])
    assert "forecast.out_at" in text and "cp18-ua-kamianske" in text  # the suggestion
    path = _variant(tmp_path, 'drive_hours: "07:00-18:00"', 'drive_hours: "19:00-06:00"')
    with pytest.raises(SafePassageError) as err:
        prepare_scenario(path)
    assert "drive_hours" in str(err.value.problems[0])


def test_open_seconds_counts_only_opening_hours() -> None:
    kyiv = ZoneInfo("Europe/Kyiv")
    start = datetime(2022, 3, 14, 13, 0, tzinfo=kyiv)
    end = datetime(2022, 3, 15, 14, 0, tzinfo=kyiv)
    assert open_seconds(start, end, None) == 25 * 3600
    assert open_seconds(start, end, (time(8), time(18))) == 11 * 3600  # 13-18 and 08-14
    assert open_seconds(start, end, (time(22), time(6))) == 8 * 3600  # overnight hours


def test_held_or_lost_rules_are_checked(tmp_path: Path) -> None:
    from safepassage.forecast import forecast_prepared

    bad = "held_p: 0.05, held_mean_h: 6, lost_p: 0.02}"
    path = _variant(tmp_path, bad, "held_p: 0.5, held_mean_h: 6, lost_p: 0.6}")
    with pytest.raises(SafePassageError) as err:
        prepare_scenario(path)
    assert "held_or_lost" in str(err.value.problems[0]) and "at most 1" in str(err.value)
    path = _variant(
        tmp_path,
        "{vehicle: bus, controlled_by: RU,",
        "{vehicle: bus, checkpoints: [cp99-nowhere],",
    )
    with pytest.raises(SafePassageError) as err:
        forecast_prepared(prepare_scenario(path), runs=2, seed=1, mode="demand")
    assert "cp99-nowhere" in str(err.value) and "held_or_lost[0]" in str(err.value)


def test_open_seconds_in_the_repeated_autumn_hour() -> None:
    """Kyiv, 30 October 2022: 04:00 summer time became 03:00 again. From 03:30 summer time to
    03:15 winter time 45 minutes pass, all inside 03:00-04:00 on the clock (open twice that
    night); compared on wall clocks the end came before the start and nothing was open."""
    kyiv = ZoneInfo("Europe/Kyiv")
    start = datetime(2022, 10, 30, 3, 30, tzinfo=kyiv)  # fold 0: summer time, 00:30 UTC
    end = datetime(2022, 10, 30, 3, 15, fold=1, tzinfo=kyiv)  # winter time, 01:15 UTC
    assert open_seconds(start, end, None) == 45 * 60
    assert open_seconds(start, end, (time(3), time(4))) == 45 * 60
    # The whole night: 03:00-04:00 on the clock lasted two hours.
    night = datetime(2022, 10, 30, 0, 0, tzinfo=kyiv)
    assert open_seconds(night, night.replace(hour=6), (time(3), time(4))) == 2 * 3600
