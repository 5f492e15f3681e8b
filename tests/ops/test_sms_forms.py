"""The SMS forms for a queue, an incident and a status: read in Latin, Ukrainian and Russian;
refused clearly; and through the API under the same rules as every write (assignment, role,
corridor named when the sender has several, stored unverified)."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from safepassage.ops.intake import (
    IncidentReport,
    QueueReport,
    Rejection,
    StatusReport,
    acknowledgement,
    parse_message,
)
from tests.ops.test_api import auth, env  # noqa: F401 (env is the fixture)

CPS = ["cp01-mariupol-exit", "cp04-manhush"]
PLACES = [*CPS, "manhush", "berdyansk", "zaporizhzhia"]


@pytest.mark.parametrize(
    "text", ["Q MANHUSH 1405 120 CARS", "queue manhush 14:05 120", "черга мангуш 14.05 120 авто",
             "очередь мангуш 1405 120 машин"]
)  # fmt: skip
def test_a_queue_however_written(text: str) -> None:
    report = parse_message(text, CPS, PLACES)
    assert report == QueueReport("cp04-manhush", time(14, 5), 120)
    assert acknowledgement(report) == "OK QUEUE CP04-MANHUSH 1405 120 CARS"


@pytest.mark.parametrize(
    "text", ["INC SHELLING BERDYANSK 0930 bridge hit", "інцидент обстріл бердянськ 09:30 bridge hit",
             "инцидент обстрел бердянск 9:30 bridge hit"]
)  # fmt: skip
def test_an_incident_however_written(text: str) -> None:
    report = parse_message(text, CPS, PLACES)
    assert report == IncidentReport("shelling", "berdyansk", time(9, 30), "bridge hit")
    assert acknowledgement(report) == "OK INCIDENT SHELLING BERDYANSK 0930"


def test_an_incident_needs_no_place_or_note() -> None:
    assert parse_message("INC MINES 1100", CPS, PLACES) == IncidentReport(
        "mines", None, time(11, 0), None
    )


@pytest.mark.parametrize(
    ("text", "status", "where"),
    [
        ("STATUS CLOSED 1415", "closed", None),
        ("стан закрито мангуш 14:15", "closed", "manhush"),
        ("статус открыт cp04-manhush 1415", "open", "cp04-manhush"),
        ("status suspended cp01-mariupol-exit 1415", "suspended", "cp01-mariupol-exit"),
    ],
)
def test_a_status_however_written(text: str, status: str, where: str | None) -> None:
    assert parse_message(text, CPS, PLACES) == StatusReport(status, where, time(14, 15))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Q MANHUSH 120 CARS", "expected the number of vehicles waiting"),  # 120 read as 01:20
        ("Q MANHUSH CARS", "no time found"),
        ("Q 1405 120 CARS", "no checkpoint named"),
        ("Q TOKMAK 1405 120 CARS", "unknown place 'TOKMAK'"),
        ("Q MANHUSH 1405 120 PPL", "a queue is counted in cars"),
        ("Q MANHUSH 1405 -5 CARS", "expected the number of vehicles waiting"),
        ("INC PARTY MANHUSH 1405", "no incident kind"),
        ("INC SHELLING MANHSH 1405", "Did you mean MANHUSH?"),
        ("STATUS MAYBE 1405", "no status given"),
        ("STATUS OPEN 1405 NOW", "unexpected 'NOW' after the time"),
    ],
)
def test_refusals_say_what_is_wrong(text: str, says: str) -> None:
    report = parse_message(text, CPS, PLACES)
    assert isinstance(report, Rejection) and says in str(report), str(report)


def _sms(env: dict[str, Any], who: str, text: str, corridor: str | None = None) -> Any:  # noqa: F811
    query = f"?corridor={corridor}" if corridor else ""
    return env["client"].post(
        f"/api/v1/intake/sms{query}",
        content=text,
        headers={**auth(env, who), "Content-Type": "text/plain"},
    )


def test_sms_forms_through_the_api_under_the_write_rules(env: dict[str, Any]) -> None:  # noqa: F811
    store = env["store"]
    # The reporter (assigned cp04-manhush, one corridor): no corridor needed.
    queue = _sms(env, "rep", "черга мангуш 14:05 120 авто")
    assert queue.status_code == 200 and queue.text.startswith("OK QUEUE CP04-MANHUSH 1405 120")
    stored = store.read()[-1]
    assert stored.type == "checkpoint_count" and stored.status == "unverified"
    assert stored.data["waiting"] == 120 and stored.data["vehicles"] == 0
    assert stored.occurred_at == "2022-03-15T12:05:00.000000+00:00"  # 14:05 in Kyiv
    incident = _sms(env, "rep", "INC SHELLING ZAPORIZHZHIA 1410 bridge hit")
    assert incident.status_code == 200, incident.text
    stored = store.read()[-1]
    assert (stored.type, stored.status, stored.data) == (
        "incident",
        "unverified",
        {"kind": "shelling", "place": "zaporizhzhia", "note": "bridge hit"},
    )
    # Outside the assignment, and a status from a reporter: refused, nothing stored.
    head = store.head()
    outside = _sms(env, "rep", "Q ZAPORIZHZHIA 1405 10 CARS")
    assert outside.status_code == 422 and outside.text.startswith("NOT RECORDED")
    status = _sms(env, "rep", "STATUS CLOSED 1415")
    assert status.status_code == 403 and "reporters may not write corridor_status" in status.text
    assert store.head() == head
    # A coordinator of every corridor names the corridor; the status lands unverified too.
    unnamed = _sms(env, "coord", "STATUS CLOSED MANHUSH 1415")
    assert unnamed.status_code == 422 and "name the corridor" in unnamed.text
    closed = _sms(env, "coord", "STATUS CLOSED MANHUSH 1415", corridor="mariupol")
    assert closed.status_code == 200 and closed.text.startswith("OK STATUS CLOSED CP04-MANHUSH")
    stored = store.read()[-1]
    assert stored.type == "corridor_status" and stored.status == "unverified"
    assert stored.data == {
        "status": "closed",
        "said_by": "council-desk",
        "checkpoint": "cp04-manhush",
    }
    # The queue is read back as one: at least 120 waiting at the checkpoint (nothing counted
    # through since), from the reporter's SMS, not verified.
    state = env["client"].get("/api/v1/state/mariupol", headers=auth(env, "coord")).json()
    (q,) = state["checkpoints"]["cp04-manhush"]["queues"]
    assert (q["low"], q["high"], q["status"]["state"]) == (120, None, "unverified")
    assert q["source"]["name"].startswith("sms") or q["source"]["reporter"] == "manhush-reporter-7"
