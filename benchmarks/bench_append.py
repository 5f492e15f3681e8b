"""CPU time of the store's group-commit append (what the server's writer thread runs), for
comparing two trees: run it with each tree's `src` first on PYTHONPATH, alternately.

    PYTHONPATH=src .venv/bin/python -m benchmarks.bench_append --label branch
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

from safepassage.ops.events import EventIn, validate_event
from safepassage.ops.store import AppendGroup, EventStore


def _event(i: int) -> EventIn:
    return validate_event(
        {
            "id": str(uuid.uuid4()),
            "type": "checkpoint_count",
            "occurred_at": "2022-03-15T14:05:00+02:00",
            "corridor": "mariupol",
            "data": {"checkpoint": "cp04-manhush", "vehicles": i % 50 + 1},
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=1500)
    parser.add_argument("--per-commit", type=int, default=10)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sp-bench-append-"))
    os.environ["SAFEPASSAGE_INTEGRITY_DIR"] = str(work / "integrity")
    store = EventStore(str(work / "ops.db"))
    n = args.per_commit
    batches = [
        [AppendGroup([_event(i * n + k)], f"r{k}", "events.post") for k in range(n)]
        for i in range(args.commits)
    ]
    cpu, wall = time.process_time(), time.perf_counter()
    for batch in batches:
        store.append_groups(batch)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    store.close()
    events = args.commits * n
    print(
        f"{args.label} cpu {cpu / events * 1e6:.0f} us/event, "
        f"wall {wall / args.commits * 1e3:.2f} ms/commit of {n}"
    )


if __name__ == "__main__":
    main()
