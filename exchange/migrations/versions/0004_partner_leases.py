"""Partner leases: one exchange with a partner at a time, across processes and machines.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 03:12:49.840395
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_leases",
        sa.Column("partner", sa.String(length=20), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partner", name=op.f("pk_partner_leases")),
    )


def downgrade() -> None:
    op.drop_table("partner_leases")
