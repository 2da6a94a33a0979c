"""Pages of the thematic layers, generated from each layer's spec."""

from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from webgis.accounts.permissions import role_required
from webgis.core.errors import Forbidden, Invalid
from webgis.core.registry import layer_registry
from webgis.features import editing, ogc, store
from webgis.features import export as exporting
from webgis.features.kinds import public_schema
from webgis.features.validation import Form
from webgis.finder.questions import positive_number
from webgis.geography import cities
from webgis.web import maps
from webgis.web.forms import ConfirmForm, checks_own_token
from webgis.web.map_pages import map_assets, render_map
from webgis.web.views import api

bp = Blueprint("features", __name__)
STAFF = ("organiser", "planner", "admin")
FILTERS = ("area", "category", "status", "q", "sort", "order")


def _context(city_code: str, layer_key: str):
    city = cities.get_city(city_code)
    spec = layer_registry().get(layer_key)
    if spec is None:
        abort(404)
    return city, spec


def _feature(city_code: str, layer_key: str, feature_id: int, to_edit=False):
    """City, layer spec and feature of a URL; with ``to_edit``, refuse non-editors."""
    city, spec = _context(city_code, layer_key)
    feature = store.get(city, spec, feature_id, current_user)
    if to_edit and not store.can_edit(current_user, feature):
        raise Forbidden(_("Ten obiekt leży poza Twoimi obszarami."))
    return city, spec, feature


def _list_filters() -> dict[str, str]:
    """The list's filters from the URL; the public cannot choose a status."""
    filters = {k: request.args.get(k, "") for k in FILTERS}
    if not current_user.is_authenticated:
        filters["status"] = ""
    return filters


@bp.get("/<city_code>/layers/<layer_key>/")
def listing(city_code: str, layer_key: str):
    """A layer's features with filters and sorting; the URL carries the filters."""
    city, spec = _context(city_code, layer_key)
    filters = _list_filters()
    number = positive_number(request.args.get("page", ""), 999_999) or 1
    found = store.list_page(city, spec, current_user, filters, number)
    return render_template(
        "features/list.html",
        options=editing.field_options(city, spec, current_user),
        city=city,
        spec=spec,
        rows=found.rows,
        found=found,
        page_url=_page_url,
        filters=filters,
        needs_verification=store.needs_verification,
    )


def _page_url(number: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    return request.path + "?" + urlencode([*args, ("page", number)])


def _form_page(city, spec, values, errors, feature=None, status=200):
    return render_template(
        "features/form.html",
        options=editing.field_options(city, spec, current_user),
        city=city,
        spec=spec,
        feature=feature,
        values=Form(values),
        errors=errors,
        rendered=render_map(
            maps.editor_map(
                cities.units_frame(city),
                feature and feature.geometry,
                map_assets(),
            )
        ),
    ), status


@bp.route("/<city_code>/layers/<layer_key>/new", methods=["GET", "POST"])
@checks_own_token
@role_required(*STAFF)
def new(city_code: str, layer_key: str):
    """Add a feature: fields from the spec, a place from the map."""
    city, spec = _context(city_code, layer_key)
    if request.method == "GET":
        return _form_page(city, spec, {"location_precision": ["address"]}, {})
    if not ConfirmForm().validate_on_submit():
        return _form_page(city, spec, request.form, {}, status=400)
    try:
        properties, geometry, status = editing.read_submission(
            city, spec, request.form, current_user
        )
        feature = store.create(current_user, city, spec, geometry, properties, status)
    except Invalid as invalid:
        return _form_page(city, spec, request.form, invalid.errors, status=422)
    except Forbidden as refused:
        return _form_page(
            city, spec, request.form, {"geometry": str(refused)}, status=403
        )
    flash(_("Zapisano."), "success")
    return redirect(_detail_url(city, spec, feature), code=303)


def _detail_url(city, spec, feature):
    return url_for(
        "features.detail",
        city_code=city.code,
        layer_key=spec.key,
        feature_id=feature.id,
    )


@bp.get("/<city_code>/layers/<layer_key>/<int:feature_id>")
def detail(city_code: str, layer_key: str, feature_id: int):
    """Everything about one feature, with a small map."""
    city, spec, feature = _feature(city_code, layer_key, feature_id)
    fmap = maps.feature_map(feature.geometry, spec.colour, map_assets())
    return render_template(
        "features/detail.html",
        options=editing.field_options(city, spec, current_user),
        city=city,
        spec=spec,
        feature=feature,
        hidden=store.hidden_fields(spec, feature.properties, current_user),
        rendered=render_map(fmap),
        confirm=ConfirmForm(),
        editable=store.can_edit(current_user, feature),
        needs_verification=store.needs_verification,
        areas=cities.areas_of(city, feature.geometry),
    )


@bp.route(
    "/<city_code>/layers/<layer_key>/<int:feature_id>/edit", methods=["GET", "POST"]
)
@checks_own_token
@role_required(*STAFF)
def edit(city_code: str, layer_key: str, feature_id: int):
    """Change a feature; a version saved meanwhile by someone else is a conflict."""
    city, spec, feature = _feature(city_code, layer_key, feature_id, to_edit=True)
    if request.method == "GET":
        values = editing.to_form(spec, feature.properties, feature.geometry)
        values["status"] = [feature.status]
        values["version"] = [str(feature.version)]
        return _form_page(city, spec, values, {}, feature)
    if not ConfirmForm().validate_on_submit():
        return _form_page(city, spec, request.form, {}, feature, 400)
    try:
        properties, geometry, status = editing.read_submission(
            city, spec, request.form, current_user
        )
        base = _version_field("version")
        store.update(current_user, feature, base, geometry, properties, status)
    except Invalid as invalid:
        return _form_page(city, spec, request.form, invalid.errors, feature, 422)
    except store.Conflict as conflict:
        merged = store.merge(
            feature, base, conflict.mine, conflict.mine_geometry, status
        )
        return _conflict_page(city, spec, feature, merged)
    except Forbidden as refused:
        return _form_page(
            city, spec, request.form, {"geometry": str(refused)}, feature, 403
        )
    flash(_("Zapisano."), "success")
    return redirect(_detail_url(city, spec, feature), code=303)


def _version_field(name: str) -> int:
    """A version number from the form; an unreadable one is 0, which conflicts."""
    version = request.form.get(name, "")
    return int(version) if version.isascii() and version.isdigit() else 0


def _conflict_page(city, spec, feature, merged, errors=None, status=409):
    """Both versions side by side, a choice for each field both changed."""
    return render_template(
        "features/conflict.html",
        city=city,
        spec=spec,
        feature=feature,
        merged=merged,
        errors=errors or {},
        options=editing.field_options(city, spec, current_user),
        values=Form(request.form),
    ), status


@bp.post("/<city_code>/layers/<layer_key>/<int:feature_id>/edit/resolve")
@role_required(*STAFF)
def resolve(city_code: str, layer_key: str, feature_id: int):
    """Save an edit over a conflict: the editor chose mine or theirs per field.

    The form carries the edit again, the version it started from (``version``)
    and the saved version the choices were made against (``seen``); a save by
    someone else since then is another conflict.
    """
    city, spec, feature = _feature(city_code, layer_key, feature_id, to_edit=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    base = _version_field("version")
    try:
        properties, geometry, status = editing.read_submission(
            city, spec, request.form, current_user
        )
    except Invalid as invalid:
        return _form_page(city, spec, request.form, invalid.errors, feature, 422)
    choices = {
        key.removeprefix("choice-"): value
        for key, value in request.form.items()
        if key.startswith("choice-") and value in ("mine", "theirs")
    }
    merged = store.merge(feature, base, properties, geometry, status, choices)
    missing = {c.field for c in merged.contested} - choices.keys()
    if missing:
        errors = dict.fromkeys(missing, _("Wybierz jedną z wersji."))
        return _conflict_page(city, spec, feature, merged, errors, 422)
    try:
        store.resolve(current_user, feature, _version_field("seen"), merged)
    except store.Conflict:
        merged = store.merge(feature, base, properties, geometry, status)
        return _conflict_page(city, spec, feature, merged)
    except (Invalid, Forbidden) as refused:
        return _conflict_page(
            city, spec, feature, merged, {"": str(refused)}, refused.status
        )
    flash(_("Zapisano."), "success")
    return redirect(_detail_url(city, spec, feature), code=303)


@bp.post("/<city_code>/layers/<layer_key>/<int:feature_id>/status")
@role_required(*STAFF)
def change_status(city_code: str, layer_key: str, feature_id: int):
    """Publish, archive ("delete") or restore a feature."""
    city, spec, feature = _feature(city_code, layer_key, feature_id, to_edit=True)
    status = request.form.get("status", "")
    if not ConfirmForm().validate_on_submit() or status not in (
        "draft",
        "published",
        "archived",
    ):
        abort(400)
    store.set_status(current_user, feature, status)
    messages = {
        "archived": _("Przeniesiono do archiwum."),
        "published": _("Opublikowano."),
        "draft": _("Przywrócono jako szkic."),
    }
    flash(messages[status], "success")
    return redirect(_detail_url(city, spec, feature), code=303)


@bp.get("/<city_code>/layers/<layer_key>/<int:feature_id>/history")
@role_required(*STAFF)
def history(city_code: str, layer_key: str, feature_id: int):
    """Every version: who, when, which fields changed, whether it moved."""
    city, spec, feature = _feature(city_code, layer_key, feature_id)
    return render_template(
        "features/history.html",
        city=city,
        spec=spec,
        feature=feature,
        rows=store.history(feature),
        options=editing.field_options(city, spec, current_user),
        confirm=ConfirmForm(),
        editable=store.can_edit(current_user, feature),
    )


@bp.post("/<city_code>/layers/<layer_key>/<int:feature_id>/history/<int:revision_id>")
@role_required(*STAFF)
def restore(city_code: str, layer_key: str, feature_id: int, revision_id: int):
    """Make an earlier version current again (as a new version)."""
    city, spec, feature = _feature(city_code, layer_key, feature_id, to_edit=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    store.restore_revision(current_user, feature, revision_id)
    flash(_("Przywrócono wcześniejszą wersję."), "success")
    return redirect(_detail_url(city, spec, feature), code=303)


@bp.get("/<city_code>/layers/<layer_key>/export.<fmt>")
def export(city_code: str, layer_key: str, fmt: str):
    """Download what the list shows (same filters), typed by the layer's fields.

    CSV (``?sep=semicolon`` separates columns with ``;``), XLSX, GeoJSON,
    GeoPackage or a zipped Shapefile; labels in the reader's language.
    """
    city, spec = _context(city_code, layer_key)
    if fmt not in exporting.FORMATS:
        abort(404)
    filters = _list_filters()
    rows = store.listing(city, spec, current_user, filters)
    body = exporting.layer_file(
        spec,
        rows,
        fmt,
        current_user,
        editing.field_options(city, spec, current_user),
        separator=";" if request.args.get("sep") == "semicolon" else ",",
    )
    name = f"{city.code}-{spec.key}.{fmt}"
    return Response(
        body,
        content_type=exporting.FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/api/layers/<layer_key>/schema")
def api_schema(layer_key: str):
    """The JSON Schema of the layer's public properties (types from the field kinds)."""
    spec = layer_registry().get(layer_key)
    if spec is None:
        abort(404)
    return jsonify(public_schema(spec))


#: Features per page of the layer API, unless the caller asks for up to the most.
API_PAGE, API_MOST = 1_000, 10_000


@bp.get("/api/<city_code>/layers/<layer_key>")
def api_layer(city_code: str, layer_key: str):
    """The layer as GeoJSON, a page at a time: what the caller may see.

    The public gets published features only. ``limit`` (at most 10,000), ``offset``
    and ``bbox`` choose the page; a ``next`` link (in the body and the ``Link``
    header) leads on. Unknown parameters are refused. A client holding the current
    version gets 304, decided from one aggregate query before any feature is read.
    """
    city, spec = _context(city_code, layer_key)
    ogc.check_parameters(request.args, ("limit", "offset", "bbox"))
    limit = ogc.whole_number(request.args, "limit", API_PAGE, 1, API_MOST)
    offset = ogc.whole_number(request.args, "offset", 0, 0, 10**12)
    bbox = ogc.parse_bbox(request.args["bbox"]) if "bbox" in request.args else None
    staff = current_user.is_authenticated
    stamp = store.layer_stamp(city, spec)
    etag = api.version_tag(api.layer_tag(city, spec, stamp, staff), limit, offset, bbox)
    unchanged = api.not_modified(etag, stamp.changed_at, private=staff)
    if unchanged is not None:
        return unchanged
    matched = store.count_in_view(city, spec, current_user, bbox)
    features = store.in_view(city, spec, current_user, bbox, limit, offset)
    collection = store.as_geojson(spec, features, current_user)
    collection.update(numberMatched=matched, numberReturned=len(features))
    links = []
    if offset + len(features) < matched:
        args = {**request.args.to_dict(), "offset": offset + len(features)}
        links.append({"rel": "next", "type": api.GEOJSON, "href": _here(args)})
    collection["links"] = links
    response = api.geojson(collection, stamp.changed_at, etag=etag, private=staff)
    if links:
        response.headers["Link"] = f'<{links[0]["href"]}>; rel="next"'
    return response


def _here(args: dict) -> str:
    return url_for(request.endpoint, **request.view_args, **args, _external=True)


@bp.get("/api/<city_code>/layers/<layer_key>/<int:feature_id>")
def api_item(city_code: str, layer_key: str, feature_id: int):
    """One feature as GeoJSON, if the caller may see it (the public: published)."""
    city, spec, feature = _feature(city_code, layer_key, feature_id)
    (item,) = store.as_geojson(spec, [feature], current_user)["features"]
    staff = current_user.is_authenticated
    return api.geojson(
        item,
        feature.updated_at,
        etag=api.version_tag(feature.id, feature.version, staff),
        private=staff,
    )
