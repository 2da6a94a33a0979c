"""Vocabulary labels as data/vocabularies.toml gave them.

Revision ID: 0002
Revises: 0001
Created: 2026-12-07

With them `webgis vocabularies sync` tells a label an administrator edited from
one the file changed. Existing terms start with NULL (not known): the command
reports their differences instead of overwriting them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    """Add the columns (empty: not known)."""
    with op.batch_alter_table("vocabulary_terms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("file_label_pl", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("file_label_en", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("file_label_uk", sa.String(length=200), nullable=True)
        )


def downgrade():
    """Drop them."""
    with op.batch_alter_table("vocabulary_terms", schema=None) as batch_op:
        batch_op.drop_column("file_label_uk")
        batch_op.drop_column("file_label_en")
        batch_op.drop_column("file_label_pl")
