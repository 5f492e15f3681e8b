"""The assumptions a forecast runs under, in words (for its JSON and HTML): what the scenario
states or defaults to, and what a calibration replaced."""

from __future__ import annotations

from typing import Any

from safepassage.forecast.system import CorridorSystem


def _per_day(x: float) -> str:
    return f"{x:g} a day" if x else "none"


def describe(
    system: CorridorSystem,
    mode: str,
    demand: dict[str, Any] | None,
    calibration: dict[str, Any] | None,
    scenario_assumptions: list[str],
) -> list[str]:
    spec = system.spec
    out = []
    if mode == "demand":
        assert demand is not None
        out.append(
            f"Demand: {demand['pool_cars']['p50']:,.0f} cars waiting at the start "
            f"(P10-P90 {demand['pool_cars']['p10']:,.0f}-{demand['pool_cars']['p90']:,.0f}), "
            f"{demand['cars_per_day']['p50']:,.0f} more arriving a day "
            f"(P10-P90 {demand['cars_per_day']['p10']:,.0f}-{demand['cars_per_day']['p90']:,.0f}), "
            f"{demand['occupancy']['p50']:.2f} people a car; from {demand['source']}."
        )
        out.append(
            "Buses carry the people who need one: each bus of the fleet one trip a day, "
            "leaving when the window opens."
        )
    else:
        lateness = spec.departure_lateness
        out.append(
            f"Vehicles leave at the plan's slots, {lateness.mean_min:g} min late on average "
            f"(sd {lateness.mean_min and lateness.sd_min:g} min)."
        )
    for s in system.stations:
        if s.kind == "checkpoint" and s.inspection is not None:
            hours = (
                "always open"
                if s.hours is None
                else "open " + "-".join(h.strftime("%H:%M") for h in s.hours)
            )
            out.append(
                f"{s.id}: {s.lanes} lane(s), inspection {s.inspection.mean:g} s "
                f"(sd {s.inspection.sd:g}), {hours}."
            )
    if calibration is not None:
        t = calibration["throughput_vph"]
        out.append(
            f"Calibrated ({calibration['checkpoint']}, counts from {calibration['opened']}): "
            f"{t['mean']} vehicles per open hour (90%: {t['p5']}-{t['p95']}), hours "
            + ", ".join(f"{h} {p:.0%}" for h, p in calibration["hours_posterior"].items() if p)
            + "; these replace the checkpoint's inspection time and hours above."
        )
    out.append(
        f"Ceasefire suspensions: {_per_day(spec.suspensions.per_day)}, "
        f"{spec.suspensions.mean_duration_h:g} h on average; lane closures: "
        f"{_per_day(spec.lane_closures.per_day)} per lane, {spec.lane_closures.mean_duration_h:g} h."
    )
    out.append(
        f"Breakdowns: {spec.breakdowns.per_100km:g} per 100 km, {spec.breakdowns.mean_delay_min:g} min "
        f"each; drivers' speed spread {spec.driver_cv:.0%}, road conditions {spec.road_cv:.0%}."
    )
    out.append(
        f"Driving hours: {spec.drive_hours}, overnight at designated stops."
        if spec.drive_hours
        else "Driving at any hour."
    )
    for rule in spec.held_or_lost:
        where = (
            ", ".join(rule.checkpoints)
            if rule.checkpoints
            else (
                f"checkpoints of {rule.controlled_by}" if rule.controlled_by else "every checkpoint"
            )
        )
        out.append(
            f"At {where}, a {rule.vehicle if rule.vehicle != 'any' else 'vehicle'} is held with "
            f"probability {rule.held_p:g} (for {rule.held_mean_h:g} h on average) and turned "
            f"back or seized with probability {rule.lost_p:g}."
        )
    out.extend(f"Scenario: {a}" for a in scenario_assumptions)
    return out
