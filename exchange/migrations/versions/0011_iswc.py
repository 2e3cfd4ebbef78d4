"""The ISWC database's rate limit shared across processes, and a record of its calls.

Revision ID: 0011_iswc
Revises: 0010_ledger
Create Date: 2026-12-02 03:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_iswc"
down_revision = "0010_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "iswc_rate",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.Float(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("month_calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_iswc_rate")),
    )
    op.create_table(
        "iswc_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("items", sa.Integer(), nullable=True),
        sa.Column("rejected", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=10), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iswc_calls")),
    )
    op.create_index(op.f("ix_iswc_calls_at"), "iswc_calls", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_iswc_calls_at"), table_name="iswc_calls")
    op.drop_table("iswc_calls")
    op.drop_table("iswc_rate")
