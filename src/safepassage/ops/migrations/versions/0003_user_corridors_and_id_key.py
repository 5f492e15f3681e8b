"""Users are bound to corridors (a JSON list; empty for a coordinator means every corridor);
a table of server keys (the key that scopes event ids per user).

Revision ID: 0003_user_corridors
Revises: 0002_integrity (written as a second 0002 beside it on the API branch; re-chained after
it when both were merged, so a database made with 0002_integrity upgrades)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_user_corridors"
down_revision = "0002_integrity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("corridors", sa.Text, nullable=False, server_default="[]"))
    op.create_table(
        "server_keys",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("server_keys")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("corridors")
