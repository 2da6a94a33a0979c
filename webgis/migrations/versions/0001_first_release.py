"""The schema of the first release, as `webgis db init` made it before migrations.

Revision ID: 0001
Revises:
Created: 2026-12-07

GeoAlchemy2 makes each geometry column's GiST index with its table. Besides the
tables: PostGIS and pg_trgm with their indexes on PostgreSQL, the
R*Tree of feature envelopes and its triggers on SQLite.
"""

import sqlalchemy as sa
from alembic import op

import webgis.core.geometry_column

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    """Create every table and index of the first release."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "cities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("unit_kind", sa.String(length=60), nullable=False),
        sa.Column("area_kind", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("normalised", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("normalised"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "vocabulary_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vocabulary", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("label_pl", sa.String(length=200), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("label_uk", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vocabulary", "key"),
    )
    with op.batch_alter_table("vocabulary_terms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vocabulary_terms_vocabulary"), ["vocabulary"], unique=False
        )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_log_action"), ["action"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "service_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sort_key", sa.String(length=80), nullable=False),
        sa.Column(
            "geometry",
            webgis.core.geometry_column.GeometryColumn("MULTIPOLYGON"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("city_id", "code"),
    )
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "features",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("layer", sa.String(length=40), nullable=False),
        sa.Column(
            "geometry",
            webgis.core.geometry_column.GeometryColumn("GEOMETRY"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("moderation", sa.String(length=20), nullable=True),
        sa.Column("moderation_note", sa.Text(), nullable=False),
        sa.Column("queue_area_id", sa.Integer(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("title_key", sa.String(length=200), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("address_key", sa.String(length=200), nullable=False),
        sa.Column("open_days", sa.String(length=40), nullable=False),
        sa.Column("open_hours", sa.String(length=168), nullable=False),
        sa.Column("public_item", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("x", sa.Float(), nullable=True),
        sa.Column("y", sa.Float(), nullable=True),
        sa.Column("min_lon", sa.Float(), nullable=True),
        sa.Column("min_lat", sa.Float(), nullable=True),
        sa.Column("max_lon", sa.Float(), nullable=True),
        sa.Column("max_lat", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["queue_area_id"], ["service_areas.id"], ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("features", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_features_layer"), ["layer"], unique=False)
        batch_op.create_index(
            "ix_features_listed", ["city_id", "listed", "title_key"], unique=False
        )
        if not postgresql:
            batch_op.create_index(
                "ix_features_listed_filters",
                [
                    "city_id",
                    "listed",
                    "title_key",
                    "search_text",
                    "terms",
                    "languages",
                    "open_days",
                    "open_hours",
                ],
                unique=False,
            )
        batch_op.create_index(
            batch_op.f("ix_features_moderation"), ["moderation"], unique=False
        )
        batch_op.create_index(
            "ix_features_place",
            ["city_id", "layer", "public", "lon", "lat"],
            unique=False,
        )
        batch_op.create_index(
            "ix_features_public", ["city_id", "layer", "public", "id"], unique=False
        )
        batch_op.create_index(
            "ix_features_stamp",
            ["city_id", "layer", "updated_at", "version"],
            unique=False,
        )
        batch_op.create_index(
            "ix_features_x", ["city_id", "x", "y", "listed"], unique=False
        )

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("area_km2", sa.Double(), nullable=False),
        sa.Column(
            "geometry",
            webgis.core.geometry_column.GeometryColumn("MULTIPOLYGON"),
            nullable=False,
        ),
        sa.Column("service_area_id", sa.Integer(), nullable=True),
        sa.Column("assignment_status", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["service_area_id"], ["service_areas.id"], ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("city_id", "number"),
    )
    op.create_table(
        "user_areas",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("service_area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_area_id"], ["service_areas.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "service_area_id"),
    )
    op.create_table(
        "listed_terms",
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["feature_id"], ["features.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("feature_id", "token"),
    )
    with op.batch_alter_table("listed_terms", schema=None) as batch_op:
        batch_op.create_index(
            "ix_listed_terms_city_token",
            ["city_id", "token", "feature_id"],
            unique=False,
        )

    op.create_table(
        "listed_texts",
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["feature_id"], ["features.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("feature_id"),
    )
    with op.batch_alter_table("listed_texts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listed_texts_city_id"), ["city_id"], unique=False
        )

    op.create_table(
        "organization_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("written", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["features.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organizations.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feature_id", "organisation_id", "relation"),
    )
    with op.batch_alter_table("organization_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_links_feature_id"), ["feature_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_organization_links_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_organization_links_written"), ["written"], unique=False
        )

    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column(
            "geometry",
            webgis.core.geometry_column.GeometryColumn("GEOMETRY"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["feature_id"], ["features.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_revisions_feature_id"), ["feature_id"], unique=False
        )
    if postgresql:
        _postgis_indexes()
    else:
        _envelope_rtree()


def _postgis_indexes():
    op.create_index(
        "ix_features_metric_point",
        "features",
        [sa.text("ST_SetSRID(ST_MakePoint(x, y), 2180)")],
        postgresql_using="gist",
    )
    for table, column in (
        ("features", "search_text"),
        ("features", "terms"),
        ("listed_texts", "search_text"),
    ):
        op.create_index(
            f"ix_{table}_{column}_trgm",
            table,
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


#: The R*Tree's rows follow the features' envelope columns.
ENVELOPE = "new.id, new.min_lon, new.max_lon, new.min_lat, new.max_lat"


def _envelope_rtree():
    op.execute(
        "CREATE VIRTUAL TABLE feature_boxes"
        " USING rtree(id, min_lon, max_lon, min_lat, max_lat)"
    )
    op.execute(
        "CREATE TRIGGER feature_boxes_insert AFTER INSERT ON features"
        f" WHEN new.min_lon IS NOT NULL BEGIN INSERT INTO feature_boxes VALUES"
        f" ({ENVELOPE}); END"
    )
    op.execute(
        "CREATE TRIGGER feature_boxes_update AFTER UPDATE OF min_lon, max_lon,"
        " min_lat, max_lat ON features BEGIN DELETE FROM feature_boxes"
        " WHERE id = old.id; INSERT INTO feature_boxes SELECT"
        f" {ENVELOPE} WHERE new.min_lon IS NOT NULL; END"
    )
    op.execute(
        "CREATE TRIGGER feature_boxes_delete AFTER DELETE ON features"
        " BEGIN DELETE FROM feature_boxes WHERE id = old.id; END"
    )


def downgrade():
    """Drop them all (an empty database)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS feature_boxes")
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revisions_feature_id"))

    op.drop_table("revisions")
    with op.batch_alter_table("organization_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_links_written"))
        batch_op.drop_index(batch_op.f("ix_organization_links_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_organization_links_feature_id"))

    op.drop_table("organization_links")
    with op.batch_alter_table("listed_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listed_texts_city_id"))

    op.drop_table("listed_texts")
    with op.batch_alter_table("listed_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_listed_terms_city_token")

    op.drop_table("listed_terms")
    op.drop_table("user_areas")
    op.drop_table("units")
    with op.batch_alter_table("features", schema=None) as batch_op:
        batch_op.drop_index("ix_features_x")
        batch_op.drop_index("ix_features_stamp")
        batch_op.drop_index("ix_features_public")
        batch_op.drop_index("ix_features_place")
        batch_op.drop_index(batch_op.f("ix_features_moderation"))
        batch_op.drop_index("ix_features_listed_filters", if_exists=True)
        batch_op.drop_index("ix_features_listed")
        batch_op.drop_index(batch_op.f("ix_features_layer"))

    op.drop_table("features")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))

    op.drop_table("user_sessions")
    op.drop_table("service_areas")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")
    with op.batch_alter_table("vocabulary_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vocabulary_terms_vocabulary"))

    op.drop_table("vocabulary_terms")
    op.drop_table("users")
    op.drop_table("organizations")
    op.drop_table("cities")
