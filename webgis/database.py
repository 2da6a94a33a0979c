"""Creating the schema on SQLite or PostgreSQL/PostGIS."""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webgis.accounts import users  # noqa: F401
from webgis.core import audit  # noqa: F401
from webgis.core.errors import WebgisError
from webgis.core.extensions import db
from webgis.core.registry import layer_registry
from webgis.features import models, organisations, vocabularies  # noqa: F401
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
    vocabularies.seed()
    # Features saved before organisation records existed get their links.
    organisations.link_published(layer_registry())
    return engine.url.render_as_string(hide_password=True)
