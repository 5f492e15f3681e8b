"""Model estimates for the live state: which counts a refit may use (confirmed ones only), the
job a worker process runs (refit, then the wait and journey times of `forecast.live`), and the
figures the state shows. Every figure here is a model estimate, kept apart from the observed
figures: nothing here is added to, or mixed with, a count.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from safepassage.figures import Figure
from safepassage.figures.figure import BASIS_WORDS
from safepassage.figures.when import stamp, timed
from safepassage.forecast.calibrate import Observation

#: Only counts of these bases, and confirmed, are fitted on: never a party's claim, a
#: reconstruction or an assumption, whatever its status.
FIT_BASES = ("observed", "reported")
BASIS = "model_estimate"
NOTE = (
    "Model estimates (a forecast calibrated on confirmed counts), not observations: shown "
    "beside the observed figures and never added to or mixed with them."
)


@dataclass(frozen=True)
class Counts:
    """What a refit is fitted on: one source's confirmed counts at one checkpoint, as
    cumulative observations since `opened`, and why any confirmed count was left out."""

    checkpoint: str
    source: str | None
    opened: datetime | None
    observations: tuple[Observation, ...]
    left_out: tuple[str, ...] = ()

    @property
    def fittable(self) -> bool:
        return self.opened is not None and any(o.what == "out" for o in self.observations)


def _fit_worthy(f: Figure, checkpoint: str, now: datetime) -> bool:
    return (
        f.place == checkpoint
        and f.status.state == "confirmed"
        and f.basis in FIT_BASES
        and f.as_of <= now
    )


def confirmed_counts(
    figures: Iterable[Figure], checkpoint: str, now: datetime, opened: datetime | None = None
) -> Counts:
    """The confirmed counts of one source at `checkpoint` (the source with the most counts of
    vehicles out; sources are never added), as cumulative cars out, people out (while every
    count so far gave people) and queues. The counts must follow each other: the chain stops at
    the first gap. Counting starts at the first count's stated start, else at `opened`."""
    usable = [f for f in figures if _fit_worthy(f, checkpoint, now)]
    out: dict[str, list[Figure]] = defaultdict(list)
    for f in usable:
        if f.kind == "crossed" and f.unit == "vehicles" and f.span.kind == "interval":
            out[f.source.name].append(f)
    if not out:
        return Counts(checkpoint, None, None, (), ("no confirmed count of vehicles out",))
    source, chain = min(out.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    chain.sort(key=lambda f: (f.span.end, f.span.start or f.span.end))
    start = chain[0].span.start or (opened if opened and opened < chain[0].span.end else None)
    if start is None:
        why = f"the first confirmed count ({stamp(chain[0].span.end)}) states no interval start"
        return Counts(checkpoint, source, None, (), (why + ": when counting began is unknown",))
    people = {
        f.refs[:1]: f
        for f in usable
        if f.source.name == source and f.kind == "crossed" and f.unit == "people"
    }
    observations, left_out = _cumulative(chain, people, start)
    queues = [f for f in usable if f.kind == "waiting" and f.unit == "vehicles"]
    for f in queues:
        if f.source.name == source and start < f.as_of:  # the same source's queues
            observations.append(Observation(f.as_of, float(f.value.low or 0), source, "waiting"))
    others = sorted(set(out) - {source})
    if others:
        left_out.append(f"confirmed counts of other sources not fitted on: {', '.join(others)}")
    observations.sort(key=lambda o: (o.at, o.what))
    return Counts(checkpoint, source, start, tuple(observations), tuple(left_out))


def _cumulative(
    chain: list[Figure], people: dict[tuple[str, ...], Figure], start: datetime
) -> tuple[list[Observation], list[str]]:
    """Cars (and people) out since `start`, summed along counts that follow each other."""
    cars = folk = 0.0
    with_people = True
    end = start
    observations: list[Observation] = []
    left_out: list[str] = []
    for f in chain:
        begins = f.span.start or end  # no stated start: since the source's previous report
        if begins < end:
            left_out.append(f"count ending {stamp(f.span.end)} overlaps the one before")
            continue
        if begins > end:
            left_out.append(
                f"a gap in the counts from {stamp(end)} to {stamp(begins)}: "
                "later counts not fitted on"
            )
            break
        cars += f.value.low or 0
        p = people.get(f.refs[:1])
        with_people = with_people and p is not None
        folk += (p.value.low or 0) if p is not None else 0
        end = f.span.end
        if cars > 0:
            observations.append(Observation(end, cars, f.source.name, "out"))
        if with_people and folk > 0:
            observations.append(Observation(end, folk, f.source.name, "people"))
    return observations, left_out


def calibration_id(cal: dict[str, Any]) -> str:
    """A short, stable name of a calibration: the same counts and settings, the same id."""
    keep = {k: cal.get(k) for k in ("checkpoint", "opened", "hours_candidates", "observations")}
    digest = hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()
    return digest[:12]


@lru_cache(maxsize=8)
def _prepared(scenario: str) -> Any:
    from safepassage.model.prepare import prepare_scenario

    return prepare_scenario(scenario, cut_off="warning")


def worker_init() -> None:
    """The worker process runs one forecast thread: the server's cores are for requests."""
    import numba

    numba.set_num_threads(1)


def run_job(
    scenario: str,
    saved: dict[str, Any] | None,
    counts: Counts,
    now: datetime,
    runs: int,
    seed: int = 0,
) -> dict[str, Any]:
    """In the worker process: refit on `counts` (or take the `saved` calibration), then the
    estimates at `now` (`forecast.live.estimates`), with the calibration's id and throughput
    P10 / P50 / P90."""
    import numpy as np

    from safepassage.forecast.live import estimates, refit

    prepared = _prepared(scenario)
    if saved is None:
        assert counts.opened is not None
        cal = refit(
            prepared, counts.checkpoint, counts.opened, list(counts.observations), seed=seed
        )
    else:
        cal = saved
    # A saved calibration counted from its own start: the live counts' cumulative cars out
    # are from another, so only their queues are used with it.
    observed = [o for o in counts.observations if saved is None or o.what == "waiting"]
    out = estimates(prepared, cal, observed, now, runs=runs, seed=seed, demand_queue=saved is None)
    vph = np.asarray(cal["draws"]["throughput_vph"], dtype=np.float64)
    out["calibration"]["id"] = calibration_id(cal)
    out["calibration"]["throughput_vph_band"] = {
        f"p{q}": round(float(np.percentile(vph, q)), 1) for q in (10, 50, 90)
    }
    return out


# -- the figures the state shows --------------------------------------------------------------


def _band(hours: dict[str, Any] | None) -> dict[str, float] | None:
    if not hours or any(hours.get(k) is None for k in ("p10", "p50", "p90")):
        return None
    return {k: float(hours[k]) for k in ("p10", "p50", "p90")}


def _common(cal: dict[str, Any], at: datetime, zone: str, counts: int) -> dict[str, Any]:
    """What every model figure says: basis, status, source and as-of."""
    return {
        "basis": BASIS,
        "basis_text": BASIS_WORDS[BASIS],
        "status": {
            "state": "unverified",
            "text": f"not verified: a model estimate fitted on {counts} confirmed count(s)",
        },
        "source": {
            "name": f"safepassage model, calibration {cal['id']}",
            "party": False,
            "via": None,
            "reporter": None,
        },
        "calibration": cal["id"],
        "as_of": timed(at, zone),
        "zone": zone,
    }


def _wait(est: dict[str, Any], at: datetime, zone: str, counts: int) -> list[dict[str, Any]]:
    band = _band(est.get("wait_h"))
    if band is None:
        return []
    cp = est["checkpoint"]
    cal = est["calibration"]
    queue = est.get("wait_queue")
    seen = (
        f"the last confirmed queue ({queue['vehicles']:,.0f} vehicles at {stamp(queue['at'], zone)})"
        if queue
        else est["wait_from"]
    )
    return [
        {
            "what": {"kind": "wait", "unit": "hours", "place": cp},
            **band,
            "text": (
                f"MODEL ESTIMATE: a vehicle joining the queue at {cp} at {stamp(at, zone)} waits "
                f"about {band['p50']:.1f} h (P10-P90 {band['p10']:.1f} to {band['p90']:.1f} h); "
                "not an observation"
            ),
            "method": (f"{seen} over the throughput of calibration {cal['id']} (one draw each)"),
            **_common(cal, at, zone, counts),
        }
    ]


def _etas(est: dict[str, Any], at: datetime, zone: str, counts: int) -> list[dict[str, Any]]:
    out = []
    origin = est.get("journeys_from")
    for j in est.get("journeys_h", []):
        today = j.get("leaving_today")
        band = _band((today or j["all"]).get("median"))
        if band is None:
            continue
        which = "leaving today" if today else "over the forecast's days"
        etas = {k: timed(at + timedelta(hours=v), zone) for k, v in band.items()}
        out.append(
            {
                "what": {"kind": "journey", "unit": "hours", "place": j["to"], "from": origin},
                **band,
                "eta": etas,
                "text": (
                    f"MODEL ESTIMATE: a vehicle leaving {origin} at {stamp(at, zone)} reaches "
                    f"{j['to']} about {stamp(at + timedelta(hours=band['p50']), zone)} (P10-P90 "
                    f"{band['p10']:.1f} to {band['p90']:.1f} h on the way); not an observation"
                ),
                "method": (
                    f"journey of the median vehicle {which} in a demand-mode forecast "
                    f"({est['runs']} runs) with calibration {est['calibration']['id']}"
                ),
                **_common(est["calibration"], at, zone, counts),
            }
        )
    return out


def figures(est: dict[str, Any], zone: str) -> dict[str, Any]:
    """The state's model figures of one estimate: waits and journey times with ETAs."""
    at = datetime.fromisoformat(est["at"])
    counts = len(est["calibration"].get("observations", []))
    return {
        "waits": _wait(est, at, zone, counts),
        "etas": _etas(est, at, zone, counts),
        "etas_note": est.get("journeys_note"),
    }


def calibration_view(
    est: dict[str, Any], origin: str, fitted_at: datetime, zone: str, counts: Counts | None
) -> dict[str, Any]:
    """Which calibration the figures use: its id, when and on what it was fitted."""
    cal = est["calibration"]
    observations = cal.get("observations", [])
    return {
        "id": cal["id"],
        "origin": origin,
        "fitted_at": timed(fitted_at, zone),
        "checkpoint": cal["checkpoint"],
        "counts": len(observations),
        "counts_up_to": (
            timed(max(datetime.fromisoformat(o["at"]) for o in observations), zone)
            if observations
            else None
        ),
        "counting_from": timed(cal["opened"], zone),
        "source_of_counts": counts.source if counts else None,
        "left_out": list(counts.left_out) if counts else [],
        "throughput_vph": cal["throughput_vph_band"],
        "hours": cal.get("hours"),
        "consistent": cal.get("consistent"),
        "verdict": cal.get("verdict"),
    }
