"""What one model refit of the operations service costs its worker process (issue 14, "Live"):
the calibration of the bundled corridor's exit on three confirmed counts (one a queue), then
the estimates with 300 forecast runs, on one numba thread as in the service's worker. The
first repeat includes compiling (numba caches to disk, so a warm cache makes it fast).

Run: .venv/bin/python benchmarks/bench_live_refit.py [--repeats 3] [--runs 300]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import numba
from benchmarks.common import machine, table

from safepassage.forecast.calibrate import Observation
from safepassage.forecast.live import estimates, refit
from safepassage.model.prepare import prepare_scenario

KYIV = ZoneInfo("Europe/Kyiv")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--runs", type=int, default=300)
    args = ap.parse_args()
    numba.set_num_threads(1)
    prepared = prepare_scenario("scenarios/mariupol-2022.yaml", cut_off="warning")
    opened = datetime(2022, 3, 14, 13, 0, tzinfo=KYIV)
    counts = [
        Observation(datetime(2022, 3, 14, 15, 0, tzinfo=KYIV), 160),
        Observation(datetime(2022, 3, 15, 14, 0, tzinfo=KYIV), 2000),
        Observation(datetime(2022, 3, 15, 14, 0, tzinfo=KYIV), 2000, what="waiting"),
    ]
    now = datetime(2022, 3, 15, 14, 30, tzinfo=KYIV)
    rows = []
    for i in range(args.repeats):
        t0 = time.perf_counter()
        cal = refit(prepared, "cp01-mariupol-exit", opened, counts)
        t1 = time.perf_counter()
        estimates(prepared, cal, counts, now, runs=args.runs)
        t2 = time.perf_counter()
        rows.append((f"repeat {i + 1}: refit", f"{t1 - t0:.2f} s", "-", "-"))
        rows.append((f"repeat {i + 1}: estimates ({args.runs} runs)", f"{t2 - t1:.2f} s", "-", "-"))
    print(machine())
    print(table(rows))


if __name__ == "__main__":
    main()
