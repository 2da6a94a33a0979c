"""Signing in and out, and the signed-in user's own page."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webgis.accounts import users
from webgis.core.errors import WebgisError, http_error_page
from webgis.core.extensions import db, limiter
from webgis.features import moderation
from webgis.web import security
from webgis.web.forms import LoginForm, PasswordChangeForm, checks_own_token

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: a login link must not send people elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


def _failed(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@checks_own_token
@limiter.limit(
    security.login_limit,
    key_func=security.login_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(security.login_address_limit, methods=["POST"], deduct_when=_failed)
def login():
    """The sign-in form; failed attempts are throttled per account and per address."""
    form = LoginForm()
    if form.validate_on_submit():
        signed_in = users.sign_in(
            form.email.data, form.password.data, replacing=security.session_token()
        )
        if signed_in is not None:
            security.begin_session(*signed_in)
            target = _safe_next(request.args.get("next")) or url_for("home.home")
            return redirect(target, code=303)
        flash(_("Nieprawidłowy e-mail lub hasło, albo konto jest nieaktywne."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), (
        422 if form.is_submitted() else 200
    )


@bp.app_errorhandler(429)
def too_many_attempts(error):
    """Throttled: say so plainly, with the form still there for later."""
    if request.endpoint != "auth.login":
        return http_error_page(error)  # e.g. too many public suggestions
    flash(
        _("Zbyt wiele nieudanych prób logowania. Odczekaj minutę i spróbuj ponownie."),
        "error",
    )
    return render_template("auth/login.html", form=LoginForm()), 429


@bp.post("/logout")
@login_required
def logout():
    """Sign out (a POST with the CSRF token, so no other site can do it).

    The server-side session ends too, so a copy of the cookie is worth nothing.
    """
    users.sign_out(current_user, security.session_token())
    security.forget_session()
    return redirect(url_for("main.index"), code=303)


@bp.get("/account")
@login_required
def account():
    """The signed-in user's role, areas and waiting suggestions."""
    return render_template(
        "auth/account.html", counts=moderation.queue_counts(current_user)
    )


@bp.route("/account/password", methods=["GET", "POST"])
@checks_own_token
@login_required
def change_password():
    """Change one's own password; one's other sessions are signed out."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            users.change_own_password(
                current_user,
                form.current_password.data,
                form.new_password.data,
                form.new_password_repeated.data,
                keeping=security.session_token(),
            )
        except WebgisError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(
                _("Hasło zostało zmienione. Inne sesje tego konta wylogowano."),
                "success",
            )
            return redirect(url_for("auth.account"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "auth/password.html", form=form, min_password=users.MIN_PASSWORD
    ), status
