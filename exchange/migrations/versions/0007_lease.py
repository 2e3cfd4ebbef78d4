"""Partner leases say who holds them (host, process, its start) so a dead holder is known.

Revision ID: 0007_lease
Revises: 0006_records
Create Date: 2026-12-01 23:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_lease"
down_revision = "0006_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partner_leases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("process", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("token", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partner_leases", schema=None) as batch_op:
        batch_op.drop_column("token")
        batch_op.drop_column("process")
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
