"""Submissions sent to the ISWC database in an ISWC JSON file: the file and the
submission id in it, so that the file's acknowledgement finds them.

Revision ID: 0016_iswc_file_route
Revises: 0015_iswc_works
Create Date: 2026-12-02 16:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_iswc_file_route"
down_revision = "0015_iswc_works"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("iswc_submissions") as batch:
        batch.add_column(sa.Column("file_name", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("submission_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("iswc_submissions") as batch:
        batch.drop_column("submission_id")
        batch.drop_column("file_name")
