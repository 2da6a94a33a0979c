"""Backup and restore: a copy taken while people keep editing comes back whole.

Each backend gets databases of its own: a SQLite file, or on PostgreSQL a database
named ``backup_…`` (the app's tables in its public schema, as in production, where
``pg_dump`` takes that schema and PostGIS stays an extension of the database).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import (
    BACKENDS,
    BOUNDARIES_DIR,
    POSTGRES_URL,
    add_staff,
    make_app,
    new_feature,
)
from webgis.core import backup
from webgis.core.errors import WebgisError
from webgis.core.extensions import db
from webgis.database import init_db
from webgis.demo import load_demo

WEBGIS = Path(sys.executable).with_name("webgis")
#: Tables of the schema that belong to no extension (PostGIS's spatial_ref_sys does).
OWN_TABLES = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND c.relkind = 'r' AND NOT EXISTS"
    " (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
)


# -- databases of this module's own ----------------------------------------------------


class Databases:
    """New empty databases of one backend; PostgreSQL ones are dropped at the end."""

    def __init__(self, backend: str, directory: Path):
        self.backend, self.directory, self.made = backend, directory, []
        if backend == "postgresql" and not POSTGRES_URL:
            pytest.skip("WEBGIS_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)")

    def new(self, name: str) -> str:
        """The URL of a new, empty database."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.directory / (name + '.sqlite')}"
        database = f"backup_{os.getpid()}_{name}"
        self._admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        self._admin(f"CREATE DATABASE {database}")
        self.made.append(database)
        url = sa.engine.make_url(POSTGRES_URL).set(database=database)
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop the PostgreSQL databases made here."""
        for database in self.made:
            self._admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")

    @staticmethod
    def _admin(statement: str) -> None:
        engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
        engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def source(request, tmp_path_factory):
    """An app on its own database with the demo cities and the staff accounts."""
    databases = Databases(request.param, tmp_path_factory.mktemp("backup"))
    app = make_app(databases.new("source"))
    with app.app_context():
        load_demo(BOUNDARIES_DIR)
        add_staff()
        db.session.remove()
    app.databases = databases
    yield app
    with app.app_context():
        db.engine.dispose()
    databases.drop_all()


@pytest.fixture
def empty(source, tmp_path):
    """Makes apps on new, empty databases of the source's backend."""
    databases = Databases(source.databases.backend, tmp_path)
    apps = []

    def make(name: str = "target"):
        apps.append(make_app(databases.new(name)))
        return apps[-1]

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()
    databases.drop_all()


@pytest.fixture
def good_backup(source, tmp_path) -> Path:
    """A backup of the source, made by the app."""
    file = tmp_path / "good.backup"
    with source.app_context():
        backup.backup_database(file)
    return file


# -- reading every table ---------------------------------------------------------------


def read_all(connection) -> dict[str, list]:
    """Every table's rows (all columns, in a stable order) and the schema's objects.

    ``connection`` is a DB-API connection (sqlite3 or psycopg): the same reader for
    the snapshot a backup sees and for the restored database.
    """

    def rows(sql: str) -> list:
        return sorted(
            tuple(map(repr, row)) for row in connection.execute(sql).fetchall()
        )

    if isinstance(connection, sqlite3.Connection):
        found = {"schema": rows("SELECT type, name, tbl_name, sql FROM sqlite_master")}
        names = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        found = {
            "schema": rows(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = current_schema()"
            )
        }
        names = OWN_TABLES
    for (name,) in connection.execute(names).fetchall():
        found[name] = rows(f'SELECT * FROM "{name}"')
    return found


def read_database(app) -> dict[str, list]:
    """Every table of ``app``'s database, read as :func:`read_all` reads."""
    with app.app_context():
        db.session.remove()
        raw = db.engine.raw_connection()
        try:
            return read_all(raw.driver_connection)
        finally:
            raw.rollback()
            raw.close()


def feature_ids(tables: dict) -> set[int]:
    """The ids in the features table of a :func:`read_all` result."""
    return {int(row[0]) for row in tables["features"]}


def features_line(lines: list[str]) -> int:
    """The feature count a backup or restore reported."""
    (line,) = [line for line in lines if "tabela features" in line]
    return int(line.rsplit(" ", 1)[1].rstrip("."))


# -- writers that keep editing ---------------------------------------------------------


class Writers:
    """Threads storing features one by one, each at most ``limit`` and ``seconds``."""

    def __init__(self, app, threads: int = 2, limit: int = 40, seconds: float = 60):
        self.app, self.limit, self.deadline = app, limit, time.monotonic() + seconds
        self.written: list[tuple[float, int]] = []  # (when the write began, id)
        self.errors: list[Exception] = []
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._write) for _ in range(threads)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _write(self) -> None:
        for _ in range(self.limit):
            if self.stopping.is_set() or time.monotonic() > self.deadline:
                return
            began = time.monotonic()
            try:
                feature_id, _revision = new_feature(self.app)
            except Exception as exc:  # shown by wait_for, in the test's failure
                with self.changed:
                    self.errors.append(exc)
                    self.changed.notify_all()
                return
            with self.changed:
                self.written.append((began, feature_id))
                self.changed.notify_all()

    def wait_for(self, count: int, since: float = 0.0, timeout: float = 30) -> None:
        """Until ``count`` writes that began after ``since`` are committed."""

        def enough() -> bool:
            return self.errors or len(self.begun_after(since)) >= count

        with self.changed:
            assert self.changed.wait_for(enough, timeout), "the writers stalled"
        assert not self.errors, self.errors

    def begun_after(self, moment: float) -> set[int]:
        """Ids of committed writes that began after ``moment``."""
        return {feature_id for began, feature_id in self.written if began > moment}


# -- the round trip --------------------------------------------------------------------


def test_a_backup_taken_while_writers_run_restores_every_table(
    source, empty, tmp_path, monkeypatch
):
    for _ in range(3):
        new_feature(source)
    file = tmp_path / "during-writes.backup"
    seen: dict = {}
    counted = backup._count_features

    def read_the_snapshot(connection):
        # Called inside the backup's snapshot: what it sees is what the file holds.
        seen.update(read_all(connection))
        seen["at"] = time.monotonic()
        # Writers must not wait for the backup: these commit while it is open.
        writers.wait_for(2, since=seen["at"])
        return counted(connection)

    monkeypatch.setattr(backup, "_count_features", read_the_snapshot)
    with Writers(source) as writers:
        writers.wait_for(2)
        before = read_database(source)
        with source.app_context():
            lines = backup.backup_database(file)
        writers.wait_for(1, since=time.monotonic())
    monkeypatch.undo()
    snapshot = {name: rows for name, rows in seen.items() if name != "at"}
    later = writers.begun_after(seen["at"])

    target = empty()
    with target.app_context():
        restored_lines = backup.restore_database(file)
    restored = read_database(target)

    assert restored == snapshot
    assert feature_ids(before) <= feature_ids(restored)
    assert len(later) >= 2 and not later & feature_ids(restored)
    assert len(feature_ids(read_database(source))) > len(feature_ids(restored))
    assert features_line(lines) == features_line(restored_lines)
    assert features_line(lines) == len(snapshot["features"])
    assert_consistent(target)
    # The restored database goes on: a new feature takes an id nobody had, and
    # the spatial index finds it with the restored ones.
    in_city = in_city_box(target)
    new_id, _revision = new_feature(target)
    assert new_id > max(feature_ids(restored))
    assert in_city_box(target) == in_city + 1


#: Around all of Wrocław, where every feature of these tests lies.
CITY_BOX = "16.80,51.04,17.18,51.21"


def in_city_box(app) -> int:
    """Features the layer API finds in the city's box, asserting it finds them all.

    A box query reads the spatial index (SQLite's R*Tree, PostGIS's GiST index):
    an index that lost rows finds fewer than the layer has.
    """
    api = "/api/wroclaw/layers/day_centres?limit=1"
    client = app.test_client()
    everything = client.get(api).get_json()["numberMatched"]
    boxed = client.get(f"{api}&bbox={CITY_BOX}").get_json()["numberMatched"]
    assert boxed == everything > 0
    return boxed


def assert_consistent(app) -> None:
    """The database checks itself: pages, keys and indexes are whole."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            checks = ("PRAGMA integrity_check", "SELECT rtreecheck('feature_boxes')")
            for check in checks:
                assert db.session.execute(sa.text(check)).scalar() == "ok"
            assert db.session.execute(sa.text("PRAGMA foreign_key_check")).all() == []
            boxes = set(db.session.scalars(sa.text("SELECT id FROM feature_boxes")))
            placed = "SELECT id FROM features WHERE min_lon IS NOT NULL"
            assert boxes == set(db.session.scalars(sa.text(placed)))
        else:
            for broken in (
                "SELECT conname FROM pg_constraint WHERE NOT convalidated",
                "SELECT indexrelid FROM pg_index WHERE NOT indisvalid",
            ):
                assert db.session.execute(sa.text(broken)).all() == []


def test_the_commands_back_up_and_restore_through_the_terminal(source, empty, tmp_path):
    file = tmp_path / "zapas.backup"
    target = empty()

    def webgis(app, *args):
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        environment = {**os.environ, "DATABASE_URL": url, "WEBGIS_ENV": "development"}
        return subprocess.run(
            [str(WEBGIS), *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )

    made = webgis(source, "backup", str(file))
    assert made.returncode == 0, made.stderr
    assert str(file) in made.stdout and "Czas:" in made.stdout
    again = webgis(source, "backup", str(file))
    assert again.returncode == 1 and "już istnieje" in again.stderr
    restored = webgis(target, "restore", str(file))
    assert restored.returncode == 0, restored.stderr
    count = len(feature_ids(read_database(source)))
    assert f"(tabela features): {count}." in restored.stdout
    assert read_database(target) == read_database(source)


# -- refusals: a clear message, and the database as it was -----------------------------


def refused_restore(app, file: Path) -> str:
    """Why restoring ``file`` into ``app`` is refused; asserts nothing changed."""
    before = read_database(app)
    with app.app_context(), pytest.raises(WebgisError) as refusal:
        backup.restore_database(file)
    assert read_database(app) == before
    return str(refusal.value)


def test_a_missing_file_is_refused(source, tmp_path):
    assert "Nie ma pliku" in refused_restore(source, tmp_path / "nie-ma.backup")


def test_a_file_that_is_no_backup_is_refused(source, tmp_path):
    file = tmp_path / "punkty.geojson"
    file.write_text('{"type": "FeatureCollection", "features": []}')
    assert "nie jest kopią zapasową" in refused_restore(source, file)


def test_a_backup_of_the_other_database_kind_is_refused(source, tmp_path):
    if source.databases.backend == "postgresql":
        other = make_app(f"sqlite:///{tmp_path / 'other.sqlite'}")
        with other.app_context():
            init_db()
            file = tmp_path / "sqlite.backup"
            backup.backup_database(file)
            db.engine.dispose()
        expected = "to kopia bazy SQLite"
    else:
        # What pg_dump --format=custom writes first (without PostgreSQL at hand).
        file = tmp_path / "postgres.backup"
        file.write_bytes(b"PGDMP\x01\x0e\x00\x04\x08\x01\x01" + bytes(200))
        expected = "to kopia bazy PostgreSQL"
    assert expected in refused_restore(source, file)


def test_a_backup_of_another_application_is_refused(source, tmp_path):
    file = tmp_path / "notes.backup"
    if source.databases.backend == "sqlite":
        notes = sqlite3.connect(file)
        notes.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        notes.execute("INSERT INTO notes (body) VALUES ('nie nasza baza')")
        notes.commit()
        notes.close()
    else:
        url = sa.engine.make_url(Databases(source.databases.backend, tmp_path).new("x"))
        _psql(url, "CREATE TABLE notes (id serial PRIMARY KEY, body text)")
        _pg_dump(url, file)
        Databases._admin(f"DROP DATABASE {url.database} WITH (FORCE)")
    assert "nie jest kopią bazy tej aplikacji" in refused_restore(source, file)


def test_a_damaged_backup_is_refused_and_changes_nothing(source, good_backup):
    data = bytearray(good_backup.read_bytes())
    # A disk's bad sectors: 16 kB of noise in the middle, the file's length kept.
    middle = len(data) // 2
    data[middle : middle + 16384] = b"\x5a" * 16384
    good_backup.write_bytes(data)
    message = refused_restore(source, good_backup)
    assert "nie została zmieniona" in message


def test_a_backup_never_overwrites_a_file(source, tmp_path):
    file = tmp_path / "wczorajsza.backup"
    file.write_bytes(b"kopia z wczoraj")
    with source.app_context(), pytest.raises(WebgisError, match="już istnieje"):
        backup.backup_database(file)
    assert file.read_bytes() == b"kopia z wczoraj"


def test_a_backup_into_a_missing_folder_is_refused(source, tmp_path):
    with source.app_context(), pytest.raises(WebgisError, match="Nie ma katalogu"):
        backup.backup_database(tmp_path / "nie-ma" / "kopia.backup")


def test_a_backup_that_fails_leaves_no_file(source, tmp_path, monkeypatch):
    def disk_full(_descriptor):
        raise OSError(28, "No space left on device")

    # The last step before the file takes its name: everything was written.
    monkeypatch.setattr(backup.os, "fsync", disk_full)
    with source.app_context(), pytest.raises(WebgisError, match="No space left"):
        backup.backup_database(tmp_path / "kopia.backup")
    assert list(tmp_path.iterdir()) == []


# -- PostgreSQL: its client programs, and a database that is not empty -----------------


def postgresql_only(source) -> None:
    if source.databases.backend != "postgresql":
        pytest.skip("pg_dump and pg_restore are PostgreSQL's")


def test_the_password_travels_in_the_environment_only(source, tmp_path, monkeypatch):
    postgresql_only(source)
    password = sa.engine.make_url(POSTGRES_URL).password
    calls = []
    run = subprocess.run

    def recording(command, **kwargs):
        calls.append((command, kwargs["env"]))
        return run(command, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", recording)
    with source.app_context():
        backup.backup_database(tmp_path / "kopia.backup")
    (command, environment), *_ = calls
    assert Path(command[0]).name == "pg_dump"
    assert not any(password in argument for argument in command)
    assert environment["PGPASSWORD"] == password


@pytest.mark.parametrize("program", ["pg_dump", "pg_restore"])
def test_a_missing_client_program_is_named(
    source, good_backup, tmp_path, monkeypatch, program
):
    postgresql_only(source)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    if program == "pg_dump":
        with source.app_context(), pytest.raises(WebgisError) as refusal:
            backup.backup_database(tmp_path / "kopia.backup")
        message = str(refusal.value)
    else:
        message = refused_restore(source, good_backup)
    assert f"Nie znaleziono programu {program}" in message


def test_tables_the_backup_lacks_are_refused(source, good_backup):
    postgresql_only(source)
    with source.app_context():
        db.session.execute(sa.text("CREATE TABLE notatki (id integer)"))
        db.session.commit()
    try:
        assert "notatki" in refused_restore(source, good_backup)
    finally:
        with source.app_context():
            db.session.execute(sa.text("DROP TABLE notatki"))
            db.session.commit()


def test_a_backup_of_another_schema_is_refused(source, good_backup):
    postgresql_only(source)
    url = sa.engine.make_url(source.config["SQLALCHEMY_DATABASE_URI"])
    _psql(url, "CREATE SCHEMA IF NOT EXISTS inny")
    other = make_app(
        url.update_query_dict(
            {"options": "-csearch_path=inny,public"}
        ).render_as_string(hide_password=False)
    )
    try:
        assert "schematu public" in refused_restore(other, good_backup)
    finally:
        with other.app_context():
            db.engine.dispose()


def _psql(url: sa.engine.URL, statement: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(statement)
    engine.dispose()


def _pg_dump(url: sa.engine.URL, file: Path) -> None:
    """A custom-format dump made by hand, as an administrator would."""
    environment = {**os.environ, "PGPASSWORD": url.password or ""}
    command = [shutil.which("pg_dump") or "pg_dump", "--format=custom"]
    command += ["-h", url.host, "-p", str(url.port or 5432), "-U", url.username]
    subprocess.run(
        [*command, "-f", str(file), url.database],
        env=environment,
        check=True,
        timeout=120,
    )
