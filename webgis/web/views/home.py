"""A staff member's home page: where signing in lands, the day's work in one place.

An organiser sees their areas; planners and admins the whole of one city at a
time. Every list is a bounded page, so the page costs the same at 50,000 features.
"""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from webgis.accounts.permissions import role_required
from webgis.core.errors import Forbidden
from webgis.core.registry import layer_registry
from webgis.features import moderation, store
from webgis.finder.questions import positive_number
from webgis.geography import cities
from webgis.web.forms import ConfirmForm
from webgis.web.map_pages import map_assets, render_map
from webgis.web.maps.home import home_map

bp = Blueprint("home", __name__)
STAFF = ("organiser", "planner", "admin")
#: Rows of each list on the page.
SHOWN = 20


def _my_cities() -> list:
    """The cities the user works in: an organiser's areas' cities, or every city."""
    if current_user.sees_everything:
        return cities.list_cities()
    seen = {}
    for area in current_user.areas:
        seen.setdefault(area.city.code, area.city)
    return list(seen.values())


def _chosen_city(mine: list):
    wanted = request.args.get("city", "")
    return next((c for c in mine if c.code == wanted), mine[0] if mine else None)


def _areas_frame(city):
    frame = cities.service_areas_frame(city)
    if current_user.sees_everything:
        return frame
    codes = [a.code for a in current_user.areas if a.city_id == city.id]
    return frame[frame["code"].isin(codes)]


@bp.get("/me")
@role_required(*STAFF)
def home():
    """My areas on a map, drafts, records to verify, the queue, others' changes."""
    mine = _my_cities()
    city = _chosen_city(mine)
    if city is None:
        return render_template("home/home.html", city=None, my_cities=mine)
    registry = layer_registry()
    specs = list(registry.values())
    page = positive_number(request.args.get("changes", ""), 10_000) or 1
    changes = store.recent_changes(city, current_user, SHOWN + 1, (page - 1) * SHOWN)
    return render_template(
        "home/home.html",
        city=city,
        my_cities=mine,
        specs=specs,
        registry=registry,
        rendered=render_map(home_map(_areas_frame(city), map_assets())),
        drafts=[(s, store.drafts(city, s, current_user, SHOWN)) for s in specs],
        to_verify=[(s, store.to_verify(city, s, current_user, SHOWN)) for s in specs],
        queue=[
            (area, waiting)
            for area, waiting in moderation.queue_counts(current_user)
            if area.city_id == city.id
        ],
        changes=changes[:SHOWN],
        changes_page=page,
        more_changes=len(changes) > SHOWN,
        confirm=ConfirmForm(),
    )


@bp.post("/me/verify/<city_code>/<layer_key>/<int:feature_id>")
@role_required(*STAFF)
def still_valid(city_code: str, layer_key: str, feature_id: int):
    """Mark "still valid": today's check of a record, as a revision of its own."""
    city = cities.get_city(city_code)
    spec = layer_registry().get(layer_key)
    if spec is None or not ConfirmForm().validate_on_submit():
        abort(400)
    feature = store.get(city, spec, feature_id, current_user)
    if not store.can_edit(current_user, feature):
        raise Forbidden(_("Ten obiekt leży poza Twoimi obszarami."))
    version = request.form.get("version", "")
    base = int(version) if version.isascii() and version.isdigit() else 0
    try:
        store.confirm_still_valid(current_user, feature, base)
    except store.Conflict:
        flash(
            _("Ktoś zmienił ten obiekt w międzyczasie; sprawdź go ponownie."), "error"
        )
    else:
        flash(
            _("Potwierdzono aktualność: %(title)s.", title=feature.title_for(spec)),
            "success",
        )
    return redirect(url_for("home.home", city=city.code), code=303)
