"""Read a scenario file: every problem found at once, each with its file, line and field."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from safepassage.errors import Problem, ScenarioError
from safepassage.model.refs import check_references
from safepassage.model.scenario import Scenario
from safepassage.model.yamlsource import YamlSource, dotted


def load_scenario(path: str | Path) -> tuple[Scenario, YamlSource]:
    """Parse and validate a scenario file; raise ScenarioError listing every problem."""
    source = YamlSource.read(path)
    if not isinstance(source.data, dict):
        raise ScenarioError(
            Problem(
                "a scenario is a mapping of fields (name:, network:, origins:, ...)",
                file=str(source.path),
                line=1,
            )
        )
    problems: list[Problem] = []

    def report(loc: tuple[str | int, ...], message: str, hint: str | None) -> None:
        problems.append(
            Problem(
                message,
                file=str(source.path),
                line=source.line_of(loc),
                field=dotted(loc),
                hint=hint,
            )
        )

    check_references(source.data, report)
    try:
        scenario = Scenario.model_validate(source.data)
    except ValidationError as exc:
        problems[:0] = [_problem(source, err) for err in exc.errors()]
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: p.line or 0))
    return scenario, source


def _problem(source: YamlSource, err: Any) -> Problem:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    # Pydantic adds the tag of a constrained/union type to the path; keep only real fields.
    loc = tuple(p for p in loc if isinstance(p, int) or not p.startswith(("function-", "tagged-")))
    kind = err["type"]
    message = err["msg"].removeprefix("Value error, ")
    hint = None
    if kind == "extra_forbidden":
        valid = sorted(_fields_at(Scenario, loc[:-1]))
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        message = f"unknown field {loc[-1]!r}"
        hint = f"did you mean {close[0]!r}?" if close else f"valid fields here: {', '.join(valid)}"
    elif kind == "missing":
        message = "required field is missing"
    elif kind in ("greater_than_equal", "greater_than") and err.get("input") is not None:
        message = f"{message} (got {err['input']})"
    return Problem(
        message,
        file=str(source.path),
        line=source.line_of(loc),
        field=dotted(loc) or None,
        hint=hint,
    )


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> set[str]:
    """Names (and aliases) of the fields valid at `loc` inside `model`."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        if current is None:
            return set()
        fields = current.model_fields
        field = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
        if field is None:
            return set()
        current = _model_of(field.annotation)
    if current is None:
        return set()
    return {f.alias or name for name, f in current.model_fields.items()}


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as `list[Origin] | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType, tuple) or origin is not None:
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None
