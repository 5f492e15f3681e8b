"""Templates and static assets shipped in the package: the Jinja2 environment, files read for
inlining into self-contained reports, and glyph subsets for map labels.

Nothing here reaches the network: the map library, its licence, glyphs and our own map module
are files of this package (built from npm by web/build.mjs; see docs/web.md).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
FONTSTACK = "NotoSans-Regular"


def when(value: datetime | str | None, seconds: bool = False) -> str:
    """A date people can read without guessing: day, month, year, time and zone,
    e.g. `15 Mar 2022 09:00 EET (UTC+02:00)`."""
    if value is None or value == "":
        return "n/a"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    text = moment.strftime("%d %b %Y %H:%M:%S" if seconds else "%d %b %Y %H:%M").lstrip("0")
    if moment.tzinfo is None:
        return text + " (zone unknown)"
    offset = moment.strftime("%z")
    utc = "UTC" if offset == "+0000" else f"UTC{offset[:3]}:{offset[3:]}"
    name = moment.tzname() or ""
    if name and not name.startswith(("UTC", "+", "-")):  # EET, CET: an abbreviation worth showing
        return f"{text} {name} ({utc})"
    return f"{text} ({utc})"


def number(value: float | int | None, digits: int = 0) -> str:
    """Thousands separated, `n/a` for missing."""
    return "n/a" if value is None else f"{value:,.{digits}f}"


@cache
def environment() -> jinja2.Environment:
    """The package's templates, HTML-escaped by default."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["number"] = number
    env.filters["tojson_script"] = script_json
    return env


def render(template: str, **context: Any) -> str:
    """Render one template of the package."""
    return environment().get_template(template).render(**context)


def script_json(value: Any) -> Markup:
    """JSON safe inside <script type="application/json"> (no `</` can close the element)."""
    return Markup(
        json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


@cache
def static_text(relative: str) -> str:
    """A static file of the package as text (for inlining into a self-contained report)."""
    return (STATIC / relative).read_text(encoding="utf-8")


# -- glyphs ------------------------------------------------------------------------------
# Our glyph files are protobuf: glyphs { fontstack stacks = 1 } with fontstack { name = 1,
# range = 2, glyph glyphs = 3 } and glyph { id = 1, ... }. A report embeds only the glyphs
# its labels use, so a report with a map stays small and needs no glyph server.


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        result |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) of one protobuf message (varint and length-delimited fields)."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        if key & 7 == 0:
            value, pos = _varint(data, pos)
            out.append((key >> 3, value))
        elif key & 7 == 2:
            size, pos = _varint(data, pos)
            out.append((key >> 3, data[pos : pos + size]))
            pos += size
        else:
            raise ValueError(f"unexpected protobuf wire type {key & 7} in a glyph file")
    return out


def _encode_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _bytes_field(number: int, value: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(value)) + value


def glyph_subset(text: str) -> dict[str, str]:
    """Base64 glyph ranges holding just the characters of `text` (and the digits and space)."""
    wanted = {ord(c) for c in text} | {ord(c) for c in "0123456789 -–.,()"}
    out: dict[str, str] = {}
    for start in sorted({code // 256 * 256 for code in wanted}):
        name = f"{start}-{start + 255}"
        path = STATIC / "glyphs" / FONTSTACK / f"{name}.pbf"
        if not path.exists():
            continue  # characters our font lacks are left out of labels, not an error
        (_, stack), *_ = _fields(path.read_bytes())
        assert isinstance(stack, bytes)
        kept = b""
        for number, value in _fields(stack):
            if number == 3:
                assert isinstance(value, bytes)
                code = _fields(value)[0][1]
                if code in wanted:
                    kept += _bytes_field(3, value)
            elif isinstance(value, bytes):
                kept += _bytes_field(number, value)
        out[name] = base64.b64encode(_bytes_field(1, kept)).decode("ascii")
    return out


def _inline_script(text: str) -> Markup:
    # A script inlined into HTML must not contain `</script`; `<\/` means the same to JS.
    return Markup(text.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT"))


def map_assets(inline: bool, base: str = "/static") -> dict[str, Any]:
    """What templates/_map.html.j2 needs to load the map: inlined files for a report opened
    from disk, or links under `base` for pages that a server delivers."""
    if not inline:
        return {"inline": False, "base": base}
    css = static_text("vendor/maplibre-gl/maplibre-gl.css") + static_text("map/sp-map.css")
    return {
        "inline": True,
        "css": Markup(css.replace("</style", "<\\/style")),
        "maplibre": _inline_script(static_text("vendor/maplibre-gl/maplibre-gl.js")),
        "sp_map": _inline_script(static_text("map/sp-map.js")),
    }


def report_css() -> Markup:
    return Markup(static_text("report/report.css"))
