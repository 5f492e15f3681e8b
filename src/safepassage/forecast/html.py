"""A self-contained, offline HTML report of a forecast: headline chances, arrival-time bands per
station, people per day and queue lengths over time (inline SVG; no script, no CDN)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from safepassage.plan.html import CSS

_E = html.escape


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _arrival_svg(stations: list[dict[str, Any]], width: int = 900) -> str:
    """One row per station: P10-P90 bands of the first (blue), median (green), last (red)."""
    row_h, left, pad = 18, 170, 20
    height = pad * 2 + row_h * len(stations)
    values = [_ts(s[w][p]) for s in stations for w in ("first", "last") for p in ("p10", "p90")]
    t0, t1 = min(values), max(values)
    span = (t1 - t0) or 1.0

    def x(t: float) -> float:
        return left + (width - left - pad) * (t - t0) / span

    parts = []
    colours = {"first": "#1565c0", "median": "#2e7d32", "last": "#c62828"}
    for i, s in enumerate(stations):
        y = pad + i * row_h
        parts.append(
            f'<text x="4" y="{y + 12}" font-size="11">{_E(s["id"])}</text>'
            f'<line x1="{left}" x2="{width - pad}" y1="{y + 9}" y2="{y + 9}" stroke="#eee"/>'
        )
        for j, which in enumerate(("first", "median", "last")):
            q = s[which]
            a, b, m = x(_ts(q["p10"])), x(_ts(q["p90"])), x(_ts(q["p50"]))
            yy = y + 4 + j * 4
            parts.append(
                f'<rect x="{a:.1f}" y="{yy}" width="{max(b - a, 1.5):.1f}" height="3" fill="{colours[which]}" opacity=".55">'
                f"<title>{_E(s['id'])}, {which} vehicle: P10 {q['p10']}, P50 {q['p50']}, P90 {q['p90']}</title></rect>"
                f'<rect x="{m - 1:.1f}" y="{yy - 1}" width="2" height="5" fill="{colours[which]}"/>'
            )
    hours = int(span // 3600)
    step = max(1, hours // 12)
    for h in range(0, hours + 1, step):
        t = t0 + h * 3600
        label = datetime.fromtimestamp(
            t, tz=datetime.fromisoformat(stations[0]["first"]["p10"]).tzinfo
        )
        parts.append(f'<text x="{x(t):.0f}" y="{height - 4}" font-size="9">{label:%d %H:%M}</text>')
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="arrival times per station">'
        + "".join(parts)
        + "</svg>"
    )


def _queue_svg(queue: dict[str, Any], width: int = 430, height: int = 160) -> str:
    pad = 28
    times = [_ts(t) for t in queue["t"]]
    t0, t1 = times[0], times[-1]
    y_max = max(max(queue["p90"]), 1)

    def pt(t: float, v: float) -> str:
        return f"{pad + (width - 2 * pad) * (t - t0) / ((t1 - t0) or 1):.1f},{height - pad - (height - 2 * pad) * v / y_max:.1f}"

    band = " ".join(pt(t, v) for t, v in zip(times, queue["p90"], strict=True))
    mid = " ".join(pt(t, v) for t, v in zip(times, queue["p50"], strict=True))
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="queue at {_E(queue["id"])}">'
        f'<polyline points="{band}" fill="none" stroke="#c62828" stroke-dasharray="4,3"/>'
        f'<polyline points="{mid}" fill="none" stroke="#333" stroke-width="1.5"/>'
        f'<text x="{pad}" y="14" font-size="11">{_E(queue["id"])}: vehicles waiting (P50 solid, P90 dashed), max {y_max}</text>'
        f'<text x="{pad}" y="{height - 8}" font-size="9">{_E(queue["t"][0][:16])}</text>'
        f'<text x="{width - pad - 90}" y="{height - 8}" font-size="9">{_E(queue["t"][-1][:16])}</text></svg>'
    )


def _days_svg(days: list[dict[str, Any]], width: int = 600, height: int = 200) -> str:
    if not days:
        return "<p>Nobody arrives within the horizon.</p>"
    pad = 30
    y_max = max(d["p90"] for d in days) or 1
    bar = (width - 2 * pad) / len(days)
    parts = []
    for i, d in enumerate(days):
        h = (height - 2 * pad) * d["mean"] / y_max
        x = pad + i * bar
        lo = height - pad - (height - 2 * pad) * d["p10"] / y_max
        hi = height - pad - (height - 2 * pad) * d["p90"] / y_max
        parts.append(
            f'<rect x="{x + 2:.1f}" y="{height - pad - h:.1f}" width="{bar - 4:.1f}" height="{h:.1f}" fill="#2e7d32" opacity=".7">'
            f"<title>{d['date']}: {d['mean']:,} people (P10 {d['p10']:,}, P90 {d['p90']:,})</title></rect>"
            f'<line x1="{x + bar / 2:.1f}" x2="{x + bar / 2:.1f}" y1="{lo:.1f}" y2="{hi:.1f}" stroke="#000"/>'
            f'<text x="{x + 2:.1f}" y="{height - 10}" font-size="9">{d["date"][5:]}</text>'
        )
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="people per day">'
        + "".join(parts)
        + "</svg>"
    )


def forecast_html(d: dict[str, Any]) -> str:
    """The report for a forecast's `as_dict()`."""
    dest = d["stations"][-1]
    rows = "".join(
        f"<tr><td>{_E(s['id'])}</td><td>{_E(s['kind'])}</td>"
        + "".join(
            f"<td>{_E(s[w]['p10'][5:16])} / {_E(s[w]['p50'][5:16])} / {_E(s[w]['p90'][5:16])}</td>"
            for w in ("first", "median", "last")
        )
        + "</tr>"
        for s in d["stations"]
    )
    queues = sorted(d["queues"], key=lambda q: -q["max_p90"])[:6]
    out = d["people_out_by_window_end"]
    left_out = "".join(f"<li>{_E(x)}</li>" for x in d["not_simulated"])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_E(d["scenario"])}: forecast</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{CSS}</style></head><body>
<h1>{_E(d["scenario"])}: forecast</h1>
<p class="note">{d["runs"]:,} replications, seed {d["seed"]}; {d["vehicles"]:,} vehicles, {d["people"]:,} people.
Window {_E(d["window"]["start"])} to {_E(d["window"]["end"])}. A forecast under stated uncertainties, not an observation.</p>
<div class="figs">
<div class="fig">chance everyone is through {_E(d["out_at"])} by the window's end<b>{d["p_window_suffices"]:.0%}</b></div>
<div class="fig">people through by the window's end<b>{out["p50"]:,}</b>P10 {out["p10"]:,}, P90 {out["p90"]:,}; plan {d["plan_people_out_by_window_end"] or "n/a"}</div>
<div class="fig">first vehicle at {_E(dest["id"])}<b>{_E(dest["first"]["p50"][5:16])}</b>P10-P90 {_E(dest["first"]["p10"][11:16])}-{_E(dest["first"]["p90"][11:16])}</div>
<div class="fig">last vehicle at {_E(dest["id"])}<b>{_E(dest["last"]["p50"][5:16])}</b>P90 {_E(dest["last"]["p90"][5:16])}</div>
</div>
<h2>When vehicles pass each station</h2>
<p class="note">Bands are P10 to P90 across replications; blue: first vehicle, green: median vehicle, red: last vehicle.</p>
{_arrival_svg(d["stations"])}
<h2>People arriving per day at {_E(d["people_per_day"]["station"])}</h2>{_days_svg(d["people_per_day"]["days"])}
<h2>Queues at the busiest checkpoints</h2>{"".join(_queue_svg(q) for q in queues)}
<h2>Table: P10 / P50 / P90 (month-day hour)</h2>
<table><tr><th>station</th><th>kind</th><th>first vehicle</th><th>median vehicle</th><th>last vehicle</th></tr>{rows}</table>
<h2>Not simulated</h2><ul>{left_out or "<li>nothing: every planned vehicle follows the corridor</li>"}</ul>
<h2>Settings</h2><pre>{_E(str(d["settings"]))}</pre>
</body></html>"""
