"""Bad files get one clear message naming the file, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from safepassage.errors import InputFileError
from safepassage.network.load import load_network
from tests.osm_xml import LINE, write_osm


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "safepassage", *args], capture_output=True, text=True, timeout=120
    )


def test_missing_file() -> None:
    with pytest.raises(InputFileError, match="file not found"):
        load_network("/nonexistent/file.osm.pbf")


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.osm.pbf"
    empty.touch()
    with pytest.raises(InputFileError, match="empty"):
        load_network(empty)


def test_no_roads(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "buildings.osm", LINE, [(1, [1, 2, 3, 1], {"building": "yes"})])
    with pytest.raises(InputFileError, match="no drivable roads"):
        load_network(path, use_cache=False)


def test_corrupt_pbf(tmp_path: Path) -> None:
    bad = tmp_path / "noise.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x0dthis is not a pbf file at all" * 10)
    with pytest.raises(InputFileError, match=r"noise\.osm\.pbf.*cannot read"):
        load_network(bad, use_cache=False)


def test_truncated_pbf(tmp_path: Path, monaco_pbf: Path) -> None:
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(monaco_pbf.read_bytes()[: monaco_pbf.stat().st_size // 2])
    with pytest.raises(InputFileError, match="truncated or corrupt"):
        load_network(cut, use_cache=False)


def test_unknown_format(tmp_path: Path) -> None:
    other = tmp_path / "roads.shp"
    other.write_text("x")
    with pytest.raises(InputFileError, match="unknown road network format"):
        load_network(other)


def test_matsim_without_coordinates(tmp_path: Path) -> None:
    net = tmp_path / "network.xml"
    net.write_text(
        '<network><nodes><node id="1"/><node id="2"/></nodes><links>'
        '<link id="a" from="1" to="2" length="10" freespeed="10" capacity="600" permlanes="1"/></links></network>'
    )
    with pytest.raises(InputFileError, match="no coordinates"):
        load_network(net, use_cache=False)


@pytest.mark.parametrize("name", ["empty.osm.pbf", "missing.osm.pbf", "noise.osm.pbf"])
def test_cli_exit_code_2_without_traceback(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "empty.osm.pbf":
        path.touch()
    elif name == "noise.osm.pbf":
        path.write_bytes(b"garbage" * 100)
    result = cli("network", "info", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert name in result.stderr
