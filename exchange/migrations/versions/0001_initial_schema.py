"""Initial schema: works, titles, numbers, parties, claims, recordings, sources, history.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 23:23:39.603303
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "file_sequences",
        sa.Column("sender", sa.String(length=20), nullable=False),
        sa.Column("receiver", sa.String(length=20), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sender", "receiver", name=op.f("pk_file_sequences")),
    )
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=20), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=True),
        sa.Column("version", sa.String(length=10), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("transactions_done", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
    )
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_files_sha256_direction"), ["sha256", "direction"], unique=False
        )

    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ipi_name_number", sa.String(length=11), nullable=True),
        sa.Column("ipi_base_number", sa.String(length=13), nullable=True),
        sa.Column("last_name", sa.String(length=90), nullable=False),
        sa.Column("first_name", sa.String(length=30), nullable=False),
        sa.Column("name_norm", sa.String(length=120), nullable=False),
        sa.Column("is_legal_entity", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint("ipi_name_number", name=op.f("uq_parties_ipi_name_number")),
    )
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parties_name_norm"), ["name_norm"], unique=False)

    op.create_table(
        "party_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_party_keys_party_id_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_keys")),
        sa.UniqueConstraint("issuer", "key", name=op.f("uq_party_keys_issuer_key")),
    )
    with op.batch_alter_table("party_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_party_keys_party_id_issuer"), ["party_id", "issuer"], unique=False
        )

    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=20), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("transaction_seq", sa.Integer(), nullable=True),
        sa.Column("transaction_type", sa.String(length=3), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_sources_file_id_files")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sources_file_id_transaction_seq"),
            ["file_id", "transaction_seq"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_sources_partner"), ["partner"], unique=False)

    op.create_table(
        "affiliations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("society", sa.String(length=3), nullable=False),
        sa.Column("right", sa.String(length=2), nullable=False),
        sa.Column("territory", sa.String(length=4), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_affiliations_party_id_parties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_affiliations_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliations")),
    )
    with op.batch_alter_table("affiliations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_affiliations_party_id"), ["party_id"], unique=False)

    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_history_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
    )
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_work_id"), ["work_id"], unique=False)

    op.create_table(
        "works",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iswc", sa.String(length=11), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_norm", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("version_type", sa.String(length=3), nullable=False),
        sa.Column("music_arrangement", sa.String(length=3), nullable=True),
        sa.Column("lyric_adaptation", sa.String(length=3), nullable=True),
        sa.Column("distribution_category", sa.String(length=3), nullable=False),
        sa.Column("text_music_relationship", sa.String(length=3), nullable=True),
        sa.Column("copyright_date", sa.Date(), nullable=True),
        sa.Column("original", sa.JSON(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_works_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_works")),
    )
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_works_iswc"), ["iswc"], unique=False)
        batch_op.create_index(batch_op.f("ix_works_title_norm"), ["title_norm"], unique=False)
        batch_op.create_index(batch_op.f("ix_works_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=2), nullable=False),
        sa.Column("controlled", sa.Boolean(), nullable=False),
        sa.Column("chain", sa.Integer(), nullable=True),
        sa.Column("writers", sa.String(length=200), nullable=True),
        sa.Column("pr_ownership", sa.Integer(), nullable=False),
        sa.Column("mr_ownership", sa.Integer(), nullable=False),
        sa.Column("sr_ownership", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_claims_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_claims_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["work_id"], ["works.id"], name=op.f("fk_claims_work_id_works"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_work_id"), ["work_id"], unique=False)

    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("isrc", sa.String(length=12), nullable=True),
        sa.Column("title", sa.String(length=60), nullable=True),
        sa.Column("version_title", sa.String(length=60), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=60), nullable=True),
        sa.Column("release_date", sa.Date(), nullable=True),
        sa.Column("album_title", sa.String(length=60), nullable=True),
        sa.Column("catalogue_number", sa.String(length=18), nullable=True),
        sa.Column("ean", sa.String(length=13), nullable=True),
        sa.Column("display_artist", sa.String(length=60), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_recordings_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["work_id"], ["works.id"], name=op.f("fk_recordings_work_id_works"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
    )
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recordings_isrc"), ["isrc"], unique=False)
        batch_op.create_index(batch_op.f("ix_recordings_work_id"), ["work_id"], unique=False)

    op.create_table(
        "titles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_type", sa.String(length=2), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("title_norm", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_titles_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["work_id"], ["works.id"], name=op.f("fk_titles_work_id_works"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_titles")),
    )
    with op.batch_alter_table("titles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_titles_title_norm"), ["title_norm"], unique=False)
        batch_op.create_index(batch_op.f("ix_titles_work_id"), ["work_id"], unique=False)

    op.create_table(
        "work_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("issuer", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_work_numbers_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_work_numbers_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_numbers")),
        sa.UniqueConstraint(
            "number", "issuer", "kind", name=op.f("uq_work_numbers_number_issuer_kind")
        ),
    )
    with op.batch_alter_table("work_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_numbers_work_id"), ["work_id"], unique=False)

    op.create_table(
        "claim_territories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tis", sa.String(length=4), nullable=False),
        sa.Column("include", sa.Boolean(), nullable=False),
        sa.Column("pr_collection", sa.Integer(), nullable=False),
        sa.Column("mr_collection", sa.Integer(), nullable=False),
        sa.Column("sr_collection", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_claim_territories_claim_id_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_territories")),
    )
    with op.batch_alter_table("claim_territories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_territories_claim_id"), ["claim_id"], unique=False
        )

    op.create_table(
        "performers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.Column("last_name", sa.String(length=160), nullable=False),
        sa.Column("first_name", sa.String(length=160), nullable=False),
        sa.Column("ipi_name_number", sa.String(length=11), nullable=True),
        sa.Column("ipi_base_number", sa.String(length=13), nullable=True),
        sa.Column("isni", sa.String(length=16), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_performers_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_performers_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["work_id"], ["works.id"], name=op.f("fk_performers_work_id_works"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performers")),
    )
    with op.batch_alter_table("performers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_performers_recording_id"), ["recording_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_performers_work_id"), ["work_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("performers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_performers_work_id"))
        batch_op.drop_index(batch_op.f("ix_performers_recording_id"))

    op.drop_table("performers")
    with op.batch_alter_table("claim_territories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_territories_claim_id"))

    op.drop_table("claim_territories")
    with op.batch_alter_table("work_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_numbers_work_id"))

    op.drop_table("work_numbers")
    with op.batch_alter_table("titles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_titles_work_id"))
        batch_op.drop_index(batch_op.f("ix_titles_title_norm"))

    op.drop_table("titles")
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recordings_work_id"))
        batch_op.drop_index(batch_op.f("ix_recordings_isrc"))

    op.drop_table("recordings")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_work_id"))
        batch_op.drop_index(batch_op.f("ix_claims_source_id"))
        batch_op.drop_index(batch_op.f("ix_claims_party_id"))

    op.drop_table("claims")
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_works_updated_at"))
        batch_op.drop_index(batch_op.f("ix_works_title_norm"))
        batch_op.drop_index(batch_op.f("ix_works_iswc"))

    op.drop_table("works")
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_work_id"))

    op.drop_table("history")
    with op.batch_alter_table("affiliations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_affiliations_party_id"))

    op.drop_table("affiliations")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources_partner"))
        batch_op.drop_index(batch_op.f("ix_sources_file_id_transaction_seq"))

    op.drop_table("sources")
    with op.batch_alter_table("party_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_keys_party_id_issuer"))

    op.drop_table("party_keys")
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parties_name_norm"))

    op.drop_table("parties")
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_files_sha256_direction"))

    op.drop_table("files")
    op.drop_table("file_sequences")
