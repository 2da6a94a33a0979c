"""Mapa Zasobów: a web GIS for community organising in social-assistance centres."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, abort, current_app, has_request_context, request, session
from werkzeug.routing import IntegerConverter

from webgis.cli import main

__all__ = ["create_app", "main"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app; ``test_config`` overrides settings from the environment."""
    # Imported here, not at the top: `webgis --help` imports this package and
    # should not wait for every library the app uses.
    from flask_babel import Babel
    from sqlalchemy import event

    from webgis.core.config import Config, check_startable
    from webgis.core.errors import register_error_handlers
    from webgis.core.extensions import db
    from webgis.core.logs import init_logging
    from webgis.core.paths import resource_dir
    from webgis.core.registry import discover_layers, translation_directories
    from webgis.core.text import translated
    from webgis.core.times import local_time
    from webgis.features.contacts import phone_link, shown_phone
    from webgis.features.kinds import WEEKDAY_LABELS, WEEKDAYS, check_layers, kind_of
    from webgis.finder.search import ServiceCache
    from webgis.web.security import init_security

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(resource_dir("templates")),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(Config(Path(app.instance_path)).as_dict())
    if test_config:
        app.config.from_mapping(test_config)
    check_startable(app.config)
    # First, so every request has its id before anything else runs or logs.
    init_logging(app)

    # An id no table can hold (PostgreSQL's integer ends at 2**31 - 1) is a 404,
    # not a database error.
    app.url_map.converters["int"] = RecordId
    db.init_app(app)
    with app.app_context():
        # This app's engine only, not every engine of the process.
        event.listen(db.engine, "connect", _sqlite_pragmas)
    packages = app.config["WEBGIS_LAYER_PACKAGES"]
    app.extensions["webgis.layers"] = discover_layers(packages)
    check_layers(app.extensions["webgis.layers"])
    # The app's catalogues, then those layer packages ship; a Babel of this app's
    # own, so its cached translations are never another app's.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        ["translations", *translation_directories(packages)]
    )
    Babel(app, locale_selector=_locale)
    init_security(app)
    app.extensions["webgis.finder_cache"] = ServiceCache(
        app.config["WEBGIS_FINDER_CACHE_SIZE"]
    )

    from webgis.web.views import (
        addresses,
        admin,
        analysis,
        api,
        auth,
        features,
        finder,
        health,
        home,
        hsds,
        imports,
        main,
        moderation,
        ogc,
        organisations,
        report,
        site,
    )

    blueprints = (
        main,
        api,
        auth,
        admin,
        moderation,
        features,
        analysis,
        finder,
        site,
        ogc,
        hsds,
        organisations,
        imports,
        addresses,
        health,
        report,
        home,
    )
    for blueprint in (module.bp for module in blueprints):
        app.register_blueprint(blueprint)
    # The JSON API is read-only for now; it gets token or header-based CSRF when it
    # starts taking writes.
    register_error_handlers(app)
    app.before_request(_refuse_nul_bytes)
    app.before_request(_remember_language)
    app.context_processor(_template_globals)
    # Labels declared in code (specs, tables), translated as text that is escaped;
    # a global, so imported macros see it too.
    app.jinja_env.globals["tr"] = translated
    # Stored moments are UTC; pages show them in Warsaw time with the zone.
    app.jinja_env.filters["local_time"] = local_time
    # Phones are stored as E.164; pages show them as people write them.
    app.jinja_env.filters["phone"] = shown_phone
    app.jinja_env.filters["tel"] = phone_link
    # Templates ask a field's kind which input and display to use.
    app.jinja_env.globals["kind_of"] = kind_of
    app.jinja_env.globals["weekdays"] = list(zip(WEEKDAYS, WEEKDAY_LABELS, strict=True))

    # Readiness asks the schema's revision; looked up per call (tests replace it).
    from webgis import database

    app.extensions["webgis.schema_state"] = lambda: database.schema_state()

    from webgis.cli import register_commands

    register_commands(app)
    return app


class RecordId(IntegerConverter):
    """A record id in a URL: a whole number a database integer column can hold."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)


def _refuse_nul_bytes() -> None:
    """No text field of PostgreSQL can hold NUL; no person ever types one."""
    query = request.query_string
    if "\x00" in request.path or b"\x00" in query or b"%00" in query.lower():
        abort(400)


def _remember_language() -> None:
    """A ``?lang=`` link switches the interface language for the rest of the visit."""
    lang = request.args.get("lang")
    if lang in current_app.config["WEBGIS_LANGUAGES"]:
        session["lang"] = lang


def _locale() -> str:
    """The visitor's chosen language; Polish by default and outside requests (CLI)."""
    lang = session.get("lang") if has_request_context() else None
    if lang in current_app.config["WEBGIS_LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _template_globals() -> dict:
    return {
        "languages": current_app.config["WEBGIS_LANGUAGES"],
        "current_language": _locale(),
        "language_url": _language_url,
    }


def _language_url(code: str) -> str:
    """The current page in another language, keeping its query (finder filters)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode([*args, ("lang", code)])


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Use WAL so readers work during an import; SQLite checks FKs only if asked."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
