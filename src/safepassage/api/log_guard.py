"""The log's guard in a running server: checks the log when the app starts (from its newest
signed checkpoint: fast), then in full once in the background; signs a checkpoint of the head
every minute and at shutdown; and, when the log is broken, refuses to serve it (503) or, when
told to serve it anyway, puts a warning on every response and a banner on every page.
It runs before the gate (`guard.py`), so its own 503 carries the gate's security headers."""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import sqlalchemy as sa

from safepassage.api.guard import with_security_headers
from safepassage.errors import SafePassageError
from safepassage.ops.integrity import VerifyResult
from safepassage.ops.store import EventStore

log = logging.getLogger("safepassage.guard")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
#: Still answered while the log is refused: monitors must see why.
ALWAYS = ("/api/v1/health",)


class _Stopped(Exception):
    pass


def describe(result: VerifyResult) -> str:
    where = {"events": "event", "audit": "audit entry"}.get(result.table, result.table)
    at = f" {result.first_bad_seq}" if result.first_bad_seq is not None else ""
    return f"{where}{at}: {result.reason}"


class LogGuard:
    """Keeps the log checked and signed while the server runs; `problem` says what is wrong."""

    def __init__(self, store: EventStore, *, allow_broken: bool, every_s: float = 60.0) -> None:
        self.store, self.allow_broken, self.every_s = store, allow_broken, every_s
        self.problem: str | None = None
        #: The full check after start: "pending", "running", then "done" (readers see it in
        #: health; while it runs it takes up to half a core, which shows in latency).
        self.full_check = "pending"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._round(full=False)  # at once: a broken log is never served unknowingly

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="log-guard", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop, signing the head a last time (at shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        self._round(full=False)

    def _run(self) -> None:
        # Rows before the newest checkpoint, once, off the start path, in small pages with a
        # pause as long as each page took: at most about half of one core while serving.
        self.full_check = "running"
        self._round(full=True)
        if not self._stop.is_set():
            self.full_check = "done"
        while not self._stop.wait(self.every_s):
            self._round(full=False)

    def _pause(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise _Stopped  # shutting down: the full check is not finished, not failed

    def _round(self, *, full: bool) -> None:
        """One check (and, when intact, one signature); never raises. Once the log is found
        broken nothing more is signed or checked (it stays broken until an operator acts)."""
        if self.problem is not None:
            return
        try:
            if full:
                result = self.store.integrity.verify(full=True, page=2_000, pause=self._pause)
            else:
                result = self.store.integrity.seal()[0]
        except _Stopped:
            return
        except (SafePassageError, OSError) as exc:  # no key, unreadable files: unchecked
            if self.problem is None:
                self.problem = "the log cannot be checked: " + str(exc).splitlines()[0]
                log.critical("%s", self.problem)
            return
        except sa.exc.DBAPIError as exc:  # the database away: said elsewhere, retried later
            log.error("log check failed to run: %s", str(exc).splitlines()[0])
            return
        if not result.ok and self.problem is None:
            self.problem = "the log failed its integrity check: " + describe(result)
            log.critical("%s", self.problem)


class GuardMiddleware:
    """ASGI middleware: nothing added while the log is intact (one check per request)."""

    def __init__(self, app: ASGIApp, guard: LogGuard) -> None:
        self.app, self.guard = app, guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = self.guard.problem
        if problem is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Anyone hears what kind of problem, never its detail: "events 5..6 are missing"
        # would tell how many events the log holds, which the public delay hides. The detail
        # is in the server's log, `log verify` and health with a reader's token.
        shown = problem.split(":", 1)[0]
        if not self.guard.allow_broken and scope["path"] not in ALWAYS:
            await _refuse(shown, with_security_headers(send))
        else:
            await self.app(scope, receive, _warning_sender(shown, send))


def _header(problem: str) -> tuple[bytes, bytes]:
    text = problem.encode("ascii", "replace").replace(b'"', b"'")
    return b"warning", b'199 safepassage "' + text + b'"'


async def _refuse(problem: str, send: Send) -> None:
    body = (
        '{"detail": "this service does not serve its log: '
        + problem.replace("\\", "\\\\").replace('"', "'")
        + '. The operator must find out what happened (safepassage log verify)."}'
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                _header(problem),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _warning_sender(problem: str, send: Send) -> Send:
    """A `send` that adds the warning header, and a banner at the top of HTML pages."""
    banner = (
        '<p role="alert" style="background:#b00020;color:#fff;padding:1em;margin:0;'
        "font-weight:bold\">Warning: this service's log failed its integrity check ("
        + html.escape(problem)
        + "). What is shown here may have been altered.</p>"
    ).encode()
    start: Message = {}
    chunks: list[bytes] = []

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", []), _header(problem)]
            is_html = any(k == b"content-type" and b"text/html" in v for k, v in headers)
            start.update(message, headers=headers, html=is_html)
            if not is_html:
                await send({**message, "headers": headers})
            return
        if not start.get("html"):
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        page = b"".join(chunks)
        at = page.find(b">", page.find(b"<body")) + 1 if b"<body" in page else 0
        page = page[:at] + banner + page[at:]
        headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
        headers.append((b"content-length", str(len(page)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": page})

    return sending
