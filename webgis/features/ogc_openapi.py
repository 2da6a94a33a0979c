"""The OpenAPI 3.0 definition of the OGC API – Features (``/ogc/api``).

:func:`paths` gives the path items alone, self-contained (no ``$ref``), so the
app's own OpenAPI document can merge them under ``/ogc``. :func:`document` adds,
for every collection, its items path with its queryable properties as parameters:
GDAL reads them there to send attribute filters to the server.
"""

from __future__ import annotations

from flask_babel import gettext as _

from webgis.features.ogc import DEFAULT_LIMIT, MAX_LIMIT, Collection
from webgis.features.ogc_documents import GEOJSON, HTML, JSON, OPENAPI, SCHEMA

STRING = {"type": "string"}
LINKS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["href"],
        "properties": {
            "href": STRING,
            "rel": STRING,
            "type": STRING,
            "title": STRING,
        },
    },
}
EXCEPTION = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": STRING, "description": STRING},
}
FEATURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"oneOf": [STRING, {"type": "integer"}]},
        "geometry": {"type": "object", "nullable": True},
        "properties": {"type": "object", "nullable": True},
        "links": LINKS,
    },
}
FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": FEATURE},
        "links": LINKS,
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
        "timeStamp": {"type": "string", "format": "date-time"},
    },
}
COLLECTION = {
    "type": "object",
    "required": ["id", "links"],
    "properties": {
        "id": STRING,
        "title": STRING,
        "description": STRING,
        "itemType": STRING,
        "crs": {"type": "array", "items": STRING},
        "extent": {"type": "object"},
        "links": LINKS,
    },
}
COLLECTIONS = {
    "type": "object",
    "required": ["links", "collections"],
    "properties": {
        "links": LINKS,
        "collections": {"type": "array", "items": COLLECTION},
    },
}
LANDING = {
    "type": "object",
    "required": ["links"],
    "properties": {"title": STRING, "description": STRING, "links": LINKS},
}
CONFORMANCE = {
    "type": "object",
    "required": ["conformsTo"],
    "properties": {
        "conformsTo": {"type": "array", "items": STRING},
        "links": LINKS,
    },
}


def _query(name: str, schema: dict, description: str, **extra) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "schema": schema,
        "description": description,
        **extra,
    }


def _path(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": STRING,
        "description": description,
    }


def _common() -> list[dict]:
    return [
        _query(
            "f",
            {"type": "string", "enum": ["json", "html"]},
            _("Format odpowiedzi (domyślnie według nagłówka Accept)."),
        ),
        _query(
            "lang",
            {"type": "string", "enum": ["pl", "en", "uk"]},
            _("Język opisów."),
        ),
    ]


def _items_parameters() -> list[dict]:
    return [
        _query(
            "limit",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            },
            _("Najwięcej obiektów na stronie."),
        ),
        _query(
            "offset",
            {"type": "integer", "minimum": 0, "default": 0},
            _("Ile pierwszych pasujących obiektów pominąć."),
        ),
        _query(
            "bbox",
            {
                "type": "array",
                "minItems": 4,
                "maxItems": 4,
                "items": {"type": "number"},
            },
            _(
                "Prostokąt w CRS84: minimalna długość, minimalna szerokość, "
                "maksymalna długość, maksymalna szerokość geograficzna."
            ),
        ),
        _query(
            "datetime",
            STRING,
            _(
                "Czas ostatniej zmiany: chwila albo przedział (RFC 3339, .. "
                "dla otwartego końca)."
            ),
        ),
    ]


def _content(schema: dict, media_type: str = JSON) -> dict:
    return {media_type: {"schema": schema}, HTML: {"schema": STRING}}


def _get(operation: str, summary: str, parameters: list, schema, media_type=JSON):
    errors = {"description": _("Błąd żądania."), "content": _content(EXCEPTION)}
    return {
        "get": {
            "operationId": operation,
            "summary": summary,
            "tags": ["OGC API – Features"],
            "parameters": [*parameters, *_common()],
            "responses": {
                "200": {
                    "description": summary,
                    "content": _content(schema, media_type),
                },
                "400": errors,
                "404": errors,
            },
        }
    }


def paths(prefix: str = "") -> dict:
    """The path items of every resource, under ``prefix`` (``/ogc`` app-wide)."""
    collection = _path("collectionId", _("Identyfikator kolekcji."))
    item = _path("featureId", _("Identyfikator obiektu."))
    found = {
        "/": _get("ogcLanding", _("Strona startowa API."), [], LANDING),
        "/api": _get(
            "ogcApi", _("Definicja API (OpenAPI 3.0)."), [], {"type": "object"}, OPENAPI
        ),
        "/conformance": _get("ogcConformance", _("Klasy zgodności."), [], CONFORMANCE),
        "/collections": _get("ogcCollections", _("Kolekcje."), [], COLLECTIONS),
        "/collections/{collectionId}": _get(
            "ogcCollection", _("Opis kolekcji."), [collection], COLLECTION
        ),
        "/collections/{collectionId}/queryables": _get(
            "ogcQueryables",
            _("Właściwości, według których można filtrować obiekty."),
            [collection],
            {"type": "object"},
            SCHEMA,
        ),
        "/collections/{collectionId}/schema": _get(
            "ogcSchema",
            _("Schemat obiektów kolekcji (JSON Schema)."),
            [collection],
            {"type": "object"},
            SCHEMA,
        ),
        "/collections/{collectionId}/items": _get(
            "ogcItems",
            _("Obiekty kolekcji, stronami."),
            [collection, *_items_parameters()],
            FEATURE_COLLECTION,
            GEOJSON,
        ),
        "/collections/{collectionId}/items/{featureId}": _get(
            "ogcItem", _("Jeden obiekt."), [collection, item], FEATURE, GEOJSON
        ),
    }
    return {prefix + path: operation for path, operation in found.items()}


def _parameter_schema(schema: dict) -> dict:
    """A queryable's JSON Schema as OpenAPI 3.0 takes it (one type, a list's items)."""
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    return {k: v for k, v in {**schema, "type": kind}.items() if k != "title"}


def collection_items_path(found: Collection) -> dict:
    """The items of one collection, with a parameter per queryable property."""
    filters = [
        _query(name, _parameter_schema(schema), str(schema.get("title", name)))
        for name, schema in found.queryables().items()
    ]
    return _get(
        f"ogcItems-{found.id}",
        found.title,
        [*_items_parameters(), *filters],
        FEATURE_COLLECTION,
        GEOJSON,
    )


def document(base: str, found: list[Collection]) -> dict:
    """The whole OpenAPI document, served at ``base`` + ``api``."""
    every = paths()
    for item in found:
        every[f"/collections/{item.id}/items"] = collection_items_path(item)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": _("Mapa Zasobów: OGC API – Features"),
            "version": "1.0.0",
            "description": _(
                "Opublikowane dane miast dla programów GIS; tylko dane publiczne."
            ),
        },
        "servers": [{"url": base.rstrip("/")}],
        "paths": every,
    }
