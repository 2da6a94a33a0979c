"""Signing in and out, and the signed-in user's own page."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from webgis import accounts, audit, moderation
from webgis.extensions import db, limiter
from webgis.forms import LoginForm
from webgis.security import login_limit

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: a login link must not send people elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    login_limit, methods=["POST"], deduct_when=lambda r: r.status_code == 401
)
def login():
    """The sign-in form; failed attempts are counted per address and throttled."""
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.sign_in(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            target = _safe_next(request.args.get("next")) or url_for("auth.account")
            return redirect(target, code=303)
        flash(_("Nieprawidłowy e-mail lub hasło, albo konto jest nieaktywne."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.app_errorhandler(429)
def too_many_attempts(_error):
    """Throttled: say so plainly, with the form still there for later."""
    flash(
        _("Zbyt wiele nieudanych prób logowania. Odczekaj minutę i spróbuj ponownie."),
        "error",
    )
    return render_template("auth/login.html", form=LoginForm()), 429


@bp.post("/logout")
@login_required
def logout():
    """Sign out (a POST with the CSRF token, so no other site can do it)."""
    audit.record("logout", current_user.email)
    db.session.commit()
    logout_user()
    return redirect(url_for("main.index"), code=303)


@bp.get("/account")
@login_required
def account():
    """The signed-in user's role, areas and waiting suggestions."""
    return render_template(
        "auth/account.html", counts=moderation.queue_counts(current_user)
    )
