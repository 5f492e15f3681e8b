"""Reports and exports from a real log: CAP 1.2 against the official schema, HXL CSV, the
situation report; confirmed and unconfirmed never summed, nothing private in public output."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from safepassage.ops.events import EventIn, validate_event
from safepassage.ops.state import StateSettings
from safepassage.ops.store import EventStore
from safepassage.report import live_states, public_view
from safepassage.report.cap import NS, CapOptions, alert_xml, public_alerts
from safepassage.report.hxl import COLUMNS, hxl_csv
from safepassage.report.sitrep import sitrep_markdown
from tests.conftest import shared_file

WINDOW = {"start": "2022-03-15T09:00:00+02:00", "end": "2022-03-15T18:00:00+02:00"}
REPORTER = "manhush-reporter-7"


def event(kind: str, at: str, data: dict[str, Any], status: str = "unverified") -> EventIn:
    return validate_event(
        {
            "id": str(uuid.uuid4()),
            "type": kind,
            "occurred_at": at,
            "corridor": "mariupol",
            "status": status,
            "source": "field report",
            "data": data,
        }
    )


def cap_schema() -> Any:
    import xmlschema

    return xmlschema.XMLSchema(str(shared_file("cap/CAP-v1.2.xsd")))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    s = EventStore(str(tmp_path / "ops.db"))
    s.append(
        [
            event(
                "corridor_announced",
                "2022-03-15T08:00:00+02:00",
                {
                    "route": ["cp01-exit", "manhush", "zaporizhzhia"],
                    "window": WINDOW,
                    "name": "Mariupol - Zaporizhzhia",
                },
                "confirmed",
            ),
            event(
                "corridor_status",
                "2022-03-15T09:05:00+02:00",
                {"status": "open", "said_by": "ICRC"},
                "confirmed",
            ),
            event(
                "checkpoint_count",
                "2022-03-15T10:00:00+02:00",
                {"checkpoint": "cp01-exit", "vehicles": 120, "people": 480},
                "confirmed",
            ),
            event(
                "checkpoint_count",
                "2022-03-15T11:00:00+02:00",
                {"checkpoint": "cp01-exit", "vehicles": 70, "people": 300},
            ),
            event(
                "checkpoint_count",
                "2022-03-15T16:00:00+02:00",  # later than the reports below look
                {"checkpoint": "cp01-exit", "vehicles": 999, "people": 3000},
            ),
        ],
        REPORTER,
    )
    yield s
    s.close()


AT = datetime(2022, 3, 15, 12, 0, tzinfo=UTC)  # 14:00 in Kyiv


def test_cap_alert_is_valid_cap_1_2_and_keeps_figures_apart(store: EventStore) -> None:
    schema = cap_schema()
    view = public_view(store, datetime.now(UTC), StateSettings(public_delay_min=0))
    (alert,) = public_alerts(view, CapOptions(sender="desk@example.org", status="Exercise"))
    xml = alert_xml(alert)
    schema.validate(xml)  # raises on any deviation from the official schema
    root = ET.fromstring(xml)
    q = {"cap": NS}
    params = {
        p.findtext("cap:valueName", namespaces=q): p.findtext("cap:value", namespaces=q)
        for p in root.iterfind("cap:info/cap:parameter", q)
    }
    assert params["people_out_confirmed"] == "480"
    assert params["people_out_unconfirmed"] == "3300"
    assert "3780" not in xml.decode() and "3,780" not in xml.decode()  # never summed
    assert root.findtext("cap:info/cap:certainty", namespaces=q) == "Observed"
    assert root.findtext("cap:status", namespaces=q) == "Exercise"
    assert REPORTER not in xml.decode()  # who reported is not public
    # The window of 15 March is long over: no call to set out.
    assert root.findtext("cap:info/cap:responseType", namespaces=q) == "Monitor"
    assert "WINDOW ENDED" in (root.findtext("cap:info/cap:headline", namespaces=q) or "")


def test_cap_alert_while_open_says_evacuate_with_the_status_certainty(tmp_path: Path) -> None:
    schema = cap_schema()
    now = datetime.now(UTC).replace(microsecond=0)
    s = EventStore(str(tmp_path / "live.db"))
    window = {
        "start": (now - timedelta(hours=1)).isoformat(),
        "end": (now + timedelta(hours=8)).isoformat(),
    }
    s.append(
        [
            event(
                "corridor_announced",
                (now - timedelta(hours=2)).isoformat(),
                {"route": ["a", "b"], "window": window, "name": "A - B"},
            ),
            event(
                "corridor_status",
                (now - timedelta(minutes=50)).isoformat(),
                {"status": "open", "said_by": "a party"},
                "claimed",
            ),
        ],
        "desk",
    )
    view = public_view(s, datetime.now(UTC), StateSettings(public_delay_min=0))
    s.close()
    (alert,) = public_alerts(view)
    xml = alert_xml(alert)
    schema.validate(xml)
    root = ET.fromstring(xml)
    q = {"cap": NS}
    assert root.findtext("cap:info/cap:responseType", namespaces=q) == "Evacuate"
    assert root.findtext("cap:info/cap:certainty", namespaces=q) == "Possible"  # a claim
    assert root.find("cap:info/cap:instruction", q) is not None
    # Same view, same alert: identifiers and times do not depend on when it is rendered.
    assert alert_xml(public_alerts(view)[0]) == xml


def test_public_alerts_wait_for_the_delay(store: EventStore) -> None:
    view = public_view(store, datetime.now(UTC), StateSettings(public_delay_min=60))
    assert view["corridors"] == []  # everything was recorded moments ago
    assert public_alerts(view) == []


def test_hxl_rows_keep_verification_apart(store: EventStore) -> None:
    states = live_states(store, ["mariupol"], AT)
    text = hxl_csv(states)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [name for name, _ in COLUMNS]
    assert all(tag.startswith("#") for tag in rows[1])
    data = [dict(zip(rows[0], r, strict=True)) for r in rows[2:]]
    by_verification = {r["verification"]: r for r in data}
    assert set(by_verification) == {"confirmed", "unconfirmed"}
    assert by_verification["confirmed"]["people"] == "480"
    # At 14:00 Kyiv time the 16:00 count had not happened yet.
    assert by_verification["unconfirmed"]["people"] == "300"


def test_sitrep_shows_status_sources_and_both_columns(store: EventStore) -> None:
    (state,) = live_states(store, ["mariupol"], AT)
    text = sitrep_markdown(state)
    assert "**OPEN** (confirmed; said by ICRC at 2022-03-15 09:05 (UTC+0200))" in text
    assert "As of 2022-03-15 14:00 (UTC+0200)" in text
    row = next(line for line in text.splitlines() if line.startswith("| cp01-exit"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "120 veh, 0 bus, 480 ppl" and cells[2] == "70 veh, 0 bus, 300 ppl"
    assert "| wait (at least) |" in text and cells[7] == "-"  # no queue reported
    assert "999" not in text
    unknown = sitrep_markdown(live_states(store, ["nowhere"], AT)[0])
    assert "Nothing recorded" in unknown


def test_the_schema_check_rejects_what_cap_forbids(store: EventStore) -> None:
    """The validation above can fail: a "Z" time zone and an unknown certainty are refused."""
    import xmlschema

    schema = cap_schema()
    view = public_view(store, datetime.now(UTC), StateSettings(public_delay_min=0))
    xml = alert_xml(public_alerts(view)[0]).decode()
    for bad in (
        xml.replace("-00:00</sent>", "Z</sent>"),
        xml.replace("<certainty>Observed<", "<certainty>Confirmed<"),
    ):
        with pytest.raises(xmlschema.XMLSchemaValidationError):
            schema.validate(bad)


def test_counts_without_people_are_not_read_as_nobody(tmp_path: Path) -> None:
    """A count of cars with no people figure adds no people; every output says for how many
    vehicles people were not reported instead of showing a bare total."""
    from safepassage.web.public import public_page_html

    s = EventStore(str(tmp_path / "ops.db"))
    s.append(
        [
            event(
                "corridor_announced",
                "2022-03-15T08:00:00+02:00",
                {"route": ["cp01"], "window": WINDOW, "name": "Exit"},
            ),
            event(
                "checkpoint_count",
                "2022-03-15T10:00:00+02:00",
                {"checkpoint": "cp01", "vehicles": 2000},
            ),
            event(
                "checkpoint_count",
                "2022-03-15T11:00:00+02:00",
                {"checkpoint": "cp01", "vehicles": 100, "people": 420},
            ),
        ],
        REPORTER,
    )
    (state,) = live_states(s, ["mariupol"], AT)
    sums = state["checkpoints"]["cp01"]["out"]["unconfirmed"]
    assert sums == {"vehicles": 2100, "buses": 0, "people": 420, "vehicles_without_people": 2000}
    assert "420 ppl (people not reported for 2,000 veh)" in sitrep_markdown(state)
    assert ",2000," in hxl_csv([state]).splitlines()[2]
    view = public_view(s, datetime.now(UTC), StateSettings(public_delay_min=0))
    s.close()
    xml = alert_xml(public_alerts(view)[0]).decode()
    assert "people not reported for 2,000 of the vehicles" in xml
    assert "<valueName>vehicles_without_people_out_unconfirmed</valueName>" in xml
    page = public_page_html(view, "en")
    assert "Vehicles with no people count: <b>2,000</b>" in page
    assert page.count("Vehicles with no people count") == 1  # not on the confirmed line (0)
