"""Work details: productions (ORN), instrumentation, components, notes, cross references;
the excerpt and composite types of a work; a recording's format, technique, media type,
ISRC validity and the sender's identifier.

Revision ID: 0006_records
Revises: 0005_ipi
Create Date: 2026-12-01 23:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_records"
down_revision = "0005_ipi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("works") as batch_op:
        batch_op.add_column(sa.Column("excerpt_type", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("composite_type", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("composite_count", sa.Integer(), nullable=True))
    with op.batch_alter_table("recordings") as batch_op:
        batch_op.add_column(sa.Column("recording_format", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("recording_technique", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("media_type", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("isrc_validity", sa.String(length=1), nullable=True))
        batch_op.add_column(
            sa.Column("submitter_recording_id", sa.String(length=14), nullable=True)
        )
    op.create_table(
        "work_details",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_work_details_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_work_details_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_details")),
    )
    op.create_index(op.f("ix_work_details_work_id"), "work_details", ["work_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_work_details_work_id"), table_name="work_details")
    op.drop_table("work_details")
    with op.batch_alter_table("works") as batch_op:
        batch_op.drop_column("composite_count")
        batch_op.drop_column("composite_type")
        batch_op.drop_column("excerpt_type")
    with op.batch_alter_table("recordings") as batch_op:
        for name in (
            "submitter_recording_id",
            "isrc_validity",
            "media_type",
            "recording_technique",
            "recording_format",
        ):
            batch_op.drop_column(name)
