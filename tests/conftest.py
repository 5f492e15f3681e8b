"""Test set-up: an isolated network cache, and the shared real data when it is present."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Before any settings are read: tests never touch the user's cache.
os.environ.setdefault("SAFEPASSAGE_CACHE_DIR", tempfile.mkdtemp(prefix="safepassage-test-cache-"))

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SAFEPASSAGE_SHARED_DATA", ROOT.parent / "shared" / "data"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_file(relative: str) -> Path:
    """A file of ../shared/data, or skip the test with the reason."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(
            f"needs shared data {relative} (not found under {SHARED}; set SAFEPASSAGE_SHARED_DATA)"
        )
    return path


@pytest.fixture(scope="session")
def kotka_pbf() -> Path:
    return shared_file("osm/kotka.osm.pbf")


@pytest.fixture(scope="session")
def monaco_pbf() -> Path:
    return shared_file("osm/monaco.osm.pbf")


@pytest.fixture(scope="session")
def mount_alexander_dir() -> Path:
    return shared_file("matsim/mount-alexander/network.xml.gz").parent


@pytest.fixture(scope="session")
def monaco_pmtiles(monaco_pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Monaco extract as a basemap, built once per run with `map build`."""
    from safepassage.maps.build import build_pmtiles

    return build_pmtiles(monaco_pbf, tmp_path_factory.mktemp("basemap") / "monaco.pmtiles").path
