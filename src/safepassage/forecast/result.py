"""What a forecast says: per day and station vehicles and people (P10 / P50 / P90), where every
vehicle stands at the horizon (arrived, waiting, held, lost), vehicles held or lost per
checkpoint, journey times, overnight stops, arrival-time quantiles per station and queues over
time; its JSON form is the CLI's --json. Every band is P10-P90 around a median: no means."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safepassage.forecast.clock import local_midnight
from safepassage.forecast.engine import RawResults
from safepassage.forecast.system import CorridorSystem
from safepassage.model.instants import after, elapsed_s

PERCENTILES = (10, 50, 90)
FATES = ("arrived", "waiting", "held", "lost")


def quantiles(values: NDArray[np.float64], digits: int = 0) -> dict[str, float | None]:
    """P10 / P50 / P90 across replications (NaN, a vehicle that never got there, left out)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"p10": None, "p50": None, "p90": None}
    p = np.percentile(finite, PERCENTILES)
    return {f"p{q}": round(float(v), digits) for q, v in zip(PERCENTILES, p, strict=True)}


def _counts(values: NDArray[np.float64]) -> dict[str, int]:
    p = np.percentile(values, PERCENTILES)
    return {f"p{q}": round(float(v)) for q, v in zip(PERCENTILES, p, strict=True)}


@dataclass
class Forecast:
    system: CorridorSystem
    raw: RawResults
    runs: int
    seed: int
    calibration: dict[str, Any] | None = None
    plan_people_out_by_window_end: float | None = None
    mode: str = "plan"
    zone: str = "UTC"
    assumptions: list[str] = field(default_factory=list)
    demand: dict[str, Any] | None = None  # what the demand mode drew (summaries)

    def when(self, seconds: float) -> str:
        """The local time `seconds` after the start (on instants: a clock change moves it)."""
        return after(self.system.start, float(seconds)).isoformat(timespec="minutes")

    def _q(self, values: NDArray[np.float64]) -> dict[str, str | None]:
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return {"p10": None, "p50": None, "p90": None}
        p = np.percentile(finite, PERCENTILES)
        return {f"p{q}": self.when(v) for q, v in zip(PERCENTILES, p, strict=True)}

    @property
    def p_window_suffices(self) -> float:
        """Share of replications in which every vehicle passed the "out" station by the
        window's end."""
        out = self.system.out_index
        return float(np.mean(self.raw.last_s[:, out] <= self.system.window_end_s))

    def stations(self) -> list[dict[str, Any]]:
        rows = []
        for k, s in enumerate(self.system.stations):
            rows.append(
                {
                    "id": s.id,
                    "kind": s.kind,
                    "lanes": s.lanes or None,
                    "first": self._q(self.raw.first_s[:, k]),
                    "median": self._q(self.raw.median_s[:, k]),
                    "last": self._q(self.raw.last_s[:, k]),
                }
            )
        return rows

    @property
    def day0(self) -> datetime:
        return local_midnight(self.system.start, 0)

    def date(self, d: int) -> str:
        return (self.system.start.date() + timedelta(days=d)).isoformat()

    def hours_covered(self, d: int) -> float:
        """Hours of local day d inside the forecast (start to horizon); a local day of a clock
        change has 23 or 25."""
        start = self.system.start
        lo = max(elapsed_s(start, local_midnight(start, d)), 0.0)
        hi = min(elapsed_s(start, local_midnight(start, d + 1)), self.raw.horizon_s)
        return round(max(hi - lo, 0.0) / 3600, 2)

    def daily(self) -> list[dict[str, Any]]:
        """Vehicles and people passing each station per local day up to the horizon (P10 /
        P50 / P90); `hours`: how much of the day the forecast covers."""
        rows = []
        for d in range(self.raw.day_vehicles.shape[2]):
            covered = self.hours_covered(d)
            if covered <= 0:
                continue
            for k, s in enumerate(self.system.stations):
                rows.append(
                    {
                        "date": self.date(d),
                        "hours": covered,
                        "station": s.id,
                        "vehicles": _counts(self.raw.day_vehicles[:, k, d]),
                        "people": _counts(self.raw.day_people[:, k, d]),
                    }
                )
        return rows

    def fate(self) -> dict[str, Any]:
        """Where the demand stands at the horizon: vehicles and people (P10 / P50 / P90)."""
        f = self.raw.fate
        out: dict[str, Any] = {"at": self.when(self.raw.horizon_s)}
        out["demand"] = {
            "vehicles": _counts(f[:, :, 0].sum(axis=1)),
            "people": _counts(f[:, :, 1].sum(axis=1)),
        }
        for i, name in enumerate(FATES):
            out[name] = {"vehicles": _counts(f[:, i, 0]), "people": _counts(f[:, i, 1])}
        return out

    def held_or_lost(self) -> list[dict[str, Any]]:
        """Per checkpoint where vehicles can be held or lost: how many were, by the horizon."""
        rows = []
        for k, s in enumerate(self.system.stations):
            h, lo = self.raw.held[:, k, :], self.raw.lost[:, k, :]
            if not (h.any() or lo.any()):
                continue
            rows.append(
                {
                    "station": s.id,
                    "held": {"vehicles": _counts(h[:, 0]), "people": _counts(h[:, 1])},
                    "lost": {"vehicles": _counts(lo[:, 0]), "people": _counts(lo[:, 1])},
                }
            )
        return rows

    def journeys(self) -> list[dict[str, Any]]:
        """Hours from the first station to each waypoint and the destination for the first,
        median and last vehicle to leave each day, and of all (P10 / P50 / P90)."""
        out = []
        j = self.raw.journey_s / 3600.0
        n_days = j.shape[2] - 1
        for row, k in enumerate(self.raw.journey_stations):

            def trio(d: int, row: int = row) -> dict[str, dict[str, float | None]]:
                return {w: quantiles(j[:, row, d, i], 2) for i, w in enumerate(WHICH)}

            days = [
                {"date": self.date(d), **trio(d)}
                for d in range(n_days)
                if np.isfinite(j[:, row, d, 0]).mean() >= 0.5
            ]
            out.append({"to": self.system.stations[k].id, "all": trio(n_days), "days": days})
        return out

    def overnight(self) -> list[dict[str, Any]]:
        return [
            {"stop": s.id, "share_staying": quantiles(self.raw.night[:, k], 3)}
            for k, s in enumerate(self.system.stations)
            if s.overnight_stop and self.system.spec.drive_hours
        ]

    def queues(self) -> list[dict[str, Any]]:
        """Vehicles waiting or in inspection at each checkpoint over time (P50 and P90)."""
        out = []
        for row, k in enumerate(self.raw.checkpoint_stations):
            q = self.raw.queue[:, row, :]
            p50, p90 = np.percentile(q, (50, 90), axis=0)
            out.append(
                {
                    "id": self.system.stations[k].id,
                    "max_p90": int(p90.max()),
                    "t": [self.when(t) for t in self.raw.sample_t_s],
                    "p50": [int(v) for v in p50],
                    "p90": [int(v) for v in p90],
                }
            )
        return out

    def headline(self) -> dict[str, Any]:
        dest = len(self.system.stations) - 1
        first = self._q(self.raw.first_s[:, dest])
        name = self.system.stations[dest].id
        return {
            "first_at_destination": first,
            "sentence": (
                f"The first cars reach {name} at {first['p50']} "
                f"(P10-P90 {first['p10']} to {first['p90']}, {self.zone})."
                if first["p50"]
                else f"No vehicle reaches {name} in the simulation."
            ),
        }

    def as_dict(self) -> dict[str, Any]:
        s = self.system
        out = s.stations[s.out_index]
        d: dict[str, Any] = {
            "scenario": s.name,
            "mode": self.mode,
            "runs": self.runs,
            "seed": self.seed,
            "zone": self.zone,
            "start": self.when(0),
            "horizon_end": self.when(self.raw.horizon_s),
            "headline": self.headline(),
            "calibration": _calibration_summary(self.calibration),
            "daily": self.daily(),
            "fate_at_horizon": self.fate(),
            "held_or_lost": self.held_or_lost(),
            "journeys_h": self.journeys(),
            "overnight": self.overnight(),
            "stations": self.stations(),
            "queues": self.queues(),
            "out_at": out.id,
            "not_simulated": s.left_out,
            "assumptions": self.assumptions,
            "demand": self.demand,
            "notes": [
                f"Dates and times are local to {self.zone}; every band is P10-P90 across "
                "replications around the median (P50).",
                "A forecast under stated uncertainties, not an observation.",
            ],
        }
        if self.mode == "plan":
            people = self.raw.out_people
            d["vehicles"] = s.n_vehicles
            d["people"] = round(float(s.people.sum()))
            d["window"] = {"start": self.when(0), "end": self.when(s.window_end_s)}
            d["p_window_suffices"] = round(self.p_window_suffices, 4)
            d["people_out_by_window_end"] = _counts(people)
            d["plan_people_out_by_window_end"] = self.plan_people_out_by_window_end
            d["plan_egress"] = None if s.plan_egress_s is None else self.when(s.plan_egress_s)
        return d


WHICH = ("first", "median", "last")


def _calibration_summary(cal: dict[str, Any] | None) -> dict[str, Any] | None:
    """The calibration a forecast used, without its draws."""
    if cal is None:
        return None
    return {k: v for k, v in cal.items() if k != "draws"}
