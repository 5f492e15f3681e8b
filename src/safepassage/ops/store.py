"""The operations store: an append-only, hash-chained event log, users and an audit trail, on
SQLite (default: WAL, full sync, one writer) or PostgreSQL (psycopg 3). The URL picks the
backend; nothing else changes.

Appends are serialised (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory
lock), so the chain has one order. Each row's hash covers the previous hash and the row's whole
content, so `verify()` finds any change to stored history. An event id seen before is a
duplicate when its content is the same (stored once, acknowledged again) and a conflict when it
differs (refused: nothing already acknowledged is ever changed).
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine

from safepassage.errors import Problem, SafePassageError
from safepassage.ops.events import GENESIS, EventIn, canonical, digest, row_hash
from safepassage.ops.integrity import Anchor, Integrity, VerifyResult, user_seal_body
from safepassage.ops.schema import audit, events, users

__all__ = ["GENESIS", "EventStore", "VerifyResult"]
log = logging.getLogger("safepassage.store")
ROLES = ("admin", "coordinator", "reporter", "observer")
_PG_LOCK = 7_301_2022


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def engine_for(url: str) -> Engine:
    """An engine for `url`: a file path or sqlite:/// URL, or postgresql://."""
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa_event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # an acknowledged event survives power loss
            cur.execute("PRAGMA busy_timeout=30000")
            # Checkpoints run in a background thread (`_Checkpointer`), not inside a commit
            # that a reporter is waiting for.
            cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.execute("PRAGMA journal_size_limit=16777216")  # truncate the log back to 16 MB
            cur.close()

        @sa_event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # Writers take the database lock up front (one writer); readers use WAL snapshots.
            write = conn.get_execution_options().get("safepassage_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if url.startswith("postgresql"):
        return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise SafePassageError(
        Problem(
            f"--db {url!r}: unsupported database",
            hint="use a file path, sqlite:///FILE or postgresql://USER@HOST/DB",
        )
    )


#: SQLite result codes and PostgreSQL SQLSTATEs of storage that cannot take writes.
_STORAGE = {
    sqlite3.SQLITE_FULL: "the database's disk is full",
    "53100": "the database's disk is full",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    "25006": "the database is read-only",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened (read-only or missing folder?)",
    sqlite3.SQLITE_IOERR: "the disk under the database reports an I/O error",
}


def storage_problem(exc: BaseException) -> str | None:
    """What is wrong with the database's storage, in words, when `exc` says so; else None."""
    orig = getattr(exc, "orig", exc)
    code: int | str | None = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        code &= 0xFF  # the primary result code of an extended one
    else:
        code = getattr(orig, "sqlstate", None)
    what = _STORAGE.get(code) if code is not None else None
    return f"{what}: nothing can be recorded until that is fixed" if what else None


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@dataclass(frozen=True)
class AppendResult:
    id: str
    outcome: str  # "stored", "duplicate" or "conflict"
    seq: int | None
    message: str = ""


@dataclass(frozen=True)
class AppendGroup:
    """One submission: its events, who sent them, and what to audit it as."""

    events: list[EventIn]
    reporter: str
    action: str = "append"


def _repeat(ident: str, content_hash: str, old_hash: str, old_seq: int) -> AppendResult:
    """The answer for an id already stored: the same content again, or different content."""
    if old_hash == content_hash:
        return AppendResult(ident, "duplicate", old_seq)
    return AppendResult(
        ident,
        "conflict",
        old_seq,
        "this id is already stored with different content; "
        "send a correction as a new event with `supersedes`",
    )


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    id: str
    type: str
    corridor: str
    occurred_at: str
    recorded_at: str
    reporter: str
    status: str
    source: str | None
    supersedes: str | None
    data: dict[str, Any]
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class User:
    name: str
    role: str
    scope: list[str]


def _token_hash(token: str) -> str:
    return digest(token.encode())


class _Checkpointer:
    """Copies the SQLite write-ahead log into the database every second, outside any commit a
    reporter waits for. PASSIVE never blocks the writer; once the log passes `restart_bytes` a
    RESTART checkpoint (which waits for the current transaction, then briefly holds off the
    next) lets the log be reused from its start, so it stays bounded under steady writes."""

    def __init__(self, engine: Engine, every_s: float = 1.0, restart_bytes: int = 8 << 20) -> None:
        self.engine, self.every_s, self.restart_bytes = engine, every_s, restart_bytes
        self.wal = Path(str(engine.url.database) + "-wal")
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # Whatever one round raises (disk full, I/O error, a closed database), the thread
        # lives on: if it died, the write-ahead log would grow without bound.
        while not self._stop.wait(self.every_s):
            try:
                self.run_once()
            except (sa.exc.DBAPIError, sqlite3.Error, OSError) as exc:
                message = str(exc).splitlines()[0]
                if message != self.last_error:
                    log.error("WAL checkpoint failed (will retry every second): %s", message)
                self.last_error = message
            else:
                self.last_error = None

    def run_once(self) -> None:
        big = self.wal.exists() and self.wal.stat().st_size > self.restart_bytes
        conn = self.engine.raw_connection()  # autocommit: no transaction around it
        try:
            mode = "RESTART" if big else "PASSIVE"
            conn.cursor().execute(f"PRAGMA wal_checkpoint({mode})")
        finally:
            conn.close()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


class EventStore:
    """The log and its companions; safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)
        self._write_lock = threading.Lock()  # SQLite has one writer; queue in-process
        migrate(self.engine)
        self.integrity = Integrity(self.engine, url)
        self.storage_problem: str | None = None  # why writes fail (disk full, read-only)
        self._wrote = False
        self._checkpointer = _Checkpointer(self.engine) if self.backend == "sqlite" else None

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def wal_problem(self) -> str | None:
        """Why the SQLite write-ahead log is not being copied into the database, if it is not."""
        c = self._checkpointer
        if c is None or c.last_error is None:
            return None
        return f"the write-ahead log cannot be copied into the database: {c.last_error}"

    def close(self) -> None:
        """Stop; when this process wrote to the log, sign its head first (a checkpoint)."""
        if self._wrote:
            try:
                result, _ = self.integrity.seal()
                if not result.ok:
                    log.error("log not signed at close: %s", result.reason)
            except (SafePassageError, OSError, sa.exc.DBAPIError) as exc:
                log.error("log not signed at close: %s", exc)
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()

    # -- writing --------------------------------------------------------------------------
    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction, serialised in-process and in the database."""
        try:
            with self._write_lock, self.engine.connect() as conn:
                conn = conn.execution_options(safepassage_write=True)
                with conn.begin():
                    if self.backend == "postgresql":
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
                    yield conn
        except sa.exc.DBAPIError as exc:
            self._storage_failed(exc)
            raise
        self._wrote = True
        if self.storage_problem is not None:
            log.warning("writes work again (%s is over)", self.storage_problem)
            self.storage_problem = None

    def _storage_failed(self, exc: sa.exc.DBAPIError) -> None:
        """Remember (and log once) that the disk is full or the database read-only."""
        problem = storage_problem(exc)
        if problem is not None and problem != self.storage_problem:
            log.error("writes fail: %s", problem)
        self.storage_problem = problem or self.storage_problem

    def append(
        self, batch: list[EventIn], reporter: str, *, action: str = "append"
    ) -> list[AppendResult]:
        """Store the events that are new, in order, in one transaction; audited."""
        return self.append_groups([AppendGroup(batch, reporter, action)])[0]

    def append_groups(self, groups: list[AppendGroup]) -> list[list[AppendResult]]:
        """Several submissions in one transaction (group commit: one sync to disk for all),
        each audited on its own; results per group, in order."""
        contents = [[e.content() for e in g.events] for g in groups]
        ids = {c["id"] for group in contents for c in group}
        out: list[list[AppendResult]] = []
        with self._writing() as conn:
            known: dict[str, tuple[str, int]] = {}
            for chunk in _chunks(sorted(ids), 500):
                for r in conn.execute(
                    sa.select(events.c.id, events.c.content_hash, events.c.seq).where(
                        events.c.id.in_(chunk)
                    )
                ):
                    known[r.id] = (r.content_hash, int(r.seq))
            head = conn.execute(
                sa.select(events.c.seq, events.c.hash).order_by(events.c.seq.desc()).limit(1)
            ).first()
            seq, prev = (int(head.seq), str(head.hash)) if head else (0, GENESIS)
            recorded = now_utc()
            rows: list[dict[str, Any]] = []
            audits: list[dict[str, Any]] = []
            for group, group_contents in zip(groups, contents, strict=True):
                results: list[AppendResult] = []
                for content in group_contents:
                    chash = digest(canonical(content))
                    if content["id"] in known:
                        results.append(_repeat(content["id"], chash, *known[content["id"]]))
                        continue
                    seq += 1
                    row = {
                        "seq": seq,
                        "id": content["id"],
                        "type": content["type"],
                        "corridor": content["corridor"],
                        "occurred_at": content["occurred_at"],
                        "recorded_at": recorded,
                        "reporter": group.reporter,
                        "status": content["status"],
                        "source": content["source"],
                        "supersedes": content["supersedes"],
                        "data": canonical(content["data"]).decode(),
                        "content_hash": chash,
                        "prev_hash": prev,
                    }
                    row["hash"] = prev = row_hash(prev, row)
                    rows.append(row)
                    known[content["id"]] = (chash, seq)
                    results.append(AppendResult(content["id"], "stored", seq))
                counts = {
                    o: sum(r.outcome == o for r in results)
                    for o in ("stored", "duplicate", "conflict")
                }
                audits.append(
                    {
                        "at": recorded,
                        "user": group.reporter,
                        "action": group.action,
                        "detail": json.dumps(counts),
                    }
                )
                out.append(results)
            if rows:
                conn.execute(events.insert(), rows)
            _append_audit(conn, audits)
        return out

    def record_audit(self, user: str, action: str, detail: dict[str, Any]) -> None:
        with self._writing() as conn:
            _append_audit(
                conn,
                [{"at": now_utc(), "user": user, "action": action, "detail": json.dumps(detail)}],
            )

    # -- reading --------------------------------------------------------------------------
    def head(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0))).scalar_one()
            )

    def read(
        self, after: int = 0, limit: int = 1000, corridor: str | None = None
    ) -> list[StoredEvent]:
        """Events in log order with seq > `after` (a page of at most `limit`)."""
        query = sa.select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit)
        if corridor is not None:
            query = query.where(events.c.corridor == corridor)
        with self.engine.connect() as conn:
            return [_stored(r._mapping) for r in conn.execute(query)]

    def audit_trail(self, limit: int = 100) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(audit).order_by(audit.c.seq.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]

    def verify(self, expect: list[Anchor] | None = None, page: int = 10_000) -> VerifyResult:
        """Recompute every chain from its start and check it against the signed checkpoints
        and `expect`: any edited, removed, reordered or inserted row shows."""
        return self.integrity.verify(expect, full=True, page=page)

    # -- users ----------------------------------------------------------------------------
    def add_user(self, name: str, role: str, scope: list[str] | None = None) -> str:
        """Create a user; returns its token (shown once, stored only as a hash). The row is
        sealed with the service's key: one written straight into the database is refused."""
        if role not in ROLES:
            raise SafePassageError(
                Problem(f"unknown role {role!r}", hint=f"one of {', '.join(ROLES)}")
            )
        if role == "reporter" and not scope:
            raise SafePassageError(
                Problem(
                    "a reporter needs the checkpoints or convoys they report on",
                    hint="add --scope CP_ID (repeatable)",
                )
            )
        token = secrets.token_urlsafe(24)
        key = self.integrity.key()
        row: dict[str, Any] = {
            "name": name,
            "token_hash": _token_hash(token),
            "role": role,
            "scope": json.dumps(sorted(scope or [])),
            "created_at": now_utc(),
            "revoked_at": None,
        }
        row["mac"] = key.seal(user_seal_body(row))
        detail = {"name": name, "role": role, "scope": sorted(scope or [])}
        try:
            with self._writing() as conn:
                conn.execute(users.insert(), row)
                _append_audit(conn, [_cli_audit("users.add", detail)])
        except sa.exc.IntegrityError:
            raise SafePassageError(Problem(f"user {name!r} already exists")) from None
        return token

    def revoke_user(self, name: str) -> None:
        key = self.integrity.key()
        with self._writing() as conn:
            row = conn.execute(
                sa.select(users).where(users.c.name == name, users.c.revoked_at.is_(None))
            ).first()
            if row is None:
                raise SafePassageError(Problem(f"no active user {name!r}"))
            revoked = {**row._mapping, "revoked_at": now_utc()}
            conn.execute(
                users.update()
                .where(users.c.name == name)
                .values(revoked_at=revoked["revoked_at"], mac=key.seal(user_seal_body(revoked)))
            )
            _append_audit(conn, [_cli_audit("users.revoke", {"name": name})])

    def user_for_token(self, token: str) -> User | None:
        """The active user of `token`; None for an unknown or revoked token, and for a user
        whose seal does not match (written into the database behind the service's back)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(users).where(
                    users.c.token_hash == _token_hash(token), users.c.revoked_at.is_(None)
                )
            ).first()
        if row is None:
            return None
        if not self.integrity.key().seal_ok(user_seal_body(row._mapping), row.mac):
            log.error("user %r has no valid seal: refused (written outside the service?)", row.name)
            return None
        return User(row.name, row.role, json.loads(row.scope))


def _cli_audit(action: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"at": now_utc(), "user": "cli", "action": action, "detail": json.dumps(detail)}


def _append_audit(conn: Connection, entries: list[dict[str, Any]]) -> None:
    """Add entries to the audit trail's own hash chain (inside the caller's write
    transaction, which holds the writer's lock, so the chain has one order)."""
    if not entries:
        return
    head = conn.execute(
        sa.select(audit.c.seq, audit.c.hash).order_by(audit.c.seq.desc()).limit(1)
    ).first()
    seq, prev = (int(head.seq), str(head.hash)) if head else (0, GENESIS)
    rows = []
    for entry in entries:
        seq += 1
        row = {"seq": seq, **entry, "prev_hash": prev}
        row["hash"] = prev = row_hash(prev, row)
        rows.append(row)
    conn.execute(audit.insert(), rows)


def _stored(m: Any) -> StoredEvent:
    return StoredEvent(
        seq=int(m["seq"]),
        id=m["id"],
        type=m["type"],
        corridor=m["corridor"],
        occurred_at=m["occurred_at"],
        recorded_at=m["recorded_at"],
        reporter=m["reporter"],
        status=m["status"],
        source=m["source"],
        supersedes=m["supersedes"],
        data=json.loads(m["data"]),
        hash=m["hash"],
    )
