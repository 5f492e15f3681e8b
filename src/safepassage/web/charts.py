"""Geometry of the reports' pictures, computed here and drawn by templates (SVG): line charts
with labelled axes, ticks and values, and a map sketch for readers without WebGL or printing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 64, 24, 28, 48


HOUR_STEPS = (1, 2, 3, 6, 12, 24, 48, 72, 168, 336)


def nice_ticks(high: float, count: int = 5, steps: tuple[float, ...] | None = None) -> list[float]:
    """Round tick values from 0 to at least `high`: 1, 2 or 5 times a power of ten apart, or
    the first of `steps` (e.g. hours: 1, 2, 3, 6, 12, 24 ...) that gives at most `count`."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / count
    if steps is not None and raw <= steps[-1]:
        step = float(next(s for s in steps if s >= raw))
    else:
        power = 10 ** math.floor(math.log10(raw))
        step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(math.ceil(high / step - 1e-9) + 1)]


@dataclass
class Series:
    label: str
    colour: str
    points: str
    dashed: bool = False
    last: tuple[float, float, str] | None = None  # x, y and the value written at the end


@dataclass
class LineChart:
    """A chart ready for templates/_charts.html.j2."""

    title: str
    width: int
    height: int
    x_label: str
    y_label: str
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    plot: tuple[float, float, float, float] = (0, 0, 0, 0)  # left, top, right, bottom


def line_chart(
    title: str,
    series: list[tuple[str, str, list[tuple[float, float]], bool]],
    *,
    x_label: str,
    y_label: str,
    x_tick_label: Any = lambda v: f"{v:g}",
    x_steps: tuple[float, ...] | None = None,
    width: int = 760,
    height: int = 320,
) -> LineChart:
    """Series of (label, colour, [(x, y)], dashed) on shared axes starting at zero."""
    xs = [x for _, _, pts, _ in series for x, _ in pts] or [0.0, 1.0]
    ys = [y for _, _, pts, _ in series for _, y in pts] or [0.0, 1.0]
    x_ticks, y_ticks = nice_ticks(max(xs), 10, x_steps), nice_ticks(max(ys), 5)
    x_max, y_max = x_ticks[-1] or 1.0, y_ticks[-1] or 1.0
    left, top = PAD_LEFT, PAD_TOP
    right, bottom = width - PAD_RIGHT, height - PAD_BOTTOM

    def sx(x: float) -> float:
        return left + (right - left) * x / x_max

    def sy(y: float) -> float:
        return bottom - (bottom - top) * y / y_max

    chart = LineChart(title, width, height, x_label, y_label, plot=(left, top, right, bottom))
    chart.x_ticks = [(round(sx(v), 1), x_tick_label(v)) for v in x_ticks]
    chart.y_ticks = [(round(sy(v), 1), f"{v:,.0f}") for v in y_ticks]
    for label, colour, pts, dashed in series:
        if not pts:
            continue
        line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        x, y = pts[-1]
        chart.series.append(
            Series(label, colour, line, dashed, (round(sx(x), 1), round(sy(y), 1), f"{y:,.0f}"))
        )
    return chart


@dataclass
class Sketch:
    """A map drawn as plain SVG: lines and labelled points in an equirectangular view."""

    width: int
    height: int
    lines: list[dict[str, Any]] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    areas: list[dict[str, Any]] = field(default_factory=list)


def map_sketch(collection: dict[str, Any], width: int = 760, height: int = 460) -> Sketch:
    """The map component's data as an SVG sketch (for print and for readers without WebGL)."""
    coords = [
        c
        for f in collection["features"]
        if f["properties"]["kind"] != "road"
        for c in _flat(f["geometry"]["coordinates"])
    ]
    sketch = Sketch(width, height)
    if not coords:
        return sketch
    lat0 = math.radians(sum(c[1] for c in coords) / len(coords))
    x0, y0 = min(c[0] for c in coords), min(c[1] for c in coords)
    sx = (max(c[0] for c in coords) - x0) * math.cos(lat0) or 1e-6
    sy = (max(c[1] for c in coords) - y0) or 1e-6
    scale = min((width - 80) / sx, (height - 60) / sy)

    def pt(c: list[float]) -> str:
        return f"{40 + (c[0] - x0) * math.cos(lat0) * scale:.1f},{height - 30 - (c[1] - y0) * scale:.1f}"

    for f in collection["features"]:
        props, geom = f["properties"], f["geometry"]
        if geom["type"] == "LineString" and props["kind"] in ("route", "road"):
            points = " ".join(pt(c) for c in geom["coordinates"])
            sketch.lines.append(
                {"kind": props["kind"], "points": points, "name": props.get("name")}
            )
        elif geom["type"] == "Polygon":
            points = " ".join(pt(c) for c in geom["coordinates"][0])
            sketch.areas.append({"kind": props["kind"], "points": points})
        elif geom["type"] == "Point":
            x, y = pt(geom["coordinates"]).split(",")
            sketch.points.append(
                {"kind": props["kind"], "x": x, "y": y, "name": props.get("name", "")}
            )
    return sketch


def _flat(coords: Any) -> list[list[float]]:
    if coords and isinstance(coords[0], int | float):
        return [coords]
    return [c for part in coords for c in _flat(part)]
