"""A real `safepassage serve` and a real headless Chromium for page tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

from tests.ops.test_reliability import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SERVE = [sys.executable, "-m", "safepassage", "serve"]
NO_CHROMIUM = "needs Chromium (python3 dev.py test installs Debian's when run as root)"


@contextmanager
def served(db: str, log: Path) -> Iterator[str]:
    """`safepassage serve` on a free port with no public delay; yields its base URL."""
    port = free_port()
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [*SERVE, "--db", db, "--port", str(port), "--public-delay", "0"],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


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
