"""Sign-in, CSRF, security headers and throttling, set up once for the whole app."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix

from webgis import accounts
from webgis.extensions import csrf, limiter, login_manager, talisman

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


def init_security(app: Flask) -> None:
    """Bind Flask-Login, Flask-WTF, Flask-Limiter and Flask-Talisman to ``app``."""
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


def _load_user(user_id: str):
    # A deactivated account is signed out on its very next request.
    user = accounts.get_user(int(user_id))
    return user if user is not None and user.active else None


def login_limit() -> str:
    """The configured limit of failed logins (read per request so tests can set it)."""
    return current_app.config["WEBGIS_LOGIN_LIMIT"]
