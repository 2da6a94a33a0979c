"""The address register: address points and the names their streets are typed by.

Revision ID: 0005
Revises: 0004
Created: 2026-12-07

Both tables start empty; `webgis addresses import CITY FILE` fills a city's.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    """Add the two tables and their lookup indexes."""
    op.create_table(
        "address_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("street_key", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("number_key", sa.String(length=20), nullable=False),
        sa.Column("postcode", sa.String(length=6), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_address_points_place", "address_points", ["city_id", "x", "y"])
    op.create_index(
        "ix_address_points_street",
        "address_points",
        ["city_id", "street_key", "number_key"],
    )
    op.create_table(
        "address_streets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("street_key", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("name_length", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_address_streets_length", "address_streets", ["city_id", "name_length"]
    )
    op.create_index(
        "ix_address_streets_name", "address_streets", ["city_id", "name_key"]
    )


def downgrade():
    """Drop them (a city's register is imported again from its file)."""
    op.drop_index("ix_address_streets_name", table_name="address_streets")
    op.drop_index("ix_address_streets_length", table_name="address_streets")
    op.drop_table("address_streets")
    op.drop_index("ix_address_points_street", table_name="address_points")
    op.drop_index("ix_address_points_place", table_name="address_points")
    op.drop_table("address_points")
