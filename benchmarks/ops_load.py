"""Load generator for the operations API (run as its own process): N concurrent clients post
single events (or query state) for D seconds on loopback; prints JSON with throughput and
latency percentiles."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from pathlib import Path

import numpy as np


def event(i: int) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "type": "checkpoint_count",
        "occurred_at": "2022-03-15T14:05:00+02:00",
        "corridor": "mariupol",
        "data": {"checkpoint": f"cp{i % 18:02d}", "vehicles": i % 40 + 1, "people": 4},
    }


class Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: the load generator must cost
    far less CPU than the server it measures (httpx costs about a millisecond per request)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.auth = f"Authorization: Bearer {token}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
        ).encode()
        self.writer.write(head + self.auth + b"\r\n" + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


async def client(
    base: str, token: str, mode: str, until: float, rate: float, out: list[tuple[float, int]]
) -> None:
    host, port = base.split("//")[1].split(":")
    conn = Connection(host, int(port), token)
    i = 0
    next_at = time.perf_counter() + random.uniform(0, 1 / rate) if rate else 0.0
    while time.perf_counter() < until:
        if rate:  # paced: this client's share of the offered load
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            next_at += 1 / rate
        t = time.perf_counter()
        if mode == "post":
            status = await conn.request("POST", "/api/v1/events", json.dumps(event(i)).encode())
        else:
            status = await conn.request("GET", "/api/v1/state/mariupol")
        out.append((time.perf_counter() - t, status))
        i += 1


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    tokens = json.loads(Path(args.tokens).read_text())
    out: list[tuple[float, int]] = []
    start = time.perf_counter()
    until = start + args.seconds
    await asyncio.gather(
        *(
            client(
                args.base, tokens[k % len(tokens)], args.mode, until, args.rate / args.clients, out
            )
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
    p.add_argument(
        "--rate", type=float, default=0.0, help="offered requests/s in all (0: as fast as possible)"
    )
    print(json.dumps(asyncio.run(main_async(p.parse_args()))))
