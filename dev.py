#!/usr/bin/env python3
"""Set-up and entry point for a fresh clone: `python3 dev.py demo` and `python3 dev.py test`.

Creates `.venv` with the project and its development tools on first use (again whenever
pyproject.toml changes), then runs the demo or the whole test suite (ruff, mypy, pytest).
Needs only Python 3.11+ and the package registry.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".safepassage-installed"


def run(*cmd: str | Path, **kw: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, **kw)  # type: ignore[call-overload]
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_env() -> None:
    """Create the virtual environment and install the project with its dev extras."""
    if sys.version_info < (3, 11):  # noqa: UP036  (dev.py runs before the venv exists)
        sys.exit(f"safepassage needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PY.exists():
        return
    if not PY.exists():
        print(f"Creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def demo(args: list[str]) -> None:
    run(BIN / "safepassage", "demo", *args)


def ensure_chromium() -> None:
    """The web page tests drive a real Chromium: install Debian's when missing and this runs as
    root with apt (as in CI). Elsewhere those tests skip and say why."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        print("Chromium not found and cannot be installed here: browser tests will skip")
        return
    print("Installing Chromium (Debian package) for the browser tests", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get", "-qq"]
    subprocess.run([*apt, "update"], stdout=subprocess.DEVNULL, env=env, check=False)
    install = [*apt, "install", "-y", "--no-install-recommends", "chromium"]
    done = subprocess.run(install, stdout=subprocess.DEVNULL, env=env, check=False)
    if done.returncode != 0:
        print("Chromium could not be installed: browser tests will skip")


def ensure_pango() -> None:
    """The brief's PDF is rendered by WeasyPrint, which needs Debian's Pango: install it when
    missing and this runs as root with apt. Elsewhere the PDF tests skip and say why."""
    import ctypes.util

    if ctypes.util.find_library("pango-1.0") and ctypes.util.find_library("pangoft2-1.0"):
        return
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        print("Pango not found and cannot be installed here: PDF brief tests will skip")
        return
    print("Installing Pango (Debian packages) for the PDF brief tests", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get", "-qq"]
    subprocess.run([*apt, "update"], stdout=subprocess.DEVNULL, env=env, check=False)
    packages = ["libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"]
    install = [*apt, "install", "-y", "--no-install-recommends", *packages]
    done = subprocess.run(install, stdout=subprocess.DEVNULL, env=env, check=False)
    if done.returncode != 0:
        print("Pango could not be installed: PDF brief tests will skip")


def test(args: list[str]) -> None:
    ensure_chromium()
    ensure_pango()
    run(BIN / "ruff", "check", "src", "tests", "benchmarks", "dev.py")
    run(BIN / "ruff", "format", "--check", "src", "tests", "benchmarks", "dev.py")
    run(BIN / "mypy")
    run(PY, "-m", "pytest", "-q", *args)


COMMANDS = {"demo": demo, "test": test}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(COMMANDS)}}} [args...]")
    ensure_env()
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
