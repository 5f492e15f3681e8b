"""`serve --reports DIR`: the plan, forecast and brief files for readers only, names from the
listing only (no `..`, no link out of DIR, no other file), each with the tightest policy
under which it works; a served plan report draws its map in a real Chromium with nothing
fetched from anywhere but the server."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from safepassage.api.app import create_app
from safepassage.api.routes.served_reports import sign
from safepassage.ops.store import EventStore
from tests.cli.test_cli import cli
from tests.model.test_scenario import MARIUPOL
from tests.web.browser import HAS_PLAYWRIGHT, NO_PLAYWRIGHT, offline_page, served
from tests.web.test_coordinator_map import _poll
from tests.web.test_dashboard import open_corridor

KEY = b"k" * 32
PLAN_HTML = (
    "<!doctype html><html><head><title>Mariupol: evacuation plan</title>"
    "<style>p{color:red}</style></head><body><p style='color:blue'>x</p>"
    '<script type="application/json">{"a": 1}</script><script>var a = 1;</script></body></html>'
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "mariupol.html").write_text(PLAN_HTML, encoding="utf-8")
    (reports / "forecast-day1.html").write_text("<title>x</title>", encoding="utf-8")
    (reports / "brief.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (reports / "notes.txt").write_text("not a report", encoding="utf-8")
    (reports / ".hidden.html").write_text("hidden", encoding="utf-8")
    (reports / "sub").mkdir()
    (reports / "sub" / "inner.html").write_text("inner", encoding="utf-8")
    secret = tmp_path / "secret.html"
    secret.write_text("SECRET outside the folder", encoding="utf-8")
    (reports / "link-out.html").symlink_to(secret)
    (reports / "link-in.html").symlink_to(reports / "mariupol.html")
    return reports


def _client(tmp_path: Path, folder: Path | None) -> tuple[TestClient, dict[str, str]]:
    store = EventStore(str(tmp_path / "ops.db"))
    tokens = {r: store.add_user(r, r) for r in ("observer", "coordinator", "reviewer")}
    tokens["reporter"] = store.add_user("reporter", "reporter", ["cp01"], ["mariupol"])
    return TestClient(create_app(store, reports_dir=folder, link_key=KEY)), tokens


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_listing_has_the_reports_in_the_folder_only(tmp_path: Path, folder: Path) -> None:
    c, tokens = _client(tmp_path, folder)
    assert c.get("/api/v1/reports").status_code == 401
    assert c.get("/api/v1/reports", headers=_auth(tokens["reporter"])).status_code == 403
    listed = c.get("/api/v1/reports", headers=_auth(tokens["observer"])).json()
    by_name = {r["name"]: r for r in listed["reports"]}
    # Not the text file, the hidden one, the one in a sub-folder or the link out of the folder.
    assert set(by_name) == {"mariupol.html", "forecast-day1.html", "brief.pdf", "link-in.html"}
    assert by_name["mariupol.html"]["kind"] == "plan"  # from its title
    assert by_name["forecast-day1.html"]["kind"] == "forecast"  # from its name
    assert by_name["brief.pdf"]["kind"] == "brief" and by_name["brief.pdf"]["format"] == "pdf"
    assert by_name["mariupol.html"]["bytes"] == len(PLAN_HTML.encode())
    mtime = datetime.fromtimestamp((folder / "brief.pdf").stat().st_mtime, UTC)
    shown = by_name["brief.pdf"]["modified"]
    assert mtime.strftime("%H:%M") in shown["text"] and "UTC" in shown["text"]


def test_names_outside_the_listing_are_refused(tmp_path: Path, folder: Path) -> None:
    c, tokens = _client(tmp_path, folder)
    h = _auth(tokens["coordinator"])
    got = c.get("/api/v1/reports/mariupol.html", headers=h)
    assert got.status_code == 200 and got.text == PLAN_HTML
    assert got.headers["content-type"].startswith("text/html")
    assert c.get("/api/v1/reports/mariupol.html").status_code == 401
    assert (
        c.get("/api/v1/reports/mariupol.html", headers=_auth(tokens["reporter"])).status_code == 403
    )
    for name in (
        "link-out.html",
        "notes.txt",
        ".hidden.html",
        "..%2Fsecret.html",
        "%2E%2E%2Fsecret.html",
        "sub%2Finner.html",
        "..",
        "%2e%2e",
    ):
        got = c.get(f"/api/v1/reports/{name}", headers=h)
        assert got.status_code == 404, (name, got.status_code)
        assert "SECRET" not in got.text and "inner" not in got.text
    assert c.get("/api/v1/reports/../secret.html", headers=h).status_code == 404
    pdf = c.get("/api/v1/reports/brief.pdf", headers=h)
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"


def test_without_a_folder_nothing_is_served(tmp_path: Path) -> None:
    c, tokens = _client(tmp_path, None)
    h = _auth(tokens["observer"])
    assert c.get("/api/v1/reports", headers=h).json() == {"directory": False, "reports": []}
    assert "--reports" in c.get("/api/v1/reports/plan.html", headers=h).json()["detail"]


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_a_report_runs_its_own_inline_code_only(tmp_path: Path, folder: Path) -> None:
    c, tokens = _client(tmp_path, folder)
    csp = c.get("/api/v1/reports/mariupol.html", headers=_auth(tokens["observer"])).headers[
        "content-security-policy"
    ]
    policy = dict(p.strip().split(" ", 1) for p in csp.split(";"))
    assert policy["default-src"] == "'none'" and "unsafe-inline" not in csp
    assert policy["script-src"] == _sha("var a = 1;")  # not the JSON block, which never runs
    styles = set(policy["style-src"].split())
    assert styles == {"'unsafe-hashes'", _sha("p{color:red}"), _sha("color:blue")}
    assert "connect-src" not in csp and "http" not in csp  # no request: default-src 'none'
    assert policy["img-src"] == "data:" and policy["worker-src"] == "blob:"


def test_a_signed_link_opens_one_report_for_a_minute(tmp_path: Path, folder: Path) -> None:
    c, tokens = _client(tmp_path, folder)
    assert c.post("/api/v1/reports/mariupol.html/link").status_code == 401
    assert (
        c.post("/api/v1/reports/nope.html/link", headers=_auth(tokens["observer"])).status_code
        == 404
    )
    link = c.post("/api/v1/reports/mariupol.html/link", headers=_auth(tokens["observer"])).json()
    got = c.get(link["url"])
    assert got.status_code == 200 and got.text == PLAN_HTML
    expires = int(re.search(r"expires=(\d+)", link["url"]).group(1))  # type: ignore[union-attr]
    assert 0 < expires - time.time() <= 60
    # The signature is for that name and that time only.
    assert c.get(link["url"].replace("mariupol.html", "forecast-day1.html")).status_code == 403
    assert (
        c.get(link["url"].replace(f"expires={expires}", f"expires={expires + 600}")).status_code
        == 403
    )
    past = int(time.time()) - 1
    stale = f"/reports/mariupol.html?expires={past}&sig={sign(KEY, 'mariupol.html', past)}"
    assert c.get(stale).status_code == 403
    assert c.get("/reports/mariupol.html").status_code == 403
    # A good signature does not open a name outside the listing.
    far = int(time.time()) + 60
    out = f"/reports/link-out.html?expires={far}&sig={sign(KEY, 'link-out.html', far)}"
    assert c.get(out).status_code == 404


@pytest.mark.skipif(not HAS_PLAYWRIGHT, reason=NO_PLAYWRIGHT)
def test_served_reports_open_from_the_dashboard_and_draw_their_maps(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    for command in (
        ["plan", str(MARIUPOL), "--html", str(reports / "plan.html"), "--lang", "uk"],
        ["forecast", str(MARIUPOL), "--runs", "5", "--days", "1", "--html"],
    ):
        if command[0] == "forecast":
            command.append(str(reports / "outlook.html"))  # its kind comes from its title
        made = subprocess.run(
            [sys.executable, "-m", "safepassage", *command], capture_output=True, text=True
        )
        assert made.returncode == 0, made.stderr
    db = str(tmp_path / "ops.db")
    store = EventStore(db)
    open_corridor(store, datetime.now(UTC))
    desk = store.add_user("desk", "coordinator")
    store.close()
    options = ("--scenario", str(MARIUPOL), "--reports", str(reports))
    with served(db, *options) as base, offline_page(base) as (page, refused, _):
        page.goto(f"{base}/dashboard#token={desk}")
        page.wait_for_selector("#reports button")
        listed = page.inner_text("#reports")
        assert "plan, HTML" in listed and "forecast, HTML" in listed
        # The new tabs too: every request but the server's refused (as for the dashboard).
        elsewhere: list[str] = []

        def only_server(r: Any) -> None:
            if r.request.url.startswith((base, "blob:", "data:", "about:")):
                r.continue_()
            else:
                elsewhere.append(r.request.url)
                r.abort()

        page.context.route("**/*", only_server)
        violations: list[str] = []
        page.context.on(
            "console", lambda m: violations.append(m.text) if "Security" in m.text else None
        )
        for name, label in (("plan.html", "Запоріжжя"), ("outlook.html", "Zaporizhzhia")):
            with page.context.expect_page() as opened:
                page.click(f"#reports button:has-text('{name}')")
            tab = opened.value
            tab.wait_for_url(re.compile(f".*/reports/{re.escape(name)}\\?.*"))
            assert desk not in tab.url
            tab.wait_for_selector(
                "[data-sp-map][data-state]:not([data-state=loading])", timeout=60_000
            )
            box = tab.locator("[data-sp-map]")
            assert box.get_attribute("data-state") == "ready", box.get_attribute("data-errors")
            _poll(tab, "window.spMaps[0].queryRenderedFeatures({layers: ['sp-labels']}).length > 0")
            assert label in tab.inner_text(".sp-legend")
            # Styled by its own inline style sheet (refused, the body would fill the tab).
            assert tab.evaluate("getComputedStyle(document.body).maxWidth") != "none"
            tab.close()
        assert refused == [] and elsewhere == [] and violations == []


def test_serve_names_a_missing_reports_folder(tmp_path: Path) -> None:
    run = cli("serve", "--db", str(tmp_path / "ops.db"), "--reports", str(tmp_path / "nope"))
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "--reports" in run.stderr and "no such folder" in run.stderr
