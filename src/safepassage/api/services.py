"""What every route shares: the store, the live state, the group committer, the rate limiter
and the token cache, built once per app."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.concurrency import run_in_threadpool

from safepassage.api.guard import LogGuard
from safepassage.ops.committer import GroupCommitter
from safepassage.ops.state import Projection, PublicProjection, StateSettings
from safepassage.ops.store import EventStore, User


class RateLimiter:
    """A token bucket per caller: `rate` requests a second, bursts of `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0 if allowed now, else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate


class TokenCache:
    """Who a token belongs to, remembered for `ttl_s` seconds (a revoked token stops working
    within that time in every server process)."""

    def __init__(self, store: EventStore, ttl_s: float = 5.0) -> None:
        self.store, self.ttl_s = store, ttl_s
        self._cache: dict[str, tuple[User | None, float]] = {}

    async def get(self, token: str) -> User | None:
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit is not None and hit[1] > now:
            return hit[0]
        user = await run_in_threadpool(self.store.user_for_token, token)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (user, now + self.ttl_s)
        return user


class LiveState:
    """The projection kept up to date with the log (also with writes by other processes)."""

    def __init__(self, store: EventStore, settings: StateSettings) -> None:
        self.store, self.settings = store, settings
        self.projection = Projection(settings)
        self._lock = threading.Lock()
        self.public_projection = PublicProjection(settings)
        self._public: tuple[int, dict[str, Any]] | None = None

    def refresh(self) -> Projection:
        with self._lock:
            # The head is one index lookup on either backend; a range read is only planned
            # well once the database has statistics, so skip it when nothing is new.
            if self.store.head() <= self.projection.last_seq:
                return self.projection
            while True:
                batch = self.store.read(after=self.projection.last_seq, limit=10_000)
                if not batch:
                    return self.projection
                for e in batch:
                    self.projection.apply(e)

    def public(self, now: datetime) -> dict[str, Any]:
        """The public view, brought forward at most once a minute."""
        minute = int(now.timestamp() // 60)
        with self._lock:
            cached = self._public
            if cached is not None and cached[0] == minute:
                return cached[1]
            cutoff = self.public_projection.advance(
                lambda after: self.store.read(after=after, limit=10_000), now
            )
            view = self.public_projection.view(cutoff)
            self._public = (minute, view)
            return view


@dataclass
class Services:
    store: EventStore
    settings: StateSettings
    live: LiveState
    limiter: RateLimiter
    committer: GroupCommitter
    users: TokenCache
    clock: Callable[[], datetime]
    guard: LogGuard | None = None

    def problems(self) -> list[str]:
        """What keeps the service from working as it should, in words (none: healthy)."""
        out = [self.guard.problem] if self.guard and self.guard.problem else []
        if self.store.storage_problem:
            out.append(self.store.storage_problem)
        wal = self.store.wal_problem()
        if wal:
            out.append(wal)
        return out


def etag(*parts: object) -> str:
    """An ASCII entity tag for the given parts (headers are Latin-1 only)."""
    import hashlib

    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:20] + '"'
