"""A self-contained, offline HTML report of a forecast: the headline answer, vehicles and people
per day (charts with labelled axes and values), journey times, overnight stops, vehicles held
or lost, arrival-time bands per station, queues over time, the calibration used and every
assumption in words (inline SVG; no script, no CDN)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from safepassage.plan.html import CSS

_E = html.escape


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _arrival_svg(stations: list[dict[str, Any]], zone: str, width: int = 900) -> str:
    """One row per station: P10-P90 bands of the first (blue), median (green), last (red)."""
    row_h, left, pad = 18, 170, 20
    height = pad * 2 + row_h * len(stations)
    stations = [s for s in stations if s["first"]["p10"] and s["last"]["p90"]]
    if not stations:
        return "<p>No vehicle passes any station.</p>"
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
            if not q["p50"]:
                continue
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
    parts.append(
        f'<text x="{left}" y="{height + 12}" font-size="10">local time ({_E(zone)}), day of month and hour</text>'
    )
    height += 16
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
        f'<text x="{pad}" y="14" font-size="11">{_E(queue["id"])}: vehicles waiting (P50 solid, P90 dashed)</text>'
        f'<line x1="{pad}" x2="{pad}" y1="{pad}" y2="{height - pad}" stroke="#999"/>'
        f'<text x="2" y="{pad + 4}" font-size="9">{y_max}</text><text x="2" y="{height - pad}" font-size="9">0</text>'
        f'<text x="{pad}" y="{height - 8}" font-size="9">{_E(queue["t"][0][:16])}</text>'
        f'<text x="{width - pad - 90}" y="{height - 8}" font-size="9">{_E(queue["t"][-1][:16])}</text></svg>'
    )


def _bars_svg(
    rows: list[dict[str, Any]],
    series: list[str],
    what: str,
    zone: str,
    width: int = 880,
    height: int = 260,
) -> str:
    """Per day, one bar per station in `series`: the P50 of `what` with a P10-P90 whisker and
    its value written above; labelled axes."""
    by = {(r["date"], r["station"]): r[what] for r in rows}
    dates = sorted({r["date"] for r in rows})
    if not dates:
        return "<p>No day in the forecast.</p>"
    left, bottom, top = 56, 46, 18
    y_max = float(max(max(by[(d, s)]["p90"] for d in dates for s in series), 1))
    group = (width - left - 10) / len(dates)
    bar = group / (len(series) + 1)
    colours = ["#1565c0", "#2e7d32", "#c62828", "#6a1b9a"]

    def y(v: float) -> float:
        return height - bottom - (height - bottom - top) * v / y_max

    parts = [
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{height - bottom}" stroke="#999"/>',
        f'<line x1="{left}" x2="{width - 10}" y1="{height - bottom}" y2="{height - bottom}" stroke="#999"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        v = y_max * frac
        parts.append(
            f'<text x="{left - 4}" y="{y(v) + 3:.1f}" font-size="9" text-anchor="end">{v:,.0f}</text>'
        )
    parts.append(
        f'<text x="12" y="{(height - bottom) / 2:.0f}" font-size="10" transform="rotate(-90 12 {(height - bottom) / 2:.0f})" text-anchor="middle">{_E(what)} per day (P50, whisker P10-P90)</text>'
    )
    for i, d in enumerate(dates):
        x0 = left + i * group
        parts.append(
            f'<text x="{x0 + group / 2:.1f}" y="{height - bottom + 14}" font-size="9" text-anchor="middle">{_E(d[5:])}</text>'
        )
        for j, s in enumerate(series):
            q = by[(d, s)]
            x = x0 + bar * (j + 0.5)
            parts.append(
                f'<rect x="{x:.1f}" y="{y(q["p50"]):.1f}" width="{bar * 0.9:.1f}" height="{y(0) - y(q["p50"]):.1f}" fill="{colours[j % 4]}" opacity=".75">'
                f"<title>{_E(s)} {_E(d)}: {q['p50']:,} {_E(what)} (P10 {q['p10']:,}, P90 {q['p90']:,})</title></rect>"
                f'<line x1="{x + bar * 0.45:.1f}" x2="{x + bar * 0.45:.1f}" y1="{y(q["p10"]):.1f}" y2="{y(q["p90"]):.1f}" stroke="#000"/>'
                f'<text x="{x + bar * 0.45:.1f}" y="{y(q["p90"]) - 3:.1f}" font-size="8" text-anchor="middle">{q["p50"]:,}</text>'
            )
    parts.append(
        f'<text x="{left}" y="{height - 14}" font-size="10">date ({_E(zone)})</text>'
        + "".join(
            f'<rect x="{left + 140 + 190 * j}" y="{height - 22}" width="10" height="10" fill="{colours[j % 4]}"/>'
            f'<text x="{left + 154 + 190 * j}" y="{height - 13}" font-size="10">{_E(s)}</text>'
            for j, s in enumerate(series)
        )
    )
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="{_E(what)} per day">'
        + "".join(parts)
        + "</svg>"
    )


def _band(q: dict[str, Any], unit: str = "") -> str:
    if q.get("p50") is None:
        return "n/a"
    return f"{q['p50']:,}{unit} ({q['p10']:,}-{q['p90']:,})"


def _table(head: list[str], rows: list[list[str]]) -> str:
    return (
        "<table><tr>"
        + "".join(f"<th>{_E(h)}</th>" for h in head)
        + "</tr>"
        + "".join("<tr>" + "".join(f"<td>{_E(c)}</td>" for c in r) + "</tr>" for r in rows)
        + "</table>"
    )


def _calibration_html(cal: dict[str, Any] | None) -> str:
    if cal is None:
        return "<p>None: the scenario's own assumptions (listed below).</p>"
    t = cal["throughput_vph"]
    items = [
        f"File: {cal.get('file', '(given in the call)')}; checkpoint {cal['checkpoint']}, counts from {cal['opened']}.",
        f"Throughput: {t['mean']} vehicles per open hour (90%: {t['p5']}-{t['p95']}).",
        "Opening hours: "
        + ", ".join(f"{h} {p:.0%}" for h, p in cal["hours_posterior"].items() if p),
    ]
    if cal.get("demand"):
        pool, rate = cal["demand"]["pool_cars"], cal["demand"]["arrivals_cars_per_day"]
        items.append(
            f"Demand: {pool['mean']:,.0f} cars waiting at the start (90%: {pool['p5']:,.0f}-{pool['p95']:,.0f}), "
            f"{rate['mean']:,.0f} arriving a day (90%: {rate['p5']:,.0f}-{rate['p95']:,.0f})."
        )
    if cal.get("occupancy"):
        o = cal["occupancy"]
        items.append(f"People per car: {o['mean']} (90%: {o['p5']}-{o['p95']}).")
    items.append(("Consistent: " if cal["consistent"] else "Warning: ") + cal["verdict"])
    obs = _table(
        ["time", "counted", "observed", "expected", "z"],
        [
            [r["at"], r["what"], f"{r['observed']:,.0f}", f"{r['expected']:,}", str(r["z"])]
            for r in cal["observations"]
        ],
    )
    return "<ul>" + "".join(f"<li>{_E(i)}</li>" for i in items) + "</ul>" + obs


def forecast_html(d: dict[str, Any], map_html: str = "") -> str:
    """The report for a forecast's `as_dict()`; `map_html`: the corridor's map (the map
    component, web/reportmap.py), shown after the headline figures."""
    zone = d["zone"]
    first, last = d["stations"][0]["id"], d["stations"][-1]["id"]
    f = d["fate_at_horizon"]
    head = d["headline"]["first_at_destination"]
    journeys = _table(
        ["to", "first vehicle to leave", "median vehicle", "last vehicle"],
        [
            [j["to"], *(_band(j["all"][w], " h") for w in ("first", "median", "last"))]
            for j in d["journeys_h"]
        ],
    )
    dest_j = d["journeys_h"][-1] if d["journeys_h"] else {"days": [], "to": last}
    per_day_j = _table(
        ["date (left the exit)", "first vehicle", "median vehicle", "last vehicle"],
        [
            [r["date"], *(_band(r[w], " h") for w in ("first", "median", "last"))]
            for r in dest_j["days"]
        ],
    )
    fate = _table(
        ["at " + f["at"], "vehicles", "people"],
        [
            [name, _band(f[name]["vehicles"]), _band(f[name]["people"])]
            for name in ("demand", "arrived", "waiting", "held", "lost")
        ],
    )
    held = _table(
        ["checkpoint", "held (vehicles)", "held (people)", "lost (vehicles)", "lost (people)"],
        [
            [
                r["station"],
                _band(r["held"]["vehicles"]),
                _band(r["held"]["people"]),
                _band(r["lost"]["vehicles"]),
                _band(r["lost"]["people"]),
            ]
            for r in d["held_or_lost"]
        ],
    )
    night = _table(
        ["overnight stop", "share of vehicles staying the night"],
        [
            [
                r["stop"],
                _band({k: v and round(v * 100) for k, v in r["share_staying"].items()}, "%"),
            ]
            for r in d["overnight"]
        ],
    )
    rows = "".join(
        f"<tr><td>{_E(s['id'])}</td><td>{_E(s['kind'])}</td>"
        + "".join(
            f"<td>{_E((s[w]['p10'] or '')[5:16])} / {_E((s[w]['p50'] or '')[5:16])} / {_E((s[w]['p90'] or '')[5:16])}</td>"
            for w in ("first", "median", "last")
        )
        + "</tr>"
        for s in d["stations"]
    )
    queues = sorted(d["queues"], key=lambda q: -q["max_p90"])[:6]
    left_out = "".join(f"<li>{_E(x)}</li>" for x in d["not_simulated"])
    assumptions = "".join(f"<li>{_E(a)}</li>" for a in d["assumptions"])
    plan_fig = ""
    if d["mode"] == "plan":
        out = d["people_out_by_window_end"]
        plan_fig = (
            f'<div class="fig">chance everyone is through {_E(d["out_at"])} by the window\'s end'
            f"<b>{d['p_window_suffices']:.0%}</b>people by then {_band(out)}; plan {d['plan_people_out_by_window_end']}</div>"
        )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_E(d["scenario"])}: forecast</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{CSS}</style></head><body>
<h1>{_E(d["scenario"])}: forecast</h1>
<p class="note">{_E(d["mode"])} mode; {d["runs"]:,} replications, seed {d["seed"]}; from {_E(d["start"])} to {_E(d["horizon_end"])}, times in {_E(zone)}.
Calibration: {_E((d["calibration"] or {}).get("file") or ((d["calibration"] or {}).get("checkpoint") or "none"))}. A forecast under stated uncertainties, not an observation. Bands are P10-P90 around the median.</p>
<p><b>{_E(d["headline"]["sentence"])}</b></p>
<div class="figs">
<div class="fig">first cars at {_E(last)}<b>{_E((head["p50"] or "n/a")[5:16])}</b>P10-P90 {_E((head["p10"] or "")[5:16])} to {_E((head["p90"] or "")[5:16])}</div>
<div class="fig">people arrived by {_E(f["at"][5:16])}<b>{f["arrived"]["people"]["p50"]:,}</b>P10-P90 {f["arrived"]["people"]["p10"]:,}-{f["arrived"]["people"]["p90"]:,}</div>
<div class="fig">people still waiting then<b>{f["waiting"]["people"]["p50"]:,}</b>P10-P90 {f["waiting"]["people"]["p10"]:,}-{f["waiting"]["people"]["p90"]:,}</div>
<div class="fig">people held / lost then<b>{f["held"]["people"]["p50"]:,} / {f["lost"]["people"]["p50"]:,}</b>P10-P90 {f["held"]["people"]["p10"]:,}-{f["held"]["people"]["p90"]:,} / {f["lost"]["people"]["p10"]:,}-{f["lost"]["people"]["p90"]:,}</div>
{plan_fig}
</div>
{"<h2>The corridor</h2>" + map_html if map_html else ""}
<h2>Vehicles per day</h2>{_bars_svg(d["daily"], [first, last], "vehicles", zone)}
<h2>People per day</h2>{_bars_svg(d["daily"], [first, last], "people", zone)}
<h2>Where everyone stands at the horizon</h2>{fate}
<h2>Journey times from {_E(first)} (hours, P50 and P10-P90)</h2>{journeys}
<h3>To {_E(dest_j["to"])}, by the day vehicles left</h3>{per_day_j}
<h2>Overnight stops</h2>{night if d["overnight"] else "<p>No driving-hours rule: nobody stops for the night.</p>"}
<h2>Vehicles held or lost</h2>{held if d["held_or_lost"] else "<p>None: no checkpoint holds or turns back vehicles in this scenario.</p>"}
<h2>When vehicles pass each station</h2>
<p class="note">Bands are P10 to P90 across replications; blue: first vehicle, green: median vehicle, red: last vehicle.</p>
{_arrival_svg(d["stations"], zone)}
<h2>Queues at the busiest checkpoints</h2>{"".join(_queue_svg(q) for q in queues)}
<h2>Table: P10 / P50 / P90 (month-day hour, {_E(zone)})</h2>
<table><tr><th>station</th><th>kind</th><th>first vehicle</th><th>median vehicle</th><th>last vehicle</th></tr>{rows}</table>
<h2>Calibration</h2>{_calibration_html(d["calibration"])}
<h2>Assumptions</h2><ul>{assumptions}</ul>
<h2>Not simulated</h2><ul>{left_out or "<li>nothing: every vehicle follows the corridor</li>"}</ul>
</body></html>"""
