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


def _parse(line: str, where: str, public_hex: str, prev: str, n: int | None) -> Checkpoint:
    """One line, checked: its signature (by `public_hex`), its link and its number (when
    `n` is given)."""
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
    if data.get("prev") != prev or (n is not None and number != n):
        raise CheckpointFileError(f"{where}: does not follow the line before (lines removed?)")
    return Checkpoint(number, at, head, line)


class HeadsFile:
    """The checkpoint file of one database."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self, public_hex: str) -> list[Checkpoint]:
        """Every checkpoint, each checked (raises CheckpointFileError at the first bad one)."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        out: list[Checkpoint] = []
        prev = GENESIS
        for i, line in enumerate(lines, start=1):
            out.append(_parse(line, f"line {i}", public_hex, prev, i))
            prev = digest(line.encode())
        return out

    def newest(self, public_hex: str) -> Checkpoint | None:
        """The newest checkpoint, its signature and its link to the line before checked; reads
        only the end of the file (the check at start and every minute)."""
        if not self.path.exists():
            return None
        with self.path.open("rb") as f:
            return _newest(f, public_hex)

    def append(self, key: SigningKey, head: Head, at: str) -> Checkpoint:
        """Sign `head` as the next checkpoint, unless the newest one already covers it (another
        server process may have signed a later head meanwhile)."""
        with self._locked() as f:
            newest = _newest(f, key.public_hex)
            if newest is not None:
                old = newest.head
                if head.events_seq <= old.events_seq and head.audit_seq <= old.audit_seq:
                    return newest
            n = newest.n + 1 if newest else 1
            prev = digest(newest.line.encode()) if newest else GENESIS
            data = _fields(n, at, head, prev, key.public_hex)
            data["sig"] = key.sign(canonical(data))
            line = json.dumps(data, separators=(",", ":"))
            f.seek(0, os.SEEK_END)
            f.write((line + "\n").encode())
            f.flush()
            os.fsync(f.fileno())
            return Checkpoint(n, at, head, line)

    @contextmanager
    def _locked(self) -> Iterator[IO[bytes]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        with os.fdopen(fd, "r+b") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield f
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _newest(f: IO[bytes], public_hex: str) -> Checkpoint | None:
    """The last line of an open checkpoint file, checked against the line before it."""
    size = f.seek(0, os.SEEK_END)
    back = 0
    while True:
        back = min(size, back + 8192)
        f.seek(size - back)
        lines = f.read().decode("utf-8", "replace").splitlines()
        if back == size or len(lines) > 2:  # two whole lines at least (the first may be cut)
            break
    if not lines:
        return None
    if back < size:
        lines = lines[1:]
    prev = digest(lines[-2].encode()) if len(lines) > 1 else GENESIS
    return _parse(lines[-1], "the last line", public_hex, prev, None if back < size else len(lines))
