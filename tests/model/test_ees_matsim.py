"""`scenario from-ees` with a MATSim population XML (written here from the real Mount
Alexander residents), the coordinate system from the files or --crs, window ends on the clock,
and `network info` counting each two-way MATSim road once."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from pyproj import Transformer

from safepassage.errors import InputFileError
from safepassage.model.ees import POPULATION_FILE, scenario_from_ees, window_end
from safepassage.network.load import load_network
from safepassage.network.summary import network_summary

MGA55 = "EPSG:28355"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "safepassage", *args], capture_output=True, text=True, timeout=300
    )


def residents(source: Path, n: int) -> list[dict[str, str]]:
    with gzip.open(source / POPULATION_FILE, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows[:n]


def write_population_xml(rows: list[dict[str, str]], path: Path, *, crs: str | None) -> None:
    """A MATSim population (v6) as EES writes it: a home activity at the home's x, y and the
    person attributes EvacLocationPreference and HouseholdId."""
    to_mga = Transformer.from_crs("EPSG:4326", MGA55, always_xy=True)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<!DOCTYPE population SYSTEM "http://www.matsim.org/files/dtd/population_v6.dtd">',
        "<population>",
    ]
    if crs:
        lines += [
            "<attributes>",
            f'<attribute name="coordinateReferenceSystem" class="java.lang.String">{crs}</attribute>',
            "</attributes>",
        ]
    for row in rows:
        lon, lat = json.loads(row["Geographical.Coordinate"])
        x, y = to_mga.transform(lon, lat)
        lines += [
            f'<person id="{escape(row["AgentId"])}">',
            "<attributes>",
            f'<attribute name="EvacLocationPreference" class="java.lang.String">{escape(row["EvacLocationPreference"])}</attribute>',
            f'<attribute name="HouseholdId" class="java.lang.String">{escape(row["HouseholdId"])}</attribute>',
            "</attributes>",
            '<plan selected="yes">',
            f'<activity type="home" x="{x!r}" y="{y!r}" end_time="14:00:00"/>',
            "</plan>",
            "</person>",
        ]
    lines.append("</population>")
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def data_dir(tmp_path: Path, source: Path, rows: list[dict[str, str]]) -> Path:
    """A directory with the real network and the first residents as the archetypes CSV."""
    directory = tmp_path / "ees"
    directory.mkdir()
    (directory / "network.xml.gz").symlink_to(source / "network.xml.gz")
    with gzip.open(directory / POPULATION_FILE, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return directory


def test_population_xml_gives_the_same_scenario_as_the_csv(
    tmp_path: Path, mount_alexander_dir: Path
) -> None:
    rows = residents(mount_alexander_dir, 400)
    directory = data_dir(tmp_path, mount_alexander_dir, rows)
    xml = tmp_path / "population.xml.gz"
    write_population_xml(rows, xml, crs=MGA55)
    from_csv = scenario_from_ees(directory, tmp_path / "a.yaml", crs=MGA55)
    from_xml = scenario_from_ees(directory, tmp_path / "b.yaml", population=xml)  # CRS from file
    assert from_xml["network"]["crs"] == MGA55
    assert sum(o["people"] for o in from_xml["origins"]) == 400
    assert sum(o["cars"] for o in from_xml["origins"]) == len({r["HouseholdId"] for r in rows})
    assert from_xml["origins"] == from_csv["origins"]
    assert from_xml["destinations"] == from_csv["destinations"]


def test_coordinate_system_from_crs_option_or_a_clear_error(
    tmp_path: Path, mount_alexander_dir: Path
) -> None:
    rows = residents(mount_alexander_dir, 50)
    directory = data_dir(tmp_path, mount_alexander_dir, rows)
    xml = tmp_path / "population.xml.gz"
    write_population_xml(rows, xml, crs=None)  # neither file states its CRS
    with pytest.raises(InputFileError, match="--crs"):
        scenario_from_ees(directory, tmp_path / "s.yaml", population=xml)
    out = tmp_path / "s.yaml"
    result = cli("scenario", "from-ees", str(directory), "-o", str(out), "--population", str(xml))
    assert result.returncode == 2 and "--crs" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    result = cli(
        "scenario", "from-ees", str(directory), "-o", str(out), "--population", str(xml),
        "--crs", MGA55, "--window-hours", "6.5",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "2026-01-15T20:30:00" in out.read_text()
    result = cli("scenario", "check", str(out), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["window"]["hours"] == 6.5


def test_window_ends_on_the_clock() -> None:
    assert window_end("2026-01-15T14:00", 12) == "2026-01-16T02:00:00"
    assert window_end("2026-01-15T14:00", 6.5) == "2026-01-15T20:30:00"
    assert window_end("2026-01-15T14:00:00", 0.25) == "2026-01-15T14:15:00"
    with pytest.raises(InputFileError, match="longer than 0"):
        window_end("2026-01-15T14:00", 0)


MATSIM = """<?xml version="1.0" encoding="UTF-8"?>
<network>
<attributes><attribute name="coordinateReferenceSystem" class="java.lang.String">EPSG:28355</attribute></attributes>
<nodes>
<node id="a" x="250000" y="5890000"/><node id="b" x="251000" y="5890000"/>
<node id="c" x="251000" y="5890500"/><node id="d" x="250000" y="5890700"/>
</nodes>
<links capperiod="01:00:00">
<link id="1" from="a" to="b" length="1000.0" freespeed="16.7" capacity="1000" permlanes="1" modes="car"/>
<link id="2" from="b" to="a" length="1000.0" freespeed="16.7" capacity="1000" permlanes="1" modes="car"/>
<link id="3" from="b" to="c" length="500.0" freespeed="16.7" capacity="1000" permlanes="1" modes="car"/>
<link id="4" from="a" to="d" length="700.0" freespeed="16.7" capacity="1000" permlanes="1" modes="car"/>
<link id="5" from="d" to="a" length="700.0" freespeed="16.7" capacity="1000" permlanes="1" modes="car"/>
<link id="6" from="a" to="d" length="900.0" freespeed="16.7" capacity="1000" permlanes="1" modes="car"/>
<link id="7" from="d" to="a" length="900.0" freespeed="16.7" capacity="1000" permlanes="1" modes="car"/>
</links>
</network>
"""


def test_network_info_counts_two_way_matsim_roads_once(tmp_path: Path) -> None:
    path = tmp_path / "net.xml"
    path.write_text(MATSIM)
    # Roads: a-b both ways (1 km), b-c one way (0.5 km), two a-d roads both ways (0.7, 0.9).
    summary = network_summary(load_network(path, use_cache=False))
    assert summary["road_km"] == pytest.approx(3.1)


def test_network_info_on_mount_alexander(mount_alexander_dir: Path) -> None:
    """Independent count from the XML: every link, less one of each link pair that joins the
    same two nodes both ways with the same length."""
    import xml.etree.ElementTree as ET

    links: list[tuple[str, str, float]] = []
    with gzip.open(mount_alexander_dir / "network.xml.gz", "rb") as handle:
        for _, elem in ET.iterparse(handle):
            if elem.tag == "link" and "car" in elem.get("modes", "car").split(","):
                links.append(
                    (elem.get("from", ""), elem.get("to", ""), float(elem.get("length", 0)))
                )
                elem.clear()
    count: dict[tuple[str, str, int], int] = {}
    for a, b, length in links:
        key = (a, b, round(length * 10))
        count[key] = count.get(key, 0) + 1
    total = 0.0
    for (a, b, dm), n in count.items():
        back = count.get((b, a, dm), 0)
        if (a, b) < (b, a) or a == b:
            total += max(n, back) * dm / 10
        elif back == 0:
            total += n * dm / 10
    summary = network_summary(load_network(mount_alexander_dir / "network.xml.gz", crs=MGA55))
    assert summary["road_km"] == pytest.approx(total / 1000, abs=0.01)
    assert summary["road_km"] < 0.6 * sum(length for _, _, length in links) / 1000
