"""The exchange ledger (size, error, remote name of each file) and partner tokens.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 03:00:34.034022
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_partner_tokens_token_hash")),
    )
    with op.batch_alter_table("partner_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_tokens_partner"), ["partner"], unique=False)

    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("error", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("remote_name", sa.String(length=255), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_files_partner_direction_state"),
            ["partner", "direction", "state"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_files_partner_direction_state"))
        batch_op.drop_column("remote_name")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("error")
        batch_op.drop_column("size")

    with op.batch_alter_table("partner_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_tokens_partner"))

    op.drop_table("partner_tokens")
