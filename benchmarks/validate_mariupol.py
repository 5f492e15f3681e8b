"""Validation against what was reported (docs/validation.md): calibrate the exit on the counts of
14 and 15 March 2022 only (../shared/data/mariupol-2022/FACTS.md), forecast in demand mode from
the exit's opening, and put each later or unfitted report beside the forecast of the same day
and the same thing counted, with where it falls in the forecast's distribution.

Run: .venv/bin/python benchmarks/validate_mariupol.py [--runs 2000] [--seed 1]
Prints the markdown tables of docs/validation.md and writes benchmarks/results/validation.json.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from benchmarks.common import machine

from safepassage.forecast import forecast_prepared
from safepassage.forecast.calibrate import Observation, calibrate
from safepassage.forecast.kernel import DAY
from safepassage.model.prepare import prepare_scenario
from safepassage.model.scenario import parse_hours

KYIV = ZoneInfo("Europe/Kyiv")
SCENARIO = "scenarios/mariupol-2022.yaml"
OPENED = datetime(2022, 3, 14, 13, 0, tzinfo=KYIV)  # "the checkpoint opened at 13:00"


def at(day: int, hour: int) -> datetime:
    return datetime(2022, 3, day, hour, 0, tzinfo=KYIV) if hour < 24 else at(day + 1, 0)


#: The counts of 14 and 15 March the calibration sees (FACTS.md, with their sources).
FIT = [
    Observation(at(14, 15), 160, "city council, 14 Mar: 160 cars in the first two hours"),
    Observation(at(15, 14), 2000, "Interfax-Ukraine, 15 Mar: 2,000 cars out by 14:00"),
    Observation(at(15, 14), 2000, "Interfax-Ukraine, 15 Mar: 2,000 more waiting", "waiting"),
    # "about 20,000 people in about 4,000 cars left" (15 Mar, no hour given): taken as the
    # total by the end of 15 March, cars and people counted together.
    Observation(at(15, 24), 4000, "regional officials, 15 Mar: about 4,000 cars left"),
    Observation(at(15, 24), 20000, "regional officials, 15 Mar: about 20,000 people", "people"),
]


def where(observed: float, values: np.ndarray) -> tuple[float, str]:
    """Share of replications below the observation, and the band it falls in."""
    rank = float((values < observed).mean())
    p10, p50, p90 = np.percentile(values, (10, 50, 90))
    band = (
        "below P10"
        if observed < p10
        else "P10-P50"
        if observed < p50
        else "P50-P90"
        if observed <= p90
        else "above P90"
    )
    return rank, band


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    prepared = prepare_scenario(SCENARIO, cut_off="warning")
    cp = next(c for c in prepared.scenario.checkpoints if c.id == "cp01-mariupol-exit")
    candidates: list[tuple[time, time] | None] = []
    for text in (cp.open, "always", "06:00-22:00", "07:00-19:00", "08:00-18:00", "09:00-18:00"):
        h = parse_hours(text)
        if h not in candidates:
            candidates.append(h)
    cal = calibrate(
        cp.id,
        OPENED,
        FIT,
        candidates,
        cv=cp.inspection_s.sd / cp.inspection_s.mean,
        lanes=cp.lanes,
        seed=args.seed,
    ).as_dict()
    fc = forecast_prepared(
        prepared, runs=args.runs, seed=args.seed, calibration=cal, mode="demand", days=3
    )
    plan = forecast_prepared(prepared, runs=args.runs, seed=args.seed, mode="plan")
    raw = fc.raw
    ids = [s.id for s in fc.system.stations]
    ex, dest = ids.index("cp01-mariupol-exit"), ids.index("zaporizhzhia")

    def day(f: Any, d: int) -> int:
        """Index of 2022-03-d in a forecast's days."""
        return (datetime(2022, 3, d, tzinfo=KYIV) - f.day0).days

    def plan_col(k: str, d: int, what: str) -> np.ndarray | None:
        i = day(plan, d)
        if i < 0:
            return None
        arr = plan.raw.day_vehicles if what == "vehicles" else plan.raw.day_people
        return arr[:, [s.id for s in plan.system.stations].index(k), i]

    berdyansk = ids.index("berdyansk")
    end_14 = (at(14, 24) - fc.system.start).total_seconds()
    trips = raw.journey_s[:, raw.journey_stations.index(dest)] / 3600  # (R, days + 1, 3)
    first_trip = trips[:, day(fc, 15), 0]  # the first car to leave on 15 March
    median_trip = trips[:, -1, 1]  # the median car of all
    rows = [
        (
            "cars leaving the city, 16 March",
            2500,
            "lb.ua, 16 Mar (city council): about 2,500 cars",
            raw.day_vehicles[:, ex, day(fc, 16)],
            plan_col("cp01-mariupol-exit", 16, "vehicles"),
        ),
        (
            "people leaving the city, 16 March",
            11000,
            "lb.ua, 16 Mar (city council): about 11,000 people",
            raw.day_people[:, ex, day(fc, 16)],
            plan_col("cp01-mariupol-exit", 16, "people"),
        ),
        (
            "people arriving in Zaporizhzhia, 16 March",
            6426,
            "Deputy Prime Minister, 16 Mar: 6,426 arrived",
            raw.day_people[:, dest, day(fc, 16)],
            plan_col("zaporizhzhia", 16, "people"),
        ),
        (
            "cars at Zaporizhzhia by the end of 15 March (not fitted: another station)",
            570,
            "regional officials, 15 Mar: 570 cars had reached Zaporizhzhia",
            raw.day_vehicles[:, dest, day(fc, 14)] + raw.day_vehicles[:, dest, day(fc, 15)],
            None,
        ),
        (
            "hours from the exit to Zaporizhzhia: first car to leave on 15 March",
            11,
            "LA Times, 26 Apr: one account, '11 hours of driving', date unknown",
            first_trip,
            None,
        ),
        (
            "hours from the exit to Zaporizhzhia: the median car",
            11,
            "the same account",
            median_trip,
            None,
        ),
    ]
    table = [
        "| reported | figure | source | forecast P50 (P10-P90) | observed falls | share of runs below | plan mode P50 (P10-P90) |",
        "|---|---|---|---|---|---|---|",
    ]
    record = []
    for name, obs, source, values, plan_values in rows:
        v = values[np.isfinite(values)]
        p10, p50, p90 = np.percentile(v, (10, 50, 90))
        rank, band = where(obs, v)
        fmt = "{:,.1f}" if obs < 100 else "{:,.0f}"
        pv = ""
        if plan_values is not None:
            q = np.percentile(plan_values, (10, 50, 90))
            pv = f"{q[1]:,.0f} ({q[0]:,.0f}-{q[2]:,.0f})"
        table.append(
            f"| {name} | {obs:,} | {source} | {fmt.format(p50)} ({fmt.format(p10)}-{fmt.format(p90)}) "
            f"| **{band}** | {rank:.0%} | {pv or 'n/a'} |"
        )
        record.append(
            {"quantity": name, "observed": obs, "p10": p10, "p50": p50, "p90": p90, "band": band}
        )
    first_b = raw.first_s[:, berdyansk]
    table.append(
        f"| convoy passes Berdyansk on 14 March | yes | Interfax-Ukraine, 14 Mar | "
        f"first car there {np.percentile(first_b, 50) / 3600:.1f} h after the exit opened; "
        f"{(first_b < end_14).mean():.0%} of runs the same day | agrees | | |"
    )
    fit_rows = [
        "| counted | time | observed | expected by the fit | z | source |",
        "|---|---|---|---|---|---|",
    ]
    for o, r in zip(FIT, cal["observations"], strict=True):
        fit_rows.append(
            f"| {o.what} | {r['at']} | {o.vehicles:,.0f} | {r['expected']:,} | {r['z']} | {o.source} |"
        )
    t, dem, occ = cal["throughput_vph"], cal["demand"], cal["occupancy"]
    summary = [
        f"- exit throughput: {t['mean']} cars per open hour (90%: {t['p5']}-{t['p95']})",
        "- hours: "
        + ", ".join(f"{h} {p:.1%}" for h, p in cal["hours_posterior"].items() if p >= 0.001),
        f"- cars waiting at 13:00 on 14 March: {dem['pool_cars']['mean']:,.0f} (90%: "
        f"{dem['pool_cars']['p5']:,.0f}-{dem['pool_cars']['p95']:,.0f}); arriving a day: "
        f"{dem['arrivals_cars_per_day']['mean']:,.0f} (90%: {dem['arrivals_cars_per_day']['p5']:,.0f}-"
        f"{dem['arrivals_cars_per_day']['p95']:,.0f})",
        f"- people per car: {occ['mean']} (90%: {occ['p5']}-{occ['p95']})",
        f"- verdict: {cal['verdict']}",
    ]
    print(f"Machine: {machine()}; {args.runs} replications, seed {args.seed}\n")
    print("\n".join(fit_rows) + "\n\n" + "\n".join(summary) + "\n\n" + "\n".join(table))
    daily = [
        r for r in fc.as_dict()["daily"] if r["station"] in ("cp01-mariupol-exit", "zaporizhzhia")
    ]
    out = Path("benchmarks/results/validation.json")
    out.write_text(
        json.dumps(
            {
                "machine": machine(),
                "runs": args.runs,
                "seed": args.seed,
                "calibration": {k: v for k, v in cal.items() if k != "draws"},
                "comparisons": record,
                "daily": daily,
                "horizon_s": raw.horizon_s,
                "day_s": DAY,
            },
            indent=1,
            default=float,
        )
    )


if __name__ == "__main__":
    main()
