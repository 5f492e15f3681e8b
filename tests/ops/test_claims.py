"""The register of claims, from a real log: claims land unverified or reported, every review
is an event and the history shows it, duplicates are one figure with several sources, and
the result does not depend on the order events arrive in."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safepassage.figures import totals
from safepassage.ops.claims import ClaimsRegister
from safepassage.ops.events import EventError, EventIn, validate_event
from safepassage.ops.store import EventStore, StoredEvent

CORRIDOR = "mariupol"


def ev(kind: str, at: str, data: dict[str, Any], status: str = "unverified", **kw: Any) -> EventIn:
    return validate_event(
        {
            "id": kw.pop("id", str(uuid.uuid4())),
            "type": kind,
            "occurred_at": at,
            "corridor": CORRIDOR,
            "status": status,
            "data": data,
            **kw,
        }
    )


def review(claim: EventIn, action: str, by: str, at: str, **data: Any) -> EventIn:
    return ev("claim_review", at, {"claim": str(claim.id), "action": action, "by": by, **data})


def count(vehicles: int, at: str = "2022-03-14T15:00:00+02:00", **kw: Any) -> EventIn:
    data = {
        "checkpoint": "cp01",
        "interval_start": "2022-03-14T13:00:00+02:00",
        "vehicles": vehicles,
    }
    return ev("checkpoint_count", at, data, **kw)


TOLL = ev(
    "claim",
    "2022-03-16T12:00:00+02:00",
    {
        "kind": "killed",
        "value": 2500,
        "qualifier": "as_many_as",
        "place": "Mariupol",
        "said_by": "local authorities",
        "party": True,
        "via": "news report",
    },
    "claimed",
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    s = EventStore(str(tmp_path / "ops.db"))
    yield s
    s.close()


def register(store: EventStore, events: list[EventIn], reporter: str = "desk") -> list[StoredEvent]:
    store.append(events, reporter)
    return store.read(limit=10_000)


def project(stored: list[StoredEvent]) -> ClaimsRegister:
    reg = ClaimsRegister()
    for e in stored:
        reg.apply(e)
    return reg


def test_a_toll_with_its_denial_and_that_it_cannot_be_verified(store: EventStore) -> None:
    unverifiable = review(
        TOLL,
        "unverifiable",
        "desk",
        "2022-03-16T13:00:00+02:00",
        how="no independent access to the city",
    )
    denial = review(
        TOLL, "deny", "the other side's ministry", "2022-03-16T14:00:00+02:00", party=True
    )
    reg = project(register(store, [TOLL, unverifiable, denial]))
    [figure] = reg.figures()
    assert figure.value.text() == "as many as 2,500"
    assert figure.basis == "claimed"  # a party's statement is its claim
    assert figure.status.state == "denied"
    assert figure.status.denied_by == ("the other side's ministry",)
    assert figure.status.unverifiable
    text = figure.text()
    assert "local authorities (a party to the conflict) via news report" in text
    assert "denied by the other side's ministry" in text
    assert "cannot be independently verified" in text
    record = reg.record(str(TOLL.id))
    assert record is not None
    assert [h["action"] for h in record["history"]] == ["entered", "unverifiable", "deny"]
    assert record["history"][2]["at"]["text"] == "2022-03-16 12:00 UTC"  # no zone announced
    assert reg.queue() == []  # decided: nothing awaits review


def test_reports_land_unverified_and_wait_in_the_queue_until_reviewed(store: EventStore) -> None:
    a, b = count(160), count(90, at="2022-03-14T17:00:00+02:00")
    stored = register(store, [a, b], reporter="sms-reporter")
    reg = project(stored)
    assert [q["state"] for q in reg.queue()] == ["unverified", "unverified"]
    assign = review(a, "assign", "coordinator", "2022-03-14T16:00:00+02:00", to="reviewer-1")
    reg = project(register(store, [assign]))
    first = reg.queue()[0]
    assert (first["claim"], first["state"], first["assigned_to"]) == (
        str(a.id),
        "under_review",
        "reviewer-1",
    )
    confirm = review(
        a, "confirm", "ICRC", "2022-03-14T16:30:00+02:00", how="counted at the barrier"
    )
    reg = project(register(store, [confirm]))
    assert [q["claim"] for q in reg.queue()] == [str(b.id)]
    [fa] = [f for f in reg.figures() if str(a.id) in f.refs]
    assert fa.status.state == "confirmed" and fa.status.by == "ICRC"
    assert fa.status.how == "counted at the barrier"


def test_the_same_count_three_times_is_one_figure_with_three_sources(store: EventStore) -> None:
    sms1, sms2 = count(160), count(160, at="2022-03-14T15:05:00+02:00")
    desk = count(160, at="2022-03-14T15:20:00+02:00", source="city council")
    store.append([sms1], "sms-reporter-1")
    store.append([sms2], "sms-reporter-2")
    reg = project(register(store, [desk]))
    suggested = {s["claim"] for s in reg.queue()[0]["suggested_duplicates"]}
    assert suggested == {str(sms2.id), str(desk.id)}
    # Before linking, the two field reports overlap in time: between 160 and 320, never 480.
    field_total = [f for f in totals(reg.figures()) if f.source.name == "field report"]
    assert [(f.value.low, f.value.high) for f in field_total] == [(160, 320)]
    links = [
        review(sms2, "duplicate_of", "coordinator", "2022-03-14T16:00:00+02:00", of=str(sms1.id)),
        review(desk, "duplicate_of", "coordinator", "2022-03-14T16:01:00+02:00", of=str(sms2.id)),
    ]
    reg = project(register(store, links))
    figures = reg.figures()
    [one] = figures
    assert one.value.point == 160
    assert [s.reporter for s in (one.source, *one.also)] == [
        "sms-reporter-1",
        "sms-reporter-2",
        "desk",
    ]
    assert [s.name for s in one.also] == ["field report", "city council"]
    assert one.refs == (str(sms1.id), str(sms2.id), str(desk.id))
    assert [f.value.point for f in totals(figures)] == [160]
    record = reg.record(str(desk.id))
    assert record is not None and record["duplicate_of"] == str(sms1.id)
    assert reg.queue()[0]["suggested_duplicates"] == []


def test_a_loop_of_duplicate_links_keeps_one_figure(store: EventStore) -> None:
    a, b = count(50), count(50, at="2022-03-14T15:10:00+02:00")
    loop = [
        review(a, "duplicate_of", "c", "2022-03-14T16:00:00+02:00", of=str(b.id)),
        review(b, "duplicate_of", "c", "2022-03-14T16:05:00+02:00", of=str(a.id)),
    ]
    reg = project(register(store, [a, b, *loop]))
    assert reg.duplicate_links() == {str(a.id): str(b.id)}
    assert len(reg.figures()) == 1


def test_a_retracted_review_is_taken_back(store: EventStore) -> None:
    confirm = review(TOLL, "confirm", "someone", "2022-03-16T13:00:00+02:00")
    retract = ev(
        "retraction",
        "2022-03-16T13:30:00+02:00",
        {"reason": "confirmed in error"},
        supersedes=str(confirm.id),
    )
    reg = project(register(store, [retract, TOLL, confirm]))
    [f] = reg.figures()
    assert f.status.state == "reported"
    assert [q["claim"] for q in reg.queue()] == [str(TOLL.id)]


def test_arrival_order_does_not_change_the_register(store: EventStore) -> None:
    a, b, c = (
        count(160),
        count(155, at="2022-03-14T15:10:00+02:00"),
        count(40, at="2022-03-14T19:00:00+02:00"),
    )
    events = [
        a,
        b,
        c,
        TOLL,
        review(a, "assign", "coord", "2022-03-14T15:30:00+02:00", to="r1"),
        review(a, "confirm", "ICRC", "2022-03-14T16:00:00+02:00"),
        review(a, "dispute", "other side", "2022-03-14T17:00:00+02:00", party=True),
        review(b, "duplicate_of", "coord", "2022-03-14T18:00:00+02:00", of=str(a.id)),
        review(TOLL, "deny", "other side", "2022-03-16T14:00:00+02:00", party=True),
        review(TOLL, "unverifiable", "desk", "2022-03-16T13:00:00+02:00"),
    ]
    stored = register(store, events)

    def snapshot(reg: ClaimsRegister) -> Any:
        return (
            [f.as_json() for f in reg.figures()],
            reg.queue(),
            [reg.record(str(e.id)) for e in (a, b, c, TOLL)],
        )

    expected = snapshot(project(stored))
    rng = random.Random(11)
    for _ in range(20):
        shuffled = stored[:]
        rng.shuffle(shuffled)
        assert snapshot(project(shuffled)) == expected
    figures = project(stored).figures()
    disputed = [f for f in figures if str(a.id) in f.refs]
    assert {f.status.state for f in disputed} == {"disputed"}
    assert disputed[0].status.disputed_by == ("other side",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "killed", "qualifier": "range", "low": 9, "high": 3, "said_by": "x"}, "above"),
        ({"kind": "killed", "qualifier": "range", "value": 9, "said_by": "x"}, "`low` and `high`"),
        ({"kind": "killed", "said_by": "x"}, "one `value`"),
        (
            {
                "kind": "waiting",
                "span": "stock",
                "value": 3,
                "said_by": "x",
                "since": "2022-03-14T13:00:00+02:00",
            },
            "drop `since`",
        ),
        ({"kind": "drowned", "value": 3, "said_by": "x"}, "kind"),
    ],
)
def test_bad_claims_are_refused_naming_the_problem(data: dict[str, Any], message: str) -> None:
    with pytest.raises(EventError, match=message):
        ev("claim", "2022-03-16T12:00:00+02:00", data)


def test_a_review_names_what_it_needs() -> None:
    claim = str(TOLL.id)
    with pytest.raises(EventError, match="`to`"):
        ev(
            "claim_review",
            "2022-03-16T12:00:00+02:00",
            {"claim": claim, "action": "assign", "by": "c"},
        )
    with pytest.raises(EventError, match="itself"):
        ev(
            "claim_review",
            "2022-03-16T12:00:00+02:00",
            {"claim": claim, "action": "duplicate_of", "by": "c", "of": claim},
        )


def test_times_follow_the_zone_of_the_standing_announcement(store: EventStore) -> None:
    window = {"start": "2022-03-16T08:00:00+02:00", "end": "2022-03-16T18:00:00+02:00"}
    kyiv = ev(
        "corridor_announced",
        "2022-03-16T07:00:00+02:00",
        {"route": ["a"], "window": window, "timezone": "Europe/Kyiv"},
        "confirmed",
    )
    reg = project(register(store, [kyiv, TOLL]))
    assert reg.figures()[0].as_json()["as_of"]["text"] == "2022-03-16 12:00 Europe/Kyiv (UTC+02:00)"
    withdrawn = ev(
        "retraction",
        "2022-03-16T13:00:00+02:00",
        {"reason": "wrong corridor"},
        supersedes=str(kyiv.id),
    )
    reg = project(register(store, [withdrawn]))
    assert reg.figures()[0].as_json()["as_of"]["text"] == "2022-03-16 10:00 UTC"
