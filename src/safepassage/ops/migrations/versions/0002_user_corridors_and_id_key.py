"""Users are bound to corridors (a JSON list; empty for a coordinator means every corridor);
a table of server keys (the key that scopes event ids per user).

Revision ID: 0002_user_corridors
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_user_corridors"
down_revision = "0001"
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
