"""Partner tokens may expire.

Revision ID: 0005_tokens
Revises: 0005_ipi
Create Date: 2026-12-01 23:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_tokens"
down_revision = "0005_ipi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partner_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partner_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
