"""Acknowledgements (transaction outcomes for the ACKs we send, registrations from the
ACKs we receive), conflicts with their history, and the queue of uncertain matches.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:09:36.386608
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.Column("partner", sa.String(length=20), nullable=True),
        sa.Column("right", sa.String(length=2), nullable=True),
        sa.Column("territory", sa.String(length=4), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("excess", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_conflicts_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["work_id"], ["works.id"], name=op.f("fk_conflicts_work_id_works"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts")),
    )
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conflicts_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_conflicts_work_id_key"), ["work_id", "key"], unique=False
        )

    op.create_table(
        "matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("work", sa.JSON(), nullable=False),
        sa.Column("partner", sa.String(length=20), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("transaction_seq", sa.Integer(), nullable=True),
        sa.Column("transaction_type", sa.String(length=3), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["works.id"],
            name=op.f("fk_matches_candidate_id_works"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_matches_file_id_files")),
        sa.ForeignKeyConstraint(
            ["work_id"], ["works.id"], name=op.f("fk_matches_work_id_works"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
    )
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_matches_status"), ["status"], unique=False)

    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.Column("partner", sa.String(length=20), nullable=False),
        sa.Column("submitter_number", sa.String(length=20), nullable=False),
        sa.Column("society_number", sa.String(length=20), nullable=True),
        sa.Column("title", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=2), nullable=False),
        sa.Column("processed_on", sa.Date(), nullable=True),
        sa.Column("original_type", sa.String(length=3), nullable=True),
        sa.Column("original_created", sa.String(length=14), nullable=True),
        sa.Column("original_group", sa.Integer(), nullable=True),
        sa.Column("original_seq", sa.Integer(), nullable=True),
        sa.Column("iswc", sa.String(length=11), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_registrations_file_id_files")
        ),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_registrations_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registrations_partner_status"), ["partner", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registrations_work_id_partner"), ["work_id", "partner"], unique=False
        )

    op.create_table(
        "transaction_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("transaction_seq", sa.Integer(), nullable=False),
        sa.Column("transaction_type", sa.String(length=3), nullable=False),
        sa.Column("submitter_number", sa.String(length=20), nullable=True),
        sa.Column("title", sa.String(length=60), nullable=True),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=2), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=True),
        sa.Column("conflict_work_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_transaction_outcomes_file_id_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_transaction_outcomes_work_id_works"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_outcomes")),
    )
    with op.batch_alter_table("transaction_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transaction_outcomes_file_id"), ["file_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transaction_outcomes_submitter_number"),
            ["submitter_number"],
            unique=False,
        )

    op.create_table(
        "conflict_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conflict_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conflict_id"],
            ["conflicts.id"],
            name=op.f("fk_conflict_events_conflict_id_conflicts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflict_events")),
    )
    with op.batch_alter_table("conflict_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conflict_events_conflict_id"), ["conflict_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conflict_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflict_events_conflict_id"))

    op.drop_table("conflict_events")
    with op.batch_alter_table("transaction_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transaction_outcomes_submitter_number"))
        batch_op.drop_index(batch_op.f("ix_transaction_outcomes_file_id"))

    op.drop_table("transaction_outcomes")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrations_work_id_partner"))
        batch_op.drop_index(batch_op.f("ix_registrations_partner_status"))

    op.drop_table("registrations")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matches_status"))

    op.drop_table("matches")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflicts_work_id_key"))
        batch_op.drop_index(batch_op.f("ix_conflicts_status"))

    op.drop_table("conflicts")
