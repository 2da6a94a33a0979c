"""A stamp that changes with a city's boundaries, for what pages cache of them.

Revision ID: 0007
Revises: 0006
Created: 2026-12-08

Cities stored before start with an empty stamp; the next change of one of their
units or service areas gives them a new one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    """Add the column."""
    op.add_column(
        "cities",
        sa.Column(
            "boundaries_version",
            sa.String(length=32),
            nullable=False,
            server_default="",
        ),
    )


def downgrade():
    """Drop it."""
    op.drop_column("cities", "boundaries_version")
