"""One error family. Every message names where (file, line, field), what, and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user's input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    hint: str | None = None
    severity: str = "error"  # or "warning": reported, but the input is still usable

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        hint = f" ({self.hint})" if self.hint else ""
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}{label}{field}{self.message}{hint}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
            "severity": self.severity,
        }


class SafePassageError(Exception):
    """Base of every error a user can cause; the CLI prints it without a traceback."""

    exit_code = 2

    def __init__(self, problems: Problem | list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = Problem(problems)
        self.problems: list[Problem] = problems if isinstance(problems, list) else [problems]
        super().__init__("\n".join(str(p) for p in self.problems))


class InputFileError(SafePassageError):
    """A file is missing, empty, corrupt or of the wrong kind."""

    @classmethod
    def at(cls, path: str | Path, message: str, hint: str | None = None) -> InputFileError:
        return cls(Problem(message, file=str(path), hint=hint))


class ScenarioError(SafePassageError):
    """A scenario file has one or more problems (all of them are listed)."""


class RoutingError(SafePassageError):
    """No route exists under the given constraints."""


class PlanningError(SafePassageError):
    """The planner refuses an impossible or contradictory request."""


def require_file(path: str | Path) -> Path:
    """Return `path` as a Path if it is a readable, non-empty file; raise a clear error if not."""
    p = Path(path)
    if not p.exists():
        raise InputFileError.at(p, "file not found", "check the path and spelling")
    if p.is_dir():
        raise InputFileError.at(p, "is a directory, expected a file")
    if p.stat().st_size == 0:
        raise InputFileError.at(p, "file is empty", "re-download or re-export it")
    return p
