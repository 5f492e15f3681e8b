"""The forecast report's names and map: the corridor drawn with the map component (inlined,
over an SVG sketch for print and for readers without WebGL), and the forecast's station ids
replaced by the scenario's names, so that the report shows places as people call them."""

from __future__ import annotations

import copy
import re
from typing import Any

from markupsafe import Markup

from safepassage.model.names import display_name
from safepassage.model.scenario import Scenario
from safepassage.web.assets import glyph_subset, map_assets, render
from safepassage.web.charts import map_sketch
from safepassage.web.mapdata import scenario_map

_TOKEN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def scenario_map_figure(scenario: Scenario, lang: str = "en") -> Markup:
    """The scenario's corridor, places and hazards as the map component, ready to inline."""
    data = scenario_map(scenario, lang)
    names = [display_name(d, lang) for d in scenario.destinations]
    start = display_name(scenario.origins[0], lang) if scenario.origins else ""
    ends = f"From {start} to {', '.join(names)}" if start else ""
    labels = " ".join(str(f["properties"].get("name", "")) for f in data["features"])
    options = {
        "data": data,
        "ends": ends,
        "attribution": "",  # the scenario's own places only: no map data of others drawn
        "inlineGlyphs": glyph_subset(labels + ends),
        "cooperativeGestures": True,
    }
    return Markup(
        render(
            "_report_map.html.j2",
            assets=map_assets(inline=True),
            map=options,
            sketch=map_sketch(data),
        )
    )


def named_forecast(d: dict[str, Any], scenario: Scenario, lang: str = "en") -> dict[str, Any]:
    """A copy of a forecast's `as_dict()` with every place id (stations, stops, destinations,
    the words of the headline and assumptions) replaced by its name in `lang`."""
    places = scenario.places()

    def name(ident: str) -> str:
        return display_name(places[ident], lang) if ident in places else ident

    def in_text(text: str) -> str:
        return _TOKEN.sub(lambda m: name(m.group(0)), text)

    out = copy.deepcopy(d)
    for s in out.get("stations", []):
        s["id"] = name(s["id"])
    for r in out.get("daily", []):
        r["station"] = name(r["station"])
    for j in out.get("journeys_h", []):
        j["to"] = name(j["to"])
    for r in out.get("held_or_lost", []):
        r["station"] = name(r["station"])
    for r in out.get("overnight", []):
        r["stop"] = name(r["stop"])
    for q in out.get("queues", []):
        q["id"] = name(q["id"])
    if "out_at" in out:
        out["out_at"] = name(out["out_at"])
    headline = out.get("headline", {})
    if "sentence" in headline:
        headline["sentence"] = in_text(headline["sentence"])
    for key in ("assumptions", "not_simulated"):
        out[key] = [in_text(x) for x in out.get(key, [])]
    return out
