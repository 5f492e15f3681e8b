"""Live state on the register of claims (issue 11): apply N checkpoint counts (two
checkpoints, one in a hundred with a queue, 3 s apart, no interval stated), then the first
state (every figure made and indexed, totals computed) and a second one (cached: the last
hour's pace, queues and waits only); then the live case: one more count and a read (the
running totals take the new figures), a review and a read, and a retraction of an older count
and a read (both take back the figures they change and add the new ones); and the peak
memory. In-process, no database. `--server-gc` sets the garbage collector as the server
does (`api/app.py`: frozen after start-up, run less often) before the log is applied, so that
the figures say what the server's first state costs rather than the collector's defaults.

Run: .venv/bin/python -m benchmarks.bench_figures [--events 100000] [--server-gc]
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import uuid
from datetime import UTC, datetime, timedelta

from benchmarks.common import dump, machine

from safepassage.ops.state import Projection
from safepassage.ops.store import StoredEvent

T0 = datetime(2022, 3, 15, tzinfo=UTC)


def events(n: int) -> list[StoredEvent]:
    out = []
    for i in range(n):
        at = (T0 + timedelta(seconds=3 * i)).isoformat()
        data: dict[str, object] = {"checkpoint": f"cp{i % 2}", "vehicles": 3, "people": 10}
        if i % 100 == 0:
            data["waiting"] = 50
        out.append(
            StoredEvent(
                i + 1, str(uuid.uuid4()), "checkpoint_count", "c", at, at, f"r{i % 7}",
                "unverified", None, None, data, "",
            )
        )  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--server-gc", action="store_true")
    args = parser.parse_args()
    n = args.events
    log = events(n)
    if args.server_gc:
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 50, 100)
    t0 = time.perf_counter()
    p = Projection()
    for e in log:
        p.apply(e)
    t1 = time.perf_counter()
    now = T0 + timedelta(seconds=3 * n)
    p.corridor_state("c", now)
    t2 = time.perf_counter()
    p.corridor_state("c", now + timedelta(seconds=1))
    t3 = time.perf_counter()
    more = events(n + 1)[-1]  # made before the clock starts again
    t3b = time.perf_counter()
    p.apply(more)
    p.corridor_state("c", now + timedelta(seconds=2))
    t4 = time.perf_counter()
    review = {"claim": more.id, "action": "confirm", "by": "desk"}
    at = (now + timedelta(seconds=3)).isoformat()
    p.apply(StoredEvent(n + 2, str(uuid.uuid4()), "claim_review", "c", at, at, "d", "confirmed", None, None, review, ""))  # fmt: skip
    p.corridor_state("c", now + timedelta(seconds=3))
    t5 = time.perf_counter()
    withdraw = {"reason": "counted twice"}
    old = log[n // 2].id
    p.apply(StoredEvent(n + 3, str(uuid.uuid4()), "retraction", "c", at, at, "d", "confirmed", None, old, withdraw, ""))  # fmt: skip
    p.corridor_state("c", now + timedelta(seconds=4))
    t6 = time.perf_counter()
    result = {
        "machine": machine(),
        "events": n,
        "server_gc": args.server_gc,
        "apply_s": round(t1 - t0, 2),
        "first_state_s": round(t2 - t1, 2),
        "second_state_ms": round((t3 - t2) * 1000, 1),
        "count_then_state_ms": round((t4 - t3b) * 1000, 1),
        "review_then_state_ms": round((t5 - t4) * 1000, 1),
        "retraction_then_state_ms": round((t6 - t5) * 1000, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(result)
    dump(f"figures-{n}{'-server-gc' if args.server_gc else ''}", result)


if __name__ == "__main__":
    main()
