"""Log lines of the running app: one access line per request, errors with tracebacks.

Every line of a request carries its request id: the caller's ``X-Request-ID`` when
it is a short plain token (a proxy's or a load balancer's), else a new one; the
answer sends it back in the same header, and an error page shows it, so a person
reporting a failure gives the id that finds its traceback.

An access line holds the method, the path (never the query string: a finder's
query is a resident's question, and forms may send tokens there), the status,
the duration in milliseconds, the request id and the signed-in account's id.
Plain text by default; one JSON object per line with ``WEBGIS_LOG_FORMAT=json``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask.logging import default_handler

#: The logger of the app (Flask's ``app.logger`` has the app's name) and its lines
#: for requests.
LOGGER = "webgis"
ACCESS_LOGGER = "webgis.access"
HEADER = "X-Request-ID"
#: An incoming id is kept only when it is this plain; anything else (too long,
#: spaces, quotes, line breaks) is replaced, never logged.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
#: Methods are logged as sent when they look like one.
SANE_METHOD = re.compile(r"[A-Z]{1,16}")
#: Characters of a path kept as they are; others (spaces, quotes, line breaks,
#: non-ASCII letters) appear percent-encoded, as they travel.
PATH_SAFE = "/-._~!$&'()*+,;=:@"


def init_logging(app: Flask) -> None:
    """Send the app's log lines to standard error and log every request.

    Call it first in the factory: its ``before_request`` then runs before any
    other, and its ``after_request`` last, seeing the final status.
    """
    configure(app.config["WEBGIS_LOG_FORMAT"])
    app.before_request(_start)
    app.after_request(_finish)


def configure(log_format: str) -> None:
    """Route the ``webgis`` loggers to standard error, ``log_format`` by default.

    Logging belongs to the process, an app's settings to the app: a line logged
    while an app works has that app's format, any other line ``log_format``.
    """
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        if handler is default_handler or isinstance(handler, _StderrHandler):
            logger.removeHandler(handler)
    handler = _StderrHandler()
    handler.addFilter(_add_request_id)
    handler.setFormatter(LineFormatter(log_format))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # Our lines once, whatever handlers the root logger has.
    logger.propagate = False


def request_id() -> str | None:
    """The id of the request being answered (None outside requests)."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        g.request_id = _incoming_id() or uuid.uuid4().hex
    return g.request_id


def _incoming_id() -> str | None:
    sent = request.headers.get(HEADER, "")
    return sent if SANE_REQUEST_ID.fullmatch(sent) else None


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish(response):
    response.headers[HEADER] = request_id()
    started = g.get("request_started", time.perf_counter())
    duration = round((time.perf_counter() - started) * 1000, 1)
    method = request.method if SANE_METHOD.fullmatch(request.method) else "OTHER"
    path = quote(request.path, safe=PATH_SAFE)
    user = _signed_in_user_id()
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s %.1fms user_id=%s",
        method,
        path,
        response.status_code,
        duration,
        user if user is not None else "-",
        extra={
            "access": {
                "method": method,
                "path": path,
                "status": response.status_code,
                "duration_ms": duration,
                "user_id": user,
            }
        },
    )
    return response


def _signed_in_user_id() -> int | None:
    """The account the request acted as, if it asked who is signed in.

    Read from what Flask-Login already loaded: logging never loads the account
    itself, so answers that need no account (health checks, static files) stay
    without a database query.
    """
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


def _add_request_id(record: logging.LogRecord) -> bool:
    record.request_id = request_id()
    return True


class _StderrHandler(logging.StreamHandler):
    """Writes to the current ``sys.stderr`` (which a test or a server may swap)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _utc_time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class LineFormatter(logging.Formatter):
    """A record as one line of text, or of JSON under ``WEBGIS_LOG_FORMAT=json``."""

    def __init__(self, default_format: str):
        super().__init__()
        self.default_format = default_format

    def format(self, record: logging.LogRecord) -> str:
        """The record in the format of the app at work (or the default)."""
        log_format = self.default_format
        if has_app_context():
            log_format = current_app.config.get("WEBGIS_LOG_FORMAT", log_format)
        if log_format == "json":
            return self.as_json(record)
        return self.as_text(record)

    def as_text(self, record: logging.LogRecord) -> str:
        """``time level logger request_id=… message``; its line breaks escaped.

        A traceback follows on its own lines.
        """
        message = record.getMessage().replace("\r", "\\r").replace("\n", "\\n")
        line = (
            f"{_utc_time(record)} {record.levelname} {record.name} "
            f"request_id={getattr(record, 'request_id', None) or '-'} {message}"
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line

    def as_json(self, record: logging.LogRecord) -> str:
        """One JSON object: time, level, logger, request_id, message, fields.

        An access line adds method, path, status, duration_ms and user_id; an
        error its traceback.
        """
        entry = {
            "time": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "access", {}))
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
