"""The map router: PMTiles served with HTTP range requests (checked against Python's own
slicing and by reading a whole archive over HTTP with the independent `pmtiles` reader), and
the package's static files without escaping the folder."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pmtiles.reader import MemorySource, Reader, all_tiles
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from safepassage.web.tiles import map_router, parse_range, pmtiles_bounds


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A small PMTiles file written by the `pmtiles` package (not by us): 40 tiles."""
    path = tmp_path / "region.pmtiles"
    rng = random.Random(7)
    tiles = {}
    with path.open("wb") as f:
        writer = Writer(f)
        for z in range(0, 4):
            for x in range(min(2**z, 4)):
                for y in range(min(2**z, 3)):
                    data = bytes(rng.randrange(256) for _ in range(rng.randrange(10, 3000)))
                    tiles[(z, x, y)] = data
        for key in sorted(tiles, key=lambda k: zxy_to_tileid(*k)):
            writer.write_tile(zxy_to_tileid(*key), tiles[key])
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.NONE,
                "min_zoom": 0,
                "max_zoom": 3,
                "min_lon_e7": int(35.0e7),
                "min_lat_e7": int(46.5e7),
                "max_lon_e7": int(37.7e7),
                "max_lat_e7": int(47.9e7),
                "center_zoom": 2,
                "center_lon_e7": int(36.3e7),
                "center_lat_e7": int(47.2e7),
            },
            {"attribution": "© OpenStreetMap contributors"},
        )
    return path


@pytest.fixture
def client(archive: Path) -> TestClient:
    app = FastAPI()
    app.include_router(map_router({"region": archive}))
    return TestClient(app)


def test_range_requests_answer_exactly_the_bytes_asked_for(
    archive: Path, client: TestClient
) -> None:
    data = archive.read_bytes()
    size = len(data)
    rng = random.Random(1)
    for _ in range(40):
        a = rng.randrange(size)
        b = rng.randrange(a, size + 500)
        r = client.get("/tiles/region.pmtiles", headers={"Range": f"bytes={a}-{b}"})
        assert r.status_code == 206 and r.content == data[a : b + 1]
        assert r.headers["content-range"] == f"bytes {a}-{min(b, size - 1)}/{size}"
    assert (
        client.get("/tiles/region.pmtiles", headers={"Range": "bytes=-100"}).content == data[-100:]
    )
    assert (
        client.get("/tiles/region.pmtiles", headers={"Range": "bytes=500-"}).content == data[500:]
    )
    whole = client.get("/tiles/region.pmtiles")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["etag"]
    head = client.head("/tiles/region.pmtiles", headers={"Range": "bytes=0-126"})
    assert (
        head.status_code == 206 and head.content == b"" and head.headers["content-length"] == "127"
    )
    outside = client.get("/tiles/region.pmtiles", headers={"Range": f"bytes={size}-"})
    assert outside.status_code == 416 and outside.headers["content-range"] == f"bytes */{size}"
    assert client.get("/tiles/region.pmtiles", headers={"Range": "lines=1-2"}).status_code == 416
    several = client.get("/tiles/region.pmtiles", headers={"Range": "bytes=0-1,5-9"})
    assert several.status_code == 200 and several.content == data  # one span per request only
    missing = client.get("/tiles/other.pmtiles")
    assert missing.status_code == 404 and "basemaps here: region" in missing.text


def test_an_archive_read_over_http_equals_the_file(archive: Path, client: TestClient) -> None:
    def over_http(offset: int, length: int) -> bytes:
        r = client.get(
            "/tiles/region.pmtiles", headers={"Range": f"bytes={offset}-{offset + length - 1}"}
        )
        assert r.status_code == 206
        return r.content

    direct = MemorySource(archive.read_bytes())
    assert Reader(over_http).header() == Reader(direct).header()
    assert dict(all_tiles(over_http)) == dict(all_tiles(direct))
    assert len(dict(all_tiles(over_http))) == 1 + 4 + 12 + 12
    assert pmtiles_bounds(archive) == pytest.approx([35.0, 46.5, 37.7, 47.9])


def test_static_files_glyph_fallback_and_no_escape(client: TestClient) -> None:
    js = client.get("/static/map/sp-map.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    licence = client.get("/static/vendor/maplibre-gl/LICENSE.txt")
    assert licence.status_code == 200 and "BSD" in licence.text
    glyphs = client.get("/static/glyphs/NotoSans-Regular/1024-1279.pbf")
    assert glyphs.status_code == 200 and len(glyphs.content) > 10_000
    # A range our font lacks (CJK): an empty glyph set naming stack and range, not a 404.
    empty = client.get("/static/glyphs/NotoSans-Regular/19968-20223.pbf")
    assert empty.status_code == 200 and b"NotoSans-Regular" in empty.content
    assert b"19968-20223" in empty.content and len(empty.content) < 64
    for path in ("/static/../assets.py", "/static/%2e%2e/assets.py", "/static/nothing.js"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize(
    ("header", "size", "span"),
    [
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=9-", 10, (9, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-30", 10, (0, 9)),
    ],
)
def test_parse_range(header: str, size: int, span: tuple[int, int]) -> None:
    assert parse_range(header, size) == span
    data = bytes(range(size))
    first, last = span
    # The same span as Python's slicing of the RFC 7233 forms.
    lo, hi = header.removeprefix("bytes=").split("-")
    expected = data[-int(hi) :] if lo == "" else data[int(lo) : (int(hi) + 1 if hi else None)]
    assert data[first : last + 1] == expected
