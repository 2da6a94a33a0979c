"""Creating the schema on SQLite or PostgreSQL/PostGIS."""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

# Importing the modules that declare tables registers them with the metadata.
from webgis.core.errors import WebgisError
from webgis.core.extensions import db
from webgis.features import vocabularies


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
    vocabularies.seed()
    return engine.url.render_as_string(hide_password=True)
