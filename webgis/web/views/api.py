"""JSON API: the cities, their units and service areas, and what the API offers.

GeoJSON answers carry validators (a weak ETag and Last-Modified), so a client that
already holds a version gets ``304 Not Modified``. The helpers for that are here and
the layer API (``features.api_layer``) uses them too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from hashlib import sha256

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.http import is_resource_modified, quote_etag

from webgis.geography import cities
from webgis.web import openapi

bp = Blueprint("api", __name__, url_prefix="/api")

GEOJSON = "application/geo+json"
#: HTTP dates have whole seconds: a change this recent could be followed by another
#: one in the same second, which If-Modified-Since could not tell apart.
SETTLED_AFTER = timedelta(seconds=1)


@bp.get("/")
def index():
    """A page for people: the API's operations and where its OpenAPI document is."""
    spec = openapi.document()
    operations = [
        (method.upper(), path, item[method].get("summary", ""))
        for path, item in spec["paths"].items()
        for method in openapi.METHODS
        if method in item
    ]
    return render_template(
        "api/index.html", operations=operations, cities=cities.list_cities()
    )


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.0 document of every public JSON endpoint."""
    return jsonify(openapi.document())


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
    # A city with units of unknown population would otherwise give 13200.0.
    frame["population"] = frame["population"].astype("Int64")
    return geojson(frame.to_geo_dict(drop_id=True), resource=("units", city_code))


@bp.get("/<city_code>/service-areas")
def service_areas(city_code: str):
    """The city's service areas (ZTPS, Filie) as a GeoJSON FeatureCollection."""
    frame = cities.service_areas_frame(cities.get_city(city_code))
    return geojson(frame.to_geo_dict(drop_id=True), resource=("areas", city_code))


# -- conditional GET -------------------------------------------------------------------


def settled(changed_at: datetime | date | None, now: datetime | None = None) -> bool:
    """Whether a change (naive UTC) is old enough to be sent as Last-Modified."""
    if not isinstance(changed_at, datetime):
        return False
    return (now or _utc_now()) - changed_at >= SETTLED_AFTER


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def first_seen(resource: tuple, tag: str) -> datetime:
    """When this process first answered with this version of ``resource``.

    For data without a change time (units and service areas). It is never before
    the change that made the version, nor after the next one, so If-Modified-Since
    holds across processes; a restart only makes it later (more full answers).
    """
    seen = current_app.extensions.setdefault("webgis.api_first_seen", {})
    known = seen.get(resource)
    if known is None or known[0] != tag:
        known = seen[resource] = (tag, _utc_now())
    return known[1]


def version_tag(*parts: object) -> str:
    """A short validator naming a version of a resource by what determines it."""
    return sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def layer_tag(city, spec, stamp, staff: bool) -> str:
    """The validator of a layer's GeoJSON for the public or for staff.

    Built from the layer's stamp (``store.layer_stamp``) and the declaration of its
    fields, so a new version of a feature or of the spec gives a new tag.
    """
    fields = [(f.name, f.kind, f.public, f.consent, f.when) for f in spec.all_fields]
    audience = "staff" if staff else "public"
    return version_tag(
        city.id,
        spec.key,
        audience,
        stamp.count,
        stamp.versions,
        stamp.last_id,
        stamp.changed_at,
        fields,
    )


def not_modified(
    etag: str, changed_at: datetime | date | None, private: bool
) -> Response | None:
    """``304`` when the client already holds this version, before any body is built."""
    last_modified = changed_at if settled(changed_at) else None
    if is_resource_modified(
        request.environ, etag=quote_etag(etag, weak=True), last_modified=last_modified
    ):
        return None
    return _validated(Response(status=304), etag, last_modified, private)


def geojson(
    data: dict,
    changed_at: datetime | date | None = None,
    *,
    etag: str | None = None,
    private: bool = False,
    resource: tuple | None = None,
) -> Response:
    """A GeoJSON answer with validators; without ``etag`` its body's digest is one.

    Without ``changed_at``, the time the ``resource`` was first seen in this
    version is its Last-Modified. ``private`` answers (staff, who see drafts) stay
    out of shared caches.
    """
    response = jsonify(data)
    response.mimetype = GEOJSON
    tag = etag or version_tag(response.get_data())
    if changed_at is None and resource is not None:
        changed_at = first_seen(resource, tag)
    last_modified = changed_at if settled(changed_at) else None
    return _validated(response, tag, last_modified, private).make_conditional(request)


def _validated(response: Response, etag: str, last_modified, private: bool):
    # Weak: gzip or brotli give other bytes of the same version.
    response.set_etag(etag, weak=True)
    if last_modified is not None:
        response.last_modified = last_modified
    # Clients keep the version but ask again each time; a 304 is cheap.
    response.cache_control.no_cache = True
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    return response


# -- the OpenAPI description of this module --------------------------------------------


def openapi_paths() -> dict:
    """Path items of this blueprint's JSON endpoints."""
    city = openapi.city_parameter()
    conditional = openapi.conditional_parameters()
    return {
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": _("Ten dokument OpenAPI"),
                "tags": ["api"],
                "responses": {
                    "200": {
                        "description": _("Dokument OpenAPI 3.0."),
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["openapi", "info", "paths"],
                                }
                            }
                        },
                    }
                },
            }
        },
        "/api/cities": {
            "get": {
                "operationId": "cities",
                "summary": _("Miasta"),
                "tags": ["geography"],
                "responses": {
                    "200": {
                        "description": _("Lista miast."),
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": _city_schema()}
                            }
                        },
                    }
                },
            }
        },
        "/api/{city}/units": {
            "get": {
                "operationId": "units",
                "summary": _("Jednostki miasta (osiedla, dzielnice) jako GeoJSON"),
                "tags": ["geography"],
                "parameters": [city, *conditional],
                "responses": openapi.geojson_responses(
                    openapi.feature_collection(_unit_properties(), closed=True)
                ),
            }
        },
        "/api/{city}/service-areas": {
            "get": {
                "operationId": "service_areas",
                "summary": _("Obszary działania (ZTPS, Filie) jako GeoJSON"),
                "tags": ["geography"],
                "parameters": [city, *conditional],
                "responses": openapi.geojson_responses(
                    openapi.feature_collection(
                        _area_properties(), nullable_geometry=True, closed=True
                    )
                ),
            }
        },
    }


def _city_schema() -> dict:
    return {
        "type": "object",
        "required": ["code", "name", "unit_kind", "area_kind"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "unit_kind": {"type": "string"},
            "area_kind": {"type": "string"},
        },
    }


def _unit_properties() -> dict:
    return {
        "number": {"type": "integer"},
        "name": {"type": "string"},
        "population": {"type": "integer", "nullable": True, "minimum": 0},
        "area_km2": {"type": "number", "minimum": 0},
        "service_area": {"type": "string", "nullable": True},
    }


def _area_properties() -> dict:
    return {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "population": {"type": "integer", "nullable": True, "minimum": 0},
        "area_km2": {"type": "number", "minimum": 0},
        "units": {"type": "array", "items": {"type": "string"}},
        "unit_numbers": {"type": "array", "items": {"type": "integer"}},
    }
