"""A self-contained, offline HTML report of a plan: headline figures, the curve of people out
against the bound, a map of routes and checkpoints (inline SVG drawn from the plan's own
GeoJSON: no CDN, no tile server, no script), slots per origin and who is not served."""

from __future__ import annotations

import html
import math
from typing import Any

from safepassage.plan.geojson import plan_geojson
from safepassage.plan.result import Plan

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
.figs{display:flex;flex-wrap:wrap;gap:1em}.fig{border:1px solid #ccc;border-radius:6px;padding:.6em 1em}
.fig b{display:block;font-size:1.4em}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}
.note{color:#555;font-size:.9em}svg{background:#fafafa;border:1px solid #ddd}
"""


def _fmt_h(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds / 3600:.1f} h"


def _curve_svg(curve: list[dict[str, Any]], width: int = 760, height: int = 300) -> str:
    if not curve:
        return ""
    t_max = max(c["t_s"] for c in curve) or 1.0
    y_max = max(max(c["people_out"], c["bound"] or 0) for c in curve) or 1.0
    pad = 40

    def xy(t: float, y: float) -> str:
        return f"{pad + (width - 2 * pad) * t / t_max:.1f},{height - pad - (height - 2 * pad) * y / y_max:.1f}"

    plan = " ".join(xy(c["t_s"], c["people_out"]) for c in curve)
    bound = " ".join(xy(c["t_s"], c["bound"]) for c in curve if c["bound"] is not None)
    ticks = "".join(
        f'<text x="{pad + (width - 2 * pad) * h * 3600 / t_max:.0f}" y="{height - pad + 15}" font-size="10">{h} h</text>'
        for h in range(0, int(t_max // 3600) + 1, max(1, int(t_max // 3600) // 10))
    )
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="people out over time">'
        f'<polyline points="{bound}" fill="none" stroke="#999" stroke-dasharray="5,4"/>'
        f'<polyline points="{plan}" fill="none" stroke="#0a5" stroke-width="2"/>'
        f'<text x="{pad}" y="20" font-size="11">people out (green: plan, grey dashed: bound); max {y_max:,.0f}</text>{ticks}</svg>'
    )


def _map_svg(collection: dict[str, Any], width: int = 760, height: int = 460) -> str:
    coords: list[list[float]] = []
    for f in collection["features"]:
        geom = f["geometry"]
        coords.extend(
            geom["coordinates"] if geom["type"] == "LineString" else [geom["coordinates"]]
        )
    if not coords:
        return ""
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    lat0 = math.radians(sum(lats) / len(lats))
    x0, x1 = min(lons), max(lons)
    y0, y1 = min(lats), max(lats)
    sx = (x1 - x0) * math.cos(lat0) or 1e-6
    sy = (y1 - y0) or 1e-6
    scale = min((width - 40) / sx, (height - 40) / sy)

    def pt(c: list[float]) -> str:
        return f"{20 + (c[0] - x0) * math.cos(lat0) * scale:.1f},{height - 20 - (c[1] - y0) * scale:.1f}"

    parts = []
    for f in collection["features"]:
        props, geom = f["properties"], f["geometry"]
        if geom["type"] == "LineString":
            w = 1.5 + min(6.0, props.get("cars", 0) / 200)
            parts.append(
                f'<polyline points="{" ".join(pt(c) for c in geom["coordinates"])}" fill="none" stroke="#0a5" stroke-width="{w:.1f}" opacity=".7"><title>route {props["id"]}: {props["origin"]} to {props["destination"]}, {props["cars"]} cars</title></polyline>'
            )
    colours = {"checkpoint": "#c30", "origin": "#036", "destination": "#080"}
    for f in collection["features"]:
        props, geom = f["properties"], f["geometry"]
        if geom["type"] == "Point":
            x, y = pt(geom["coordinates"]).split(",")
            label = html.escape(str(props["id"]))
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="4" fill="{colours[props["kind"]]}"><title>{props["kind"]} {label}</title></circle>'
            )
    return f'<svg width="{width}" height="{height}" role="img" aria-label="map of routes and checkpoints">{"".join(parts)}</svg>'


def plan_html(plan: Plan) -> str:
    """The whole report as one HTML string."""
    d = plan.as_dict()
    gap = d["gap"]
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(o['id'])}</td><td>{o['people']:,}</td><td>{o['cars']:,}</td><td>{o['people_out_by_window_end']:,}</td>"
        f"<td>{e(o['slots'][0]['start'][11:16]) if o['slots'] else '-'}</td><td>{o['bus_trips']}</td></tr>"
        for o in d["origins"][:200]
    )
    unserved = "".join(
        f"<tr><td>{e(u['origin'])}</td><td>{u['people']:,}</td><td>{e(u['reason'])}</td></tr>"
        for u in d["unserved"][:200]
    )
    cps = "".join(
        f"<tr><td>{e(c['id'])}</td><td>{c['throughput_vph']}</td><td>{e(c['open'])}</td><td>{sum(h['vehicles'] for h in c['load_by_hour']):,.0f}</td></tr>"
        for c in d["checkpoints"]
    )
    necks = "".join(
        f"<li>{e(b['resource'])}: full {b['full_minutes']} min of the window</li>"
        for b in d["bottlenecks"]
    )
    bound = d["bound"]
    attribution = plan.problem.graph.meta.get("attribution") or ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(d["scenario"])}: evacuation plan</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{CSS}</style></head><body>
<h1>{e(d["scenario"])}</h1>
<p class="note">Window {e(d["window"]["start"])} to {e(d["window"]["end"])}. Generated by safepassage; every figure is a plan, not an observation.</p>
<div class="figs">
<div class="fig">people<b>{d["people_total"]:,}</b></div>
<div class="fig">out by the window's end<b>{d["people_out_by_window_end"]:,}</b>bound {bound["people_out_by_window_end_max"]:,.0f}, gap {gap["people_out_by_window_end"]:.1%}</div>
<div class="fig">time for everyone served<b>{_fmt_h(d["egress_time_s"])}</b>bound {_fmt_h(bound["egress_time_s_min"])}</div>
<div class="fig">left the city by the window's end<b>{d["people_left_city_by_window_end"]:,}</b>passed the first checkpoint</div>
<div class="fig">served by the plan<b>{d["people_served"]:,}</b></div>
</div>
<p class="note">Out: {e(d["out_means"])}.</p>
<h2>People out over time</h2>{_curve_svg(d["curve"])}
<h2>Routes and checkpoints</h2>{_map_svg(plan_geojson(plan))}
<p class="note">{e(attribution)}</p>
<h2>Bottlenecks</h2><ul>{necks}</ul>
<h2>Checkpoints</h2><table><tr><th>checkpoint</th><th>vehicles/h</th><th>open</th><th>vehicles planned</th></tr>{cps}</table>
<h2>Origins</h2><table><tr><th>origin</th><th>people</th><th>cars</th><th>out by window end</th><th>first slot</th><th>bus trips</th></tr>{rows}</table>
<h2>Not served within the window</h2><table><tr><th>origin</th><th>people</th><th>why</th></tr>{unserved}</table>
<h2>How far from the best possible</h2><p>{e(bound["method"])}; subsets: {e(str(bound["subsets"]))}. Knows: {e("; ".join(bound["knows"]) or "road and checkpoint capacities")}. Relaxed: {e("; ".join(bound["relaxed"]) or "nothing")}.</p>
</body></html>"""
