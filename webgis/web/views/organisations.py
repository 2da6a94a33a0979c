"""Organisation records: a public page for each, and the admin pages to correct them."""

from itertools import groupby

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webgis.accounts.permissions import role_required
from webgis.core.errors import Invalid, NotFound
from webgis.core.registry import layer_registry
from webgis.features import organisations
from webgis.geography import cities
from webgis.web.forms import OrganisationForm, checks_own_token

bp = Blueprint("organisations", __name__)


@bp.app_template_global()
def organisation_page(name: str) -> int | None:
    """The id of the organisation ``name`` means, if the public has its page."""
    return organisations.public_page_of(str(name or ""), layer_registry())


@bp.app_template_global()
def organisation_names(text: str) -> list[str]:
    """The names of a list of organisations written one a line or with ``;``."""
    return organisations.split_names(str(text or ""))


@bp.get("/organisations/<int:organisation_id>")
def page(organisation_id: int):
    """An organisation and what the public may see of its work, by layer."""
    organisation = organisations.get(organisation_id)
    mentions = organisations.public_mentions(organisation, layer_registry())
    if not mentions:
        # Named only in drafts or internal fields: not public yet.
        raise NotFound(_("Nie ma takiej organizacji."))
    return render_template(
        "organisations/page.html",
        organisation=organisation,
        groups=_by_layer(mentions),
        relations=organisations.RELATIONS,
    )


def _by_layer(mentions: list[organisations.Mention]) -> list[tuple]:
    """(layer spec, its mentions): the mentions come sorted by layer."""
    return [
        (spec, list(found))
        for spec, found in groupby(mentions, key=lambda mention: mention.spec)
    ]


@bp.get("/admin/organisations")
@role_required("admin")
def admin_list():
    """Every organisation record with how many features name it."""
    return render_template(
        "admin/organisations.html",
        organisations=organisations.listing(),
        admin_cities=cities.list_cities(),
    )


@bp.route("/admin/organisations/<int:organisation_id>", methods=["GET", "POST"])
@checks_own_token
@role_required("admin")
def admin_edit(organisation_id: int):
    """Correct an organisation's name, description and contacts."""
    organisation = organisations.get(organisation_id)
    if request.method == "GET":
        form = OrganisationForm(obj=organisation)
    else:
        form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisations.update(organisation, form.data)
        except Invalid as invalid:
            for name, message in invalid.errors.items():
                getattr(form, name).errors.append(message)
        else:
            flash(_("Zapisano zmiany."), "success")
            return redirect(
                url_for("organisations.admin_edit", organisation_id=organisation.id),
                code=303,
            )
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/organisation.html",
        organisation=organisation,
        form=form,
        groups=_by_layer(organisations.public_mentions(organisation, layer_registry())),
        relations=organisations.RELATIONS,
        admin_cities=cities.list_cities(),
    ), status
