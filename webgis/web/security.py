"""Sign-in, CSRF, security headers and throttling, set up once for the whole app.

Also what other sites and slow links get: cross-origin reads of the public data
(Flask-CORS) and compressed pages (Flask-Compress).
"""

from __future__ import annotations

import hashlib

from flask import Flask, current_app, request, session
from flask_compress import Compress
from flask_cors import CORS
from flask_limiter.util import get_remote_address
from flask_login import login_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from webgis.accounts import users
from webgis.core.extensions import csrf, limiter, login_manager, talisman
from webgis.core.text import lazy_text as _l

#: Where the browser keeps the token of its server-side session (webgis.accounts).
SESSION_TOKEN = "session_token"

#: Maps need Leaflet (served here), inline styles set by Leaflet, and tiles from the
#: configured server; scripts run only from this site or with the page's nonce.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: https:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

#: Public data other sites' pages may read: the JSON APIs and exports of a layer
#: (which answer the public, and cross-origin requests carry no cookies, with
#: published features only). Staff pages and forms are not listed.
CROSS_ORIGIN_READS = (
    r"/api/.*",
    r"/ogc/.*",
    r"/hsds/.*",
    r"/[^/]+/layers/[^/]+/export\.[a-z.]+",
)
#: Only reading is shared across origins; a form's POST never is.
CROSS_ORIGIN_METHODS = ("GET", "HEAD", "OPTIONS")
#: Pages and JSON are compressed; files streamed to the client (downloads, static
#: files) are sent as they are.
COMPRESSED = {
    "COMPRESS_MIMETYPES": [
        "text/html",
        "application/json",
        "application/geo+json",
        "application/schema+json",
        "application/xml",
    ],
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_MIN_SIZE": 1024,
    "COMPRESS_STREAMS": False,
}


def init_security(app: Flask) -> None:
    """Bind Flask-Login, -WTF, -Limiter, -Talisman, -CORS and -Compress to ``app``."""
    if app.config["WEBGIS_PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=app.config["WEBGIS_PROXY_HOPS"],
            x_proto=app.config["WEBGIS_PROXY_HOPS"],
        )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Zaloguj się, aby zobaczyć tę stronę.")
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)
    csrf.init_app(app)
    limiter.init_app(app)
    talisman.init_app(
        app,
        force_https=False,
        session_cookie_secure=app.config["WEBGIS_HTTPS"],
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        strict_transport_security=True,
    )
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["WEBGIS_HTTPS"]
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    _share_public_reads(app)
    for key, value in COMPRESSED.items():
        app.config.setdefault(key, value)
    # Compressed after the page is complete, nonce included; never cached, so each
    # page keeps its own nonce.
    Compress(app)


def _share_public_reads(app: Flask) -> None:
    """Let any site read the public data with GET; nothing else, nowhere else."""
    # Registered first, so it runs after Flask-CORS has added its headers.
    app.after_request(_no_cross_origin_writes)
    CORS(
        app,
        resources=list(CROSS_ORIGIN_READS),
        origins="*",
        methods=list(CROSS_ORIGIN_METHODS),
        supports_credentials=False,
        send_wildcard=True,
        expose_headers=["ETag"],
        max_age=86400,
    )


def _no_cross_origin_writes(response):
    """Drop CORS headers from answers to anything but a read (or its preflight)."""
    method = request.method
    if method == "OPTIONS":
        method = request.headers.get("Access-Control-Request-Method", "GET").upper()
    if method not in CROSS_ORIGIN_METHODS:
        for header in [h for h in response.headers.keys() if _is_cors(h)]:
            del response.headers[header]
    return response


def _is_cors(header: str) -> bool:
    return header.lower().startswith("access-control-")


def _load_user(user_id: str):
    # The signed cookie alone is not enough: its token must name a live session of an
    # active account, so logout, a password change and deactivation sign it out.
    return users.session_user(int(user_id), session_token())


def session_token() -> str | None:
    """The token of this browser's server-side session, if it has one."""
    return session.get(SESSION_TOKEN)


def begin_session(user, token: str) -> None:
    """Remember the new session in the browser and sign the user in."""
    session[SESSION_TOKEN] = token
    login_user(user)


def forget_session() -> None:
    """Sign the browser out (end the server-side session first)."""
    session.pop(SESSION_TOKEN, None)
    logout_user()


def login_limit() -> str:
    """Failed logins allowed per account and address (read per request for tests)."""
    return current_app.config["WEBGIS_LOGIN_LIMIT"]


def login_address_limit() -> str:
    """Failed logins allowed per address across all accounts."""
    return current_app.config["WEBGIS_LOGIN_ADDRESS_LIMIT"]


def login_account_key() -> str:
    """The limiter's key for one account tried from one address.

    Colleagues behind one office address keep their own counts, so one person's
    typos lock only their own account. The e-mail is hashed: the limiter's store
    never holds e-mail addresses, and odd characters cannot bend its keys.
    """
    email = (request.form.get("email") or "").strip().lower()
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"{get_remote_address()}|{digest}"
