"""Domain exceptions that carry their HTTP status, and the handler that shows them."""

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from webgis.core import audit
from webgis.core.extensions import db
from webgis.core.logs import request_id
from webgis.core.text import lazy_text as _l


class WebgisError(Exception):
    """An error a user can act on; ``problems`` lists each thing that was wrong."""

    status = 400

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def __str__(self) -> str:
        # Messages may be lazy translations: they become text in the reader's language.
        if not self.problems:
            return str(self.message)
        return str(self.message) + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class NotFound(WebgisError):
    """A city, unit or service area that does not exist."""

    status = 404


class Forbidden(WebgisError):
    """The signed-in user's role or areas do not allow this."""

    status = 403


class Invalid(WebgisError):
    """Values that break a field's rules; ``errors`` maps each field to its message.

    Nothing was stored. Forms show each message beside its field.
    """

    status = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__(
            _l("Popraw zaznaczone pola; nic nie zostało zapisane."),
            [f"{name}: {message}" for name, message in errors.items()],
        )
        self.errors = dict(errors)


class ImportRefused(WebgisError):
    """A boundary or assignment file that cannot be imported; nothing was changed."""

    status = 422


#: Where every answer, errors included, is JSON for programs.
JSON_PREFIXES = ("/api/", "/ogc/", "/hsds/")


def _wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or request.accept_mimetypes.best == (
        "application/json"
    )


def _render(status: int, title: str, message: str, problems: list[str]):
    if _wants_json():
        # "code" and "description" are the OGC API exception; "error" says more.
        body = {
            "code": HTTP_STATUS_CODES.get(status, "Error").replace(" ", ""),
            "description": message,
            "error": {"status": status, "title": title, "message": message},
        }
        if problems:
            body["error"]["problems"] = problems
        return jsonify(body), status
    page = render_template(
        "errors/error.html",
        status=status,
        title=title,
        message=message,
        problems=problems,
        # The id that finds this failure's traceback in the log.
        request_id=request_id() if status >= 500 else None,
    )
    return page, status


#: What the reader sees for HTTP errors the framework raises (English otherwise).
HTTP_MESSAGES = {
    400: (_l("Niepoprawne żądanie"), _l("Serwer nie zrozumiał tego żądania.")),
    404: (_l("Nie znaleziono"), _l("Nie ma takiej strony.")),
    405: (_l("Niedozwolona metoda"), _l("Ta strona nie przyjmuje takiego żądania.")),
    413: (
        _l("Za duży plik lub formularz"),
        _l(
            "Wysłane dane są większe niż dozwolone %(mb)s MB; nic nie zostało "
            "zapisane. Zmniejsz plik i spróbuj ponownie."
        ),
    ),
    429: (
        _l("Zbyt wiele prób"),
        _l("Z tego adresu wysłano ostatnio zbyt wiele zgłoszeń. Spróbuj później."),
    ),
}


def register_error_handlers(app: Flask) -> None:
    """Answer errors as HTML pages, or as JSON under ``/api/``."""

    @app.errorhandler(WebgisError)
    def handle_domain_error(error: WebgisError):
        titles = {404: _("Nie znaleziono"), 403: _("Brak uprawnień")}
        if error.status == 403:
            _audit_denied("access.denied", str(error.message))
        title = titles.get(error.status, _("Błąd"))
        return _render(error.status, title, str(error.message), error.problems)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(_error: CSRFError):
        # Forms that check their own token re-show what was typed (see forms.py);
        # this page is for the rest (buttons such as "archive" or "sign out").
        _audit_denied("csrf.failure", "")
        return _render(400, _("Formularz wygasł"), str(EXPIRED_MESSAGE), [])

    app.register_error_handler(HTTPException, http_error_page)


def http_error_page(error: HTTPException):
    """An HTTP error the framework raised, explained in the reader's language."""
    code = error.code or 500
    if code >= 500:
        # An unexpected failure must not leave half a change in the session.
        db.session.rollback()
        title = _("Błąd serwera")
        message = _(
            "Coś poszło nie tak; zmiany nie zostały zapisane. Spróbuj ponownie."
        )
    elif code in HTTP_MESSAGES:
        title, message = HTTP_MESSAGES[code]
        mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 2**20
        title, message = str(title), str(message) % {"mb": mb}
    else:
        title, message = error.name, error.description or ""
    return _render(code, title, message, [])


#: A button pressed on a page left open too long, or a request from another site.
EXPIRED_MESSAGE = _l(
    "Formularz wygasł (strona była otwarta zbyt długo) albo przyszedł z innej "
    "strony; nic nie zostało zapisane. Wróć, odśwież stronę i spróbuj ponownie."
)


def _audit_denied(action: str, detail: str) -> None:
    """Record a refused attempt; nothing of the refused request is kept."""
    db.session.rollback()
    audit.record(action, request.path[:200], detail)
    db.session.commit()
