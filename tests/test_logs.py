"""Log lines: one per request, with its id; errors with their traceback; no secrets."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import PASSWORD, STAFF, csrf_token, log_in
from webgis import create_app
from webgis.accounts import users


def _app(tmp_path, **settings):
    flask_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'logs.sqlite'}",
            **settings,
        }
    )
    return flask_app


def _lines(capsys) -> list[str]:
    return capsys.readouterr().err.splitlines()


def _access(lines: list[str]) -> list[str]:
    return [line for line in lines if " webgis.access " in line]


def test_one_access_line_per_request_with_its_id(tmp_path, capsys):
    client = _app(tmp_path).test_client()
    capsys.readouterr()
    response = client.get("/healthz")
    client.get("/static/no-such-file.css")
    first, second = _access(_lines(capsys))
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert re.search(
        rf"INFO webgis\.access request_id={request_id} GET /healthz 200 "
        r"\d+\.\dms user_id=-$",
        first,
    )
    assert " GET /static/no-such-file.css 404 " in second
    assert request_id not in second


def test_a_sane_incoming_request_id_is_kept(tmp_path, capsys):
    client = _app(tmp_path).test_client()
    capsys.readouterr()
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a-0001"})
    assert response.headers["X-Request-ID"] == "lb-7f3a-0001"
    assert "request_id=lb-7f3a-0001 GET /healthz 200" in _access(_lines(capsys))[0]


@pytest.mark.parametrize(
    "sent",
    [
        "a" * 65,
        "abc\nINFO webgis.access forged line",
        'abc" injected="1',
        "abc def",
        "abc;rm",
        "",
    ],
)
def test_a_malicious_request_id_is_replaced_and_not_logged(tmp_path, capsys, sent):
    client = _app(tmp_path).test_client()
    capsys.readouterr()
    # Set in the WSGI environ: a test client refuses line breaks in headers, a raw
    # request does not.
    response = client.get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": sent})
    replaced = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)
    logged = capsys.readouterr().err
    assert f"request_id={replaced} GET /healthz 200" in logged
    assert len(logged.splitlines()) == 1
    if sent:
        assert sent not in logged
        assert "forged" not in logged and "injected" not in logged


def test_the_query_string_is_never_logged(tmp_path, capsys):
    client = _app(tmp_path).test_client()
    capsys.readouterr()
    client.get("/healthz?token=s3cr3t-t0ken&password=hunter2hunter2")
    (line,) = _access(_lines(capsys))
    assert " GET /healthz 200 " in line
    assert "s3cr3t" not in line and "hunter2" not in line and "?" not in line


def test_a_path_cannot_break_the_line(tmp_path, capsys):
    client = _app(tmp_path).test_client()
    capsys.readouterr()
    client.get("/a%0AINFO%20webgis.access%20forged/%C5%82%22")
    lines = _lines(capsys)
    assert len(lines) == 1
    assert " GET /a%0AINFO%20webgis.access%20forged/%C5%82%22 404 " in lines[0]


def test_login_logs_the_account_never_its_password_or_token(staff_app, capsys):
    client = staff_app.test_client()
    token = csrf_token(client, "/login")
    capsys.readouterr()
    response = log_in(client, STAFF["planner"][0], PASSWORD)
    assert response.status_code == 303
    client.get("/account")
    logged = capsys.readouterr().err
    with staff_app.app_context():
        planner_id = users.get_user_by_email(STAFF["planner"][0]).id
    login_lines = [
        line for line in _access(logged.splitlines()) if "POST /login" in line
    ]
    assert login_lines and login_lines[-1].endswith(f"user_id={planner_id}")
    assert re.search(rf"GET /account 200 \S+ user_id={planner_id}$", logged, re.M)
    assert PASSWORD not in logged
    assert token not in logged
    assert STAFF["planner"][0] not in logged


def test_a_failed_login_logs_neither_password_nor_address(staff_app, capsys):
    client = staff_app.test_client()
    capsys.readouterr()
    response = log_in(client, STAFF["planner"][0], "wrong-" + PASSWORD)
    assert response.status_code == 401
    logged = capsys.readouterr().err
    assert re.search(r"POST /login 401 \S+ user_id=-$", logged, re.M)
    assert PASSWORD not in logged and STAFF["planner"][0] not in logged


def test_json_lines_when_asked(tmp_path, capsys):
    client = _app(tmp_path, WEBGIS_LOG_FORMAT="json").test_client()
    capsys.readouterr()
    response = client.get("/healthz?password=hunter2hunter2")
    (line,) = _lines(capsys)
    entry = json.loads(line)
    assert entry["logger"] == "webgis.access" and entry["level"] == "INFO"
    assert entry["method"] == "GET" and entry["path"] == "/healthz"
    assert entry["status"] == 200 and entry["user_id"] is None
    assert isinstance(entry["duration_ms"], float)
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["time"].endswith("Z")
    assert "hunter2" not in line


def _failing_app(tmp_path, **settings):
    """An app with one page that fails as a bug would, answered as in production."""
    flask_app = _app(tmp_path, PROPAGATE_EXCEPTIONS=False, **settings)

    def broken():
        raise RuntimeError("the bug under test")

    flask_app.add_url_rule("/broken", "broken", broken)
    flask_app.add_url_rule("/broken/<rest>", "broken_below", lambda rest: broken())
    return flask_app


def test_an_error_logs_its_traceback_and_shows_its_id(tmp_path, capsys):
    client = _failing_app(tmp_path).test_client()
    capsys.readouterr()
    response = client.get("/broken", headers={"X-Request-ID": "report-me-42"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "report-me-42"
    page = response.get_data(as_text=True)
    assert "<code>report-me-42</code>" in page
    logged = capsys.readouterr().err
    assert re.search(
        r"ERROR webgis request_id=report-me-42 Exception on /broken", logged
    )
    assert "Traceback (most recent call last)" in logged
    assert "RuntimeError: the bug under test" in logged
    assert "request_id=report-me-42 GET /broken 500 " in logged


def test_the_error_page_shows_the_id_in_the_readers_language(tmp_path):
    client = _failing_app(tmp_path).test_client()
    page = client.get("/broken?lang=en").get_data(as_text=True)
    assert "When reporting this error, give its identifier:" in page
    page = client.get("/broken?lang=uk").get_data(as_text=True)
    assert "Повідомляючи про цю помилку, вкажіть її ідентифікатор:" in page


def test_a_404_page_shows_no_id(tmp_path):
    page = (
        _app(tmp_path)
        .test_client()
        .get("/static/no-such-file.css")
        .get_data(as_text=True)
    )
    assert "<code>" not in page


def test_an_error_in_json_lines_carries_its_traceback(tmp_path, capsys):
    client = _failing_app(tmp_path, WEBGIS_LOG_FORMAT="json").test_client()
    capsys.readouterr()
    response = client.get("/broken")
    entries = [json.loads(line) for line in _lines(capsys)]
    error, access = entries
    request_id = response.headers["X-Request-ID"]
    assert error["level"] == "ERROR" and error["request_id"] == request_id
    assert "RuntimeError: the bug under test" in error["traceback"]
    assert access["status"] == 500 and access["request_id"] == request_id


def test_a_message_cannot_break_the_line(tmp_path, capsys):
    """Flask names the raw path in its error line; a line break there stays escaped."""
    client = _failing_app(tmp_path).test_client()
    capsys.readouterr()
    client.get("/broken/x%0A2026-01-01T00:00:00.000Z INFO forged")
    lines = capsys.readouterr().err.splitlines()
    assert (
        "Exception on /broken/x\\n2026-01-01T00:00:00.000Z INFO forged [GET]"
        in (lines[0])
    )
    assert not any(line.startswith("2026-01-01") for line in lines)
