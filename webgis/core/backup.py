"""Backing up and restoring the whole database (SQLite or PostgreSQL).

SQLite: the stdlib's online backup API copies the pages of one read snapshot, so
the server keeps writing meanwhile (WAL); the R*Tree and its triggers are pages
like any other. PostgreSQL: ``pg_dump --format=custom`` of the app's schema in a
snapshot this module exports (so the feature count it reports is the dump's), and
``pg_restore`` in one transaction, so a restore that fails changes nothing.

A backup is written under a temporary name beside the final one and linked into
place only when complete; an existing file is never overwritten.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from webgis.core.errors import WebgisError
from webgis.core.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
#: Tables every version of the app has had: a backup without them is not its.
APP_TABLES = ("cities", "features", "users")
#: Extensions the app's tables need (init_db creates them too); pg_trgm is optional.
PG_EXTENSIONS = (("postgis", True), ("pg_trgm", False))


def backup_database(file: Path) -> list[str]:
    """Write a backup of the app's database to ``file``; returns lines for the user."""
    started = time.perf_counter()
    final = Path(file).absolute()
    if final.exists():
        raise WebgisError(
            f"Plik {final} już istnieje; kopia nie nadpisuje plików. "
            "Podaj nową nazwę (np. z datą) albo usuń stary plik."
        )
    if not final.parent.is_dir():
        raise WebgisError(f"Nie ma katalogu {final.parent}.")
    url = db.engine.url
    with _partial_file(final) as temporary:
        if _is_postgresql(url):
            count = _pg_dump(url, temporary)
        else:
            count = _sqlite_backup(_sqlite_path(url), temporary)
    return [
        f"Kopia zapasowa zapisana: {final} ({_kind(url)}, {_size(final)}).",
        f"Obiektów na mapach (tabela features): {count}.",
        f"Czas: {_seconds(started)}.",
    ]


def restore_database(file: Path) -> list[str]:
    """Replace the app's database contents with the backup ``file``."""
    started = time.perf_counter()
    source = Path(file).absolute()
    url = db.engine.url
    _check_kind(source, url)
    if _is_postgresql(url):
        count = _pg_restore(url, source)
    else:
        count = _sqlite_restore(source, _sqlite_path(url))
    return [
        f"Baza {url.render_as_string(hide_password=True)} odtworzona z kopii "
        f"{source} ({_size(source)}).",
        f"Obiektów na mapach (tabela features): {count}.",
        f"Czas: {_seconds(started)}.",
        "Uruchom ponownie działające procesy aplikacji (ich pamięć podręczna "
        "pamięta poprzednią zawartość bazy).",
    ]


def _count_features(connection) -> int:
    """Features in the snapshot being backed up (a DB-API connection inside it)."""
    return connection.execute("SELECT count(*) FROM features").fetchone()[0]


# -- files -----------------------------------------------------------------------------


@contextmanager
def _partial_file(final: Path) -> Iterator[Path]:
    """A temporary file beside ``final``, linked to ``final`` if the block succeeds.

    The link fails if ``final`` appeared meanwhile, so nothing is overwritten; the
    temporary file is removed either way, so no partial backup is left behind.
    """
    try:
        handle, name = tempfile.mkstemp(
            dir=final.parent, prefix=f".{final.name}.", suffix=".partial"
        )
    except OSError as exc:
        raise WebgisError(f"Nie można zapisać pliku w {final.parent}: {exc}") from exc
    os.close(handle)  # mkstemp's mode 0600 stays: a backup holds personal data
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        os.link(temporary, final)
    except FileExistsError as exc:
        raise WebgisError(
            f"Plik {final} już istnieje; kopia nie została zapisana."
        ) from exc
    except OSError as exc:
        raise WebgisError(f"Nie udało się zapisać kopii {final}: {exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)


def _check_kind(source: Path, url: URL) -> None:
    """Refuse a missing file, one that is no backup, or one of the other database."""
    if not source.is_file():
        raise WebgisError(f"Nie ma pliku {source}.")
    with source.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        found = "SQLite"
    elif head.startswith(PG_DUMP_MAGIC):
        found = "PostgreSQL"
    else:
        raise WebgisError(
            f"Plik {source} nie jest kopią zapasową zrobioną poleceniem "
            "`webgis backup` (ani bazą SQLite, ani plikiem pg_dump)."
        )
    if found != _kind(url):
        raise WebgisError(
            f"Plik {source} to kopia bazy {found}, a aplikacja używa bazy "
            f"{_kind(url)}; takiej kopii nie da się tu odtworzyć. Baza nie została "
            "zmieniona."
        )


def _missing_app_tables(source: Path, tables: set[str]) -> None:
    missing = [name for name in APP_TABLES if name not in tables]
    if missing:
        raise WebgisError(
            f"Plik {source} nie jest kopią bazy tej aplikacji (brak tabel: "
            f"{', '.join(missing)}). Baza nie została zmieniona."
        )


def _is_postgresql(url: URL) -> bool:
    return url.get_backend_name() == "postgresql"


def _kind(url: URL) -> str:
    return "PostgreSQL" if _is_postgresql(url) else "SQLite"


def _size(path: Path) -> str:
    size = path.stat().st_size
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB".replace(".", ",")
    return f"{size / 1_000_000:.1f} MB".replace(".", ",")


def _seconds(started: float) -> str:
    return f"{time.perf_counter() - started:.2f} s".replace(".", ",")


# -- SQLite ----------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        raise WebgisError(
            f"Kopia zapasowa obsługuje pliki SQLite i PostgreSQL, nie bazę {url}."
        )
    return Path(url.database)


def _sqlite_backup(database: Path, temporary: Path) -> int:
    """Copy one read snapshot of ``database`` into ``temporary``; its feature count.

    The backup API uses the source connection's open read transaction, so the count
    and the pages copied come from the same moment while writers go on (WAL).
    """
    if not database.is_file():
        raise WebgisError(f"Baza danych {database} nie istnieje.")
    source = sqlite3.connect(database, isolation_level=None, timeout=30)
    target = sqlite3.connect(temporary)
    try:
        source.execute("BEGIN")
        count = _count_features(source)
        source.backup(target)
        source.execute("COMMIT")
        # One self-contained file: no -wal beside it when it is opened later.
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise WebgisError(
            f"Nie udało się zrobić kopii bazy {database}: {exc}."
        ) from exc
    finally:
        target.close()
        source.close()
    return count


def _sqlite_restore(source: Path, database: Path) -> int:
    """Copy the backup ``source`` over ``database`` (same path, one transaction)."""
    if database.exists() and source.samefile(database):
        raise WebgisError(f"Plik {source} to sama baza aplikacji, nie jej kopia.")
    backup = _open_sqlite_backup(source)
    # The app's pooled connections would keep reading the old pages.
    db.session.remove()
    db.engine.dispose()
    target = sqlite3.connect(database, timeout=30)
    try:
        backup.backup(target)
        return _count_features(target)
    except sqlite3.Error as exc:
        raise WebgisError(
            f"Nie udało się odtworzyć bazy {database}: {exc}. "
            "Baza nie została zmieniona."
        ) from exc
    finally:
        target.close()
        backup.close()


def _open_sqlite_backup(source: Path) -> sqlite3.Connection:
    """The backup, opened read-only, once it proved whole and this app's."""
    uri = f"file:{quote(str(source))}?mode=ro"
    try:
        backup = sqlite3.connect(uri, uri=True)
        check = backup.execute("PRAGMA quick_check").fetchone()[0]
        tables = {
            row[0]
            for row in backup.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        }
    except sqlite3.Error as exc:
        raise WebgisError(
            f"Plik {source} nie jest poprawną bazą SQLite ({exc}). "
            "Baza nie została zmieniona."
        ) from exc
    if check != "ok":
        backup.close()
        raise WebgisError(
            f"Plik {source} jest uszkodzony ({check}). Baza nie została zmieniona."
        )
    try:
        _missing_app_tables(source, tables)
    except WebgisError:
        backup.close()
        raise
    return backup


# -- PostgreSQL ------------------------------------------------------------------------

#: One entry of ``pg_restore --list``: "id; catalog oid kind schema name owner".
TOC_ENTRY = re.compile(r"^(\d+); \d+ \d+ (.+)$")


def _tool(name: str, url: URL) -> str:
    path = shutil.which(name)
    if path is None:
        raise WebgisError(
            f"Nie znaleziono programu {name}. Zainstaluj klienta PostgreSQL w wersji "
            "serwera bazy lub nowszej (Debian: apt install postgresql-client) i "
            f"sprawdź, czy {name} jest w PATH. Baza "
            f"{url.render_as_string(hide_password=True)} nie została zmieniona."
        )
    return path


def _conninfo(url: URL) -> str:
    """A libpq connection string for ``url``, without its password."""

    def quoted(value) -> str:
        value = value[-1] if isinstance(value, tuple) else value
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    fields = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "dbname": url.database,
        **{k: v for k, v in url.query.items() if k != "password"},
    }
    return " ".join(f"{k}={quoted(v)}" for k, v in fields.items() if v is not None)


def _environment(url: URL) -> dict[str, str]:
    """The child's environment: the password travels here, never in its arguments."""
    environment = dict(os.environ)
    password = url.password or url.query.get("password")
    if password:
        environment["PGPASSWORD"] = str(password)
    return environment


def _run(command: list[str], url: URL, failure: str) -> str:
    """Run a PostgreSQL client program; its output, or a refusal with its errors."""
    finished = subprocess.run(
        command, env=_environment(url), capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        errors = finished.stderr.strip().splitlines()[-6:]
        raise WebgisError(
            failure, problems=errors or [f"kod wyjścia {finished.returncode}"]
        )
    return finished.stdout


def _pg_dump(url: URL, temporary: Path) -> int:
    """Dump the app's schema, in a snapshot exported here, into ``temporary``."""
    pg_dump = _tool("pg_dump", url)
    with db.engine.connect().execution_options(
        isolation_level="REPEATABLE READ"
    ) as connection:
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
        try:
            count = _count_features(connection.connection.driver_connection)
        except connection.dialect.dbapi.Error as exc:
            raise WebgisError(f"Nie udało się zrobić kopii bazy: {exc}") from exc
        _run(
            [
                pg_dump,
                "--format=custom",
                f"--schema={_quoted(schema)}",
                f"--snapshot={snapshot}",
                f"--file={temporary}",
                f"--dbname={_conninfo(url)}",
            ],
            url,
            "pg_dump nie zrobił kopii:",
        )
    return count


def _quoted(schema: str) -> str:
    """``schema`` double-quoted: an SQL identifier, and a pg_dump pattern of it."""
    return '"' + schema.replace('"', '""') + '"'


def _pg_restore(url: URL, source: Path) -> int:
    """Restore ``source`` into the app's schema with pg_restore, all or nothing."""
    pg_restore = _tool("pg_restore", url)
    entries = _toc(pg_restore, url, source)
    schema, newer = _check_dump(source, entries)
    _prepare_schema(schema)
    db.session.remove()
    db.engine.dispose()
    with tempfile.NamedTemporaryFile("w", suffix=".list") as chosen:
        chosen.write("\n".join(_restored_entries(entries)) + "\n")
        chosen.flush()
        if newer:
            _restore_dropping(url, source, chosen.name, schema, newer)
            return _analysed()
        _run(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-acl",
                "--single-transaction",
                "--exit-on-error",
                f"--use-list={chosen.name}",
                f"--dbname={_conninfo(url)}",
                str(source),
            ],
            url,
            f"pg_restore nie odtworzył kopii {source}; baza nie została zmieniona:",
        )
    return _analysed()


def _restore_dropping(url: URL, source: Path, chosen: str, schema, newer) -> None:
    """Drop the app's tables newer than the dump and restore it, in one transaction.

    pg_restore cannot add statements to its own transaction, so it writes the
    restore as SQL and psql runs the drops and that SQL as one transaction.
    """
    with tempfile.NamedTemporaryFile(suffix=".sql") as script:
        _run(
            [
                _tool("pg_restore", url),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-acl",
                f"--use-list={chosen}",
                f"--file={script.name}",
                str(source),
            ],
            url,
            f"pg_restore nie odczytał kopii {source}; baza nie została zmieniona:",
        )
        drops = [
            f"DROP TABLE IF EXISTS {_quoted(schema)}.{_quoted(name)} CASCADE;"
            for name in newer
        ]
        _run(
            [
                _tool("psql", url),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={_conninfo(url)}",
                *(option for drop in drops for option in ("--command", drop)),
                f"--file={script.name}",
            ],
            url,
            f"Nie udało się odtworzyć kopii {source}; baza nie została zmieniona:",
        )


def _analysed() -> int:
    """The restored database's feature count, once its statistics are fresh."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        # pg_restore leaves no statistics; the planner would guess until autovacuum.
        c.exec_driver_sql("ANALYZE")
        return _count_features(c.connection.driver_connection)


def _toc(pg_restore: str, url: URL, source: Path) -> list[tuple[str, list[str]]]:
    """The archive's entries as (line, words after the catalog ids)."""
    listing = _run(
        [pg_restore, "--list", str(source)],
        url,
        f"Plik {source} nie jest poprawną kopią pg_dump; baza nie została zmieniona:",
    )
    entries = []
    for line in listing.splitlines():
        match = TOC_ENTRY.match(line)
        if match:
            entries.append((line, match.group(2).split()))
    return entries


def _kind_of(words: list[str]) -> str:
    """The type of a listed entry: "TABLE DATA", "TABLE", "SCHEMA", … (first words)."""
    if words[:2] == ["TABLE", "DATA"]:
        return "TABLE DATA"
    if words[:3] == ["COMMENT", "-", "SCHEMA"]:
        return "COMMENT SCHEMA"
    return words[0]


def _tables(entries, kind: str = "TABLE") -> set[tuple[str, str]]:
    """(schema, name) of the entries of ``kind`` ("TABLE" or "TABLE DATA")."""
    skip = len(kind.split())
    return {
        (words[skip], words[skip + 1])
        for _line, words in entries
        if _kind_of(words) == kind and len(words) > skip + 1
    }


def _check_dump(source: Path, entries) -> tuple[str, list[str]]:
    """The dump's schema, once it proved this app's and fit for this database.

    With it, the app's tables the dump lacks: a later revision made them, and the
    restore drops them (``db upgrade`` makes them again). Other tables the dump
    lacks are refused.
    """
    tables = _tables(entries)
    schemas = {schema for schema, _name in tables}
    _missing_app_tables(source, {name for _schema, name in tables})
    current = db.session.execute(db.text("SELECT current_schema()")).scalar()
    if schemas != {current}:
        raise WebgisError(
            f"Kopia {source} pochodzi ze schematu {', '.join(sorted(schemas))}, a "
            f"aplikacja używa schematu {current}. Baza nie została zmieniona."
        )
    extra = sorted(set(_own_tables(current)) - {name for _s, name in tables})
    unknown = [name for name in extra if name not in db.metadata.tables]
    if unknown:
        raise WebgisError(
            f"Baza ma tabele, których nie ma w kopii {source}: {', '.join(unknown)}. "
            "Odtwórz kopię do pustej bazy, a potem zaktualizuj jej schemat. "
            "Baza nie została zmieniona."
        )
    return current, extra


def _own_tables(schema: str) -> list[str]:
    """Tables in ``schema`` that belong to no extension (PostGIS has its own)."""
    return list(
        db.session.execute(
            db.text(
                "SELECT c.relname FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm')"
                " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid"
                " AND d.deptype = 'e')"
            ),
            {"schema": schema},
        ).scalars()
    )


def _prepare_schema(schema: str) -> None:
    """The schema and the extensions the dump's tables need, as ``db init`` makes."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {_quoted(schema)}")
        for name, required in PG_EXTENSIONS:
            # A savepoint, so a missing optional extension leaves the rest in place.
            savepoint = connection.begin_nested()
            try:
                connection.exec_driver_sql(
                    f"CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA public"
                )
                savepoint.commit()
            except SQLAlchemyError as exc:
                savepoint.rollback()
                if required:
                    raise WebgisError(
                        f"Nie można włączyć rozszerzenia {name}: {exc}. "
                        "Baza nie została zmieniona."
                    ) from exc


def _restored_entries(entries) -> list[str]:
    """The entries to restore: not the schema itself, nor an extension's data.

    ``--clean`` would drop and recreate the schema itself; the data of an extension's
    configuration table (PostGIS's spatial_ref_sys) belongs to the extension there.
    """
    tables = _tables(entries)
    kept = []
    for line, words in entries:
        kind = _kind_of(words)
        if kind in ("SCHEMA", "COMMENT SCHEMA"):
            continue
        if kind == "TABLE DATA" and (words[2], words[3]) not in tables:
            continue
        kept.append(line)
    return kept
