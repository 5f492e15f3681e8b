"""`safepassage map build` on the real Monaco extract: one PMTiles file whose tiles, read back
by an independent reader (the `pmtiles` package) and decoded with `mapbox-vector-tile`, hold
every named place and the named roads that a direct scan of the extract finds."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import mapbox_vector_tile
import osmium
import pytest
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType

from safepassage.maps.osm_layers import PLACE_ZOOM, ROAD_CLASSES

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def monaco_tiles(monaco_pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiles") / "monaco.pmtiles"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "safepassage",
            "map",
            "build",
            str(monaco_pbf),
            "-o",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["size_bytes"] == out.stat().st_size
    assert all(summary["features"][k] > 0 for k in ("roads", "places", "water", "boundaries"))
    return out


def _scan(pbf: Path) -> tuple[set[str], set[str]]:
    """Named places and named roads of the extract, read directly (the oracle): roads whose
    nodes all lie in the extract and make a line (a one-node way draws nothing)."""
    places, roads = set(), set()
    for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY).with_locations():
        name = obj.tags.get("name")
        if not name:
            continue
        if obj.is_node() and obj.tags.get("place") in PLACE_ZOOM:
            places.add(name)
        elif obj.is_way() and (obj.tags.get("highway") or "").removesuffix("_link") in ROAD_CLASSES:
            where = [(n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
            if len(where) == len(obj.nodes) and len(set(where)) >= 2:
                roads.add(name)
    return places, roads


def test_tiles_hold_every_place_and_named_road_of_the_extract(
    monaco_pbf: Path, monaco_tiles: Path
) -> None:
    with monaco_tiles.open("rb") as f:
        get_bytes = MmapSource(f)
        header = Reader(get_bytes).header()
        metadata = Reader(get_bytes).metadata()
        assert header["tile_type"] == TileType.MVT
        assert header["tile_compression"] == Compression.GZIP
        # Monaco lies inside the bounds (degrees x 10^7).
        assert header["min_lon_e7"] < 7.42e7 < header["max_lon_e7"]
        assert header["min_lat_e7"] < 43.73e7 < header["max_lat_e7"]
        assert "OpenStreetMap" in metadata["attribution"]
        layers = {layer["id"] for layer in metadata["vector_layers"]}
        assert layers == {"roads", "places", "water", "boundaries"}
        places, roads = set(), set()
        top = header["max_zoom"]
        for (z, _x, _y), data in all_tiles(get_bytes):
            if z != top:
                continue
            tile = mapbox_vector_tile.decode(gzip.decompress(data))
            places |= {f["properties"]["name"] for f in tile.get("places", {}).get("features", [])}
            roads |= {
                f["properties"]["name"]
                for f in tile.get("roads", {}).get("features", [])
                if "name" in f["properties"]
            }
    want_places, want_roads = _scan(monaco_pbf)
    assert places == want_places and len(places) >= 10
    assert roads == want_roads and len(roads) > 100


def test_bad_inputs_are_named_with_the_fix(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "safepassage", "map", "build", *args]
        return subprocess.run(cmd, capture_output=True, text=True)

    missing = run(str(tmp_path / "nowhere.osm.pbf"), "-o", str(tmp_path / "x.pmtiles"))
    assert missing.returncode == 2 and "nowhere.osm.pbf: no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
    (tmp_path / "a.osm.pbf").write_bytes(b"not an extract")
    wrong = run(str(tmp_path / "a.osm.pbf"), "-o", str(tmp_path / "x.mbtiles"))
    assert wrong.returncode == 2 and "must end in .pmtiles" in wrong.stderr
    broken = run(str(tmp_path / "a.osm.pbf"), "-o", str(tmp_path / "x.pmtiles"))
    assert broken.returncode == 2 and "cannot read this OSM file" in broken.stderr
    assert "Traceback" not in broken.stderr
