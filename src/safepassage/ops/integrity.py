"""Checking the log and anchoring its head outside the database.

Three things are checked. The events and the audit entries each form a hash chain (every row's
hash covers the row before), so an edited, removed or reordered row breaks it. The newest rows
and a chain rewritten from some row on are caught by the signed checkpoints (`heads.py`) and by
heads given on the command line: each names the hash a row must still have. User rows carry a
seal made with the service's key, so a user written straight into the database is refused.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safepassage.errors import Problem, SafePassageError
from safepassage.ops.events import GENESIS, canonical, digest, row_hash
from safepassage.ops.heads import Checkpoint, CheckpointFileError, Head, HeadsFile
from safepassage.ops.keys import SigningKey, integrity_paths
from safepassage.ops.schema import audit, events, users

log = logging.getLogger("safepassage.integrity")
NOUN = {"events": "event", "audit": "audit entry"}
USER_FIELDS = ("name", "token_hash", "role", "scope", "created_at", "revoked_at")


@dataclass(frozen=True)
class Anchor:
    """A hash a row must still have, and who says so."""

    table: str  # "events" or "audit"
    seq: int
    hash: str
    source: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int  # events whose hash was recomputed
    first_bad_seq: int | None = None
    reason: str = ""
    table: str = "events"  # where the first problem is: events, audit, users or checkpoints
    audit_checked: int = 0
    checkpoints: int = 0  # signed checkpoints checked against the log
    anchored_seq: int = 0  # events up to here are covered by a signed checkpoint
    head: Head | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["head"] = self.head.__dict__ if self.head else None
        return out


class _Broken(Exception):
    def __init__(self, table: str, seq: int | None, reason: str, checked: int = 0) -> None:
        super().__init__(reason)
        self.table, self.seq, self.reason, self.checked = table, seq, reason, checked


def user_seal_body(row: Any) -> bytes:
    """What a user row's seal covers: every field but the seal."""
    return canonical({k: row[k] for k in USER_FIELDS})


def parse_expect(text: str) -> Anchor:
    """`SEQ:HASH` (an event) or `audit:SEQ:HASH`, as `log head` prints them."""
    parts = text.strip().split(":")
    table = "events"
    if len(parts) == 3 and parts[0] in ("audit", "events"):
        table = parts.pop(0)
    ok = len(parts) == 2 and parts[0].isdigit() and len(parts[1]) == 64
    if not ok or any(c not in "0123456789abcdef" for c in parts[1]):
        raise SafePassageError(
            Problem(
                f"--expect {text!r} is not a head",
                hint="write SEQ:HASH (or audit:SEQ:HASH) as `safepassage log head` prints it",
            )
        )
    return Anchor(table, int(parts[0]), parts[1], f"the head given with --expect {parts[0]}")


def _check_row(table: str, m: dict[str, Any], prev: str) -> str | None:
    """Why a row does not fit its place in the chain after `prev`, or None."""
    if table == "events":
        content = {k: m[k] for k in ("id", "type", "occurred_at", "corridor", "status", "source")}
        content["supersedes"] = m["supersedes"]
        content["data"] = json.loads(m["data"])
        if digest(canonical(content)) != m["content_hash"]:
            return "its content was changed after it was stored"
    if m["prev_hash"] != prev:
        return "it does not follow the row before it (a row was removed, inserted or moved)"
    if row_hash(prev, m) != m["hash"]:
        return "its hash does not match its content (changed after it was stored)"
    return None


def _walk(
    engine: Engine,
    name: str,
    start: tuple[int, str],
    anchors: list[Anchor],
    page: int,
    pause: Callable[[float], None] | None = None,
) -> tuple[int, str, int]:
    """Recompute `name`'s chain after `start` (seq, hash), checking each anchor on the way;
    the last (seq, hash) and how many rows were checked. Raises _Broken at the first fault.
    Each page is read in its own short transaction (a long SQLite read would hold off the
    WAL checkpoint, and a pending RESTART checkpoint holds off writers); `pause(seconds the
    page took)` lets a background check leave the processor to the server."""
    table = events if name == "events" else audit
    noun = NOUN[name]
    seq, prev = start
    if seq:
        with engine.connect() as conn:
            row = conn.execute(sa.select(table.c.hash).where(table.c.seq == seq)).first()
        if row is None or row.hash != prev:
            raise _Broken(name, 1, f"{noun} {seq} is not as signed: the log was rewritten")
    by_seq: dict[int, list[Anchor]] = {}
    for a in anchors:
        if a.table == name and a.seq > seq:
            by_seq.setdefault(a.seq, []).append(a)
    good, checked = seq, 0
    while True:
        began = time.monotonic()
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(table).where(table.c.seq > seq).order_by(table.c.seq).limit(page)
            ).all()
        for r in rows:
            m = dict(r._mapping)
            if m["seq"] != seq + 1:
                raise _Broken(name, seq + 1, f"{noun} {seq + 1} is missing", checked)
            why = _check_row(name, m, prev)
            if why:
                raise _Broken(name, m["seq"], why, checked)
            for a in by_seq.pop(m["seq"], []):
                if a.hash != m["hash"]:
                    raise _Broken(
                        name,
                        good + 1,
                        f"{noun}s {good + 1}..{m['seq']} were rewritten (and re-chained): "
                        f"{a.source} has {noun} {m['seq']} as {a.hash[:16]}, "
                        f"the log has {m['hash'][:16]}",
                        checked - (m["seq"] - good - 1),
                    )
                good = m["seq"]
            seq, prev = m["seq"], m["hash"]
            checked += 1
        if len(rows) < page:
            break
        if pause is not None:
            pause(time.monotonic() - began)
    if by_seq:
        far = by_seq[max(by_seq)][0]
        raise _Broken(
            name,
            seq + 1,
            f"{noun}s {seq + 1}..{far.seq} are missing (removed from the end): "
            f"{far.source} names {noun} {far.seq}",
            checked,
        )
    return seq, prev, checked


def _check_users(conn: Connection, key: SigningKey) -> None:
    for r in conn.execute(sa.select(users).order_by(users.c.name)):
        if not key.seal_ok(user_seal_body(r._mapping), r.mac):
            raise _Broken(
                "users",
                None,
                f"user {r.name!r} (role {r.role}) was not written by this service: "
                "added or changed directly in the database",
            )


class Integrity:
    """The key and checkpoints of one database, and the checks that use them."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.key_path, heads_path = integrity_paths(url)
        self.heads = HeadsFile(heads_path)
        self._key: SigningKey | None = None

    def key(self) -> SigningKey:
        """The signing key, made on first use; users stored before it existed are sealed then
        (trust on first use: the first key vouches for what the database held)."""
        if self._key is None:
            self._key = SigningKey.load_or_create(self.key_path)
            if self._key.created:
                self._seal_unsealed_users(self._key)
        return self._key

    def _seal_unsealed_users(self, key: SigningKey) -> None:
        with self.engine.begin() as conn:
            for r in conn.execute(sa.select(users).where(users.c.mac.is_(None))).all():
                mac = key.seal(user_seal_body(r._mapping))
                conn.execute(users.update().where(users.c.name == r.name).values(mac=mac))

    def verify(
        self,
        expect: list[Anchor] | None = None,
        *,
        full: bool = True,
        page: int = 10_000,
        pause: Callable[[float], None] | None = None,
    ) -> VerifyResult:
        """Check the log. `full`: every row from the first, against every checkpoint; else
        (at start and before signing) from the newest checkpoint on. `pause`: see `_walk`."""
        key = self.key() if not full else (self._key or SigningKey.load(self.key_path))
        warnings: list[str] = []
        try:
            checkpoints = self.heads.read(key.public_hex, signatures=full) if key else []
        except CheckpointFileError as exc:
            return VerifyResult(False, 0, None, f"{self.heads.path}: {exc}", "checkpoints")
        if key is None:
            if self.heads.path.exists():
                return VerifyResult(
                    False, 0, None, f"the signing key {self.key_path} is missing", "checkpoints"
                )
            warnings.append(f"no signing key yet ({self.key_path}): nothing anchors the head")
        anchors = [*_anchors(checkpoints if full else checkpoints[-1:]), *(expect or [])]
        start = checkpoints[-1].head if checkpoints and not full else Head(0, GENESIS, 0, GENESIS)
        checked = 0
        try:
            e0, a0 = (start.events_seq, start.events_hash), (start.audit_seq, start.audit_hash)
            ev = _walk(self.engine, "events", e0, anchors, page, pause)
            checked = ev[2]
            au = _walk(self.engine, "audit", a0, anchors, page, pause)
            if key is not None:
                with self.engine.connect() as conn:
                    _check_users(conn, key)
        except _Broken as exc:
            if not full:  # the full check names the first bad row where it can
                return self.verify(expect, full=True, page=page, pause=pause)
            checked = exc.checked if exc.table == "events" else checked
            return VerifyResult(False, checked, exc.seq, exc.reason, exc.table, warnings=warnings)
        anchored = checkpoints[-1].head.events_seq if checkpoints else 0
        if checkpoints and ev[0] > anchored:
            warnings.append(f"events {anchored + 1}..{ev[0]} are after the newest checkpoint")
        return VerifyResult(
            True,
            ev[2],
            audit_checked=au[2],
            checkpoints=len(checkpoints) if full else min(1, len(checkpoints)),
            anchored_seq=anchored,
            head=Head(ev[0], ev[1], au[0], au[1]),
            warnings=warnings,
        )

    def seal(self) -> tuple[VerifyResult, Checkpoint | None]:
        """Check the log from the newest checkpoint and, when intact and moved on, sign its
        head as the next checkpoint. Never signs a broken log."""
        result = self.verify(full=False)
        if not result.ok or result.head is None:
            return result, None
        now = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            checkpoint = self.heads.append(self.key(), result.head, now)
        except CheckpointFileError as exc:
            return replace(
                result, ok=False, reason=f"{self.heads.path}: {exc}", table="checkpoints"
            ), None
        except OSError as exc:
            raise SafePassageError(
                Problem(
                    f"cannot write the checkpoint file: {exc.strerror or exc}",
                    file=str(self.heads.path),
                    hint="make it writable, or set SAFEPASSAGE_INTEGRITY_DIR",
                )
            ) from None
        return replace(result, anchored_seq=checkpoint.head.events_seq), checkpoint

    def newest(self) -> Checkpoint | None:
        checkpoints = self.heads.read(self.key().public_hex, signatures=False)
        return checkpoints[-1] if checkpoints else None


def _anchors(checkpoints: list[Checkpoint]) -> list[Anchor]:
    out = []
    for cp in checkpoints:
        h = cp.head
        out.append(Anchor("events", h.events_seq, h.events_hash, cp.describe()))
        out.append(Anchor("audit", h.audit_seq, h.audit_hash, cp.describe()))
    return out
