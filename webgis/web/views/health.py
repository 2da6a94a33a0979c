"""Health checks for load balancers and monitors: is the process alive, is it ready.

``/healthz`` answers from the process alone (no database, no session, no limiter
store), so a slow database never gets a live process restarted. ``/readyz`` asks
the database and its schema revision: a process that cannot serve yet (database
unreachable, migrations not applied) gets no traffic.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from webgis.core.extensions import csrf, db, limiter

bp = Blueprint("health", __name__)
# Monitors ask often and never send a form.
csrf.exempt(bp)
limiter.exempt(bp)

#: Where create_app puts the function telling (database revision, newest revision);
#: it lives above this package (webgis.database).
SCHEMA_STATE = "webgis.schema_state"


@bp.get("/healthz")
def healthz():
    """The process answers requests."""
    return _answer({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz():
    """The database answers and its schema is the one this code expects."""
    try:
        current, head = current_app.extensions[SCHEMA_STATE]()
    except SQLAlchemyError as exc:
        with suppress(SQLAlchemyError):
            db.session.rollback()
        # The reason goes to the log, not to whoever asks: it may name hosts.
        reason = str(exc.orig or exc).strip().splitlines() or [type(exc).__name__]
        logging.getLogger(__name__).warning(
            "not ready: database unreachable: %s", reason[0]
        )
        return _answer({"status": "unavailable", "database": "unreachable"}, 503)
    schema = {"revision": current, "expected": head}
    if current != head:
        return _answer(
            {"status": "unavailable", "database": "ok", "schema": schema}, 503
        )
    return _answer({"status": "ok", "database": "ok", "schema": schema}, 200)


def _answer(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    # A cached "ok" would hide an outage.
    response.headers["Cache-Control"] = "no-store"
    return response
