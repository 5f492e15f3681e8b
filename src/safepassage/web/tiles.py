"""Serving the map offline: PMTiles basemaps with HTTP range requests, and the package's static
files (map library, our map module, glyphs). For `safepassage serve` to include:

    app.include_router(map_router(basemaps={"region": Path("region.pmtiles")}))

Routes: GET/HEAD /tiles/{name}.pmtiles (Range: bytes=a-b, a- or -n; 206 with Content-Range,
416 when outside the file), GET /static/{path} (package files; a glyph range we lack answers
an empty glyph set, so labels with rare characters lose those characters, not the map).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import struct
from collections.abc import Mapping
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response

from safepassage.web.assets import STATIC

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
#: The largest part one request may read: a tile directory or a tile is far smaller; this
#: keeps one request from holding a whole multi-gigabyte file in memory.
MAX_RANGE = 16 * 1024 * 1024


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive byte span of a single `Range: bytes=` header in a file of `size` bytes;
    None when the header asks for several spans (then the whole file is the answer).
    Raises ValueError when the span lies outside the file (416)."""
    if "," in header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        raise ValueError(f"unreadable range {header!r}: write bytes=START-END")
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ValueError(f"range {header!r} is outside the file ({size} bytes)")
    return start, end


def pmtiles_bounds(path: Path) -> list[float]:
    """[west, south, east, north] from a PMTiles v3 header (spec, chapter 3: four int32 at
    byte 102, degrees times 10^7)."""
    header = _head(path)
    if len(header) < 127 or header[:7] != b"PMTiles" or header[7] != 3:
        raise ValueError(f"{path} is not a PMTiles version 3 file")
    values = struct.unpack_from("<4i", header, 102)
    return [v / 1e7 for v in values]


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(127)


def _etag(path: Path) -> str:
    stat = path.stat()
    return '"' + hashlib.sha1(f"{stat.st_size}-{stat.st_mtime_ns}".encode()).hexdigest()[:20] + '"'


def file_response(path: Path, request: Request, media_type: str) -> Response:
    """`path` whole or in the part the Range header asks for."""
    size = path.stat().st_size
    headers = {"Accept-Ranges": "bytes", "ETag": _etag(path), "Cache-Control": "no-cache"}
    header = request.headers.get("range")
    span = None
    if header:
        try:
            span = parse_range(header, size)
        except ValueError as err:
            return Response(
                str(err), status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"}
            )
    if span is None:
        if size > MAX_RANGE:
            return Response(
                f"this file is {size:,} bytes: ask for parts of it with a Range header",
                status_code=416,
                headers={**headers, "Content-Range": f"bytes */{size}"},
            )
        span = (0, size - 1) if size else (0, -1)
        status = 200
    else:
        status = 206
        headers["Content-Range"] = f"bytes {span[0]}-{span[1]}/{size}"
    start, end = span
    if end - start + 1 > MAX_RANGE:
        end = start + MAX_RANGE - 1
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    with path.open("rb") as f:
        f.seek(start)
        body = f.read(max(0, end - start + 1))
    body = b"" if request.method == "HEAD" else body
    response = Response(body, status_code=status, media_type=media_type, headers=headers)
    if request.method == "HEAD":
        response.headers["Content-Length"] = str(end - start + 1)
    return response


def _empty_glyphs(fontstack: str, glyph_range: str) -> bytes:
    """A glyph file with the stack's name and range and no glyph (protobuf)."""

    def text(number: int, value: str) -> bytes:
        data = value.encode()
        return bytes([number << 3 | 2, len(data)]) + data

    stack = text(1, fontstack[:100]) + text(2, glyph_range)
    return bytes([1 << 3 | 2, len(stack)]) + stack


def map_router(basemaps: Mapping[str, Path] | None = None, static: Path = STATIC) -> APIRouter:
    """Routes for the map: /tiles/{name}.pmtiles for each basemap, /static/... for assets."""
    router = APIRouter()
    files = dict(basemaps or {})
    root = static.resolve()

    @router.api_route("/tiles/{name}.pmtiles", methods=["GET", "HEAD"], include_in_schema=False)
    def get_tiles(name: str, request: Request) -> Response:
        """A basemap, read with range requests by the map (pmtiles protocol)."""
        if not _NAME.match(name) or name not in files:
            known = ", ".join(sorted(files)) or "none (build one with `safepassage map build`)"
            raise HTTPException(404, f"no basemap {name!r}; basemaps here: {known}")
        return file_response(files[name], request, "application/vnd.pmtiles")

    @router.api_route("/static/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    def get_static(path: str, request: Request) -> Response:
        """A file of the package's static folder (never one outside it)."""
        target = (root / path).resolve()
        if not target.is_relative_to(root):
            raise HTTPException(404, "no such file")
        glyph = re.match(r"^glyphs/([^/]+)/(\d+-\d+)\.pbf$", path)
        if glyph and not target.is_file():
            return Response(_empty_glyphs(*glyph.groups()), media_type="application/x-protobuf")
        if not target.is_file():
            raise HTTPException(404, f"no such file: /static/{path}")
        kind = "application/x-protobuf" if target.suffix == ".pbf" else None
        media = kind or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return file_response(target, request, media)

    return router
