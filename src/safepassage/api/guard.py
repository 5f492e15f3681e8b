"""The gate in front of every route (plain ASGI, so it costs next to nothing per request):
security headers on every response; for writes, the caller authenticated and the declared size
checked before a byte of the body is read, and the body counted while it is read; failed
authentications limited per client address before any token is looked up."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from safepassage.api.services import Services
from safepassage.ops.store import storage_problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Largest body each write accepts, in bytes (others: DEFAULT_LIMIT).
BODY_LIMITS = {
    "/api/v1/events": 64 << 10,
    "/api/v1/events/bulk": 2 << 20,  # 1,000 events
    "/api/v1/intake/sms": 2 << 10,  # 500 characters of any script
    "/api/v1/intake/csv": 256 << 10,  # 1,000 rows
}
DEFAULT_LIMIT = 64 << 10
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
#: For responses that set no policy of their own (JSON, XML, text): load nothing, no framing.
DEFAULT_CSP = b"default-src 'none'; frame-ancestors 'none'"
WORKER_CSP = b"default-src 'self'; frame-ancestors 'none'"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def with_security_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {k.lower() for k, _ in headers}
            headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
            kind = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
            if b"content-security-policy" not in names:
                # A script's policy is its worker's (the reporters' service worker fetches
                # and caches this server's pages): its own server only, never 'none'.
                headers.append(
                    (
                        b"content-security-policy",
                        WORKER_CSP if b"javascript" in kind else DEFAULT_CSP,
                    )
                )
            message["headers"] = headers
        await send(message)

    return sending


async def _answer(send: Send, status: int, detail: str, headers: dict[str, str]) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """See the module docstring; `services` gives the token cache and the limiters."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app, self.svc = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = with_security_headers(send)
        try:
            refusal = await self._refusal(scope)
        except DBAPIError as exc:  # the token could not be looked up: nothing was recorded
            problem = storage_problem(exc)  # a full disk or read-only database, said as such
            refusal = (
                (503, f"{problem}; nothing was recorded. Tell the operator.", {"Retry-After": "60"})
                if problem
                else (
                    503,
                    "the database is unavailable; nothing was recorded, retry shortly",
                    {"Retry-After": "1"},
                )
            )
        if refusal is not None:
            await _answer(send, *refusal)
            return
        if scope["method"] in WRITES:
            receive = _counted(receive, BODY_LIMITS.get(scope["path"], DEFAULT_LIMIT))
        await self.app(scope, receive, send)

    async def _refusal(self, scope: Scope) -> tuple[int, str, dict[str, str]] | None:
        """Why the request is answered before it reaches a route, or None."""
        headers = dict(scope.get("headers", []))
        auth = headers.get(b"authorization")
        write = scope["method"] in WRITES
        if auth is None and not write:
            return None  # public pages, or a route that says a token is needed
        client = scope.get("client")
        address = client[0] if client else "unknown"
        wait = self.svc.failures.blocked(address)
        if wait:
            return 429, "too many failed authentications from this address", _retry(wait)
        if write:
            limit = BODY_LIMITS.get(scope["path"], DEFAULT_LIMIT)
            declared = headers.get(b"content-length", b"0")
            if not declared.isdigit() or int(declared) > limit:
                return 413, f"the body is over {limit:,} bytes; send less at a time", {}
        text = auth.decode("latin-1") if auth is not None else ""
        if not text.lower().startswith("bearer "):
            if not write:
                return None
            return 401, "send Authorization: Bearer TOKEN", {"WWW-Authenticate": "Bearer"}
        user = await self.svc.users.get(text[7:].strip())
        if user is None:
            self.svc.failures.allow(address)
            if not write:
                return None  # a public page ignores a stale token; other routes refuse it
            return 401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"}
        scope["safepassage.user"] = user  # the route's dependency takes it from here (per request)
        return None


def _retry(wait: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, round(wait)))}


def _counted(receive: Receive, limit: int) -> Receive:
    """`receive`, refusing (413) once the body read so far is over `limit` bytes: a body sent
    without a length, or longer than it said, is never read whole into memory."""
    seen = 0

    async def receiving() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, f"the body is over {limit:,} bytes; send less at a time")
        return message

    return receiving
