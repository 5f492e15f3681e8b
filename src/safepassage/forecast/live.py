"""Model estimates for the operations service, from the latest confirmed counts: refit the
calibration, then the wait a car joining a checkpoint's queue now can expect and when vehicles
leaving now reach each station. Everything returned is marked as a model estimate.

The service is meant to call `latest_estimates` on request or every N minutes with the confirmed
cumulative counts it holds for a checkpoint since it opened (and the queue and people counts
where reported); nothing here reads the operations log itself.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import numpy as np

from safepassage.errors import Problem, SafePassageError
from safepassage.forecast.calibrate import Observation, calibrate
from safepassage.model.instants import after, elapsed_s
from safepassage.model.prepare import PreparedScenario
from safepassage.model.scenario import parse_hours

#: Hours weighed besides the checkpoint's own and "always" (as `forecast calibrate --hours auto`).
AUTO_HOURS = ("06:00-22:00", "07:00-19:00", "08:00-18:00", "09:00-18:00")
MARK = "model estimate (calibrated forecast), not an observation"
#: A calibration that started longer ago than this gives no journeys and no demand's queue.
MAX_AGE_DAYS = 7


def refit(
    prepared: PreparedScenario,
    checkpoint: str,
    opened: datetime,
    counts: list[Observation],
    *,
    seed: int = 0,
) -> dict[str, Any]:
    """The calibration (as written by `forecast calibrate`) from confirmed counts."""
    by_id = {c.id: c for c in prepared.scenario.checkpoints}
    if checkpoint not in by_id:
        raise SafePassageError(
            Problem(
                f"checkpoint {checkpoint!r} is not in the scenario",
                hint=f"checkpoints: {', '.join(by_id)}",
            )
        )
    cp = by_id[checkpoint]
    candidates: list[tuple[time, time] | None] = []
    for text in (cp.open, "always", *AUTO_HOURS):
        hours = parse_hours(text)
        if hours not in candidates:
            candidates.append(hours)
    cal = calibrate(
        checkpoint,
        opened,
        sorted(counts, key=lambda o: o.at),
        candidates,
        cv=cp.inspection_s.sd / cp.inspection_s.mean,
        lanes=cp.lanes,
        seed=seed,
    )
    return cal.as_dict()


def latest_estimates(
    prepared: PreparedScenario,
    checkpoint: str,
    opened: datetime,
    counts: list[Observation],
    now: datetime,
    *,
    runs: int = 300,
    seed: int = 0,
) -> dict[str, Any]:
    """Refit from `counts`, then `estimates` at `now` with that calibration."""
    cal = refit(prepared, checkpoint, opened, counts, seed=seed)
    return estimates(prepared, cal, counts, now, runs=runs, seed=seed)


def estimates(
    prepared: PreparedScenario,
    cal: dict[str, Any],
    counts: list[Observation],
    now: datetime,
    *,
    runs: int = 300,
    seed: int = 0,
    demand_queue: bool = True,
) -> dict[str, Any]:
    """With calibration `cal` (as `refit` or `forecast calibrate` writes it), estimate at
    `now`: the wait at its checkpoint for a car joining its queue (the queue reported at `now`
    in `counts`, else, with `demand_queue`, the fitted demand's less the cars out in `counts`,
    over the drawn throughput), and the journey hours from the corridor's first station to
    every waypoint and the destination (a demand-mode forecast from the calibration's start).
    A calibration that started over MAX_AGE_DAYS before `now` gives neither the demand's queue
    nor journeys. Bands are P10 / P50 / P90; every figure is marked as a model estimate."""
    opened = datetime.fromisoformat(cal["opened"])
    draws = {k: np.asarray(v, dtype=np.float64) for k, v in cal["draws"].items()}
    recent = elapsed_s(opened, now) <= MAX_AGE_DAYS * 86400
    queued = [o for o in counts if o.what == "waiting" and o.at <= now]
    last_queue = max(queued, key=lambda o: o.at) if queued else None
    if last_queue is not None:
        queue = np.full(draws["throughput_vph"].shape, last_queue.vehicles)
        queue_source = "the last reported queue"
    elif "pool_cars" in draws and demand_queue and recent:
        # The fitted demand's queue now: arrived minus the most that could have passed.
        hours = elapsed_s(opened, now) / 3600
        arrived = draws["pool_cars"] + draws["arrivals_cars_per_day"] * hours / 24
        out = max((o.vehicles for o in counts if o.what == "out" and o.at <= now), default=0.0)
        queue = np.maximum(arrived - out, 0.0)
        queue_source = "the fitted demand less the cars reported through"
    else:
        queue = None
        queue_source = "no queue reported (and no recent fitted demand to stand for one)"
    wait = None
    if queue is not None:
        w = queue / draws["throughput_vph"]
        wait = {f"p{q}": round(float(np.percentile(w, q)), 2) for q in (10, 50, 90)}
    return {
        "kind": MARK,
        "at": now.isoformat(timespec="minutes"),
        "valid_until": after(now, 3600).isoformat(timespec="minutes"),
        "checkpoint": cal["checkpoint"],
        "wait_h": wait,
        "wait_from": queue_source,
        "wait_queue": (
            None
            if last_queue is None
            else {"vehicles": last_queue.vehicles, "at": last_queue.at.isoformat()}
        ),
        **(
            _journeys(prepared, cal, opened, now, runs, seed)
            if recent
            else {
                "journeys_from": None,
                "journeys_h": [],
                "journeys_note": f"the calibration started over {MAX_AGE_DAYS} days ago: "
                "refit it on recent counts for journey times",
            }
        ),
        "calibration": {k: v for k, v in cal.items() if k != "draws"},
        "runs": runs,
    }


def _journeys(
    prepared: PreparedScenario,
    cal: dict[str, Any],
    opened: datetime,
    now: datetime,
    runs: int,
    seed: int,
) -> dict[str, Any]:
    """Journey hours for vehicles leaving today and over all days (a demand-mode forecast
    from the calibration's start to the day after `now`)."""
    from safepassage.forecast import forecast_prepared

    days = max(1, (now.date() - opened.date()).days + 2)
    fc = forecast_prepared(
        prepared,
        runs=runs,
        seed=seed,
        calibration=cal,
        mode="demand",
        days=days,
        start=opened,
    )
    # Today's local date on the corridor's clock (a real-time difference from local midnight is
    # off by a day near midnight after a clock change).
    today = now.astimezone(fc.day0.tzinfo).date().isoformat()
    return {
        "journeys_from": fc.system.stations[0].id,
        "journeys_h": [
            {
                "to": j["to"],
                "leaving_today": next((d for d in j["days"] if d["date"] == today), None),
                "all": j["all"],
            }
            for j in fc.journeys()
        ],
    }
