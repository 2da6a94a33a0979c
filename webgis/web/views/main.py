"""Pages a person reads: choose a city, its map of service areas, one area."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from webgis.core.registry import layer_registry
from webgis.core.text import translated
from webgis.features import editing, store
from webgis.geography import cities
from webgis.web import maps
from webgis.web.map_pages import map_assets, render_map

bp = Blueprint("main", __name__)


def map_layers(city) -> list[maps.MapLayer]:
    """Every registered layer's features the visitor may see, with escaped popups."""
    layers = []
    for spec in layer_registry().values():
        features = store.visible(city, spec, current_user)
        # Popups show only the category; other options (links) would be wasted work.
        options = editing.field_options(
            city, spec, current_user, names={spec.category_field}
        )
        layers.append(
            maps.MapLayer(
                key=spec.key,
                title=translated(spec.title),
                colour=spec.colour,
                symbol=spec.symbol,
                features=[
                    maps.MapFeature(
                        f.geometry,
                        _popup(city, spec, f, options),
                        f.precision != "address",
                    )
                    for f in features
                ],
            )
        )
    return layers


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
    areas = cities.service_areas_frame(city)
    labels = {"unit_kind": city.unit_kind, "area_kind": city.area_kind}
    fmap, legend = maps.city_map(
        areas, cities.units_frame(city), labels, map_assets(), map_layers(city)
    )

    return render_template(
        "main/map.html",
        city=city,
        legend=legend,
        rendered=render_map(fmap),
        layer_keys=list(layer_registry()),
    )


@bp.get("/<city_code>/areas/<area_code>")
def service_area(city_code: str, area_code: str):
    """One service area: its units, their residents and a small map."""
    city = cities.get_city(city_code)
    area = cities.get_service_area(city, area_code)
    units = cities.units_frame(city)
    fmap = maps.area_map(
        cities.service_areas_frame(city).query("code == @area_code"),
        units[units["service_area"] == area_code],
        map_assets(),
    )
    return render_template(
        "main/area.html", city=city, area=area, rendered=render_map(fmap)
    )
