"""The compact SMS form: read tolerantly, refuse clearly."""

from __future__ import annotations

from datetime import time

import pytest

from safepassage.ops.intake import CheckpointCount, Rejection, acknowledgement, parse_report

CPS = ["cp01-mariupol-exit", "cp04-manhush", "cp08-berdyansk-east", "cp13-tokmak-south"]


@pytest.mark.parametrize(
    "text",
    [
        "CP MANHUSH 1405 OUT 42 CARS 130 PPL",
        "cp manhush 14:05 out 42 cars 130 ppl",
        "  Cp   Manhush   14.05  OUT 42 cars   130 ppl ",
        "КП МАНГУШ 1405 ВИЇЗД 42 АВТО 130 ОСІБ",
        "кп мангуш 14:05 выезд 42 авто 130 чел",
        "MANHUSH 1405 42 CARS 130 PPL",
        "cp04-manhush 1405 out 42 cars 130 ppl",
    ],
)
def test_the_same_report_however_written(text: str) -> None:
    report = parse_report(text, CPS)
    assert report == CheckpointCount("cp04-manhush", time(14, 5), "out", 42, 0, 130)
    assert acknowledgement(report) == "OK CP04-MANHUSH 1405 OUT 42 CARS 130 PPL"


def test_multi_word_names_and_buses() -> None:
    report = parse_report("CP BERDYANSK EAST 0930 IN 3 BUSES 150 PPL", CPS)
    assert isinstance(report, CheckpointCount)
    assert report.checkpoint == "cp08-berdyansk-east" and report.direction == "in"
    assert report.buses == 3 and report.vehicles == 0 and report.people == 150


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("CP MANHUSH OUT 42 CARS", "no time"),
        ("CP MANHUS 1405 OUT 42 CARS", "CP04-MANHUSH"),  # a typo gets a suggestion
        ("CP KYIV 1405 OUT 42 CARS", "Known:"),
        ("CP MANHUSH 2561 OUT 42 CARS", "no time"),
        ("CP MANHUSH 1405 OUT 42", "no unit"),
        ("CP MANHUSH 1405 OUT 42 TANKS", "unknown unit"),
        ("CP MANHUSH 1405 OUT 130 PPL", "no vehicle count"),
        ("CP MANHUSH 1405 OUT 42 CARS 40 CARS", "twice"),
        ("CP MANHUSH 1405 OUT forty CARS", "expected a number"),
    ],
)
def test_rejections_say_what_is_wrong_and_how_to_fix_it(text: str, says: str) -> None:
    result = parse_report(text, CPS)
    assert isinstance(result, Rejection)
    assert says in str(result)
    assert str(result).startswith("NOT RECORDED:") and result.fix
