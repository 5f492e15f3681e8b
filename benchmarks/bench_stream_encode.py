"""What encoding one live state costs the state stream (issue 15 follow-up): the state of the
replayed 2022 demo log written as the stream writes it, against FastAPI's jsonable_encoder on
the whole state (what GET's answer goes through) and against computing the state itself.

Run: PYTHONPATH=src:. .venv/bin/python benchmarks/bench_stream_encode.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi.encoders import jsonable_encoder

from safepassage.api.routes.state import encoded
from safepassage.api.services import LiveState
from safepassage.ops.state import StateSettings
from safepassage.ops.store import EventStore

LOG = Path(__file__).resolve().parents[1] / "scenarios" / "mariupol-2022-log.jsonl"
CORRIDOR = "mariupol-zaporizhzhia"


def per_call_ms(f: Callable[[], object], repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        f()
    return (time.perf_counter() - start) / repeats * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=200)
    args = ap.parse_args()
    db = str(Path(tempfile.mkdtemp()) / "ops.db")
    replay = [sys.executable, "-m", "safepassage", "ops", "replay", str(LOG), "--db", db]
    subprocess.run([*replay, "--create"], check=True, capture_output=True)
    projection = LiveState(EventStore(db), StateSettings()).refresh()
    state = projection.corridor_state(CORRIDOR, datetime.now(UTC))
    print(f"state: {len(encoded(state)):,} bytes")
    for label, f in (
        ("stream's encoding", lambda: encoded(state)),
        ("jsonable_encoder + dumps", lambda: json.dumps(jsonable_encoder(state))),
        ("computing the state", lambda: projection.corridor_state(CORRIDOR, datetime.now(UTC))),
    ):
        print(f"{label}: {per_call_ms(f, args.repeats):.2f} ms")


if __name__ == "__main__":
    main()
