"""Domain exceptions that carry their HTTP status, and the handler that shows them."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from webgis.extensions import db


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


class ImportRefused(WebgisError):
    """A boundary or assignment file that cannot be imported; nothing was changed."""

    status = 422


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == (
        "application/json"
    )


def _render(status: int, title: str, message: str, problems: list[str]):
    if _wants_json():
        body = {"error": {"status": status, "title": title, "message": message}}
        if problems:
            body["error"]["problems"] = problems
        return jsonify(body), status
    page = render_template(
        "errors/error.html",
        status=status,
        title=title,
        message=message,
        problems=problems,
    )
    return page, status


def register_error_handlers(app: Flask) -> None:
    """Answer errors as HTML pages, or as JSON under ``/api/``."""

    @app.errorhandler(WebgisError)
    def handle_domain_error(error: WebgisError):
        titles = {404: _("Nie znaleziono"), 403: _("Brak uprawnień")}
        title = titles.get(error.status, _("Błąd"))
        return _render(error.status, title, str(error.message), error.problems)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if (error.code or 500) >= 500:
            # An unexpected failure must not leave half a change in the session.
            db.session.rollback()
        if error.code == 404:
            title = _("Nie znaleziono")
            message = _("Nie ma takiej strony.")
        elif (error.code or 500) >= 500:
            title = _("Błąd serwera")
            message = _(
                "Coś poszło nie tak; zmiany nie zostały zapisane. Spróbuj ponownie."
            )
        else:
            title = error.name
            message = error.description or ""
        return _render(error.code or 500, title, message, [])
