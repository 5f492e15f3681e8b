"""What every route shares: the store, the live state, the group committer, the rate limiter
and the token cache, built once per app."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi.concurrency import run_in_threadpool

from safepassage.api.model_service import ModelEstimates
from safepassage.ops.committer import GroupCommitter
from safepassage.ops.state import Projection, PublicProjection, StateSettings
from safepassage.ops.store import EventStore, User

if TYPE_CHECKING:  # the log guard's module needs the app's (no import cycle at run time)
    from safepassage.api.log_guard import LogGuard


class RateLimiter:
    """A token bucket per key: `rate` units a second (requests, events or failed logins),
    bursts of `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, cost: float = 1.0) -> float:
        """0 if `cost` units are allowed now (and taken), else seconds to wait."""
        now = time.monotonic()
        cost = min(cost, float(self.burst))  # what can never fit waits for a full bucket
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 100_000:  # many keys (client addresses): forget idle ones
                self._buckets = {k: v for k, v in self._buckets.items() if v[0] < self.burst}
            return (cost - tokens) / self.rate

    def blocked(self, key: str) -> float:
        """Seconds to wait before one more unit is allowed (nothing is taken)."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            return 0.0 if tokens >= 1 else (1 - tokens) / self.rate


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


class EncodedCache:
    """At most `size` encoded answers by key, oldest out first (thread-safe enough: a lost
    race only encodes a state twice)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self._items.get(key)

    def put(self, key: str, value: bytes) -> None:
        while len(self._items) >= self.size:
            self._items.pop(next(iter(self._items)), None)
        self._items[key] = value


class LiveState:
    """The projection kept up to date with the log (also with writes by other processes)."""

    def __init__(self, store: EventStore, settings: StateSettings) -> None:
        self.store, self.settings = store, settings
        self.projection = Projection(settings)
        self._lock = threading.Lock()
        self.public_projection = PublicProjection(settings)
        self._public: tuple[int, dict[str, Any]] | None = None
        #: Corridors ever announced (what may be written to); grows as the log is read.
        self.announced: set[str] = set()

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
                    if e.type == "corridor_announced":
                        self.announced.add(e.corridor)

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
    limiter: RateLimiter  # requests per user
    event_limiter: RateLimiter  # events per user
    failures: RateLimiter  # failed authentications per client address
    committer: GroupCommitter
    users: TokenCache
    clock: Callable[[], datetime]
    clock_skew_s: float = 600.0  # how far in the future an event may be said to happen
    base_url: str | None = None  # where links in feeds point (never the Host header)
    guard: LogGuard | None = None
    models: ModelEstimates = field(default_factory=ModelEstimates)  # the corridors' models
    #: GET state's encoded answers by ETag (the state is the same for one tag: same log head,
    #: minute and model); a few kept, the oldest dropped first.
    encoded_states: EncodedCache = field(default_factory=lambda: EncodedCache(64))
    #: Place ids to the served scenarios' names in reports people read (the sitrep).
    place_words: Callable[[str], str] = field(default=lambda text: text)

    def problems(self) -> list[str]:
        """What keeps the service from working as it should, in words (none: healthy)."""
        out = [self.guard.problem] if self.guard and self.guard.problem else []
        if self.store.storage_problem:
            out.append(self.store.storage_problem)
        wal = self.store.wal_problem()
        if wal:
            out.append(wal)
        return out

    def public_problems(self) -> list[str]:
        """The problems as anyone may hear them: what kind, never a detail (an event number in
        an integrity finding would tell how many events the log holds, which the public delay
        hides). The details are in the server's log, `log verify` and health with a token."""
        out = ["the log failed its integrity check"] if self.guard and self.guard.problem else []
        if self.store.storage_problem or self.store.wal_problem():
            out.append("the database cannot record (disk full, read-only or failing)")
        return out


def etag(*parts: object) -> str:
    """An ASCII entity tag for the given parts (headers are Latin-1 only)."""
    import hashlib

    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:20] + '"'
