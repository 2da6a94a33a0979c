"""Health checks: /healthz answers from the process alone, /readyz asks the database."""

from __future__ import annotations

import sqlalchemy as sa

import webgis.database
from webgis import create_app
from webgis.core.extensions import db, limiter


def _unreachable_app(tmp_path, **settings):
    """An app whose database cannot be opened (its folder does not exist)."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'x.sqlite'}",
            **settings,
        }
    )


def test_healthz_answers_without_the_database(tmp_path):
    client = _unreachable_app(tmp_path).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_healthz_sends_no_query_to_the_database(app):
    statements = []

    def count(*_args):
        statements.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert app.test_client().get("/healthz").status_code == 200
        # The counter counts: a page that reads the database adds statements.
        app.test_client().get("/readyz")
        assert statements
        statements.clear()
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    response = _unreachable_app(tmp_path).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    assert "Set-Cookie" not in response.headers


def test_readyz_is_200_on_a_database_at_the_newest_migration(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["schema"]["revision"] == body["schema"]["expected"]
    assert "Set-Cookie" not in response.headers


def test_readyz_is_503_while_migrations_are_pending(app, monkeypatch):
    monkeypatch.setattr(webgis.database, "schema_state", lambda: ("0001", "0002"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "database": "ok",
        "schema": {"revision": "0001", "expected": "0002"},
    }


def test_health_checks_are_not_rate_limited(tmp_path):
    # A site-wide limit of one request a minute: monitors still get every answer.
    limited = _unreachable_app(tmp_path, RATELIMIT_DEFAULT="1 per minute")
    try:
        client = limited.test_client()
        assert client.get("/robots.txt").status_code == 200
        assert client.get("/robots.txt").status_code == 429
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            assert client.get("/readyz").status_code != 429
    finally:
        # The limiter is one object for every app of the process.
        limiter.limit_manager.set_default_limits([])


def test_health_checks_answer_plain_http_behind_https(tmp_path):
    """A load balancer asks over plain http inside the network: no redirect."""
    client = _unreachable_app(tmp_path, WEBGIS_HTTPS=True).test_client()
    response = client.get("/healthz", base_url="http://10.0.0.5")
    assert response.status_code == 200
