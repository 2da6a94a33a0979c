"""The moderation queue of public suggestions, per service area."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webgis import moderation
from webgis.errors import WebgisError
from webgis.forms import AcceptForm, RejectForm
from webgis.permissions import role_required

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.before_request
@role_required("organiser", "planner", "admin")
def _staff_only():
    """Only staff moderate; organisers see the queues of their own areas."""


@bp.get("/")
def queue():
    """How many suggestions wait in each area, and the list of them."""
    return render_template(
        "moderation/queue.html",
        counts=moderation.queue_counts(current_user),
        suggestions=moderation.queue(current_user),
    )


def _forms(feature):
    accept = AcceptForm(prefix="accept")
    if not accept.is_submitted():
        props = feature.properties or {}
        accept.title.data = props.get("title", "")
        accept.description.data = props.get("description", "")
        point = feature.geometry.representative_point()
        accept.latitude.data, accept.longitude.data = point.y, point.x
    return accept, RejectForm(prefix="reject")


@bp.get("/<int:feature_id>")
def suggestion(feature_id: int):
    """One suggestion with the accept (after optional edits) and reject forms."""
    feature = moderation.get_suggestion(current_user, feature_id)
    accept, reject = _forms(feature)
    return render_template(
        "moderation/suggestion.html", feature=feature, accept=accept, reject=reject
    )


@bp.post("/<int:feature_id>/accept")
def accept(feature_id: int):
    """Publish the suggestion with what the moderator corrected."""
    feature = moderation.get_suggestion(current_user, feature_id)
    form, reject = _forms(feature)
    if form.validate_on_submit():
        try:
            moderation.accept(
                current_user,
                feature,
                {"title": form.title.data, "description": form.description.data},
                (form.longitude.data, form.latitude.data),
            )
        except WebgisError as error:
            flash(str(error), "error")
        else:
            flash(_("Propozycja opublikowana."), "success")
            return redirect(url_for("moderation.queue"), code=303)
    return render_template(
        "moderation/suggestion.html", feature=feature, accept=form, reject=reject
    ), 422


@bp.post("/<int:feature_id>/reject")
def reject(feature_id: int):
    """Reject the suggestion with a reason."""
    feature = moderation.get_suggestion(current_user, feature_id)
    accept, form = _forms(feature)
    if form.validate_on_submit():
        moderation.reject(current_user, feature, form.reason.data)
        flash(_("Propozycja odrzucona."), "success")
        return redirect(url_for("moderation.queue"), code=303)
    return render_template(
        "moderation/suggestion.html", feature=feature, accept=accept, reject=form
    ), 422
