"""Log integrity: the audit trail gets its own hash chain, user rows a seal.

Existing audit rows are chained here, in their order; existing users are sealed when the
signing key is first made (trust on first use, see docs/operations.md).

Revision ID: 0002_integrity
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from safepassage.ops.events import GENESIS, row_hash

revision = "0002_integrity"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit", sa.Column("prev_hash", sa.String(64)))
    op.add_column("audit", sa.Column("hash", sa.String(64)))
    op.add_column("users", sa.Column("mac", sa.String(64)))
    audit = sa.table(
        "audit",
        *(sa.column(c) for c in ("seq", "at", "user", "action", "detail", "prev_hash", "hash")),
    )
    conn = op.get_bind()
    prev = GENESIS
    rows = conn.execute(
        sa.select(audit.c.seq, audit.c.at, audit.c.user, audit.c.action, audit.c.detail).order_by(
            audit.c.seq
        )
    ).all()
    # Renumber 1..n first (a PostgreSQL serial skips numbers after a rollback; the chain's
    # numbers have no gaps); new <= old, so going up never collides.
    for seq, r in enumerate(rows, start=1):
        row = {**r._mapping, "seq": seq, "prev_hash": prev}
        new = row_hash(prev, row)
        conn.execute(
            audit.update().where(audit.c.seq == r.seq).values(seq=seq, prev_hash=prev, hash=new)
        )
        prev = new


def downgrade() -> None:
    op.drop_column("users", "mac")
    op.drop_column("audit", "hash")
    op.drop_column("audit", "prev_hash")
