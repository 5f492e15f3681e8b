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


def _params(root: ET.Element) -> list[tuple[str, str]]:
    q = {"cap": NS}
    return [
        (
            p.findtext("cap:valueName", namespaces=q) or "",
            p.findtext("cap:value", namespaces=q) or "",
        )
        for p in root.iterfind("cap:info/cap:parameter", q)
    ]


def test_cap_alert_is_valid_cap_1_2_and_keeps_figures_apart(store: EventStore) -> None:
    schema = cap_schema()
    view = public_view(store, datetime.now(UTC), StateSettings(public_delay_min=0))
    (alert,) = public_alerts(view, CapOptions(sender="desk@example.org", status="Exercise"))
    xml = alert_xml(alert)
    schema.validate(xml)  # raises on any deviation from the official schema
    root = ET.fromstring(xml)
    q = {"cap": NS}
    figures = [v for k, v in _params(root) if k == "figure"]
    assert any(
        f.startswith("480 people out through cp01-exit") and "; confirmed" in f for f in figures
    )
    assert any(
        f.startswith("3,300 people out through cp01-exit") and f.endswith("; not verified")
        for f in figures
    )
    assert all("said by field report" in f for f in figures)  # each with its source
    assert "3780" not in xml.decode() and "3,780" not in xml.decode()  # never summed
    assert dict(_params(root))["status_said_by"] == "ICRC"
    assert root.findtext("cap:status", namespaces=q) == "Exercise"
    assert REPORTER not in xml.decode()  # who reported is not public
    # The ICRC's status of 15 March was never renewed: today it is unknown, not "Observed".
    assert root.findtext("cap:info/cap:certainty", namespaces=q) == "Unknown"
    assert root.findtext("cap:info/cap:responseType", namespaces=q) == "Monitor"
    headline = root.findtext("cap:info/cap:headline", namespaces=q) or ""
    assert "STATUS UNKNOWN SINCE 2022-03-15 10:05 UTC" in headline


def _live_alert(
    tmp_path: Path, status: str, age_min: int, window_basis: str | None = None
) -> ET.Element:
    schema = cap_schema()
    now = datetime.now(UTC).replace(microsecond=0)
    s = EventStore(str(tmp_path / f"live-{uuid.uuid4().hex}.db"))
    window = {
        "start": (now - timedelta(hours=1)).isoformat(),
        "end": (now + timedelta(hours=8)).isoformat(),
    }
    announced: dict[str, Any] = {
        "route": ["a", "b"],
        "window": window,
        "timezone": "Europe/Kyiv",
        "name": "A - B",
    }
    if window_basis:
        announced["window_basis"] = window_basis
    s.append(
        [
            event("corridor_announced", (now - timedelta(hours=2)).isoformat(), announced),
            event(
                "corridor_status",
                (now - timedelta(minutes=age_min)).isoformat(),
                {"status": "open", "said_by": "a party" if status == "claimed" else "ICRC"},
                status,
            ),
        ],
        "desk",
    )
    view = public_view(s, datetime.now(UTC), StateSettings(public_delay_min=0))
    s.close()
    (alert,) = public_alerts(view)
    xml = alert_xml(alert)
    schema.validate(xml)
    assert alert_xml(public_alerts(view)[0]) == xml  # same view, same alert
    return ET.fromstring(xml)


@pytest.mark.parametrize(
    ("status", "age_min", "window_basis", "expected"),
    [
        ("confirmed", 50, None, ("Evacuate", "Immediate", "Observed")),
        ("claimed", 50, None, ("Prepare", "Expected", "Possible")),  # a party's claim
        ("unverified", 50, None, ("Prepare", "Expected", "Unknown")),
        ("confirmed", 50, "assumed", ("Prepare", "Expected", "Observed")),  # assumed window
        ("confirmed", 240, None, ("Monitor", "Unknown", "Unknown")),  # stale
        ("claimed", 240, None, ("Monitor", "Unknown", "Unknown")),
    ],
)
def test_cap_says_evacuate_only_on_a_confirmed_fresh_observed_status(
    tmp_path: Path,
    status: str,
    age_min: int,
    window_basis: str | None,
    expected: tuple[str, str, str],
) -> None:
    root = _live_alert(tmp_path, status, age_min, window_basis)
    q = {"cap": NS}
    got = tuple(
        root.findtext(f"cap:info/cap:{k}", namespaces=q)
        for k in ("responseType", "urgency", "certainty")
    )
    assert got == expected
    assert root.find("cap:info/cap:instruction", q) is not None
    description = root.findtext("cap:info/cap:description", namespaces=q) or ""
    assert "Europe/Kyiv (UTC+0" in description  # every time with its zone


def test_public_alerts_wait_for_the_delay(store: EventStore) -> None:
    view = public_view(store, datetime.now(UTC), StateSettings(public_delay_min=60))
    assert view["corridors"] == []  # everything was recorded moments ago
    assert public_alerts(view) == []


def test_hxl_rows_keep_status_and_source_apart(store: EventStore) -> None:
    states = live_states(store, ["mariupol"], AT)
    text = hxl_csv(states)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [name for name, _ in COLUMNS]
    assert all(tag.startswith("#") for tag in rows[1])
    data = [dict(zip(rows[0], r, strict=True)) for r in rows[2:]]
    people = {r["status"]: r for r in data if r["unit"] == "people"}
    assert set(people) == {"confirmed", "unverified"}
    assert people["confirmed"]["value"] == "480"
    # At 14:00 Kyiv time the 16:00 count had not happened yet.
    assert people["unverified"]["value"] == "300"
    assert {r["source"] for r in data} == {"field report"}
    assert all(r["as_of"].endswith("+00:00") and r["zone"] == "UTC" for r in data)
    assert not any(r["value"] in ("190", "780") for r in data)  # never across statuses


def test_sitrep_shows_status_with_its_age_and_each_figure_with_its_source(
    store: EventStore,
) -> None:
    (state,) = live_states(store, ["mariupol"], AT)
    text = sitrep_markdown(state)
    # The ICRC said open at 09:05 Kyiv time and nobody renewed it: at 14:00 it is unknown.
    # (md() escapes the brackets; they render as written.)
    assert (
        r"**UNKNOWN**: unknown since 2022-03-15 10:05 UTC \(last report: open according to ICRC"
        in text
    )
    assert "As of 2022-03-15 12:00 UTC" in text
    assert "- Total: 120 vehicles out through cp01-exit" in text
    assert "said by field report; confirmed" in text
    assert "- Total: 70 vehicles out through cp01-exit" in text
    assert "190" not in text and "999" not in text
    assert "Status unknown since 2022-03-15 10:05 UTC" in text
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
        xml.replace("<certainty>Unknown<", "<certainty>Confirmed<"),
    ):
        assert bad != xml
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
    [people] = [f for f in state["checkpoints"]["cp01"]["totals"] if f["what"]["unit"] == "people"]
    assert (people["value"], people["vehicles_without_people"]) == (420, 2000)
    assert "420 people out through cp01" in sitrep_markdown(state)
    assert "people not reported for 2,000 vehicles of this source" in sitrep_markdown(state)
    view = public_view(s, datetime.now(UTC), StateSettings(public_delay_min=0))
    s.close()
    xml = alert_xml(public_alerts(view)[0]).decode()
    assert "people not reported for 2,000 vehicles" in xml
    page = public_page_html(view, "en")
    assert "People were not reported for 2,000 of the vehicles of this source." in page
    assert ">0 people" not in page and " 0 people" not in page
