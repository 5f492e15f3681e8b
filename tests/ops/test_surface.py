"""Issue 10, the public surface and the gate: bodies bounded while read and tokens checked
before, failed logins limited per address, security headers everywhere, no CDN, health that
tells the public nothing, feed links from the configured base URL, only named corridors."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.api.guard import BODY_LIMITS
from safepassage.ops.state import StateSettings
from safepassage.ops.store import EventStore

NOW = datetime.now(UTC)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, Any]:
    # Times from now, not the module's import (the store stamps `recorded_at` with the real
    # clock, and a suite can import this file minutes before it runs).
    global NOW
    NOW = datetime.now(UTC)
    store = EventStore(str(tmp_path / "s.db"))
    app = create_app(
        store,
        settings=StateSettings(public_delay_min=0),
        clock=lambda: NOW + timedelta(minutes=5),
        base_url="https://corridors.example.org/",
        failed_auth_burst=5,
        failed_auth_rate=0.01,
    )
    tokens = {
        "coord": store.add_user("desk", "coordinator"),
        "rep": store.add_user("rep", "reporter", ["cp04-manhush"], ["named"]),
        "obs": store.add_user("obs", "observer"),
    }
    yield {"app": app, "client": TestClient(app), "store": store, "tokens": tokens}
    store.close()


def auth(env: dict[str, Any], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {env['tokens'][who]}"}


def ev(kind: str, corridor: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": (NOW - timedelta(minutes=30)).isoformat(),
        "corridor": corridor,
        "data": data,
    }


def call(
    app: FastAPI, path: str, headers: dict[str, str], chunks: int, size: int
) -> tuple[int, int]:
    """POST `chunks` pieces of `size` bytes straight to the ASGI app, no length declared; the
    status and how many pieces the app pulled."""
    pulled = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        more = pulled < chunks
        return {"type": "http.request", "body": b"x" * size, "more_body": more}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-type", b"application/json")],
        "client": ("203.0.113.9", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    return status, pulled


def test_no_body_is_read_before_the_token_is_checked(env: dict[str, Any]) -> None:
    # 200 MB offered in 1 MB pieces: without a token, not one piece is read.
    assert call(env["app"], "/api/v1/events/bulk", {}, 200, 1 << 20) == (401, 0)
    bad = {"Authorization": "Bearer forged"}
    assert call(env["app"], "/api/v1/events/bulk", bad, 200, 1 << 20) == (401, 0)


def test_bodies_are_bounded_while_they_are_read(env: dict[str, Any]) -> None:
    limit = BODY_LIMITS["/api/v1/events/bulk"]
    status, pulled = call(env["app"], "/api/v1/events/bulk", auth(env, "rep"), 200, 1 << 20)
    assert status == 413 and pulled <= limit // (1 << 20) + 1
    declared = env["client"].post(
        "/api/v1/events", content=b"{}", headers={**auth(env, "rep"), "Content-Length": "999999999"}
    )
    assert declared.status_code == 413 and "bytes" in declared.json()["detail"]


@pytest.mark.parametrize(
    "body", [b"NaN", b"Infinity", b'{"id": 1e999}', b"[" * 30000 + b"]" * 30000, b"\xff\xfe"]
)
@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/events/bulk"])
def test_bodies_json_cannot_carry_are_a_4xx(env: dict[str, Any], path: str, body: bytes) -> None:
    headers = {**auth(env, "coord"), "Content-Type": "application/json"}
    r = env["client"].post(path, content=body, headers=headers)
    assert 400 <= r.status_code < 500 and (r.json().get("detail") or r.json().get("problems"))


def test_failed_authentications_are_limited_per_address(env: dict[str, Any]) -> None:
    c = env["client"]
    codes = [
        c.get("/api/v1/events", headers={"Authorization": f"Bearer guess-{i}"}).status_code
        for i in range(8)
    ]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    assert c.get("/status", headers={"Authorization": "Bearer x"}).status_code == 429
    # The address is held off before any token is looked at, a right one included.
    assert c.get("/api/v1/events", headers=auth(env, "obs")).status_code == 429


def test_a_public_page_ignores_a_stale_token(env: dict[str, Any]) -> None:
    c = env["client"]
    assert c.get("/status.json", headers={"Authorization": "Bearer old"}).status_code == 200
    assert c.get("/api/v1/state", headers={"Authorization": "Bearer old"}).status_code == 401


def test_security_headers_on_every_response_and_no_cdn(env: dict[str, Any]) -> None:
    c = env["client"]
    for path in (
        "/status",
        "/status.json",
        "/dashboard",
        "/api/v1/health",
        "/openapi.json",
        "/nope",
    ):
        r = c.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "no-referrer", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
    assert c.get("/docs").status_code == 404  # Swagger UI would load its script from a CDN
    assert c.get("/openapi.json").json()["paths"]
    assert c.post("/api/v1/events", json={}).headers["x-content-type-options"] == "nosniff"


def test_health_tells_the_public_only_that_it_is_up(env: dict[str, Any]) -> None:
    c = env["client"]
    assert c.get("/api/v1/health").json() == {"ok": True}
    assert c.get("/api/v1/health", headers=auth(env, "rep")).json() == {"ok": True}
    assert c.get("/api/v1/health", headers=auth(env, "obs")).json()["events"] == 0
    # Readers also hear whether the full check of the log after start has finished (it starts
    # with the app's lifespan, which a client opened with `with` runs).
    with TestClient(env["app"]) as started:
        for _ in range(100):
            health = started.get("/api/v1/health", headers=auth(env, "obs")).json()
            if health["log_full_check"] == "done":
                break
            assert health["log_full_check"] in ("pending", "running")
            time.sleep(0.05)
        assert health["log_full_check"] == "done"


def test_public_outputs_show_only_named_corridors_and_links_from_the_base_url(
    env: dict[str, Any],
) -> None:
    c = env["client"]
    window = {"start": NOW.isoformat(), "end": (NOW + timedelta(hours=5)).isoformat()}
    named = {"route": ["cp04-manhush", "z"], "window": window, "name": "Mariupol <safe> route"}
    for e in (
        ev("corridor_announced", "named", named),
        ev("corridor_announced", "unnamed", {"route": ["a"], "window": window}),
        ev("checkpoint_count", "unnamed", {"checkpoint": "a", "vehicles": 3}),
    ):
        assert c.post("/api/v1/events", json=e, headers=auth(env, "coord")).status_code == 201
    typed = ev("checkpoint_count", "named", {"checkpoint": "cp04-manhush", "vehicles": 3})
    assert c.post("/api/v1/events", json=typed, headers=auth(env, "rep")).status_code == 201
    view = c.get("/api/v1/public/status").json()
    assert [(x["corridor"], x["name"]) for x in view["corridors"]] == [
        ("named", "Mariupol <safe> route")
    ]
    page = c.get("/status").text
    assert "Mariupol &lt;safe&gt; route" in page and "unnamed" not in page
    assert c.get("/api/v1/public/cap/unnamed.xml").status_code == 404
    feed = c.get("/api/v1/public/cap.atom", headers={"Host": "evil.example"})
    atom = {"a": "http://www.w3.org/2005/Atom"}
    hrefs = [link.get("href") for link in ET.fromstring(feed.content).iter(f"{{{atom['a']}}}link")]
    assert hrefs and all(h.startswith("https://corridors.example.org/api/") for h in hrefs)
    assert "evil.example" not in feed.text
