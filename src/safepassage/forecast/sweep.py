"""Sweeps: many forecasts over a grid of settings and seeds, on local processes or a Dask
cluster.

Why Dask and not Ray: `distributed` is pure Python (2.5 MB against Ray's ~70 MB binary wheel),
starts a local cluster in about two seconds on a 2-core machine, and needs no daemon; a sweep
point is a plain function call that ships a few kilobytes each way, which is all either system
would be used for here. `--dask tcp://HOST:8786` sends the points to a running scheduler.

A point is (scenario file, overrides, runs, seed). Overrides name what a negotiator varies:
`<checkpoint>.lanes`, `<checkpoint>.inspection_mean` (seconds), `window_h` (hours of
ceasefire), and any forecast setting as `forecast.<field>[.<field>]`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safepassage.errors import Problem, SafePassageError
from safepassage.model.instants import after


@dataclass(frozen=True)
class SweepPoint:
    scenario: str
    overrides: tuple[tuple[str, float], ...]
    runs: int
    seed: int


def parse_axis(text: str) -> tuple[str, list[float]]:
    """`cp04-manhush.lanes=1,2,3` to ("cp04-manhush.lanes", [1, 2, 3])."""
    name, sep, values = text.partition("=")
    try:
        parsed = [float(v) for v in values.split(",") if v.strip()]
    except ValueError:
        parsed = []
    if not sep or not name.strip() or not parsed:
        raise SafePassageError(
            Problem(
                f"--vary {text!r}: expected NAME=V1,V2,... with numbers",
                hint="for example --vary cp04-manhush.lanes=1,2,3 or --vary window_h=12,24,36",
            )
        )
    return name.strip(), parsed


def grid(
    scenario: str, axes: list[tuple[str, list[float]]], seeds: Iterable[int], runs: int
) -> list[SweepPoint]:
    names = [a for a, _ in axes]
    return [
        SweepPoint(scenario, tuple(zip(names, combo, strict=True)), runs, seed)
        for combo in itertools.product(*(v for _, v in axes))
        for seed in seeds
    ]


def apply_overrides(scenario: Any, overrides: tuple[tuple[str, float], ...]) -> None:
    """Change a loaded scenario in place (checkpoints, the window, forecast settings)."""
    checkpoints = {c.id: c for c in scenario.checkpoints}
    for name, value in overrides:
        head, _, rest = name.partition(".")
        if name == "window_h":
            if scenario.corridor is None:
                raise SafePassageError("window_h: the scenario has no corridor window to vary")
            w = scenario.corridor.window
            w.end = after(w.start, value * 3600)
        elif head in checkpoints and rest == "lanes":
            checkpoints[head].lanes = int(value)
        elif head in checkpoints and rest == "inspection_mean":
            checkpoints[head].inspection_s.mean = float(value)
        elif head == "forecast" and rest:
            target: Any = scenario.forecast
            *path, leaf = rest.split(".")
            for part in path:
                target = getattr(target, part)
            if not hasattr(target, leaf):
                raise SafePassageError(f"--vary {name}: no such forecast setting")
            setattr(target, leaf, value)
        else:
            raise SafePassageError(
                Problem(
                    f"--vary {name}: not something a sweep can vary",
                    hint="use CHECKPOINT.lanes, CHECKPOINT.inspection_mean, window_h or forecast.FIELD",
                )
            )


def run_point(point: SweepPoint) -> dict[str, Any]:
    """Plan and forecast one point (in a worker process); a small summary comes back."""
    from safepassage.forecast import forecast_prepared
    from safepassage.model.prepare import prepare_scenario

    prepared = prepare_scenario(point.scenario, cut_off="warning")
    apply_overrides(prepared.scenario, point.overrides)
    fc = forecast_prepared(prepared, runs=point.runs, seed=point.seed)
    d = fc.as_dict()
    dest = d["stations"][-1]
    return {
        "overrides": dict(point.overrides),
        "seed": point.seed,
        "runs": point.runs,
        "p_window_suffices": d["p_window_suffices"],
        "people_out_by_window_end": d["people_out_by_window_end"],
        "first_arrival_p50": dest["first"]["p50"],
        "last_arrival_p50": dest["last"]["p50"],
        "last_arrival_p90": dest["last"]["p90"],
        "plan_people_out_by_window_end": fc.plan_people_out_by_window_end,
    }


def _single_thread_worker() -> None:
    # One numba thread per process: the processes already fill the cores.
    os.environ["NUMBA_NUM_THREADS"] = "1"


def run_sweep(
    points: list[SweepPoint],
    *,
    workers: int | None = None,
    dask_address: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Every point's summary, in the order given."""
    for p in points:
        if not Path(p.scenario).exists():
            raise SafePassageError(Problem("scenario file not found", file=p.scenario))
    if dask_address is not None:
        return _run_dask(points, dask_address, progress)
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        return _collect((run_point(p) for p in points), progress)
    with ProcessPoolExecutor(max_workers=workers, initializer=_single_thread_worker) as pool:
        return _collect((f.result() for f in [pool.submit(run_point, p) for p in points]), progress)


def _collect(
    results: Iterable[dict[str, Any]], progress: Callable[[int], None] | None
) -> list[dict[str, Any]]:
    """Results in order, ticking the progress bar as each arrives."""
    out = []
    for result in results:
        out.append(result)
        if progress:
            progress(1)
    return out


def _run_dask(
    points: list[SweepPoint], address: str, progress: Callable[[int], None] | None
) -> list[dict[str, Any]]:
    try:
        from distributed import Client
    except ImportError:
        raise SafePassageError(
            Problem("--dask needs the Dask extra", hint="pip install 'safepassage[dask]'")
        ) from None
    try:
        client = Client(address, timeout="10s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise SafePassageError(
            Problem(
                f"cannot reach the Dask scheduler at {address}: {exc}",
                hint="start one with `dask scheduler` and workers with `dask worker ADDRESS`",
            )
        ) from None
    with client:
        return _collect((f.result() for f in client.map(run_point, points, pure=False)), progress)
