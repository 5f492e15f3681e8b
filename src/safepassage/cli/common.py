"""Shared CLI plumbing: error handling, JSON output, the console."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from safepassage.errors import Problem, SafePassageError

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

#: The repository's bundled scenarios (a source checkout or an editable install).
SCENARIOS_DIR = Path(__file__).resolve().parents[3] / "scenarios"
DEMO_SCENARIO = SCENARIOS_DIR / "mariupol-2022.yaml"

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Print a user's mistake as a clear message and exit 2: never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SafePassageError as exc:
            as_json = bool(kwargs.get("as_json"))
            report_error(exc, as_json=as_json)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def report_error(exc: SafePassageError, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"ok": False, "problems": [p.as_dict() for p in exc.problems]}, indent=2))
        return
    for problem in exc.problems:
        err_console.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)


def write_output(path: Path, text: str) -> None:
    """Write a file the user asked for, or fail with a message naming it (never a traceback)."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SafePassageError(
            Problem(f"cannot write output: {exc.strerror or exc}", file=str(path))
        ) from None


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def parse_latlon(text: str, option: str) -> tuple[float, float]:
    """`LAT,LON` to a pair, or a clear error naming the option."""
    try:
        lat, lon = (float(p) for p in text.split(","))
    except ValueError:
        raise SafePassageError(
            f"{option}: expected LAT,LON such as 47.0951,37.5413, got {text!r}"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise SafePassageError(f"{option}: {text!r} is not a latitude,longitude (latitude first)")
    return lat, lon


def aware_time(text: str, option: str) -> datetime:
    """A time given on the command line, which must carry its offset (a bare time would be
    read in this machine's zone, which is not the corridor's)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise SafePassageError(
            Problem(
                f"{option} {text!r} is not a time with its offset",
                hint="write it like 2022-03-15T14:00+02:00",
            )
        )
    return value
