"""JSON API: GeoJSON of a city's units and service areas."""

from flask import Blueprint, jsonify

from webgis.geography import cities

bp = Blueprint("api", __name__, url_prefix="/api")

GEOJSON = "application/geo+json"


@bp.get("/cities", endpoint="cities")
def city_list():
    """The cities this installation knows."""
    return jsonify(
        [
            {
                "code": c.code,
                "name": c.name,
                "unit_kind": c.unit_kind,
                "area_kind": c.area_kind,
            }
            for c in cities.list_cities()
        ]
    )


@bp.get("/<city_code>/units")
def units(city_code: str):
    """The city's units as a GeoJSON FeatureCollection."""
    frame = cities.units_frame(cities.get_city(city_code))
    return _geojson(frame)


@bp.get("/<city_code>/service-areas")
def service_areas(city_code: str):
    """The city's service areas (ZTPS, Filie) as a GeoJSON FeatureCollection."""
    frame = cities.service_areas_frame(cities.get_city(city_code))
    return _geojson(frame)


def _geojson(frame):
    response = jsonify(frame.to_geo_dict(drop_id=True))
    response.mimetype = GEOJSON
    return response
