"""Creating the schema on SQLite or PostgreSQL/PostGIS."""

from functools import cache
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from webgis.accounts import users  # noqa: F401
from webgis.core import audit  # noqa: F401
from webgis.core.errors import WebgisError
from webgis.core.extensions import db
from webgis.core.registry import layer_registry
from webgis.features import models, organisations, store, vocabularies
from webgis.geography import addresses as address_models  # noqa: F401
from webgis.geography import models as geography_models  # noqa: F401

# Importing the modules above registers their tables with the metadata.


def init_db() -> str:
    """Make a new database ready (tables, PostGIS on PostgreSQL); harmless on one.

    A new database gets the models' tables at once and is marked as at the newest
    migration. A database made before migrations existed is adopted (see
    :func:`upgrade_db`); one behind the newest migration is refused. Returns a
    one-line description of the database for the user.
    """
    _extensions()
    state = _schema_kind()
    if state == "empty":
        db.create_all()
        _migration("stamp", "head")
    elif state == "unversioned":
        _adopt()
    current, head = schema_state()
    if current != head:
        raise WebgisError(
            f"Schemat bazy jest w wersji {current}, program potrzebuje {head}: "
            "uruchom „webgis db upgrade”."
        )
    return _after_schema()


def upgrade_db() -> list[str]:
    """Bring the database to the newest migration; returns lines for the user.

    An empty database is built by the migrations themselves; one made by
    ``db init`` before migrations existed is adopted as the first revision.
    """
    _extensions()
    kind = _schema_kind()
    if kind == "unversioned":
        _adopt()
    before, head = schema_state()
    notes = _migration("upgrade", "head")
    description = _after_schema()
    if before == head:
        return [f"Schemat bazy jest aktualny ({head}): {description}"]
    return [f"Schemat bazy: {before or 'pusta baza'} → {head}: {description}", *notes]


def new_revision(message: str) -> str:
    """Write a migration for what the models changed; returns its file's path.

    Run against a database at the newest revision; read and adjust the file
    (dialect-specific DDL, data) before committing it.
    """
    from alembic.script import ScriptDirectory

    number = f"{int(_head()) + 1:04d}"  # revisions are numbered 0001, 0002, …
    _migration("revision", message=message, autogenerate=True, rev_id=number)
    _head.cache_clear()
    return str(ScriptDirectory(str(MIGRATIONS)).get_revision(number).path)


def _after_schema() -> str:
    """What follows from the data in any schema: finder rows, terms, links."""
    _fill_listed_rows()
    vocabularies.seed()
    # Features saved before organisation records existed get their links (once:
    # relinking would renumber every link).
    if db.session.scalar(select(organisations.OrganisationLink.id).limit(1)) is None:
        organisations.link_published(layer_registry())
    return db.engine.url.render_as_string(hide_password=True)


def _extensions() -> None:
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.begin() as connection:
            # Geometry types, and trigram indexes for text inside words.
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except SQLAlchemyError as exc:
        raise WebgisError(
            "Nie można włączyć rozszerzeń PostGIS i pg_trgm w bazie "
            f"{engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig or exc}. Zainstaluj PostGIS albo utwórz rozszerzenie "
            "jako administrator bazy (CREATE EXTENSION postgis; CREATE EXTENSION "
            "pg_trgm)."
        ) from exc


def _schema_kind() -> str:
    """One of: empty, unversioned (made by db init before migrations), versioned."""
    tables = set(inspect(db.engine).get_table_names())
    if "alembic_version" in tables:
        return "versioned"
    return "unversioned" if "features" in tables else "empty"


#: The revision a database made by ``db init`` before migrations existed is at.
FIRST_REVISION = "0001"


def _first_revision_columns() -> dict[str, set[str]]:
    """The columns of each table as the first migration makes them.

    Read off an in-memory SQLite database migrated that far: column names are
    the same on every engine.
    """
    from sqlalchemy import create_engine

    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        _migration("upgrade", FIRST_REVISION, connection=connection)
        found = inspect(connection)
        return {
            name: {column["name"] for column in found.get_columns(name)}
            for name in found.get_table_names()
        }


def _adopt() -> None:
    """Mark a database made before migrations as the first revision.

    Its tables are the first revision's, but releases added tables and indexes
    that ``create_all`` alone never added to an existing database: they are
    made here first (tables the first revision has, unchanged since), and
    missing columns are refused by name.
    """
    engine = db.engine
    first = _first_revision_columns()
    _check_columns(engine, first)
    # The first revision's tables only: a later revision makes its own tables and
    # would find them already there.
    tables = [table for table in db.metadata.sorted_tables if table.name in first]
    db.metadata.create_all(engine, tables=tables)
    found = inspect(engine)
    for table in tables:
        present = {index["name"] for index in found.get_indexes(table.name)}
        # A column a later revision adds comes with its index, made there.
        columns = {column["name"] for column in found.get_columns(table.name)}
        for index in table.indexes:
            if (
                index.name not in present
                and {column.name for column in index.columns} <= columns
                and include_object(index, index.name, "index", False, None)
            ):
                index.create(engine)
    _migration("stamp", FIRST_REVISION)


def _migration(command_name: str, *arguments, connection=None, **options) -> list:
    """Run an Alembic command (through Flask-Migrate's configuration).

    On the app's database, or on ``connection`` when given. Returns the lines a
    data migration left for the user (``config.attributes["notes"]``).
    """
    from alembic import command
    from flask import current_app
    from flask_migrate import Migrate

    app = current_app._get_current_object()
    if "migrate" not in app.extensions:
        # Its own command group goes under another name than our `db` group.
        Migrate(app, db, directory=str(MIGRATIONS), command="alembic")
    config = app.extensions["migrate"].migrate.get_config()
    config.attributes["connection"] = connection
    db.session.remove()  # the migration's own connection must not wait for ours
    getattr(command, command_name)(config, *arguments, **options)
    return config.attributes.get("notes", [])


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


def _check_columns(engine, expected: dict[str, set[str]]) -> None:
    """Refuse, saying what is missing, a database older than the first migration.

    ``expected`` holds the first revision's columns by table; such a database
    has to be made anew.
    """
    found = inspect(engine)
    missing = [
        f"{table}.{column}"
        for table, columns in expected.items()
        if found.has_table(table)
        for column in sorted(columns - {c["name"] for c in found.get_columns(table)})
    ]
    if missing:
        raise WebgisError(
            "Baza danych pochodzi ze starszej wersji programu; brakuje kolumn: "
            f"{', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}. "
            "Utwórz nową bazę (dla demonstracji: usuń plik instance/webgis.sqlite)."
        )


#: Alembic's scripts: the schema's history, one revision per change.
MIGRATIONS = Path(__file__).parent / "migrations"


def schema_state() -> tuple[str | None, str | None]:
    """(revision the database is at, newest revision this code knows).

    Both equal means the schema is current; the database is asked, so this fails
    (SQLAlchemyError) when it cannot be reached.
    """
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, _head()


def schema_note() -> list[str]:
    """What to do about the schema's revision, if anything (after a restore)."""
    from alembic.script import ScriptDirectory

    current, head = schema_state()
    if current == head:
        return []
    known = {
        script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()
    }
    if current in known or current is None:
        return [
            f"Schemat bazy jest w wersji {current or 'sprzed migracji'}, program "
            f"potrzebuje {head}: uruchom „webgis db upgrade”."
        ]
    return [
        f"Schemat bazy jest w wersji {current}, której ten program nie zna (kopia "
        "z nowszej wersji): zainstaluj tę wersję programu albo odtwórz inną kopię."
    ]


@cache
def _head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Alembic: leave alone what the database keeps beside this app's tables.

    SQLite's R*Tree of envelopes and FTS5 index of listed texts (virtual tables
    and their shadow tables) and PostGIS's own tables are made by their DDL, not
    by the models.
    """
    if type_ == "table":
        made_by_ddl = ("feature_boxes", "listed_words", "spatial_ref_sys")
        return not (name or "").startswith(made_by_ddl)
    return True


def include_object(obj, name: str | None, type_: str, reflected: bool, compare_to):
    """Alembic: compare only what this dialect's DDL makes.

    An index declared for one dialect (``ddl_if``) is absent on the other, and
    GeoAlchemy2 makes the geometry columns' GiST indexes itself.
    """
    if type_ != "index":
        return True
    if reflected:
        return not (name or "").startswith("idx_") or compare_to is not None
    condition = obj._ddl_if
    dialect = db.engine.dialect.name
    return condition is None or condition.dialect in (None, dialect)
