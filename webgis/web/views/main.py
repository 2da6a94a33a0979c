"""Pages a person reads: choose a city, its map of service areas, one area."""

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from webgis.core.errors import NotFound
from webgis.core.registry import layer_registry
from webgis.core.text import lazy_text as _l
from webgis.core.text import translated
from webgis.features import editing, ogc, store
from webgis.geography import cities
from webgis.web import kinds, maps
from webgis.web.map_pages import boundary_map, map_assets
from webgis.web.views import api

bp = Blueprint("main", __name__)


#: Up to this many features in view are sent one by one; more are grouped.
SINGLE_FEATURES = 300
#: A crowded view is split into about this many groups across its width.
GROUPS_ACROSS = 8


def map_layers(city) -> list[maps.MapLayer]:
    """Every registered layer as a toggle that loads its features in view."""
    return [
        maps.MapLayer(
            key=spec.key,
            title=translated(spec.title),
            colour=spec.colour,
            symbol=spec.symbol,
            url=url_for("main.layer_in_view", city_code=city.code, layer_key=spec.key),
        )
        for spec in layer_registry().values()
    ]


def _layer(city_code: str, layer_key: str):
    city = cities.get_city(city_code)
    spec = layer_registry().get(layer_key)
    if spec is None:
        raise NotFound(_l("Nie ma takiej warstwy."))
    return city, spec


@bp.get("/<city_code>/map/layers/<layer_key>")
def layer_in_view(city_code: str, layer_key: str):
    """The layer's features the visitor may see in a box, grouped where they crowd.

    ``bbox`` (west,south,east,north in degrees) is required. Up to
    :data:`SINGLE_FEATURES` features come as they are (points, shapes), with their
    title; more come as groups with a count and an extent.
    """
    city, spec = _layer(city_code, layer_key)
    ogc.check_parameters(request.args, ("bbox", "zoom"))
    if "bbox" not in request.args:
        raise ogc.OgcError(_l("Podaj bbox: zachód,południe,wschód,północ w stopniach."))
    bbox = ogc.parse_bbox(request.args["bbox"])
    staff = current_user.is_authenticated
    matched = store.count_points_in_view(city, spec, current_user, bbox)
    if matched <= SINGLE_FEATURES:
        features = store.in_view(city, spec, current_user, bbox)
        items = [_map_item(spec, f) for f in features]
    else:
        groups = store.clusters(
            city, spec, current_user, bbox, (bbox[2] - bbox[0]) / GROUPS_ACROSS
        )
        alone = {g.feature_id for g in groups if g.count == 1}
        items = [
            _map_item(spec, f)
            for f in store.in_view(city, spec, current_user, ids=alone)
        ]
        items += [_map_group(g) for g in groups if g.count > 1]
    collection = {"type": "FeatureCollection", "matched": matched, "features": items}
    return api.geojson(collection, private=staff, resource=("map", city.id, spec.key))


def _map_item(spec, feature) -> dict:
    """A feature as the map draws it: where it is, its title, how sure the place is."""
    geometry = feature.geometry
    if geometry.geom_type == "Point":
        shape = {
            "type": "Point",
            "coordinates": [round(geometry.x, 6), round(geometry.y, 6)],
        }
    else:
        shape = maps.for_display(geometry).__geo_interface__
    return {
        "type": "Feature",
        "id": feature.id,
        "geometry": shape,
        "properties": {
            "title": feature.title_for(spec),
            "approximate": feature.precision != "address",
        },
    }


def _map_group(group) -> dict:
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [round(group.lon, 6), round(group.lat, 6)],
        },
        "properties": {
            "count": group.count,
            "bounds": [round(v, 6) for v in group.bounds],
        },
    }


@bp.get("/<city_code>/map/layers/<layer_key>/<int:feature_id>")
def map_popup(city_code: str, layer_key: str, feature_id: int):
    """One feature's popup for the map (escaped HTML), if the visitor may see it."""
    city, spec = _layer(city_code, layer_key)
    feature = store.get(city, spec, feature_id, current_user)
    options = editing.field_options(
        city, spec, current_user, names={spec.category_field}
    )
    response = make_response(_popup(city, spec, feature, options))
    if current_user.is_authenticated:
        response.cache_control.private = True
    return response


def _popup(city, spec, feature, options) -> Markup:
    category = ""
    if spec.category_field:
        value = (feature.properties or {}).get(spec.category_field)
        labels = dict(options.get(spec.category_field, []))
        values = value if isinstance(value, list) else [value]
        category = ", ".join(str(labels.get(v, v)) for v in values if v)
    return Markup(
        render_template(
            [f"popups/{spec.key}.html", "popups/_default.html"],
            city=city,
            spec=spec,
            feature=feature,
            category=category,
            # Only staff act on it; the public sees what the facility published.
            to_verify=current_user.is_authenticated
            and store.needs_verification(spec, feature),
        )
    )


# What cities call their units and areas, for every template: `city.unit_kind|kind`.
bp.add_app_template_filter(kinds.kind_label, "kind")
bp.add_app_template_global(kinds.areas_heading, "areas_heading")
bp.add_app_template_global(kinds.city_counts, "city_counts")


@bp.get("/")
def index():
    """Choose a city."""
    return render_template("main/index.html", cities=cities.list_cities())


@bp.get("/<city_code>/")
def city(city_code: str):
    """A city's address leads to its map."""
    cities.get_city(city_code)
    return redirect(url_for("main.city_map", city_code=city_code))


@bp.get("/<city_code>/map")
def city_map(city_code: str):
    """The city's service areas on a map, with a legend and a table of the same."""
    city = cities.get_city(city_code)

    def build():
        labels = {
            "unit_kind": kinds.kind_label(city.unit_kind),
            "area_kind": kinds.kind_label(city.area_kind),
        }
        units = cities.units_frame(city)
        areas = cities.service_areas_frame(city)
        return maps.city_map(areas, units, labels, map_assets(), map_layers(city))

    rendered, legend = boundary_map(city, "city", build)
    return render_template(
        "main/map.html",
        city=city,
        legend=legend,
        rendered=rendered,
        layer_keys=list(layer_registry()),
    )


@bp.get("/<city_code>/areas/<area_code>")
def service_area(city_code: str, area_code: str):
    """One service area: its units, their residents and a small map."""
    city = cities.get_city(city_code)
    area = cities.get_service_area(city, area_code)

    def build():
        units = cities.units_frame(city)
        fmap = maps.area_map(
            cities.service_areas_frame(city).query("code == @area_code"),
            units[units["service_area"] == area_code],
            map_assets(),
        )
        return fmap, None

    rendered, _nothing = boundary_map(city, f"area:{area.code}", build)
    return render_template("main/area.html", city=city, area=area, rendered=rendered)
