"""One table for the features of every thematic layer (the spec says which fields).

The generic parts (status, who and when, optimistic version, moderation of public
suggestions) live here once; layers add only their properties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    DDL,
    JSON,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    column,
    event,
    func,
    table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webgis.core.extensions import db
from webgis.core.geometry_column import GeometryColumn
from webgis.core.registry import layer_registry
from webgis.geography.models import City, ServiceArea

STATUSES = ("draft", "published", "archived")
MODERATION_STATES = ("pending", "accepted", "rejected")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class FeatureFacts:
    """What a stored feature and a row read for a page both answer."""

    def title_for(self, spec) -> str:
        """The feature's title as its layer defines it."""
        return str(spec.value_of("title", self.properties) or f"#{self.id}")

    @property
    def precision(self) -> str:
        """How exactly the place is known: address, street or unit."""
        return (self.properties or {}).get("location_precision") or "address"


@dataclass(frozen=True)
class FeatureRow(FeatureFacts):
    """A feature read for a page or an API answer: its columns, no ORM object.

    Pages of a thousand features are read this way (reading them as ORM objects
    cost more than the query).
    """

    id: int
    layer: str
    status: str
    version: int
    properties: dict
    geometry: BaseGeometry
    updated_at: datetime
    public_item: str

    def item_text(self) -> str:
        """The public item as JSON text, with its id."""
        return item_with_id(self.id, self.public_item)


def item_with_id(feature_id: int, item: str) -> str:
    """A stored public item (JSON text of an object) with the feature's id first."""
    return f'{{"id":{feature_id},{item[1:]}'


class Feature(FeatureFacts, db.Model):
    """A feature of one layer in one city."""

    __tablename__ = "features"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    layer: Mapped[str] = mapped_column(String(40), index=True)
    geometry: Mapped[BaseGeometry] = mapped_column(GeometryColumn("GEOMETRY"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    # Saving over a version someone else changed meanwhile fails (StaleDataError).
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Public suggestions wait, as drafts owned by no one, in the queue of the service
    # area that contains them.
    moderation: Mapped[str | None] = mapped_column(String(20), index=True)
    moderation_note: Mapped[str] = mapped_column(Text, default="")
    queue_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_areas.id", ondelete="SET NULL")
    )
    #: The resident's key to the suggestion's status page (``secrets``, unguessable);
    #: it says nothing else about the suggestion.
    status_token: Mapped[str | None] = mapped_column(
        String(64), index=True, unique=True
    )

    # What queries filter, sort and place by, derived from the properties and the
    # geometry by the feature store on every write (webgis.features.indexing).
    public: Mapped[bool] = mapped_column(default=False)
    listed: Mapped[bool] = mapped_column(default=False)
    title_key: Mapped[str] = mapped_column(String(200), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(Text, default="")
    address_key: Mapped[str] = mapped_column(String(200), default="")
    open_days: Mapped[str] = mapped_column(String(40), default="")
    open_hours: Mapped[str] = mapped_column(String(168), default="")
    #: The same of a week whose every day is a public holiday (``PH off``).
    holiday_hours: Mapped[str] = mapped_column(
        String(168), default="", server_default=""
    )
    #: The feature as the public reads it in the OGC API, as JSON text without its
    #: id: pages of items are joined from these, not built anew per request.
    public_item: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    x: Mapped[float | None] = mapped_column(Float)  # EPSG:2180 metres
    y: Mapped[float | None] = mapped_column(Float)
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)

    city: Mapped[City] = relationship()
    queue_area: Mapped[ServiceArea | None] = relationship()
    listed_terms: Mapped[list[ListedTerm]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    listed_text: Mapped[ListedText | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # The finder: a city's listed services in title order.
        Index("ix_features_listed", "city_id", "listed", "title_key"),
        # On SQLite, the same with what the finder's filters read, so text and
        # terms are scanned in the index, not in rows that carry JSON. (PostgreSQL
        # limits the size of an index entry; it has trigram indexes instead, see
        # webgis.database.)
        Index(
            "ix_features_listed_filters",
            "city_id",
            "listed",
            "title_key",
            "search_text",
            "terms",
            "languages",
            "open_days",
            "open_hours",
        ).ddl_if(dialect="sqlite"),
        # The finder, nearest first: a square around the place. (Not led by
        # ``listed``: SQLite would then scan text through it in x order.)
        Index("ix_features_x", "city_id", "x", "y", "listed"),
        # Validators of a layer's answers (store.layer_stamp), read from the index.
        Index("ix_features_stamp", "city_id", "layer", "updated_at", "version"),
        # Public lists, maps and the API: a layer's public features of a city.
        Index("ix_features_public", "city_id", "layer", "public", "id"),
        # Maps and bbox queries: the representative point.
        Index("ix_features_place", "city_id", "layer", "public", "lon", "lat"),
    )

    @property
    def title(self) -> str:
        """What lists and queues call the feature."""
        spec = layer_registry().get(self.layer)
        title = spec.value_of("title", self.properties) if spec else None
        return str(title or f"#{self.id}")


#: The CRS of the features' metric ``x``/``y`` columns (Poland's CS92, metres).
METRIC_SRID = 2180
#: PostGIS: the metric point in a GiST index, so "nearest first" walks the index
#: in distance order (KNN) and "within R" reads only what lies near.
Index(
    "ix_features_metric_point",
    func.ST_SetSRID(func.ST_MakePoint(Feature.x, Feature.y), METRIC_SRID),
    postgresql_using="gist",
).ddl_if(dialect="postgresql")


def trigram_index(table, column: str) -> Index:
    """PostgreSQL (pg_trgm): searching text inside words reads no other rows."""
    name = f"ix_{table.name}_{column}_trgm"
    return Index(
        name,
        table.c[column],
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")


trigram_index(Feature.__table__, "search_text")
trigram_index(Feature.__table__, "terms")


class ListedTerm(db.Model):
    """One vocabulary term of a service the finder lists, as a row of its own.

    The finder counts a term filter's matches here, in a narrow index, instead of
    searching the ``terms`` text of every listed service (a fifth of 200,000 rows
    for one facility type). Kept by the feature store with the other query
    columns; holds nothing the ``terms`` column does not.
    """

    __tablename__ = "listed_terms"

    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(200), primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))

    __table_args__ = (
        Index("ix_listed_terms_city_token", "city_id", "token", "feature_id"),
    )


class ListedText(db.Model):
    """The searchable text of a service the finder lists, in a narrow row.

    Counting the services whose text holds a word reads these rows (about a
    tenth of the size of a feature's) instead of the features themselves.
    """

    __tablename__ = "listed_texts"

    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), primary_key=True
    )
    city_id: Mapped[int] = mapped_column(
        ForeignKey("cities.id", ondelete="CASCADE"), index=True
    )
    search_text: Mapped[str] = mapped_column(Text, default="")


trigram_index(ListedText.__table__, "search_text")

#: On SQLite, the trigrams of the listed texts in an FTS5 index (SQLite 3.34+),
#: kept by triggers: a word inside a text is found through the index, in any
#: number of texts, where ``LIKE '%word%'`` reads them all. A quoted phrase of
#: trigrams matches exactly the texts that hold it, so words of three characters
#: or more are searched here. PostgreSQL has its ``pg_trgm`` index instead.
LISTED_WORDS = table("listed_words", column("rowid"), column("search_text"))
_OLD_WORDS = (
    "INSERT INTO listed_words(listed_words, rowid, search_text)"
    " VALUES ('delete', old.feature_id, old.search_text);"
)
_NEW_WORDS = (
    "INSERT INTO listed_words(rowid, search_text)"
    " VALUES (new.feature_id, new.search_text);"
)
LISTED_WORDS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS listed_words USING fts5(search_text,"
    " content='listed_texts', content_rowid='feature_id', tokenize='trigram')",
    # A table created anew starts with the rows it has (drop_all leaves the index).
    "INSERT INTO listed_words(listed_words) VALUES ('rebuild')",
    "CREATE TRIGGER listed_words_insert AFTER INSERT ON listed_texts"
    f" BEGIN {_NEW_WORDS} END",
    "CREATE TRIGGER listed_words_delete AFTER DELETE ON listed_texts"
    f" BEGIN {_OLD_WORDS} END",
    "CREATE TRIGGER listed_words_update AFTER UPDATE ON listed_texts"
    f" BEGIN {_OLD_WORDS} {_NEW_WORDS} END",
)
for _statement in LISTED_WORDS_DDL:
    event.listen(
        ListedText.__table__,
        "after_create",
        DDL(_statement).execute_if(dialect="sqlite"),
    )


class Revision(db.Model):
    """A feature as it was after one change: the history and what restores use."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=_now)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    geometry: Mapped[BaseGeometry] = mapped_column(GeometryColumn("GEOMETRY"))


#: On SQLite, the features' envelopes in an R*Tree (part of the stdlib's SQLite),
#: kept by triggers, so a box finds its features without reading the others.
#: PostGIS has its GiST index on the geometry instead.
FEATURE_BOXES = table(
    "feature_boxes",
    column("id"),
    column("min_lon"),
    column("max_lon"),
    column("min_lat"),
    column("max_lat"),
)
_BOX_COLUMNS = "new.id, new.min_lon, new.max_lon, new.min_lat, new.max_lat"
for _statement in (
    "CREATE VIRTUAL TABLE IF NOT EXISTS feature_boxes"
    " USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
    # A table created anew starts without boxes (drop_all leaves the R*Tree).
    "DELETE FROM feature_boxes",
    "CREATE TRIGGER feature_boxes_insert AFTER INSERT ON features"
    f" WHEN new.min_lon IS NOT NULL BEGIN INSERT INTO feature_boxes VALUES"
    f" ({_BOX_COLUMNS}); END",
    "CREATE TRIGGER feature_boxes_update AFTER UPDATE OF min_lon, max_lon, min_lat,"
    " max_lat ON features BEGIN DELETE FROM feature_boxes WHERE id = old.id;"
    f" INSERT INTO feature_boxes SELECT {_BOX_COLUMNS} WHERE new.min_lon IS NOT NULL;"
    " END",
    "CREATE TRIGGER feature_boxes_delete AFTER DELETE ON features"
    " BEGIN DELETE FROM feature_boxes WHERE id = old.id; END",
):
    event.listen(
        Feature.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite")
    )
