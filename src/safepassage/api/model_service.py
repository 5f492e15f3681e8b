"""The service's model estimates: per corridor the latest calibration and the wait and journey
times it gives, from a saved calibration at start, refit from confirmed counts on a
coordinator's request or every N minutes. The work runs in one worker process (spawned, one
forecast thread), so a refit never holds a request thread or the server's interpreter lock."""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safepassage.errors import Problem, SafePassageError
from safepassage.figures.when import timed
from safepassage.ops.model_estimates import (
    BASIS,
    NOTE,
    Counts,
    calibration_view,
    confirmed_counts,
    figures,
    run_job,
    worker_init,
)

if TYPE_CHECKING:
    from safepassage.api.services import LiveState
    from safepassage.ops.state import Projection

log = logging.getLogger("safepassage.models")


@dataclass(frozen=True)
class ModelSetup:
    """One corridor's model: its scenario file, the checkpoint calibrated and the saved
    calibration the service starts from (`saved_name`: its file, for people)."""

    corridor: str
    scenario: str
    checkpoint: str
    saved: dict[str, Any] | None
    saved_name: str | None = None


@dataclass
class _Held:
    estimate: dict[str, Any]
    origin: str
    fitted_at: datetime
    counts: Counts | None


@dataclass(frozen=True)
class RefitAnswer:
    """What a refit request got: `started`, `running`, `too_soon` or `nothing_to_fit`."""

    outcome: str
    message: str
    retry_after_s: float = 0.0
    counts: Counts | None = None


class ModelEstimates:
    """The latest model estimates per corridor, and the refits that renew them."""

    def __init__(
        self,
        setups: Sequence[ModelSetup] = (),
        *,
        refit_every_min: float = 0.0,
        min_interval_s: float = 60.0,
        runs: int = 300,
        seed: int = 0,
    ) -> None:
        self.setups = {s.corridor: s for s in setups}
        self.refit_every_min = refit_every_min
        self.min_interval_s, self.runs, self.seed = min_interval_s, runs, seed
        self.version = 0  # moves whenever an estimate or a refit's outcome changes
        self._held: dict[str, _Held] = {}
        self._running: dict[str, Future[dict[str, Any]]] = {}
        self._requested: dict[str, datetime] = {}
        self._last: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- running ---------------------------------------------------------------------------
    def start(self, live: LiveState, clock: Callable[[], datetime]) -> None:
        """Estimates from the saved calibrations, then a refit every N minutes (if asked),
        on a thread of their own: the server starts and answers at once."""
        if not self.setups:
            return
        self._thread = threading.Thread(
            target=self._loop, args=(live, clock), name="model-refits", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self, live: LiveState, clock: Callable[[], datetime]) -> None:
        try:
            projection = live.refresh()
            for corridor, setup in self.setups.items():
                if setup.saved is not None:
                    self._submit(corridor, projection, clock(), "saved", setup.saved)
            while self.refit_every_min > 0 and not self._stop.wait(self.refit_every_min * 60):
                projection = live.refresh()
                for corridor in self.setups:
                    self.request(corridor, projection, clock(), by=None)
        except Exception:  # the server goes on without fresh estimates; the log says why
            log.exception("model estimates: the refit loop stopped")

    def request(
        self, corridor: str, projection: Projection, now: datetime, *, by: str | None
    ) -> RefitAnswer:
        """Start a refit of `corridor`'s model on its confirmed counts (`by`: who asked; None:
        the timer). At most one runs per corridor, and a request comes at most every
        `min_interval_s` seconds."""
        with self._lock:
            if corridor in self._running:
                return RefitAnswer("running", "a refit of this corridor is already running")
            last = self._requested.get(corridor)
            wait = 0.0 if last is None else self.min_interval_s - (now - last).total_seconds()
            if by is not None and wait > 0:
                return RefitAnswer(
                    "too_soon", f"refitted {self.min_interval_s:.0f} s ago at most", wait
                )
        answer = self._submit(corridor, projection, now, "refit", None, by)
        if answer.outcome == "nothing_to_fit":  # said in the state, not only to the caller
            origin = (
                f"refit on request by {by}" if by else f"refit every {self.refit_every_min:g} min"
            )
            with self._lock:
                self._last[corridor] = {
                    "origin": origin,
                    "at": now.isoformat(),
                    "outcome": "nothing_to_fit",
                    "reason": answer.message,
                }
                self.version += 1
        return answer

    def _counts(self, corridor: str, projection: Projection, now: datetime) -> Counts:
        setup = self.setups[corridor]
        c = projection.corridors.get(corridor)
        announced = max(c.announced.values(), key=lambda e: (e.occurred_at, e.id)) if c else None
        opened = (
            datetime.fromisoformat(announced.data["window"]["start"])
            if announced and announced.data.get("window")
            else None
        )
        return confirmed_counts(
            projection.register.figures(corridor), setup.checkpoint, now, opened
        )

    def _submit(
        self,
        corridor: str,
        projection: Projection,
        now: datetime,
        origin: str,
        saved: dict[str, Any] | None,
        by: str | None = None,
    ) -> RefitAnswer:
        setup = self.setups[corridor]
        counts = self._counts(corridor, projection, now)
        if saved is None and not counts.fittable:
            why = "; ".join(counts.left_out) or "no confirmed count to fit on"
            return RefitAnswer("nothing_to_fit", f"nothing to refit on: {why}", counts=counts)
        with self._lock:
            if corridor in self._running:
                return RefitAnswer("running", "a refit of this corridor is already running")
            if self._pool is None:
                ctx = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=worker_init)
            job = self._pool.submit(
                run_job, setup.scenario, saved, counts, now, self.runs, self.seed
            )
            self._running[corridor] = job
            if origin == "refit":
                self._requested[corridor] = now
        name = f"saved calibration {setup.saved_name}" if saved is not None else "refit"
        if origin == "refit":
            name += f" on request by {by}" if by else f" every {self.refit_every_min:g} min"
        job.add_done_callback(lambda f: self._done(corridor, f, name, now, counts))
        return RefitAnswer(
            "started", f"refit started on {len(counts.observations)} counts", 0.0, counts
        )

    def _done(
        self,
        corridor: str,
        job: Future[dict[str, Any]],
        origin: str,
        now: datetime,
        counts: Counts,
    ) -> None:
        outcome: dict[str, Any] = {"origin": origin, "at": now.isoformat(), "outcome": "done"}
        estimate: dict[str, Any] = {}
        try:
            estimate = job.result()
        except SafePassageError as exc:
            outcome.update(outcome="failed", reason=str(exc))
        except BrokenProcessPool as exc:
            outcome.update(outcome="failed", reason=f"the model's worker process stopped: {exc}")
            with self._lock:
                self._pool = None
        except Exception as exc:  # reported to coordinators; the details go to the server log
            log.exception("model estimates: a refit of %s failed", corridor)
            outcome.update(outcome="failed", reason=f"{type(exc).__name__}: {exc}")
        with self._lock:
            self._running.pop(corridor, None)
            self._last[corridor] = outcome
            if outcome["outcome"] == "done":
                self._held[corridor] = _Held(estimate, origin, now, counts)
            self.version += 1

    # -- reading ---------------------------------------------------------------------------
    def running(self, corridor: str) -> bool:
        return corridor in self._running

    def view(self, corridor: str, zone: str, now: datetime) -> dict[str, Any]:
        """The state's `model_estimates`: the calibration used, its figures (waits, journeys
        with ETAs), each a model estimate with status, source and as-of, and the refits."""
        with self._lock:
            held = self._held.get(corridor)
            last = self._last.get(corridor)
            running = corridor in self._running
        setup = self.setups.get(corridor)
        out: dict[str, Any] = {
            "configured": setup is not None,
            "basis": BASIS,
            "note": NOTE,
            "calibration": None,
            "valid_until": None,
            "stale": None,
            "waits": [],
            "etas": [],
            "etas_note": None,
            "refit": {
                "running": running,
                "every_min": self.refit_every_min or None,
                "last": _last_view(last, zone),
            },
        }
        if setup is None:
            out["note"] = (
                "No model for this corridor: start the service with --calibration "
                f"{corridor}=FILE and the scenario (--scenario)."
            )
            return out
        if held is None:
            return out
        est = held.estimate
        valid_until = datetime.fromisoformat(est["valid_until"])
        return {
            **out,
            "calibration": calibration_view(est, held.origin, held.fitted_at, zone, held.counts),
            "valid_until": timed(valid_until, zone),
            "stale": now > valid_until,
            **figures(est, zone),
        }


def _last_view(last: dict[str, Any] | None, zone: str) -> dict[str, Any] | None:
    if last is None:
        return None
    return {**last, "at": timed(last["at"], zone)}


# -- configuration (serve --calibration CORRIDOR=FILE) -----------------------------------------


def load_setups(specs: Sequence[str], scenarios: Sequence[str | Path]) -> list[ModelSetup]:
    """`CORRIDOR=FILE` each (a calibration from `forecast calibrate`), with the scenario among
    `scenarios` that has the calibrated checkpoint."""
    from safepassage.model.load import load_scenario

    loaded = [(str(Path(p).resolve()), load_scenario(p)[0]) for p in scenarios]
    out = []
    for spec in specs:
        corridor, sep, name = spec.partition("=")
        if not sep or not corridor or not name:
            raise SafePassageError(
                Problem(f"--calibration {spec}: write CORRIDOR=FILE", hint="e.g. mariupol=cal.json")
            )
        cal = _calibration(Path(name))
        cp = cal["checkpoint"]
        having = [path for path, s in loaded if any(c.id == cp for c in s.checkpoints)]
        if len(having) != 1:
            where = "none of the scenarios" if not having else "more than one scenario"
            raise SafePassageError(
                Problem(
                    f"checkpoint {cp!r} of the calibration is in {where} given with --scenario",
                    file=name,
                    hint="give the corridor's scenario file once with --scenario",
                )
            )
        out.append(ModelSetup(corridor, having[0], cp, cal, Path(name).name))
    return out


def _calibration(path: Path) -> dict[str, Any]:
    try:
        cal = json.loads(path.read_text())
    except FileNotFoundError:
        raise SafePassageError(
            Problem("no such file", file=str(path), hint="make one with `forecast calibrate`")
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SafePassageError(Problem(f"not a calibration file: {exc}", file=str(path))) from None
    if not isinstance(cal, dict) or cal.get("kind") != "safepassage calibration":
        raise SafePassageError(
            Problem(
                "not a calibration: `kind` is not 'safepassage calibration'",
                file=str(path),
                hint="write it with `safepassage forecast calibrate ... --out FILE`",
            )
        )
    if not isinstance(cal.get("draws"), dict) or "throughput_vph" not in cal["draws"]:
        raise SafePassageError(
            Problem(
                "the calibration has no posterior draws (an old version)",
                file=str(path),
                hint="write it again with `safepassage forecast calibrate`",
            )
        )
    return cal


def models_from_environment() -> ModelEstimates:
    """The model estimates of `safepassage serve` (one per server process): SAFEPASSAGE_MODELS
    (`CORRIDOR=FILE` specs separated by the OS's path separator), the scenarios of
    SAFEPASSAGE_SCENARIOS and the minutes between refits of SAFEPASSAGE_REFIT_MIN (0: off)."""
    import os

    specs = [p for p in os.environ.get("SAFEPASSAGE_MODELS", "").split(os.pathsep) if p]
    scenarios = [p for p in os.environ.get("SAFEPASSAGE_SCENARIOS", "").split(os.pathsep) if p]
    every = max(0.0, float(os.environ.get("SAFEPASSAGE_REFIT_MIN") or 0))
    return ModelEstimates(load_setups(specs, scenarios) if specs else [], refit_every_min=every)
