"""Load generator for the operations API (run as its own process): N concurrent clients post
single events (or query state) for D seconds on loopback; prints JSON with throughput and
latency percentiles."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from pathlib import Path

import httpx2 as httpx
import numpy as np


def event(i: int) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "type": "checkpoint_count",
        "occurred_at": "2022-03-15T14:05:00+02:00",
        "corridor": "mariupol",
        "data": {"checkpoint": f"cp{i % 18:02d}", "vehicles": i % 40 + 1, "people": 4},
    }


async def client(
    base: str, token: str, mode: str, until: float, out: list[tuple[float, int]]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as c:
        i = 0
        while time.perf_counter() < until:
            t = time.perf_counter()
            if mode == "post":
                r = await c.post("/api/v1/events", json=event(i))
            else:
                r = await c.get("/api/v1/state/mariupol")
            out.append((time.perf_counter() - t, r.status_code))
            i += 1


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    tokens = json.loads(Path(args.tokens).read_text())
    out: list[tuple[float, int]] = []
    start = time.perf_counter()
    until = start + args.seconds
    await asyncio.gather(
        *(
            client(args.base, tokens[k % len(tokens)], args.mode, until, out)
            for k in range(args.clients)
        )
    )
    elapsed = time.perf_counter() - start
    lat = np.array([x for x, _ in out]) * 1000
    ok = sum(1 for _, s in out if s in (200, 201))
    return {
        "mode": args.mode,
        "clients": args.clients,
        "seconds": round(elapsed, 2),
        "requests": len(out),
        "ok": ok,
        "ok_per_s": round(ok / elapsed, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "statuses": sorted({s for _, s in out}),
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--tokens", required=True)
    p.add_argument("--mode", choices=["post", "state"], default="post")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=10)
    print(json.dumps(asyncio.run(main_async(p.parse_args()))))
