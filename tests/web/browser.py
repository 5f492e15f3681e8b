"""A real `safepassage serve` and a real headless Chromium for page tests."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from tests.ops.test_reliability import free_port, server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = "needs Chromium (python3 dev.py test installs Debian's when run as root)"


@contextmanager
def served(db: str) -> Iterator[str]:
    """`safepassage serve` on a free port with no public delay; yields its base URL."""
    port = free_port()
    with server(db, port, "--public-delay", "0"):
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
