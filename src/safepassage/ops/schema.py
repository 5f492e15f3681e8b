"""The operations store's tables (SQLAlchemy Core). Changes go through a migration in
`migrations/versions`; this module is what the code reads and writes."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: The append-only, hash-chained log. `seq` is given by the store (not autoincrement) because
#: each row's hash covers it. Times are ISO 8601 UTC strings with microseconds: sortable as
#: text and identical on SQLite and PostgreSQL.
events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("corridor", sa.String(64), nullable=False),
    sa.Column("occurred_at", sa.String(40), nullable=False),
    sa.Column("recorded_at", sa.String(40), nullable=False),
    sa.Column("reporter", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("source", sa.Text),
    sa.Column("supersedes", sa.String(36)),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_events_corridor_time", "corridor", "occurred_at"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("scope", sa.Text, nullable=False),  # JSON list of checkpoint / convoy ids
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("revoked_at", sa.String(40)),
    # The service's seal over the row (HMAC with a key derived from the signing key): a user
    # added or changed straight in the database has none that matches, and is refused.
    sa.Column("mac", sa.String(64)),
)

#: The audit trail, hash-chained like the events (its own chain: `seq` given by the store).
audit = sa.Table(
    "audit",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("user", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64)),
    sa.Column("hash", sa.String(64)),
)
