"""A real `safepassage serve` and a real headless Chromium for page tests."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.ops.test_reliability import free_port, server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = "needs Chromium (python3 dev.py test installs Debian's when run as root)"


@contextmanager
def served(db: str, *options: str) -> Iterator[str]:
    """`safepassage serve` on a free port with no public delay; yields its base URL."""
    port = free_port()
    with server(db, port, "--public-delay", "0", *options):
        yield f"http://127.0.0.1:{port}"


def chromium(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on `url` with a fresh profile and no background traffic."""
    assert CHROMIUM is not None
    profile = tempfile.mkdtemp(prefix="sp-chromium-")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]
    try:
        return subprocess.run(
            [CHROMIUM, *flags, *extra, url], capture_output=True, text=True, timeout=90
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


try:
    from playwright.sync_api import Page, sync_playwright
except ImportError:  # the dev extras install it; without it the page tests skip
    sync_playwright = None  # type: ignore[assignment]

NO_PLAYWRIGHT = (
    "needs Playwright and Chromium (python3 dev.py test installs both where it can; "
    "elsewhere: pip install playwright and apt-get install chromium)"
)
HAS_PLAYWRIGHT = sync_playwright is not None and CHROMIUM is not None


@contextmanager
def offline_page(
    allowed: str,
    *,
    javascript: bool = True,
    width: int = 1200,
    height: int = 1000,
) -> Iterator[tuple[Page, list[str], dict[str, int]]]:
    """A Chromium page (Playwright) whose every request to anything but URLs starting with
    `allowed` is refused, as with the network cable pulled. Yields the page, the refused
    URLs and the bytes received per URL."""
    assert sync_playwright is not None and CHROMIUM is not None
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--enable-unsafe-swiftshader", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(
                java_script_enabled=javascript,
                viewport={"width": width, "height": height},
            )
            page = context.new_page()
            refused: list[str] = []
            received: dict[str, int] = {}

            def route(r: Any) -> None:
                url = r.request.url
                if url.startswith((allowed, "blob:", "data:")):
                    r.continue_()
                else:
                    refused.append(url)
                    r.abort()

            def on_response(response: Any) -> None:
                if response.url.startswith("http"):
                    body = response.body()
                    received[response.url] = received.get(response.url, 0) + len(body)

            page.route("**/*", route)
            page.on("response", on_response)
            yield page, refused, received
        finally:
            browser.close()


AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def serious_accessibility_problems(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page as it is now."""
    # Evaluated through the DevTools protocol, which a page's CSP does not govern (a script
    # element would be refused by the strict CSP of our pages, as it should be).
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    found: list[dict[str, Any]] = page.evaluate(
        """axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]
