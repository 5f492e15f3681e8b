"""Figures with provenance: arithmetic that refuses to mix kinds, statuses and sources, rates
over the figure's own interval, disagreement shown as sources and a range, and times that
always carry their date and zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepassage.figures import (
    Figure,
    MixedFigures,
    Source,
    Span,
    Value,
    Verification,
    compare,
    per_day,
    rate,
    stamp,
    total,
    totals,
    wait,
)
from safepassage.figures.when import iso, timed

KYIV = "Europe/Kyiv"
T0 = datetime(2022, 3, 14, 11, 0, tzinfo=UTC)  # 13:00 in Kyiv
COUNCIL = Source("Mariupol city council", party=True, via="Interfax-Ukraine")


def fig(
    n: int | Value,
    *,
    kind: Any = "crossed",
    unit: Any = "vehicles",
    state: Any = "reported",
    source: Source = COUNCIL,
    start: datetime | None = T0,
    hours: float = 2,
    span: Any = "interval",
    place: str | None = "cp01",
    basis: Any = "claimed",
    ref: str = "",
) -> Figure:
    end = (start or T0) + timedelta(hours=hours)
    return Figure(
        kind=kind,
        unit=unit,
        value=n if isinstance(n, Value) else Value.exact(n),
        span=Span(span, end, None if span == "stock" else start),
        source=source,
        status=Verification(state),
        basis=basis,
        zone=KYIV,
        place=place,
        refs=(ref,) if ref else (),
    )


def test_stamp_always_has_date_time_and_zone_never_microseconds() -> None:
    t = datetime(2022, 3, 15, 12, 7, 33, 123456, tzinfo=UTC)
    assert stamp(t, KYIV) == "2022-03-15 14:07 Europe/Kyiv (UTC+02:00)"
    assert stamp(t, None) == "2022-03-15 12:07 UTC"
    assert stamp("2022-03-15T12:07:33.123456+00:00", "No/Such_Zone") == "2022-03-15 12:07 UTC"
    assert iso(t, KYIV) == "2022-03-15T14:07:33+02:00"
    assert timed(t, KYIV) == {
        "time": "2022-03-15T14:07:33+02:00",
        "zone": KYIV,
        "text": "2022-03-15 14:07 Europe/Kyiv (UTC+02:00)",
    }
    with pytest.raises(ValueError, match="no zone"):
        stamp("2022-03-15T14:07")


def test_value_words() -> None:
    assert Value.as_many_as(2500).text() == "as many as 2,500"
    assert Value.at_least(40).text() == "at least 40"
    assert Value.between(2000, 4000).text() == "2,000 to 4,000"
    assert Value.about(160).text() == "about 160"
    with pytest.raises(ValueError, match="low end"):
        Value.between(5, 3)
    with pytest.raises(ValueError, match="negative"):
        Value.exact(-5)


def test_adding_across_status_kind_source_or_place_is_refused() -> None:
    base = fig(40, state="confirmed")
    for other in (
        fig(1000, state="reported", start=T0 + timedelta(hours=3)),
        fig(30, kind="arrived", start=T0 + timedelta(hours=3)),
        fig(30, unit="people", start=T0 + timedelta(hours=3)),
        fig(30, place="cp04", start=T0 + timedelta(hours=3)),
        fig(30, state="confirmed", source=Source("ICRC"), start=T0 + timedelta(hours=3)),
    ):
        with pytest.raises(MixedFigures, match="cannot add"):
            total([base, other])
        with pytest.raises(TypeError):  # a type error, like metres plus seconds
            total([other, base])


def test_intervals_add_when_apart_and_are_refused_when_they_overlap() -> None:
    a, b = fig(160), fig(1840, start=T0 + timedelta(hours=2), hours=23)
    s = total([a, b])
    assert s.value == Value.exact(2000)
    assert s.span.start == T0 and s.span.end == T0 + timedelta(hours=25)
    assert s.method == "sum of 2 figures"
    with pytest.raises(MixedFigures, match="overlap"):
        total([a, fig(50, start=T0 + timedelta(hours=1))])


def test_cumulative_figures_and_levels_are_not_added_over_time() -> None:
    with pytest.raises(MixedFigures, match="latest"):
        total([fig(2000, span="cumulative"), fig(4000, span="cumulative", hours=30)])
    got = totals([fig(2000, span="cumulative"), fig(4000, span="cumulative", hours=30)])
    assert [f.value.point for f in got] == [4000]


def test_qualifiers_carry_through_a_sum() -> None:
    s = total([fig(Value.at_least(40)), fig(Value.exact(10), start=T0 + timedelta(hours=5))])
    assert s.value.text() == "at least 50"
    s = total([fig(Value.as_many_as(100)), fig(Value.about(10), start=T0 + timedelta(hours=5))])
    assert (s.value.low, s.value.high) == (10, 110)


def test_a_sum_is_labelled_by_its_weakest_basis() -> None:
    s = total([fig(1, basis="observed"), fig(2, basis="assumed", start=T0 + timedelta(hours=4))])
    assert s.basis == "assumed"
    assert "ASSUMED" in s.text()


def test_rate_uses_the_figures_own_interval() -> None:
    r = rate(fig(1840, start=T0 + timedelta(hours=2), hours=23))
    assert r.low == pytest.approx(80.0) and r.high == pytest.approx(80.0)
    assert r.text().startswith("80 vehicles/h")
    with pytest.raises(MixedFigures, match="no interval"):
        rate(fig(42, start=None))
    with pytest.raises(MixedFigures, match="no rate"):
        rate(fig(2000, kind="waiting", span="stock", start=None))


def test_wait_is_the_queue_at_the_pace_of_the_same_source_and_status() -> None:
    queue = fig(2000, kind="waiting", span="stock", start=T0 + timedelta(hours=25))
    pace = rate(fig(1840, start=T0 + timedelta(hours=2), hours=23))
    w = wait(queue, pace)
    assert w.minutes_low == pytest.approx(25 * 60) and w.minutes_high == pytest.approx(25 * 60)
    assert w.text().startswith("about 25 h 00 min")
    other = rate(fig(40, state="confirmed", source=Source("ICRC")))
    with pytest.raises(MixedFigures, match="do not make a wait"):
        wait(queue, other)


def test_disagreeing_sources_show_each_and_the_range_never_a_sum() -> None:
    a = fig(2000, span="cumulative", hours=25, source=Source("Interfax-Ukraine"))
    b = fig(4000, span="cumulative", hours=25, source=Source("regional officials"))
    [c] = compare([a, b])
    assert c.disagree and (c.low, c.high) == (2000, 4000)
    text = c.text()
    assert "Interfax-Ukraine" in text and "regional officials" in text
    assert "6,000" not in text and "3,000" not in text


def test_per_day_keeps_an_interval_over_midnight_apart() -> None:
    day1 = fig(100, start=T0)
    day1b = fig(50, start=T0 + timedelta(hours=3))
    overnight = fig(70, start=T0 + timedelta(hours=10), hours=6)  # 23:00 to 05:00 in Kyiv
    sums, apart = per_day([day1, day1b, overnight])
    assert [f.value.point for f in sums.values()] == [150]
    assert apart == [overnight]


def test_figure_text_and_json_say_what_source_status_and_when() -> None:
    f = fig(
        Value.as_many_as(2500),
        kind="killed",
        unit="people",
        place="Mariupol",
        span="cumulative",
        state="unverifiable",
    )
    f = Figure(
        **{
            **f.__dict__,
            "status": Verification("denied", denied_by=("Russian MoD",), unverifiable=True),
        }
    )
    text = f.text()
    assert text.startswith("as many as 2,500 people killed in Mariupol")
    assert "Mariupol city council (a party to the conflict) via Interfax-Ukraine" in text
    assert "denied by Russian MoD" in text and "cannot be independently verified" in text
    j = f.as_json()
    assert j["status"]["state"] == "denied" and j["source"]["party"] is True
    assert j["as_of"]["zone"] == KYIV and j["as_of"]["time"].endswith("+02:00")


# -- property: no number any arithmetic shows is a sum across keys ------------------------

KEYS = st.tuples(
    st.sampled_from(["crossed", "arrived", "killed"]),
    st.sampled_from(["vehicles", "people"]),
    st.sampled_from(["cp01", "cp04"]),
    st.sampled_from(["confirmed", "reported", "unverified", "denied"]),
    st.sampled_from(["council", "ICRC", "field"]),
    st.sampled_from(["interval", "cumulative"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(KEYS, min_size=2, max_size=14))
def test_random_mixes_never_show_a_cross_key_sum(keys: list[tuple[str, ...]]) -> None:
    # Each figure's value is a distinct power of two, so any number that is a sum of figures
    # names exactly which ones (its bits): the oracle needs no knowledge of the code.
    figures = []
    for i, (kind, unit, place, state, source, span) in enumerate(keys):
        figures.append(
            fig(
                1 << i,
                kind=kind,
                unit=unit,
                place=place,
                state=state,
                source=Source(source),
                span=span,
                start=T0 + timedelta(hours=3 * i),  # intervals never overlap
                ref=str(i),
            )
        )
    key_of = {1 << i: k[:5] for i, k in enumerate(keys)}

    def keys_in(n: int) -> set[tuple[str, ...]]:
        return {key_of[1 << b] for b in range(len(keys)) if n >> b & 1}

    shown = [f for f in totals(figures)]
    days, _ = per_day(figures)
    shown += list(days.values())
    for c in compare(figures):
        shown += list(c.figures)
        assert all(
            n in {f.value.low for f in c.figures} | {f.value.high for f in c.figures}
            for n in (c.low, c.high)
            if n is not None
        )
    for f in shown:
        for n in f.value.numbers():
            assert len(keys_in(n)) == 1, f"{n} adds figures of different keys: {f.text()}"
    # And the totals are exactly the per-key sums of intervals (independent grouping).
    expected: dict[tuple[str, ...], int] = {}
    for i, k in enumerate(keys):
        if k[5] == "interval":
            expected[k[:5]] = expected.get(k[:5], 0) + (1 << i)
    got = {
        (f.kind, f.unit, f.place, f.status.state, f.source.name): f.value.point
        for f in totals(figures)
        if f.span.kind == "interval"
    }
    assert got == expected
    # Any attempt to add across keys is refused.
    for i, k in enumerate(keys):
        if k[:5] != keys[0][:5]:
            with pytest.raises(MixedFigures, match="cannot add"):
                total([figures[0], figures[i]])


def test_overlapping_reports_of_one_source_give_a_range_not_a_sum() -> None:
    a, b = fig(160), fig(160, hours=2.1)
    c = fig(100, start=T0 + timedelta(hours=3), hours=1)
    [t] = totals([a, b, c])
    assert (t.value.low, t.value.high) == (260, 420)
    assert "overlapping" in (t.method or "")
