"""Group commit: submissions that arrive while a transaction is being written wait for the next
one and are written together, so many concurrent reporters cost one sync to disk, not one each.
A submission is acknowledged only after its transaction has committed."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from concurrent.futures import Future

from safepassage.ops.events import EventIn
from safepassage.ops.store import AppendGroup, AppendResult, EventStore

#: At most this many events go into one transaction.
MAX_EVENTS_PER_COMMIT = 5000


class GroupCommitter:
    """One writer thread in front of the store."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._queue: queue.Queue[tuple[AppendGroup, Future[list[AppendResult]]] | None] = (
            queue.Queue()
        )
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def submit(
        self, events: list[EventIn], reporter: str, action: str
    ) -> Future[list[AppendResult]]:
        future: Future[list[AppendResult]] = Future()
        self._queue.put((AppendGroup(events, reporter, action), future))
        return future

    async def write(self, events: list[EventIn], reporter: str, action: str) -> list[AppendResult]:
        """`submit` for a caller on an event loop: the results of one transaction reach the
        loop in one wake-up, not one per submission (each wake-up is a write to the loop's
        pipe, under the lock every Python thread shares; docs/benchmarks.md)."""
        future = _LoopFuture(asyncio.get_running_loop())
        self._queue.put((AppendGroup(events, reporter, action), future))
        return await future.waiter

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            pending = [item]
            size = len(item[0].events)
            while size < MAX_EVENTS_PER_COMMIT:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                pending.append(nxt)
                size += len(nxt[0].events)
            self._write(pending)

    def _write(self, pending: list[tuple[AppendGroup, Future[list[AppendResult]]]]) -> None:
        """Write the submissions in one transaction; if it fails, each on its own, so that one
        submission's problem is never another's (only a database down fails them all)."""
        try:
            results = self.store.append_groups([g for g, _ in pending])
        except Exception as exc:
            if len(pending) == 1:
                pending[0][1].set_exception(exc)
                _wake_loops([pending[0][1]])
                return
            for item in pending:
                self._write([item])
            return
        for (_, future), result in zip(pending, results, strict=True):
            future.set_result(result)
        _wake_loops([f for _, f in pending])


class _LoopFuture(Future[list[AppendResult]]):
    """A submission awaited on an event loop: `waiter` is set from the loop's own thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.waiter: asyncio.Future[list[AppendResult]] = loop.create_future()

    def settle(self) -> None:
        """Copy the outcome to `waiter` (on the loop's thread)."""
        if self.waiter.cancelled():
            return  # the client went away; the events are stored all the same
        exc = self.exception()
        if exc is not None:
            self.waiter.set_exception(exc)
        else:
            self.waiter.set_result(self.result())


def _settle_all(futures: list[_LoopFuture]) -> None:
    for future in futures:
        future.settle()


def _wake_loops(done: list[Future[list[AppendResult]]]) -> None:
    """One call into each event loop for all of its finished submissions."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_LoopFuture]] = {}
    for future in done:
        if isinstance(future, _LoopFuture):
            by_loop.setdefault(future.loop, []).append(future)
    for loop, futures in by_loop.items():
        # A closed loop (the server shutting down) has nobody waiting.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle_all, futures)
