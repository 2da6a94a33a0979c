"""Schema migrations: upgrades keep every row, and give exactly the models' schema."""

import pytest
import sqlalchemy as sa

from tests.conftest import BACKENDS, _database_url, demo_database, make_app
from webgis.core.errors import WebgisError
from webgis.core.extensions import db
from webgis.database import (
    FIRST_REVISION,
    _migration,
    init_db,
    schema_state,
    upgrade_db,
)
from webgis.features import vocabularies
from webgis.features.vocabularies import VocabularyTerm


def close() -> None:
    """Return the session's connection, then close the pool's."""
    db.session.remove()
    db.engine.dispose()


def schema_objects() -> set[tuple]:
    """What the database holds besides rows: tables, columns, indexes, triggers."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT type, name, tbl_name FROM sqlite_master"
                " WHERE name NOT LIKE 'sqlite_autoindex%'"
            )
            return {tuple(row) for row in rows}
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
        indexes = connection.exec_driver_sql(
            "SELECT indexname, replace(indexdef, %s, '') FROM pg_indexes"
            " WHERE schemaname = %s",
            (schema + ".", schema),
        )
        columns = connection.exec_driver_sql(
            "SELECT table_name, column_name, udt_name, is_nullable"
            " FROM information_schema.columns WHERE table_schema = %s",
            (schema,),
        )
        geometries = connection.exec_driver_sql(
            "SELECT f_table_name, type, srid FROM geometry_columns"
            " WHERE f_table_schema = %s",
            (schema,),
        )
        return {tuple(r) for rows in (indexes, columns, geometries) for r in rows}


def rows_of_every_table() -> dict[str, list[tuple]]:
    """Every row of every table (but Alembic's own), in a stable order."""
    found = sa.inspect(db.engine)
    tables = {}
    with db.engine.connect() as connection:
        for name in found.get_table_names():
            if name == "alembic_version" or name.startswith("feature_boxes_"):
                continue
            rows = connection.exec_driver_sql(f"SELECT * FROM {name}").all()
            tables[name] = sorted(tuple(map(repr, row)) for row in rows)
    return tables


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrading_an_empty_database_gives_exactly_the_models_schema(backend, tmp_path):
    made = make_app(_database_url(backend, tmp_path, "made"))
    with made.app_context():
        init_db()  # the models' tables, made at once
        expected = schema_objects()
        close()
    migrated = make_app(_database_url(backend, tmp_path, "migrated"))
    with migrated.app_context():
        lines = upgrade_db()
        assert "pusta baza → " in lines[0]
        current, head = schema_state()
        assert current == head is not None
        _migration("check")  # Alembic compares models and database: nothing to do
        assert schema_objects() == expected
        close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_with_data_upgrades_from_the_previous_revision_losing_nothing(
    backend, tmp_path
):
    flask_app = demo_database(backend, tmp_path, "upgraded", staff=True)
    with flask_app.app_context():
        _migration("downgrade", FIRST_REVISION)  # the data, in the first schema
        before = rows_of_every_table()
        assert schema_state()[0] == FIRST_REVISION
        assert len(before["features"]) > 40 and before["revisions"]
        lines = upgrade_db()
        after = rows_of_every_table()
        assert lines[0].startswith(f"Schemat bazy: {FIRST_REVISION} → ")
        # Every old column of every row is as it was; the new columns are empty.
        width = {name: len(rows[0]) for name, rows in before.items() if rows}
        for name, rows in before.items():
            assert [row[: width.get(name, 0)] for row in after[name]] == rows, name
        assert {row[-3:] for row in after["vocabulary_terms"]} == {("None",) * 3}
        # Not known whether a label was edited: equal ones are not reported.
        assert vocabularies.file_changes() == []
        close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_made_before_migrations_is_adopted(backend, tmp_path):
    flask_app = make_app(_database_url(backend, tmp_path, "adopted"))
    with flask_app.app_context():
        init_db()
        _migration("downgrade", FIRST_REVISION)
        with db.engine.begin() as connection:  # as `db init` left it before
            connection.exec_driver_sql("DROP TABLE alembic_version")
            connection.exec_driver_sql("DROP INDEX ix_features_stamp")
        upgrade_db()
        current, head = schema_state()
        assert current == head
        _migration("check")
        assert "ix_features_stamp" in {
            index["name"] for index in sa.inspect(db.engine).get_indexes("features")
        }
        close()


def test_db_init_refuses_a_database_behind_the_code_and_says_what_to_run(app):
    _migration("downgrade", FIRST_REVISION)
    with pytest.raises(WebgisError, match="webgis db upgrade"):
        init_db()
    upgrade_db()
    init_db()  # current again: harmless


def test_a_database_older_than_the_first_migration_is_refused_by_column(app):
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
        connection.exec_driver_sql("ALTER TABLE features DROP COLUMN address_key")
    with pytest.raises(WebgisError, match="features.address_key"):
        upgrade_db()
    assert schema_state()[0] is None  # nothing was stamped


def test_the_cli_upgrades_and_says_the_schema_is_current(runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Schemat bazy jest aktualny" in result.output


# -- vocabularies from the file ------------------------------------------------------


@pytest.fixture
def changed_file(app, monkeypatch):
    """The project's vocabulary file with a new term and two changed labels."""
    original = vocabularies._file_terms()
    changed = dict(original)
    free, edited = ("category", "free_time"), ("category", "maintenance")
    vocabularies.update_term(
        _term(*edited).id,
        {"pl": "Alimenty (MOPS)", "en": "Maintenance", "uk": "Аліменти"},
        True,
    )
    for key, label in ((free, "Wolny czas"), (edited, "Alimenty i świadczenia")):
        position, labels = original[key]
        changed[key] = (position, {**labels, "pl": label})
    changed[("category", "digital")] = (99, {"pl": "Cyfrowe", "en": "D", "uk": "Ц"})
    monkeypatch.setattr(vocabularies, "_file_terms", lambda: changed)
    return app


def _term(vocabulary: str, key: str) -> VocabularyTerm | None:
    return db.session.scalar(
        sa.select(VocabularyTerm).filter_by(vocabulary=vocabulary, key=key)
    )


def test_sync_shows_new_terms_and_changed_labels_and_writes_nothing(changed_file):
    result = changed_file.test_cli_runner().invoke(args=["vocabularies", "sync"])
    assert result.exit_code == 0, result.output
    assert "+ category/digital: nowe pojęcie „Cyfrowe”" in result.output
    assert "~ category/free_time [pl]: „Czas wolny” → „Wolny czas”" in result.output
    assert "! category/maintenance [pl]: w bazie „Alimenty (MOPS)”" in result.output
    assert "Nic nie zapisano" in result.output
    db.session.expire_all()
    assert _term("category", "digital") is None
    assert _term("category", "free_time").label_pl == "Czas wolny"


def test_sync_apply_never_overwrites_an_administrators_label_silently(changed_file):
    runner = changed_file.test_cli_runner()
    result = runner.invoke(args=["vocabularies", "sync", "--apply"])
    assert "Zapisano zmian: 2." in result.output
    db.session.expire_all()
    assert _term("category", "digital").label_pl == "Cyfrowe"
    assert _term("category", "free_time").label_pl == "Wolny czas"
    assert _term("category", "maintenance").label_pl == "Alimenty (MOPS)"
    # Still reported, until the administrator's label is overwritten or kept.
    again = runner.invoke(args=["vocabularies", "sync"]).output
    assert "! category/maintenance" in again and "~ category" not in again
    runner.invoke(
        args=["vocabularies", "sync", "--apply", "--overwrite", "category/maintenance"]
    )
    db.session.expire_all()
    assert _term("category", "maintenance").label_pl == "Alimenty i świadczenia"
    assert (
        "Słowniki zgodne z plikiem."
        in runner.invoke(args=["vocabularies", "sync"]).output
    )


def test_sync_keep_stops_reporting_the_files_label(changed_file):
    runner = changed_file.test_cli_runner()
    runner.invoke(
        args=["vocabularies", "sync", "--apply", "--keep", "category/maintenance"]
    )
    db.session.expire_all()
    assert _term("category", "maintenance").label_pl == "Alimenty (MOPS)"
    assert "maintenance" not in runner.invoke(args=["vocabularies", "sync"]).output


def test_sync_refuses_a_term_written_without_its_vocabulary(changed_file):
    result = changed_file.test_cli_runner().invoke(
        args=["vocabularies", "sync", "--apply", "--overwrite", "maintenance"]
    )
    assert result.exit_code != 0
    assert "SŁOWNIK/KLUCZ" in result.output
    db.session.expire_all()
    assert _term("category", "digital") is None  # nothing written


def test_readiness_and_a_restored_older_backup_say_the_schema_is_behind(app, tmp_path):
    runner, client = app.test_cli_runner(), app.test_client()
    assert client.get("/readyz").json["status"] == "ok"
    _migration("downgrade", FIRST_REVISION)
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json["schema"]["revision"] == FIRST_REVISION
    backup = tmp_path / "older.backup"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    upgrade_db()
    close()
    restored = runner.invoke(args=["restore", str(backup)])
    assert restored.exit_code == 0, restored.output
    assert f"w wersji {FIRST_REVISION}" in restored.output
    assert "uruchom „webgis db upgrade”" in restored.output
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert client.get("/readyz").status_code == 200
