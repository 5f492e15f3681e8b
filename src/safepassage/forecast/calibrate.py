"""Fit a checkpoint's throughput, opening hours, the demand behind it and the people per vehicle
from observed counts ("160 cars in the first two hours", "2,000 out by 14:00 and 2,000 more
waiting", "20,000 people in 4,000 cars"), with their uncertainty.

Model (a fluid queue with renewal noise): cars join the queue as a pool P waiting when counting
starts plus a steady lambda per second; the checkpoint passes mu per open second while a queue
waits. Cars out by t: D(t) = min over s <= t of [A(s) + mu * (O(t) - O(s))] (A: cars arrived,
O: open seconds under the hours), the departure curve of a queue with a capacity of mu per open
second; waiting at t: A(t) - D(t). A count is about normal around its expectation with variance
expected * cv^2 (renewal central limit theorem, cv: the inspection time's) plus a relative
reporting error (reported counts are rounded). People counts are occupancy x cars out.

The posterior is sampled by adaptive importance sampling (a prior sample, then Gaussian
proposals refitted to the weighted sample, one per candidate hours) and kept as equally weighted
draws; the forecast picks draws uniformly, so it reproduces the fitted means without bias. The
demand is fitted only when queue counts (`waiting`) are given (without them it is not
identified: the checkpoint is taken as saturated); occupancy only when people are counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safepassage.errors import Problem, SafePassageError
from safepassage.model.instants import elapsed_s

#: Equally weighted posterior draws kept in a calibration.
DRAWS = 4000
_PRIOR_POOL = (1.0, 1e6)  # cars waiting when counting starts (log-uniform)
_PRIOR_RATE = (1.0, 1e6)  # cars arriving per day (log-uniform)
_PRIOR_OCCUPANCY = (1.0, 10.0)  # people per car (uniform)


@dataclass(frozen=True)
class Observation:
    """A cumulative count since counting started: `what` is out (cars through), waiting (cars
    queued at that moment) or people (people through)."""

    at: datetime
    vehicles: float
    source: str | None = None
    what: str = "out"


def open_seconds(start: datetime, end: datetime, hours: tuple[time, time] | None) -> float:
    """Seconds between `start` and `end` during which daily `hours` are open (local time)."""
    if elapsed_s(start, end) <= 0:
        return 0.0
    if hours is None:
        return elapsed_s(start, end)
    total = 0.0
    for lo, hi in _open_spans(start, end, hours):
        total += elapsed_s(lo, hi)  # as time passes: 10 h open on a day the clocks change
    return total


def _open_spans(
    start: datetime, end: datetime, hours: tuple[time, time]
) -> list[tuple[datetime, datetime]]:
    """The open intervals of daily `hours` inside [start, end]."""
    opens, closes = hours
    out = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while _utc(day) < _utc(end):
        a = day.replace(hour=opens.hour, minute=opens.minute)
        b = (
            day + timedelta(days=1)
            if closes == time(0, 0)
            else day.replace(hour=closes.hour, minute=closes.minute)
        )
        spans = [(a, b)] if a < b else [(day, b), (a, day + timedelta(days=1))]
        for lo, hi in spans:
            # On instants: in the repeated autumn hour two moments share a wall clock, and
            # Python compares datetimes of one zone on their wall clocks.
            lo, hi = max(lo, start, key=_utc), min(hi, end, key=_utc)
            if _utc(hi) > _utc(lo):
                out.append((lo, hi))
        day += timedelta(days=1)
    return out


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def hours_text(hours: tuple[time, time] | None) -> str:
    return "always" if hours is None else "-".join(h.strftime("%H:%M") for h in hours)


@dataclass
class _Grid:
    """For one candidate of hours: the moments where the fluid queue's minimum can fall (the
    start, every closing, every observation) with the open seconds up to each."""

    s: NDArray[np.float64]  # seconds since counting started
    open_s: NDArray[np.float64]
    obs_index: list[int]  # position of each observation in s


def _grid(
    opened: datetime, observations: list[Observation], hours: tuple[time, time] | None
) -> _Grid:
    last = max((o.at for o in observations), key=_utc)
    # Keyed by instant: two moments in the repeated autumn hour are equal as datetimes.
    moments = {_utc(m): m for m in (opened, *(o.at for o in observations))}
    if hours is not None:
        moments.update((_utc(hi), hi) for _, hi in _open_spans(opened, last, hours))
    keys = sorted(k for k in moments if k <= _utc(last))
    ordered = [moments[k] for k in keys]
    s = np.array([elapsed_s(opened, m) for m in ordered])
    o = np.array([open_seconds(opened, m, hours) for m in ordered])
    return _Grid(s, o, [keys.index(_utc(ob.at)) for ob in observations])


@dataclass
class Calibration:
    checkpoint: str
    opened: datetime
    candidates: list[tuple[time, time] | None]
    observations: list[Observation]
    cv: float
    reporting_error: float
    lanes: int
    draws: dict[str, NDArray[np.float64]]  # throughput_vph, hours (index), pool_cars, ...
    fits_demand: bool
    fits_occupancy: bool
    ess: float
    expected: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))  # (draws, obs)

    @property
    def mean_vph(self) -> float:
        return float(self.draws["throughput_vph"].mean())

    def interval(self, name: str, level: float = 0.9) -> tuple[float, float]:
        lo, hi = np.percentile(self.draws[name], (50 - 50 * level, 50 + 50 * level))
        return float(lo), float(hi)

    def hours_posterior(self) -> dict[str, float]:
        counts = np.bincount(self.draws["hours"].astype(int), minlength=len(self.candidates))
        return {
            hours_text(h): round(float(c) / counts.sum(), 4)
            for h, c in zip(self.candidates, counts, strict=True)
        }

    @property
    def hours(self) -> tuple[time, time] | None:
        """The most probable hours."""
        counts = np.bincount(self.draws["hours"].astype(int), minlength=len(self.candidates))
        return self.candidates[int(counts.argmax())]

    def residuals(self) -> list[dict[str, Any]]:
        rows = []
        paired = _pairs(self.observations)
        for j, o in enumerate(self.observations):
            e = self.expected[:, j]
            mean = float(e.mean())
            noise = mean * self.cv**2 if o.what != "people" else 0.0
            both = 2.0 if paired[j] is not None else 1.0
            sd = math.sqrt(
                float(e.var()) + noise + both * (self.reporting_error * o.vehicles) ** 2 + 1
            )
            rows.append(
                {
                    "at": o.at.isoformat(timespec="minutes"),
                    "what": o.what,
                    "observed": o.vehicles,
                    "expected": round(mean),
                    "z": round((o.vehicles - mean) / sd, 2),
                    "source": o.source,
                }
            )
        return rows

    @property
    def consistent(self) -> bool:
        """No observation further than 2 standard deviations from what the fit expects."""
        return all(abs(r["z"]) <= 2.0 for r in self.residuals())

    def _summary(self, name: str, digits: int = 1) -> dict[str, float]:
        lo, hi = self.interval(name)
        mean = float(self.draws[name].mean())
        return {"mean": round(mean, digits), "p5": round(lo, digits), "p95": round(hi, digits)}

    def as_dict(self) -> dict[str, Any]:
        vph = self.draws["throughput_vph"]
        per_lanes = {}
        for c in (1, 2, 3, 4):
            s = 3600.0 * c / vph
            per_lanes[str(c)] = {
                "mean": round(float(s.mean()), 1),
                "p5": round(float(np.percentile(s, 5)), 1),
                "p95": round(float(np.percentile(s, 95)), 1),
            }
        return {
            "kind": "safepassage calibration",
            "version": 2,
            "checkpoint": self.checkpoint,
            "opened": self.opened.isoformat(timespec="minutes"),
            "scenario_lanes": self.lanes,
            "hours": hours_text(self.hours),
            "hours_posterior": self.hours_posterior(),
            "throughput_vph": self._summary("throughput_vph"),
            "inspection_mean_s_by_lanes": per_lanes,
            "demand": (
                {
                    "pool_cars": self._summary("pool_cars", 0),
                    "arrivals_cars_per_day": self._summary("arrivals_cars_per_day", 0),
                }
                if self.fits_demand
                else None
            ),
            "occupancy": self._summary("occupancy", 2) if self.fits_occupancy else None,
            "inspection_cv": self.cv,
            "reporting_error": self.reporting_error,
            "observations": self.residuals(),
            "consistent": self.consistent,
            "verdict": (
                "the observations agree with the fitted queue"
                if self.consistent
                else "some observations disagree with one constant throughput under these hours "
                "and this demand: check the hours, whether the checkpoint was saturated, and "
                "whether the counts count the same thing"
            ),
            "effective_sample_size": round(self.ess),
            "hours_candidates": [hours_text(h) for h in self.candidates],
            "draws": {k: [round(float(x), 4) for x in v] for k, v in self.draws.items()},
            "model": "fluid queue (pool + steady arrivals, capacity while open) with renewal "
            "noise; adaptive importance sampling; log-uniform priors on throughput, pool and "
            "arrivals, uniform on occupancy (1-10) and on the candidate hours",
        }


def _check(opened: datetime, observations: list[Observation]) -> None:
    if not any(o.what == "out" for o in observations):
        raise SafePassageError(
            Problem("calibration needs at least one count of cars out", hint="give --count")
        )
    for o in observations:
        if o.at <= opened:
            raise SafePassageError(
                Problem(
                    f"count at {o.at.isoformat(timespec='minutes')}: not after counting started "
                    f"({opened.isoformat(timespec='minutes')})",
                    hint="check --from and the count's time",
                )
            )
        if o.vehicles < 0 or (o.what != "waiting" and o.vehicles <= 0):
            raise SafePassageError(
                Problem(f"count at {o.at.isoformat()}: {o.what} must be positive")
            )


def _pairs(observations: list[Observation]) -> list[float | None]:
    """For each people count, the count of cars out reported for the same moment (people per
    car is then their ratio, whatever the queue did), else None."""
    cars = {o.at: o.vehicles for o in observations if o.what == "out"}
    return [cars.get(o.at) if o.what == "people" else None for o in observations]


def _loglike(
    theta: NDArray[np.float64],
    h: NDArray[np.int64],
    grids: list[_Grid],
    observations: list[Observation],
    cv: float,
    err: float,
    fits_demand: bool,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Log-likelihood of each draw (theta: log mu per s, log pool, log lambda per s,
    occupancy) and the expected value of every observation."""
    n = theta.shape[0]
    mu = np.exp(theta[:, 0])
    expected = np.zeros((n, len(observations)))
    paired = _pairs(observations)
    for c, g in enumerate(grids):
        rows = np.nonzero(h == c)[0]
        if rows.size == 0:
            continue
        m = mu[rows, None]
        out_cap = m * g.open_s[None, :]
        if fits_demand:
            pool = np.exp(theta[rows, 1])[:, None]
            lam = np.exp(theta[rows, 2])[:, None]
            slack = np.minimum.accumulate(pool + lam * g.s[None, :] - out_cap, axis=1)
            out = out_cap + np.minimum(slack, 0.0)
            arrived = pool + lam * g.s[None, :]
        else:
            out, arrived = out_cap, out_cap
        for j, o in enumerate(observations):
            i = g.obs_index[j]
            if o.what == "out":
                expected[rows, j] = out[:, i]
            elif o.what == "waiting":
                expected[rows, j] = arrived[:, i] - out[:, i]
            elif paired[j] is not None:
                expected[rows, j] = theta[rows, 3] * paired[j]
            else:
                expected[rows, j] = theta[rows, 3] * out[:, i]
    ll = np.zeros(n)
    for j, o in enumerate(observations):
        e = expected[:, j]
        noise = np.maximum(e, 0.0) * cv**2 if o.what != "people" else 0.0
        # A people count beside a car count: the ratio carries both reporting errors.
        both = 2.0 if paired[j] is not None else 1.0
        var = noise + both * (err * o.vehicles) ** 2 + 1.0
        ll += -0.5 * (o.vehicles - e) ** 2 / var - 0.5 * np.log(var)
    return ll, expected


def _fit_hours(
    c: int,
    grids: list[_Grid],
    observations: list[Observation],
    cv: float,
    err: float,
    fits_demand: bool,
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    active: NDArray[np.bool_],
    rng: np.random.Generator,
    samples: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """Adaptive importance sampling of the parameters under hours candidate c: a prior sample,
    then four rounds of a Gaussian refitted to the weighted sample (its spread doubled) mixed
    with the prior (one part in ten, so no region the prior allows is left out). Returns the
    sample, its normalised weights and the log evidence times the prior box's volume."""
    dims = int(active.sum())
    h = np.full(samples, c)
    theta = rng.uniform(lo, hi, (samples, 4))
    ll, _ = _loglike(theta, h, grids, observations, cv, err, fits_demand)
    logw = ll.copy()
    log_box = float(np.log(hi - lo)[active].sum())
    for _ in range(4):
        w = np.exp(logw - logw.max())
        w /= w.sum()
        x = theta[:, active]
        mean = np.average(x, axis=0, weights=w)
        cov = np.atleast_2d(np.cov(x.T, aweights=w + 1e-300)) * 4.0 + np.eye(dims) * 1e-8
        theta = rng.uniform(lo, hi, (samples, 4))
        gauss = rng.random(samples) >= 0.1
        theta[np.ix_(gauss, active)] = rng.multivariate_normal(mean, cov, int(gauss.sum()))
        d = theta[:, active] - mean
        log_n = -0.5 * np.einsum("ij,jk,ik->i", d, np.linalg.inv(cov), d) - 0.5 * float(
            np.linalg.slogdet(2 * np.pi * cov)[1]
        )
        log_q = np.logaddexp(np.log(0.1) - log_box, np.log(0.9) + log_n)
        inside = ((theta >= lo) & (theta <= hi))[:, active].all(axis=1)
        ll, _ = _loglike(theta, h, grids, observations, cv, err, fits_demand)
        # Importance weight: likelihood x prior density (uniform on the box) / proposal.
        logw = np.where(inside, ll - log_box - log_q, -np.inf)
    top = float(logw.max())
    w = np.exp(logw - top)
    log_z = top + float(np.log(w.mean())) + log_box
    return theta, w / w.sum(), log_z


def calibrate(
    checkpoint: str,
    opened: datetime,
    observations: list[Observation],
    candidates: list[tuple[time, time] | None],
    *,
    cv: float,
    lanes: int = 1,
    reporting_error: float = 0.1,
    seed: int = 0,
    samples: int = 100_000,
) -> Calibration:
    """The posterior of throughput, hours, demand and occupancy given the counts."""
    _check(opened, observations)
    rng = np.random.default_rng(seed)
    fits_demand = any(o.what == "waiting" for o in observations)
    fits_occ = any(o.what == "people" for o in observations)
    grids = [_grid(opened, observations, h) for h in candidates]
    rates = [
        o.vehicles / max(open_seconds(opened, o.at, None), 1.0)
        for o in observations
        if o.what == "out"
    ]
    # Prior box: throughput from a fifth of the slowest average rate to fifteen times the
    # fastest (hours can concentrate the work), pool and arrivals log-uniform, occupancy uniform.
    lo = np.array(
        [
            math.log(min(rates) / 5),
            math.log(_PRIOR_POOL[0]),
            math.log(_PRIOR_RATE[0] / 86400),
            _PRIOR_OCCUPANCY[0],
        ]
    )
    hi = np.array(
        [
            math.log(max(rates) * 15),
            math.log(_PRIOR_POOL[1]),
            math.log(_PRIOR_RATE[1] / 86400),
            _PRIOR_OCCUPANCY[1],
        ]
    )
    active = np.array([True, fits_demand, fits_demand, fits_occ])
    log_volume = float(np.log(hi - lo)[active].sum())
    fits = [
        _fit_hours(
            c, grids, observations, cv, reporting_error, fits_demand, lo, hi, active, rng, samples
        )
        for c in range(len(candidates))
    ]
    # Posterior of the hours: each one's evidence (equal prior weight), from its own sampler.
    log_z = np.array([f[2] for f in fits]) - log_volume
    post = np.exp(log_z - log_z.max())
    post /= post.sum()
    counts = np.diff(np.floor(np.cumsum(np.concatenate(([0.0], post))) * DRAWS + 0.5)).astype(int)
    parts_theta, parts_h, ess = [], [], []
    for c, (theta_c, w_c, _) in enumerate(fits):
        if counts[c] == 0:
            continue
        picks = np.searchsorted(np.cumsum(w_c), (rng.uniform() + np.arange(counts[c])) / counts[c])
        parts_theta.append(theta_c[np.minimum(picks, w_c.shape[0] - 1)])
        parts_h.append(np.full(counts[c], c))
        if post[c] > 0.01:
            ess.append(1.0 / float((w_c**2).sum()))
    theta, h = np.concatenate(parts_theta), np.concatenate(parts_h)
    _, expected = _loglike(theta, h, grids, observations, cv, reporting_error, fits_demand)
    draws = {
        "throughput_vph": np.exp(theta[:, 0]) * 3600.0,
        "hours": h.astype(np.float64),
    }
    if fits_demand:
        draws["pool_cars"] = np.exp(theta[:, 1])
        draws["arrivals_cars_per_day"] = np.exp(theta[:, 2]) * 86400.0
    if fits_occ:
        draws["occupancy"] = theta[:, 3].copy()
    return Calibration(
        checkpoint=checkpoint,
        opened=opened,
        candidates=candidates,
        observations=observations,
        cv=cv,
        reporting_error=reporting_error,
        lanes=lanes,
        draws=draws,
        fits_demand=fits_demand,
        fits_occupancy=fits_occ,
        ess=min(ess),
        expected=expected,
    )
