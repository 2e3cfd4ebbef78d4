"""What the node remembers of its works in the ISWC database: submissions, rejections,
ISWCs with their source (archived ones too), and notifications applied.

Revision ID: 0015_iswc_works
Revises: 0014_operators
Create Date: 2026-12-02 15:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_iswc_works"
down_revision = "0014_operators"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "iswc_submissions",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("workcode", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=6), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("iswc", sa.String(length=11), nullable=True),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_iswc_submissions_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("work_id", name=op.f("pk_iswc_submissions")),
    )
    op.create_table(
        "iswc_rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_iswc_rejections_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iswc_rejections")),
    )
    op.create_index(op.f("ix_iswc_rejections_work_id"), "iswc_rejections", ["work_id"])
    op.create_table(
        "work_iswcs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("iswc", sa.String(length=11), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("preferred", sa.String(length=11), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_work_iswcs_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_work_iswcs_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_iswcs")),
        sa.UniqueConstraint("work_id", "iswc", name=op.f("uq_work_iswcs_work_id_iswc")),
    )
    op.create_index(op.f("ix_work_iswcs_iswc"), "work_iswcs", ["iswc"])
    op.create_table(
        "iswc_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("transaction_type", sa.String(length=3), nullable=True),
        sa.Column("preferred_iswc", sa.String(length=11), nullable=True),
        sa.Column("agency", sa.String(length=3), nullable=True),
        sa.Column("workcode", sa.String(length=20), nullable=True),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_iswc_notifications_file_id_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_iswc_notifications_work_id_works"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iswc_notifications")),
    )
    op.create_index(op.f("ix_iswc_notifications_file_id"), "iswc_notifications", ["file_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_iswc_notifications_file_id"), table_name="iswc_notifications")
    op.drop_table("iswc_notifications")
    op.drop_index(op.f("ix_work_iswcs_iswc"), table_name="work_iswcs")
    op.drop_table("work_iswcs")
    op.drop_index(op.f("ix_iswc_rejections_work_id"), table_name="iswc_rejections")
    op.drop_table("iswc_rejections")
    op.drop_table("iswc_submissions")
