"""Signed checkpoints of the log's head, in a file apart from the database.

One JSON line per checkpoint: its number, time, the (seq, hash) of the last event and of the
last audit entry, the hash of the line before it, the public key and an Ed25519 signature over
all of that. Lines are only appended (under an exclusive lock, so several server processes can
share the file). Someone who can change only the database cannot change a line without the key,
and each line names the one before, so one removed or edited in the middle shows; removing the
newest lines shows only against a head kept elsewhere (`log head`, `log verify --expect`).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from safepassage.ops.events import GENESIS, canonical, digest
from safepassage.ops.keys import SigningKey, signature_ok


@dataclass(frozen=True)
class Head:
    """A position in the log: the last event's and the last audit entry's (seq, hash)."""

    events_seq: int
    events_hash: str
    audit_seq: int
    audit_hash: str


@dataclass(frozen=True)
class Checkpoint:
    n: int
    at: str
    head: Head
    line: str  # the line as written (its hash is the next line's `prev`)

    def describe(self) -> str:
        return f"signed checkpoint #{self.n} of {self.at}"


class CheckpointFileError(ValueError):
    """The checkpoint file itself was changed; the message says which line and how."""


def _fields(n: int, at: str, head: Head, prev: str, public_hex: str) -> dict[str, Any]:
    return {
        "n": n,
        "at": at,
        "events": [head.events_seq, head.events_hash],
        "audit": [head.audit_seq, head.audit_hash],
        "prev": prev,
        "key": public_hex,
    }


def _parse(line: str, line_no: int, public_hex: str, prev: str, n: int) -> Checkpoint:
    """One line, checked: its signature (by `public_hex`), its link and its number."""
    where = f"line {line_no}"
    try:
        data = json.loads(line)
        sig = data.pop("sig")
        head = Head(
            int(data["events"][0]), data["events"][1], int(data["audit"][0]), data["audit"][1]
        )
        at, number = str(data["at"]), int(data["n"])
    except (ValueError, KeyError, TypeError, IndexError):
        raise CheckpointFileError(f"{where}: not a checkpoint (edited or cut short)") from None
    if data.get("key") != public_hex or not signature_ok(public_hex, canonical(data), sig):
        raise CheckpointFileError(f"{where}: bad signature (edited, or not made with this key)")
    if data.get("prev") != prev or number != n:
        raise CheckpointFileError(f"{where}: does not follow the line before (lines removed?)")
    return Checkpoint(number, at, head, line)


class HeadsFile:
    """The checkpoint file of one database."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self, public_hex: str, *, signatures: bool = True) -> list[Checkpoint]:
        """Every checkpoint, each checked (raises CheckpointFileError at the first bad one).
        With `signatures=False` only the newest line's signature is checked (the links between
        lines are still followed): the fast check at start."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        out: list[Checkpoint] = []
        prev = GENESIS
        for i, line in enumerate(lines, start=1):
            if not signatures and i < len(lines):
                out.append(_unchecked(line, i, prev, len(out) + 1))
            else:
                out.append(_parse(line, i, public_hex, prev, len(out) + 1))
            prev = digest(line.encode())
        return out

    def append(self, key: SigningKey, head: Head, at: str) -> Checkpoint:
        """Sign `head` as the next checkpoint (unless it is the newest one already)."""
        with self._locked() as f:
            f.seek(0)
            lines = f.read().splitlines()
            last = lines[-1] if lines else None
            if last is not None:
                newest = _parse(last, len(lines), key.public_hex, _prev_of(lines), len(lines))
                if newest.head == head:
                    return newest
            prev = digest(last.encode()) if last is not None else GENESIS
            data = _fields(len(lines) + 1, at, head, prev, key.public_hex)
            data["sig"] = key.sign(canonical(data))
            line = json.dumps(data, separators=(",", ":"))
            f.seek(0, os.SEEK_END)
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
            return Checkpoint(data["n"], at, head, line)

    @contextmanager
    def _locked(self) -> Iterator[IO[str]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        with os.fdopen(fd, "r+", encoding="utf-8") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield f
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _prev_of(lines: list[str]) -> str:
    return digest(lines[-2].encode()) if len(lines) > 1 else GENESIS


def _unchecked(line: str, line_no: int, prev: str, n: int) -> Checkpoint:
    """A line's content with its link and number checked, not its signature."""
    try:
        data = json.loads(line)
        head = Head(
            int(data["events"][0]), data["events"][1], int(data["audit"][0]), data["audit"][1]
        )
        ok = data["prev"] == prev and int(data["n"]) == n
    except (ValueError, KeyError, TypeError, IndexError):
        raise CheckpointFileError(
            f"line {line_no}: not a checkpoint (edited or cut short)"
        ) from None
    if not ok:
        raise CheckpointFileError(
            f"line {line_no}: does not follow the line before (lines removed?)"
        )
    return Checkpoint(n, str(data["at"]), head, line)
