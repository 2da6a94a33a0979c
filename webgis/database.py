"""Creating the schema on SQLite or PostgreSQL/PostGIS."""

import logging

from sqlalchemy import inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from webgis.accounts import users  # noqa: F401
from webgis.core import audit  # noqa: F401
from webgis.core.errors import WebgisError
from webgis.core.extensions import db
from webgis.core.registry import layer_registry
from webgis.features import models, organisations, store, vocabularies
from webgis.geography import models as geography_models  # noqa: F401

# Importing the modules above registers their tables with the metadata.


def init_db() -> str:
    """Create missing tables (and PostGIS on PostgreSQL); harmless when they exist.

    Returns a one-line description of the database for the user.
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        try:
            with engine.begin() as connection:
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        except SQLAlchemyError as exc:
            raise WebgisError(
                "Nie można włączyć rozszerzenia PostGIS w bazie "
                f"{engine.url.render_as_string(hide_password=True)}: "
                f"{exc.orig or exc}. Zainstaluj PostGIS albo utwórz rozszerzenie "
                "jako administrator bazy (CREATE EXTENSION postgis)."
            ) from exc
    db.create_all()
    _check_columns(engine)
    _fill_listed_rows()
    if engine.dialect.name == "postgresql":
        _trigram_indexes(engine)
    vocabularies.seed()
    # Features saved before organisation records existed get their links.
    organisations.link_published(layer_registry())
    return engine.url.render_as_string(hide_password=True)


#: Columns the finder and the lists search with LIKE '%…%' (table, column).
TRIGRAM_COLUMNS = (
    ("features", "search_text"),
    ("features", "terms"),
    ("listed_texts", "search_text"),
)


def _trigram_indexes(engine) -> None:
    """Trigram indexes, so searching text inside words reads no other rows.

    pg_trgm ships with PostgreSQL and a database owner may enable it; where it
    cannot be, searches still work, reading every row.
    """
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            for table, name in TRIGRAM_COLUMNS:
                connection.execute(
                    text(
                        f"CREATE INDEX IF NOT EXISTS ix_{table}_{name}_trgm "
                        f"ON {table} USING gin ({name} gin_trgm_ops)"
                    )
                )
    except SQLAlchemyError as exc:
        logging.getLogger(__name__).warning("No trigram indexes: %s", exc.orig or exc)


def _fill_listed_rows() -> None:
    """Fill the finder's term and text rows of a database made before they existed.

    ``create_all`` adds their tables empty; the rows follow from the features'
    query columns, which :func:`~webgis.features.store.reindex` recomputes.
    """
    Feature = models.Feature
    filled = [
        db.session.scalar(select(table.feature_id).limit(1)) is not None
        for table in (models.ListedTerm, models.ListedText)
    ]
    if all(filled):
        return
    if db.session.scalar(select(Feature.id).where(Feature.listed).limit(1)):
        store.reindex()


def _check_columns(engine) -> None:
    """Refuse, saying what is missing, a database made by an older version.

    ``create_all`` adds missing tables, never missing columns; until schema
    migrations exist such a database has to be made anew.
    """
    found = inspect(engine)
    missing = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        if found.has_table(table.name)
        for column in table.columns
        if column.name not in {c["name"] for c in found.get_columns(table.name)}
    ]
    if missing:
        raise WebgisError(
            "Baza danych pochodzi ze starszej wersji programu; brakuje kolumn: "
            f"{', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}. "
            "Utwórz nową bazę (dla demonstracji: usuń plik instance/webgis.sqlite)."
        )


def schema_state() -> tuple[str | None, str | None]:
    """(revision the database is at, newest revision this code knows).

    Both equal means the schema is current; the database is asked, so this fails
    (SQLAlchemyError) when it cannot be reached.
    """
    db.session.execute(text("SELECT 1"))
    return None, None  # filled in by the migrations
