"""The moderation queue of public suggestions, per service area."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webgis.accounts.permissions import role_required
from webgis.core.errors import Invalid, WebgisError
from webgis.core.registry import layer_registry
from webgis.features import editing, moderation
from webgis.geography import cities
from webgis.web.forms import AcceptForm, RejectForm, checks_own_token
from webgis.web.map_pages import map_assets, render_map
from webgis.web.maps.forms import moderation_map

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.before_request
@role_required("organiser", "planner", "admin")
def _staff_only():
    """Only staff moderate; organisers see the queues of their own areas."""


#: Suggestions a page of the queue lists, oldest first.
QUEUE_PAGE = 50


@bp.get("/")
def queue():
    """How many suggestions wait in each area, and one page of them."""
    total = moderation.queue_length(current_user)
    last = max(1, -(-total // QUEUE_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), last)
    suggestions = moderation.queue(
        current_user, limit=QUEUE_PAGE, offset=(page - 1) * QUEUE_PAGE
    )
    return render_template(
        "moderation/queue.html",
        counts=moderation.queue_counts(current_user),
        suggestions=suggestions,
        summary=_summaries(suggestions),
        total=total,
        page=page,
        last=last,
        page_url=lambda number: url_for("moderation.queue", page=number),
    )


def _summaries(suggestions) -> dict[int, list]:
    """Each suggestion's kind and category as (field, label of the value) pairs.

    Labels come from the layer's choices and vocabularies, once per city and
    layer, so the queue never shows a stored key.
    """
    registry, options, summary = layer_registry(), {}, {}
    for feature in suggestions:
        spec = registry[feature.layer]
        names = {spec.category_field, spec.needs.field if spec.needs else None}
        fields = [f for f in spec.all_fields if f.name in names]
        key = (feature.city_id, spec.key)
        if key not in options:
            options[key] = editing.field_options(
                feature.city, spec, current_user, names={f.name for f in fields}
            )
        summary[feature.id] = [(f, options[key]) for f in fields]
    return summary


def _forms(feature, spec, options):
    accept = AcceptForm(prefix="accept")
    accept.category.choices = [("", "—"), *options.get(spec.category_field, [])]
    if not accept.is_submitted():
        props = feature.properties or {}
        accept.title.data = spec.value_of("title", props) or ""
        accept.category.data = spec.value_of("category", props) or ""
        accept.description.data = spec.value_of("description", props) or ""
        accept.public.data = bool(spec.public_when and props.get(spec.public_when[0]))
        point = feature.geometry.representative_point()
        accept.latitude.data, accept.longitude.data = point.y, point.x
    return accept, RejectForm(prefix="reject")


def _open(feature_id: int):
    """A suggestion the user may moderate, its layer and both forms."""
    feature = moderation.get_suggestion(current_user, feature_id)
    spec = layer_registry()[feature.layer]
    options = editing.field_options(feature.city, spec, current_user)
    return feature, spec, options, *_forms(feature, spec, options)


def _marker(feature, accept: AcceptForm) -> tuple[float, float]:
    """Where the map's marker stands: what the form holds, if it is a place."""
    point = feature.geometry.representative_point()
    latitude, longitude = accept.latitude.data, accept.longitude.data
    if accept.latitude.errors or accept.longitude.errors:
        return point.y, point.x
    if isinstance(latitude, float) and isinstance(longitude, float):
        return latitude, longitude
    return point.y, point.x


def _page(feature, spec, options, accept, reject, status=200):
    """The suggestion: its fields labelled, its map, what it may repeat, the forms."""
    public_field = spec.get_field(spec.public_when[0]) if spec.public_when else None
    duplicates = moderation.possible_duplicates(feature)
    fmap = moderation_map(
        cities.service_areas_frame(feature.city),
        *_marker(feature, accept),
        map_assets(),
        [(d.feature.lat, d.feature.lon, d.feature.title_for(spec)) for d in duplicates],
    )
    return render_template(
        "moderation/suggestion.html",
        feature=feature,
        spec=spec,
        options=options,
        accept=accept,
        reject=reject,
        rendered=render_map(fmap),
        duplicates=duplicates,
        # "Show publicly" is offered where it applies (needs; resources always are).
        offers_public=public_field is not None
        and spec.applies(public_field, feature.properties or {}),
    ), status


@bp.get("/<int:feature_id>")
def suggestion(feature_id: int):
    """One suggestion with the accept (after optional edits) and reject forms."""
    return _page(*_open(feature_id))


def _by_role(form: AcceptForm) -> dict:
    """The accept form's fields by the role of the layer field they correct."""
    return {
        "title": form.title,
        "category": form.category,
        "description": form.description,
    }


def _corrections(spec, form: AcceptForm) -> dict:
    """What the moderator set, by the layer's field names."""
    corrections = {
        spec.field_for(role).name: field.data
        for role, field in _by_role(form).items()
        # A field missing from the request keeps the suggested value.
        if spec.field_for(role) is not None and field.data is not None
    }
    if spec.public_when:
        corrections[spec.public_when[0]] = form.public.data
    return corrections


def _show_errors(form: AcceptForm, spec, invalid: Invalid) -> None:
    """Each problem beside the field it concerns; the rest above the form."""
    fields = {
        spec.field_for(role).name: field
        for role, field in _by_role(form).items()
        if spec.field_for(role) is not None
    }
    fields["geometry"] = form.latitude
    for name, message in invalid.errors.items():
        target = fields.get(name)
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            flash(message, "error")


@bp.post("/<int:feature_id>/accept")
@checks_own_token
def accept(feature_id: int):
    """Publish the suggestion with what the moderator corrected."""
    feature, spec, options, form, reject = _open(feature_id)
    if form.validate_on_submit():
        try:
            moderation.accept(
                current_user,
                feature,
                _corrections(spec, form),
                (form.longitude.data, form.latitude.data),
            )
        except Invalid as invalid:
            _show_errors(form, spec, invalid)
        except WebgisError as error:
            flash(str(error), "error")
        else:
            flash(_("Propozycja opublikowana."), "success")
            return redirect(url_for("moderation.queue"), code=303)
    return _page(feature, spec, options, form, reject, 422)


@bp.post("/<int:feature_id>/reject")
@checks_own_token
def reject(feature_id: int):
    """Reject the suggestion with a reason."""
    feature, spec, options, accept, form = _open(feature_id)
    if form.validate_on_submit():
        moderation.reject(current_user, feature, form.reason.data)
        flash(_("Propozycja odrzucona."), "success")
        return redirect(url_for("moderation.queue"), code=303)
    return _page(feature, spec, options, accept, form, 422)
