"""The one-page negotiation brief: the plan's headline figures in plain words, each with the
assumption it rests on. Every figure is read from the plan's JSON (`plan --json
--sensitivity`), never computed here a second time."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from safepassage.decide.bottlenecks import describe
from safepassage.decide.names import with_names
from safepassage.decide.output import plan_json
from safepassage.decide.render import day_hm, render, write_page
from safepassage.decide.sensitivity import PlanSettings, replan, sensitivity
from safepassage.errors import Problem, SafePassageError
from safepassage.model.prepare import PreparedScenario
from safepassage.plan import Plan


def plan_data(
    prepared: PreparedScenario,
    settings: PlanSettings,
    *,
    more_buses: int = 10,
    forecast_runs: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """What `plan --json --sensitivity` prints; with `forecast_runs`, also `forecast`: what
    `forecast --runs N --seed S --json` says about people out and arrival times."""
    plan = replan(prepared, settings)
    data = plan_json(plan, prepared.scenario)
    side: dict[str, Any] = {}

    def forecast() -> None:  # in this process while the workers re-plan
        if forecast_runs > 0:
            side["forecast"] = _forecast(plan, prepared, forecast_runs, seed)

    data.update(sensitivity(plan, prepared, settings, more_buses=more_buses, alongside=forecast))
    data.update(side)
    with_names(data, prepared.scenario)
    return data


def _forecast(plan: Plan, prepared: PreparedScenario, runs: int, seed: int) -> dict[str, Any]:
    """The forecast of this plan (the engine of `safepassage forecast`), in brief."""
    from safepassage.forecast.engine import run_monte_carlo
    from safepassage.forecast.result import Forecast
    from safepassage.forecast.system import system_from_plan

    system = system_from_plan(plan, prepared)
    raw = run_monte_carlo(system, runs, seed)
    fc = Forecast(system, raw, runs, seed).as_dict()
    return {
        "runs": fc["runs"],
        "seed": fc["seed"],
        "people_out_by_window_end": fc["people_out_by_window_end"],
        "p_window_suffices": fc["p_window_suffices"],
        "destination": fc["stations"][-1]["id"],
        "last_arrival": fc["stations"][-1]["last"],
    }


def _forecast_words(fc: dict[str, Any] | None) -> dict[str, Any] | None:
    if fc is None:
        return None
    return {
        **fc,
        "last_p50": day_hm(fc["last_arrival"]["p50"]),
        "last_p90": day_hm(fc["last_arrival"]["p90"]),
    }


def _hours(seconds: float | None) -> str | None:
    return None if seconds is None else f"{seconds / 3600:,.1f}"


def figures(data: dict[str, Any], prepared: PreparedScenario | None = None) -> dict[str, Any]:
    """The brief's figures and sentences, from the plan's JSON."""
    total = data["people_total"]
    out = data["people_out_by_window_end"]
    bound = data["bound"]["people_out_by_window_end_max"]
    window = data["window"]
    levers = [r for r in data["sensitivity"] if r["people_gained"] > 0 or r["egress_saved_s"] > 0]
    necks = [b for b in data["bottlenecks"] if b["kind"] == "checkpoint"] or data["bottlenecks"]
    bus_need = sum(o["bus_people"] for o in data["origins"])
    trips = data["buses"]
    seats = max((t["people"] for t in trips), default=0)
    fleet = prepared.scenario.fleet.buses if prepared is not None else []
    seat_size = max((b.seats for b in fleet), default=seats or 50)
    return {
        "scenario": data["scenario"],
        "window_start": day_hm(window["start"]),
        "window_end": day_hm(window["end"]),
        "people_total": total,
        "people_out_by_window_end": out,
        "share_out": out / total if total else 0.0,
        "bound": math.floor(bound + 1e-9),
        "window_needed_h": {k: _hours(v) for k, v in data["window_needed_s"].items()},
        "has_window": prepared is None or prepared.scenario.corridor is not None,
        "levers": [
            {
                "lever": r.get("lever_name", r["lever"]),
                "people_gained": r["people_gained"],
                "hours_saved": _hours(r["egress_saved_s"]),
            }
            for r in levers[:3]
        ],
        "limit": describe(necks[0]) if necks else None,
        "lanes": _lanes_named(data["lanes_needed"]),
        "bus_need_people": bus_need,
        "bus_trips_needed": math.ceil(bus_need / seat_size) if bus_need else 0,
        "seats_per_bus": seat_size,
        "buses_in_plan": len({t["bus"] for t in trips}),
        "bus_trips": len(trips),
        "bus_people": sum(t["people"] for t in trips),
        "waiting_for_bus": sum(
            u["people"] for u in data["unserved"] if u["reason"].startswith("needs a bus")
        ),
        "time_for_everyone_h": _hours(data["egress_time_s"]),
        "bus_risk": data.get("bus_risk"),
        "buses_needed": data["buses_needed"],
        "forecast": _forecast_words(data.get("forecast")),
        "out_means": data["out_means"],
        "relaxed": data["bound"]["relaxed"],
        "assumptions": data["assumptions"],
    }


def brief_html(fig: dict[str, Any]) -> str:
    return render("brief.html.j2", f=fig, title=f"{fig['scenario']}: negotiation brief")


def check_out(out: Path) -> None:
    """Refuse an output name the brief cannot be written as, before any planning."""
    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise SafePassageError(
            Problem(f"unknown brief format {out.suffix!r}: use .pdf or .html", file=str(out))
        )


def write_brief(fig: dict[str, Any], out: Path) -> None:
    """Write the brief as HTML or PDF (WeasyPrint), by the file's suffix."""
    check_out(out)
    write_page(brief_html(fig), out)


def _lanes_named(lanes: dict[str, Any]) -> dict[str, Any]:
    """`lanes_needed` with the checkpoint by its name (the brief is read by people)."""
    if not lanes.get("checkpoint_name"):
        return lanes
    return {**lanes, "checkpoint": lanes["checkpoint_name"]}
