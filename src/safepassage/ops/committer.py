"""Group commit: submissions that arrive while a transaction is being written wait for the next
one and are written together, so many concurrent reporters cost one sync to disk, not one each.
A submission is acknowledged only after its transaction has committed."""

from __future__ import annotations

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
                return
            for item in pending:
                self._write([item])
            return
        for (_, future), result in zip(pending, results, strict=True):
            future.set_result(result)
