"""A resident's link to the status of their suggestion.

Revision ID: 0006
Revises: 0005
Created: 2026-12-07

Suggestions stored before have no token (their residents got no link).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    """Add the token column and its unique index."""
    op.add_column(
        "features", sa.Column("status_token", sa.String(length=64), nullable=True)
    )
    op.create_index(
        "ix_features_status_token", "features", ["status_token"], unique=True
    )


def downgrade():
    """Drop them (SQLite 3.35+ drops a column in place, keeping the triggers)."""
    op.drop_index("ix_features_status_token", table_name="features")
    op.drop_column("features", "status_token")
