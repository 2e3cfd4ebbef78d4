"""Partner tokens may expire.

Revision ID: 0008_tokens
Revises: 0007_lease
Create Date: 2026-12-01 23:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_tokens"
down_revision = "0007_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partner_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partner_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
