"""A self-contained, offline HTML report of a plan: headline figures, a map of the routes and
places by name (the map component, inlined, over an SVG sketch for print and for readers
without WebGL), the curve of people out against the bound, checkpoints, origins and who is not
served. Rendered from templates/plan.html.j2; nothing in it is fetched from anywhere."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from safepassage import __version__
from safepassage.model.names import display_name, in_words, place_namer
from safepassage.model.scenario import Scenario
from safepassage.plan.result import Plan
from safepassage.web.assets import (
    glyph_subset,
    map_assets,
    render,
    report_css,
    static_text,
    when,
)
from safepassage.web.charts import HOUR_STEPS, line_chart, map_sketch
from safepassage.web.mapdata import plan_map

#: The reports' style sheet (the forecast report uses it too).
CSS = static_text("report/report.css")


def _namer(scenario: Scenario | None, lang: str) -> Any:
    return place_namer(scenario, lang), in_words(scenario, lang)


def _curve_chart(plan: Plan, d: dict[str, Any]) -> Any:
    start = plan.problem.start
    curve = d["curve"]
    return line_chart(
        "people out over time, plan against the bound",
        [
            (
                "planned",
                "#0b6e4f",
                [(c["t_s"] / 3600, c["people_out"]) for c in curve],
                False,
            ),
            (
                "bound (no plan can do better)",
                "#6b6b6b",
                [(c["t_s"] / 3600, c["bound"]) for c in curve if c["bound"] is not None],
                True,
            ),
        ],
        x_label=f"hours after the window opens ({when(start)})",
        y_label="people out",
        x_tick_label=lambda h: f"{h:g} h",
        x_steps=HOUR_STEPS,
    )


def plan_html(
    plan: Plan,
    scenario: Scenario | None = None,
    lang: str = "en",
    schedule_html: str = "",
) -> str:
    """The whole report as one HTML string; `scenario` gives names (ids without it);
    `schedule_html` (decide's schedule section, trusted HTML) is placed at its end."""
    d = plan.as_dict()
    name, in_text = _namer(scenario, lang)
    m = plan_map(plan, scenario, lang)
    labels = " ".join(f["properties"].get("name", "") for f in m["data"]["features"])
    m["inlineGlyphs"] = glyph_subset(labels + m["ends"])
    m["cooperativeGestures"] = True
    title = display_name(scenario, lang) if scenario else d["scenario"]
    return render(
        "plan.html.j2",
        lang=lang,
        version=__version__,
        report_css=report_css(),
        assets=map_assets(inline=True),
        title=title,
        d=d,
        window_start=plan.problem.start,
        window_end=plan.problem.step_time(plan.problem.window_steps),
        map=m,
        sketch=map_sketch(m["data"]),
        curve=_curve_chart(plan, d),
        name=name,
        in_text=in_text,
        bound=d["bound"],
        gap=d["gap"],
        attribution=plan.problem.graph.meta.get("attribution") or "",
        hours=lambda s: "n/a" if s is None else f"{s / 3600:.1f} h",
        schedule_html=Markup(schedule_html),
    )
