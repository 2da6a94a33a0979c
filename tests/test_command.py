"""The ``webgis`` command a person types: its help, and a command run through it."""

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from webgis import cli
from webgis.accounts import users

WEBGIS = Path(sys.executable).with_name("webgis")


def test_help_lists_every_command_without_building_the_app(monkeypatch):
    def refuse():
        raise AssertionError("--help built the app")

    monkeypatch.setattr(cli, "_app", refuse)
    result = CliRunner().invoke(cli.main, ["--help"])
    assert result.exit_code == 0, result.output
    for name in ("db", "cities", "boundaries", "users", "features", "demo", "serve"):
        assert name in result.output


def test_the_command_builds_the_app_from_the_environment(tmp_path):
    database = tmp_path / "command.sqlite"
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    ran = subprocess.run(
        [str(WEBGIS), "db", "init"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    assert "Baza gotowa" in ran.stdout and database.exists()


def test_the_command_offers_the_roles_accounts_have():
    assert cli.ROLES == users.ROLES


def test_reindex_command_counts_the_features(staff_app):
    result = staff_app.test_cli_runner().invoke(args=["features", "reindex"])
    assert result.exit_code == 0, result.output
    assert int(result.output.split(":")[1]) > 0


def test_a_database_of_an_older_version_is_refused_with_what_it_lacks(tmp_path):
    import sqlalchemy as sa

    from tests.conftest import make_app
    from webgis.core.extensions import db

    app = make_app(f"sqlite:///{tmp_path / 'old.sqlite'}")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "init"]).exit_code == 0
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE features DROP COLUMN public_item"))
            # As made before migrations: no revision recorded.
            connection.execute(sa.text("DROP TABLE alembic_version"))
    result = runner.invoke(args=["db", "init"])
    assert result.exit_code == 1
    assert (
        "features.public_item" in result.output and "starszej wersji" in result.output
    )
