"""Shared benchmark helpers: timing, peak memory of a child process, the result table."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SAFEPASSAGE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        sys.exit(f"benchmark needs {path} (set SAFEPASSAGE_SHARED_DATA)")
    return path


def run_child(code: str, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run `code` in a fresh interpreter; it prints one JSON dict. Adds peak RSS (MiB)."""
    wrapper = (
        "import json, resource, sys\n"
        f"{code}\n"
        "_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "_kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "result['peak_rss_mib'] = _self + _kids  # worker processes counted as if concurrent\n"
        "print(json.dumps(result))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def cpu_model() -> str:
    """The processor's name from /proc/cpuinfo (VMs here change between Intel and AMD, and
    timings with them)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    return (
        f"{platform.machine()}, {cpu_model()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


def table(rows: list[tuple[str, str, str, str]]) -> str:
    header = ("case", "ours", "baseline", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def dump(name: str, data: dict[str, object]) -> None:
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(data, indent=2))
