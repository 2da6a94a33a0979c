"""Alembic's environment: the app's own engine and tables (run by ``webgis db …``)."""

import warnings

from alembic import context

from webgis.core.extensions import db
from webgis.database import include_name, include_object

if context.is_offline_mode():
    raise SystemExit("Migrations run against a database (webgis db upgrade).")

# SQLite cannot reflect expression indexes; its only one is PostGIS's (KNN), which
# include_object leaves out there anyway.
warnings.filterwarnings(
    "ignore", message="autogenerate skipping metadata-specified expression-based"
)


def run_migrations(connection) -> None:
    """Compare with or migrate the database on ``connection``."""
    context.configure(
        connection=connection,
        target_metadata=db.metadata,
        include_name=include_name,
        include_object=include_object,
        # SQLite alters a table by copying it; Alembic's batch mode does that.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


# The caller may hand a connection of its own (webgis.database does for a scratch
# database); otherwise, the app's.
given = context.config.attributes.get("connection")
if given is not None:
    run_migrations(given)
else:
    with db.engine.connect() as connection:
        run_migrations(connection)
