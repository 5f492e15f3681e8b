"""What a forecast says: arrival-time quantiles per station, people per day, the chance that
the window suffices, queue lengths over time; its JSON form is the CLI's --json."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safepassage.forecast.engine import RawResults
from safepassage.forecast.system import CorridorSystem

PERCENTILES = (10, 50, 90)


@dataclass
class Forecast:
    system: CorridorSystem
    raw: RawResults
    runs: int
    seed: int
    calibration: dict[str, Any] | None = None
    plan_people_out_by_window_end: float | None = None

    def when(self, seconds: float) -> str:
        return (self.system.start + timedelta(seconds=float(seconds))).isoformat(timespec="minutes")

    def _q(self, values: NDArray[np.float64]) -> dict[str, str]:
        p = np.percentile(values, PERCENTILES)
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

    def people_per_day(self, station: int) -> list[dict[str, Any]]:
        """People through `station` per local calendar day: mean and P10-P90."""
        start: datetime = self.system.start
        day0 = start.replace(hour=0, minute=0, second=0, microsecond=0)
        counts = self.raw.per_day[:, station, :]
        rows = []
        for d in range(counts.shape[1]):
            col = counts[:, d]
            if not col.any():
                continue
            p10, p90 = np.percentile(col, (10, 90))
            rows.append(
                {
                    "date": (day0 + timedelta(days=d)).date().isoformat(),
                    "mean": round(float(col.mean())),
                    "p10": round(float(p10)),
                    "p90": round(float(p90)),
                }
            )
        return rows

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

    def as_dict(self) -> dict[str, Any]:
        s = self.system
        out = s.stations[s.out_index]
        people = self.raw.out_people
        p10, p50, p90 = np.percentile(people, PERCENTILES)
        dest = len(s.stations) - 1
        return {
            "scenario": s.name,
            "runs": self.runs,
            "seed": self.seed,
            "vehicles": s.n_vehicles,
            "people": round(float(s.people.sum())),
            "window": {"start": self.when(0), "end": self.when(s.window_end_s)},
            "out_at": out.id,
            "p_window_suffices": round(self.p_window_suffices, 4),
            "people_out_by_window_end": {
                "p10": round(float(p10)),
                "p50": round(float(p50)),
                "p90": round(float(p90)),
            },
            "plan_people_out_by_window_end": self.plan_people_out_by_window_end,
            "plan_egress": None if s.plan_egress_s is None else self.when(s.plan_egress_s),
            "stations": self.stations(),
            "people_per_day": {
                "station": s.stations[dest].id,
                "days": self.people_per_day(dest),
            },
            "exit_people_per_day": {
                "station": s.stations[0].id,
                "days": self.people_per_day(0),
            },
            "queues": self.queues(),
            "settings": s.spec.model_dump(mode="json", exclude_none=True),
            "calibration": self.calibration,
            "not_simulated": s.left_out,
            "notes": [
                "Times are local to the scenario's zone; quantiles are across replications.",
                "A forecast of a plan under the scenario's stated uncertainties, not an observation.",
            ],
        }
