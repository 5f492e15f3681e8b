"""Makes MapLibre glyph files (signed-distance-field PBFs) from Noto Sans, so that map labels need
no glyph server. Run from web/ after `npm ci`:  ../.venv/bin/python glyphs.py  (needs Pillow,
numpy, SciPy). Writes src/safepassage/web/static/glyphs/NotoSans-Regular/{start}-{end}.pbf.

The format is the one MapLibre reads: message glyphs { fontstack stacks = 1 }, fontstack
{ name = 1, range = 2, glyph glyphs = 3 }, glyph { id = 1, bitmap = 2, width = 3, height = 4,
left = 5 (sint32), top = 6 (sint32), advance = 7 }; 24 px glyphs, 3 px buffer, the outline at
value 192 and 8 px of distance over the rest of the byte range.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy.ndimage import distance_transform_edt

HERE = Path(__file__).resolve().parent
FONT = HERE / "node_modules/@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf"
OUT = HERE.parent / "src/safepassage/web/static/glyphs/NotoSans-Regular"
NAME = "NotoSans-Regular"
SIZE, BUFFER, RADIUS, CUTOFF, SUPER = 24, 3, 8.0, 0.25, 4
# Latin, Latin Extended, Greek, Cyrillic, punctuation (dashes, quotes), arrows.
NOTDEF: list[bytes] = []
RANGES = [0, 256, 768, 1024, 1280, 8192, 8448]


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, value: int | bytes) -> bytes:
    if isinstance(value, bytes):
        return varint(number << 3 | 2) + varint(len(value)) + value
    return varint(number << 3) + varint(value)


def zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def missing(font: ImageFont.FreeTypeFont) -> bytes:
    """The bitmap the font draws for a character it lacks (.notdef)."""
    return bytes(font.getmask("\ue000"))


def glyph(font: ImageFont.FreeTypeFont, big: ImageFont.FreeTypeFont, code: int) -> bytes | None:
    char = chr(code)
    if code < 32 or 127 <= code < 160 or bytes(font.getmask(char)) == NOTDEF[0]:
        return None
    advance = round(font.getlength(char))
    x0, y0, x1, y1 = big.getbbox(char, anchor="ls")
    if x1 <= x0 or y1 <= y0:
        return field(1, code) + field(3, 0) + field(4, 0) + field(5, 0) + field(6, 0) + field(7, advance)
    left, top = math.floor(x0 / SUPER), math.floor(y0 / SUPER)
    width, height = math.ceil(x1 / SUPER) - left, math.ceil(y1 / SUPER) - top
    w, h = width + 2 * BUFFER, height + 2 * BUFFER
    image = Image.new("L", (w * SUPER, h * SUPER), 0)
    origin = ((BUFFER - left) * SUPER, (BUFFER - top) * SUPER)
    ImageDraw.Draw(image).text(origin, char, font=big, fill=255, anchor="ls")
    inside = np.asarray(image) > 127
    signed = (distance_transform_edt(~inside) - distance_transform_edt(inside)) / SUPER
    cell = signed.reshape(h, SUPER, w, SUPER).mean(axis=(1, 3))
    sdf = np.clip(np.round(255 - 255 * (cell / RADIUS + CUTOFF)), 0, 255).astype(np.uint8)
    return (
        field(1, code)
        + field(2, sdf.tobytes())
        + field(3, width)
        + field(4, height)
        + field(5, zigzag(left))
        + field(6, zigzag(-top - SIZE))
        + field(7, advance)
    )


def main() -> None:
    basic = ImageFont.Layout.BASIC  # one glyph at a time: no shaping engine needed
    font = ImageFont.truetype(str(FONT), SIZE, layout_engine=basic)
    big = ImageFont.truetype(str(FONT), SIZE * SUPER, layout_engine=basic)
    NOTDEF.append(missing(font))
    OUT.mkdir(parents=True, exist_ok=True)
    for start in RANGES:
        end = start + 255
        glyphs = [g for code in range(start, end + 1) if (g := glyph(font, big, code))]
        stack = field(1, NAME.encode()) + field(2, f"{start}-{end}".encode())
        stack += b"".join(field(3, g) for g in glyphs)
        (OUT / f"{start}-{end}.pbf").write_bytes(field(1, stack))
        print(f"{start}-{end}: {len(glyphs)} glyphs", file=sys.stderr)


if __name__ == "__main__":
    main()
