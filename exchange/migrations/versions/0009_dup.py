"""Review queue entries of two kinds: a match waiting, or a possible duplicate stored.

Revision ID: 0009_dup
Revises: 0008_tokens
Create Date: 2026-12-01 23:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_dup"
down_revision = "0008_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=10), server_default="match", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_column("kind")
