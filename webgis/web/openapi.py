"""The OpenAPI 3.0 document of the public JSON API, assembled from the views.

As in pygeoapi, every part of the API describes itself: a views module may expose

    def openapi_paths() -> dict: ...        # {"/full/{path}": {"get": {...}}, ...}
    def openapi_components() -> dict: ...   # optional: {"schemas": {...}, ...}

The builder asks each module the running app has a blueprint from
(``current_app.blueprints``), so a new API module is documented by adding those
functions; nothing here lists the modules. The layer API lives among the staff pages
of the features blueprint, so its paths are written here, one per registered layer,
each with the JSON Schema of that layer's public properties.

Schemas here are OpenAPI 3.0 Schema Objects (JSON Schema with ``nullable``).
"""

from __future__ import annotations

import sys
from importlib import metadata

from flask import current_app, request
from flask_babel import gettext as _

from webgis.core.registry import layer_registry
from webgis.core.text import translated
from webgis.features.kinds import public_schema
from webgis.geography import cities

OPENAPI_VERSION = "3.0.3"
GEOJSON = "application/geo+json"
#: Geometry types a GeoJSON API of this app may answer with.
GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class DocumentConflict(RuntimeError):
    """Two modules describe the same operation: the document would lie about one."""


def document() -> dict:
    """The whole OpenAPI document of the running app, in the reader's language."""
    paths: dict = {}
    components: dict = {"schemas": shared_schemas()}
    sources = [("webgis.web.openapi", own_paths, None), *_module_hooks()]
    for source, paths_of, components_of in sources:
        merge_paths(paths, paths_of(), source)
        if components_of is not None:
            _merge_components(components, components_of(), source)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": _("Mapa Zasobów: publiczne API"),
            "version": _version(),
            "description": _(
                "Dane publiczne: miasta, ich jednostki i obszary działania oraz "
                "opublikowane obiekty warstw tematycznych. Odpowiedzi GeoJSON "
                "mają nagłówki ETag i Last-Modified, więc ponowne pobranie "
                "bez zmian kończy się odpowiedzią 304."
            ),
        },
        "servers": [{"url": request.script_root or "/"}],
        "paths": dict(sorted(paths.items())),
        "components": components,
    }


def _version() -> str:
    try:
        return metadata.version("mapa-zasobow")
    except metadata.PackageNotFoundError:
        return "0"


def _module_hooks():
    """(module name, openapi_paths, openapi_components or None) of each blueprint."""
    seen = set()
    for blueprint in current_app.blueprints.values():
        module = sys.modules.get(blueprint.import_name)
        if module is None or module.__name__ in seen:
            continue
        seen.add(module.__name__)
        paths_of = getattr(module, "openapi_paths", None)
        if callable(paths_of):
            yield module.__name__, paths_of, getattr(module, "openapi_components", None)


def merge_paths(paths: dict, more: dict, source: str) -> dict:
    """Add ``source``'s path items to ``paths``; one operation may not come twice."""
    for path, item in more.items():
        present = paths.setdefault(path, {})
        for key, value in item.items():
            if key in present and (key in METHODS or present[key] != value):
                raise DocumentConflict(
                    f"{source}: {key.upper()} {path} is described twice"
                )
            present[key] = value
    return paths


def _merge_components(components: dict, more: dict, source: str) -> None:
    for section, entries in more.items():
        present = components.setdefault(section, {})
        for name, value in entries.items():
            if name in present and present[name] != value:
                raise DocumentConflict(f"{source}: components/{section}/{name} differs")
            present[name] = value


# -- pieces other modules reuse --------------------------------------------------------


def shared_schemas() -> dict:
    """Schemas every module may refer to as ``#/components/schemas/<name>``."""
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "title", "message"],
                    "properties": {
                        "status": {"type": "integer"},
                        "title": {"type": "string"},
                        "message": {"type": "string"},
                        "problems": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
        },
        "Geometry": {
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": {"type": "string", "enum": list(GEOMETRY_TYPES)},
                "coordinates": {"type": "array"},
                "geometries": {"type": "array"},
            },
        },
    }


def error_response(description: str) -> dict:
    """A documented error answer (JSON with the status, a title and a message)."""
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    }


def feature_collection(
    properties: dict,
    *,
    required: list[str] | None = None,
    with_id: bool = False,
    nullable_geometry: bool = False,
    closed: bool = False,
) -> dict:
    """A GeoJSON FeatureCollection whose features carry ``properties``.

    ``closed`` allows no property beyond those listed, so a field that must not be
    public is a schema violation, not a quiet leak.
    """
    geometry: dict = {"$ref": "#/components/schemas/Geometry"}
    if nullable_geometry:
        geometry = {"allOf": [geometry], "nullable": True}
    props: dict = {"type": "object", "properties": properties}
    if required:
        props["required"] = required
    if closed:
        props["additionalProperties"] = False
    feature = {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "geometry": geometry,
            "properties": props,
        },
    }
    if with_id:
        feature["required"].append("id")
        feature["properties"]["id"] = {"type": "integer"}
    return {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": feature},
        },
    }


def city_parameter() -> dict:
    """The ``{city}`` path parameter: one of the installation's city codes."""
    schema: dict = {"type": "string"}
    codes = [c.code for c in cities.list_cities()]
    if codes:
        schema["enum"] = codes
    return {
        "name": "city",
        "in": "path",
        "required": True,
        "description": _("Kod miasta, np. %(example)s", example=(codes or ["—"])[0]),
        "schema": schema,
    }


def conditional_parameters() -> list[dict]:
    """The request headers of a conditional GET (a client's cached version)."""
    return [
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": _("ETag wersji, którą klient już ma."),
            "schema": {"type": "string"},
        },
        {
            "name": "If-Modified-Since",
            "in": "header",
            "required": False,
            "description": _("Data wersji, którą klient już ma (HTTP-date)."),
            "schema": {"type": "string"},
        },
    ]


def geojson_responses(collection: dict) -> dict:
    """200 with the collection and its validators, 304, and 404 for unknown names."""
    validators = {
        "ETag": {
            "description": _("Wersja odpowiedzi."),
            "required": True,
            "schema": {"type": "string"},
        },
        "Last-Modified": {
            "description": _("Czas ostatniej zmiany danych."),
            "schema": {"type": "string"},
        },
    }
    return {
        "200": {
            "description": _("Kolekcja obiektów GeoJSON."),
            "headers": validators,
            "content": {GEOJSON: {"schema": collection}},
        },
        "304": {"description": _("Bez zmian od wersji, którą klient już ma.")},
        "404": error_response(_("Nie ma takiego miasta.")),
    }


def json_schema(schema: dict) -> dict:
    """A JSON Schema of the field kinds as an OpenAPI 3.0 Schema Object."""
    return {k: v for k, v in schema.items() if k != "$schema"}


# -- the layer API (views in webgis.web.views.features) --------------------------------


def own_paths() -> dict:
    """Path items of each registered layer's GeoJSON and schema endpoints."""
    paths = {}
    for key, spec in layer_registry().items():
        title = translated(spec.title)
        schema = json_schema(public_schema(spec))
        paths[f"/api/{{city}}/layers/{key}"] = {
            "get": {
                "operationId": f"layer_{key}",
                "summary": _("Warstwa „%(title)s” jako GeoJSON", title=title),
                "description": _(
                    "Opublikowane obiekty warstwy z polami publicznymi; zalogowani "
                    "pracownicy widzą też szkice i pola wewnętrzne."
                ),
                "tags": ["layers"],
                "parameters": [
                    city_parameter(),
                    *_page_parameters(),
                    *conditional_parameters(),
                ],
                "responses": {
                    **geojson_responses(
                        _paged(
                            feature_collection(
                                {**schema["properties"], **_feature_facts()},
                                required=[*schema["required"], *_feature_facts()],
                                with_id=True,
                                closed=True,
                            )
                        )
                    ),
                    "400": error_response(
                        _("Nieznany parametr albo wartość, której nie można użyć.")
                    ),
                },
            }
        }
        collection = paths[f"/api/{{city}}/layers/{key}"]["get"]["responses"]
        item = collection["200"]["content"][GEOJSON]["schema"]["properties"]
        paths[f"/api/{{city}}/layers/{key}/{{id}}"] = {
            "get": {
                "operationId": f"layer_item_{key}",
                "summary": _("Jeden obiekt warstwy „%(title)s”", title=title),
                "tags": ["layers"],
                "parameters": [
                    city_parameter(),
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                    *conditional_parameters(),
                ],
                "responses": {
                    **geojson_responses(item["features"]["items"]),
                    "404": error_response(_("Nie ma takiego obiektu.")),
                },
            }
        }
        paths[f"/api/layers/{key}/schema"] = {
            "get": {
                "operationId": f"layer_schema_{key}",
                "summary": _("Schemat JSON pól warstwy „%(title)s”", title=title),
                "tags": ["layers"],
                "responses": {
                    "200": {
                        "description": _("Schemat JSON właściwości obiektów."),
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["type", "properties"],
                                    "properties": {
                                        "type": {"type": "string"},
                                        "title": {"type": "string"},
                                        "properties": {"type": "object"},
                                        "required": {
                                            "type": "array",
                                            "items": {"type": "string"},
                                        },
                                    },
                                }
                            }
                        },
                    }
                },
            }
        }
    return paths


def _page_parameters() -> list[dict]:
    """``limit``, ``offset`` and ``bbox`` of a paged GeoJSON list."""

    def query(name: str, description: str, schema: dict) -> dict:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": schema,
        }

    return [
        query(
            "limit",
            _("Ile obiektów na stronę (domyślnie 1000)."),
            {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 1_000},
        ),
        query(
            "offset",
            _("Ile obiektów pominąć."),
            {"type": "integer", "minimum": 0, "default": 0},
        ),
        query(
            "bbox",
            _("Tylko obiekty w prostokącie: zachód,południe,wschód,północ (stopnie)."),
            {"type": "string", "pattern": r"^[-0-9.eE]+(,[-0-9.eE]+){3}$"},
        ),
    ]


def _paged(collection: dict) -> dict:
    """A collection with how many matched, how many came and the next page's link."""
    collection["properties"].update(
        numberMatched={"type": "integer", "minimum": 0},
        numberReturned={"type": "integer", "minimum": 0},
        links={
            "type": "array",
            "items": {
                "type": "object",
                "required": ["rel", "href"],
                "properties": {
                    "rel": {"type": "string"},
                    "type": {"type": "string"},
                    "href": {"type": "string"},
                },
            },
        },
    )
    return collection


def _feature_facts() -> dict:
    """What every feature of the layer API carries beside its fields."""
    return {
        "layer": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "published", "archived"]},
        "version": {"type": "integer", "minimum": 1},
        # UTC, without an offset (so not RFC 3339's date-time).
        "updated_at": {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
        },
    }
