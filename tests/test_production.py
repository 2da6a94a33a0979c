"""Production start: settings safe only for a demo are refused; servers that serve it.

`webgis serve --threads N` and gunicorn on ``webgis.wsgi:app`` are started as
processes on 127.0.0.1, each asked for /healthz and stopped, all within seconds.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from tests.conftest import BOUNDARIES_DIR
from webgis import create_app
from webgis.cli import main
from webgis.core.config import ConfigurationRefused, production_problems
from webgis.core.extensions import db
from webgis.database import init_db

BIN = Path(sys.executable).parent
#: A production configuration the app accepts: each test breaks one thing.
GOOD = {
    "WEBGIS_ENV": "production",
    "SECRET_KEY": "k" * 64,
    "WEBGIS_HTTPS": True,
    "WEBGIS_PROCESSES": 1,
    "RATELIMIT_STORAGE_URI": "memory://",
    "WEBGIS_LOG_FORMAT": "text",
}


def test_a_good_production_configuration_has_no_problems():
    assert production_problems(GOOD) == []
    assert (
        production_problems(
            {
                **GOOD,
                "WEBGIS_PROCESSES": 3,
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
            }
        )
        == []
    )


def test_a_demo_needs_none_of_it():
    demo = {**GOOD, "WEBGIS_ENV": "development", "SECRET_KEY": None}
    demo.update(WEBGIS_HTTPS=False, WEBGIS_PROCESSES=3)
    assert production_problems(demo) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"WEBGIS_HTTPS": False}, "WEBGIS_HTTPS"),
        ({"WEBGIS_PROCESSES": 2}, "RATELIMIT_STORAGE_URI=memory://"),
        ({"WEBGIS_ENV": "prod"}, "WEBGIS_ENV='prod'"),
        ({"WEBGIS_LOG_FORMAT": "xml"}, "WEBGIS_LOG_FORMAT='xml'"),
    ],
)
def test_each_unsafe_setting_is_named(change, named):
    (problem,) = production_problems({**GOOD, **change})
    assert named in problem


def test_the_app_refuses_to_be_made(tmp_path):
    with pytest.raises(ConfigurationRefused, match="SECRET_KEY") as refused:
        create_app(
            {
                **GOOD,
                "SECRET_KEY": None,
                "WEBGIS_HTTPS": False,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
            }
        )
    assert "WEBGIS_ENV=production" in str(refused.value)
    assert "WEBGIS_HTTPS" in str(refused.value)


@pytest.fixture
def no_server(monkeypatch):
    """What `webgis serve` would hand to waitress, which is not started."""
    import waitress

    import webgis.core.collection

    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append(kw))
    # The test process keeps its garbage collector.
    monkeypatch.setattr(
        webgis.core.collection, "collect_between_requests", lambda app: False
    )
    return calls


def _serve(tmp_path, arguments, **environment):
    """`webgis serve ARGUMENTS` with the app made from ``environment`` (None unsets)."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite'}",
        "SECRET_KEY": None,
        "WEBGIS_HTTPS": None,
        "WEBGIS_ENV": None,
        "WEBGIS_PROCESSES": None,
        "RATELIMIT_STORAGE_URI": None,
        "WEBGIS_LOG_FORMAT": None,
        **environment,
    }
    # A ScriptInfo of its own: the command's shared one keeps the first app it made.
    info = ScriptInfo(create_app=create_app, load_dotenv_defaults=False)
    return CliRunner().invoke(main, ["serve", *arguments], env=env, obj=info)


def test_serve_refuses_production_without_its_settings(tmp_path, no_server):
    result = _serve(tmp_path, [], WEBGIS_ENV="production")
    assert result.exit_code == 1
    assert "WEBGIS_ENV=production" in result.output
    assert "SECRET_KEY" in result.output and "WEBGIS_HTTPS" in result.output
    assert "Traceback" not in result.output
    assert no_server == []


def test_serve_refuses_a_per_process_login_limit_for_several_processes(
    tmp_path, no_server
):
    result = _serve(
        tmp_path,
        [],
        WEBGIS_ENV="production",
        SECRET_KEY="k" * 64,
        WEBGIS_HTTPS="1",
        WEBGIS_PROCESSES="3",
    )
    assert result.exit_code == 1
    assert "RATELIMIT_STORAGE_URI=memory://" in result.output
    assert "WEBGIS_PROCESSES=3" in result.output
    assert no_server == []


def test_serve_starts_production_with_its_settings_and_threads(tmp_path, no_server):
    result = _serve(
        tmp_path,
        ["--threads", "3", "--port", "5099"],
        WEBGIS_ENV="production",
        SECRET_KEY="k" * 64,
        WEBGIS_HTTPS="1",
    )
    assert result.exit_code == 0, result.output
    assert no_server == [{"host": "127.0.0.1", "port": 5099, "threads": 3}]


def test_serve_has_eight_threads_unless_told(tmp_path, no_server):
    assert _serve(tmp_path, []).exit_code == 0
    assert no_server[0]["threads"] == 8
    assert _serve(tmp_path, ["--threads", "0"]).exit_code == 2


# -- real servers on 127.0.0.1 ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database(tmp_path) -> str:
    """A new SQLite database at the newest schema, as `webgis db init` leaves it."""
    url = f"sqlite:///{tmp_path / 'served.sqlite'}"
    flask_app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with flask_app.app_context():
        init_db()
        db.engine.dispose()
    return url


def _environment(database: str, **settings) -> dict:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("WEBGIS_") and key not in ("SECRET_KEY", "DATABASE_URL")
    }
    environment.update(
        DATABASE_URL=database,
        WEBGIS_BOUNDARIES_DIR=str(BOUNDARIES_DIR),
        WEBGIS_TILES_URL="",
        **settings,
    )
    return environment


PRODUCTION = {"WEBGIS_ENV": "production", "SECRET_KEY": "k" * 64, "WEBGIS_HTTPS": "1"}


def _get(url: str, deadline: float, server: subprocess.Popen, log: Path):
    """The first answer of ``url`` once the server is up (the server must not end)."""
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.headers, response.read()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in time:\n{log.read_text()}")


def _run_server(command: list[str], environment: dict, log: Path, port: int):
    with log.open("w") as output:
        server = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        base = f"http://127.0.0.1:{port}"
        status, headers, body = _get(f"{base}/healthz", deadline, server, log)
        ready = _get(f"{base}/readyz", deadline, server, log)
        return status, headers, body, ready
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_webgis_serve_answers_health_checks_in_production(tmp_path, database):
    port = _free_port()
    log = tmp_path / "serve.log"
    status, headers, body, ready = _run_server(
        [str(BIN / "webgis"), "serve", "--port", str(port), "--threads", "2"],
        _environment(database, **PRODUCTION),
        log,
        port,
    )
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert ready[0] == 200
    output = log.read_text()
    assert "wątki: 2" in output
    assert f"request_id={headers['X-Request-ID']} GET /healthz 200" in output


def test_gunicorn_serves_the_wsgi_module_with_json_logs(tmp_path, database):
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    status, headers, body, ready = _run_server(
        [
            str(BIN / "gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "5",
            "webgis.wsgi:app",
        ],
        # Not production: two processes need a shared limiter store (Redis).
        _environment(database, WEBGIS_LOG_FORMAT="json"),
        log,
        port,
    )
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert ready[0] == 200
    entries = [
        json.loads(line)
        for line in log.read_text().splitlines()
        if line.startswith("{")
    ]
    assert any(
        e.get("path") == "/healthz" and e["request_id"] == headers["X-Request-ID"]
        for e in entries
    )


def test_gunicorn_does_not_start_a_refused_production(tmp_path, database):
    result = subprocess.run(
        [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{_free_port()}", "webgis.wsgi:app"],
        env=_environment(database, WEBGIS_ENV="production"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_wsgi_module_collects_garbage_between_requests(database):
    """On Python 3.11 its app runs the collector only between requests."""
    probe = "import gc, webgis.wsgi; print(gc.isenabled())"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=_environment(database),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(sys.version_info >= (3, 12))
