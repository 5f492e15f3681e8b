"""YAML with positions: find the line of any field path, for error messages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from safepassage.errors import InputFileError, Problem, ScenarioError, require_file

# libyaml's parser when PyYAML was built with it (10-20 times faster on large generated files).
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSource:
    """A parsed YAML document that remembers where each value came from."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        try:
            loader = _Loader(text)
            try:
                self.root: yaml.Node | None = loader.get_single_node()
                self.data: Any = (
                    loader.construct_document(self.root) if self.root is not None else None
                )
            finally:
                loader.dispose()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            reason = getattr(exc, "problem", None) or str(exc)
            raise ScenarioError(
                Problem(
                    f"not valid YAML: {reason}",
                    file=str(path),
                    line=line,
                    hint="check indentation and quoting",
                )
            ) from None

    @classmethod
    def read(cls, path: str | Path) -> YamlSource:
        p = require_file(path)
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputFileError.at(
                p, "not a UTF-8 text file", "save the scenario as UTF-8 YAML"
            ) from None
        return cls(p, text)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """1-based line of the value at `loc` (or of the deepest part of it that exists)."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                # For a field that is itself wrong (unknown name), the key's line is the answer.
                found: yaml.Node = (
                    value if not isinstance(value, yaml.ScalarNode) or value.value != "" else key
                )
                return found
        return None
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        child: yaml.Node = node.value[part]
        return child
    return None


def dotted(loc: Sequence[str | int]) -> str:
    """('origins', 0, 'people') -> 'origins[0].people'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
