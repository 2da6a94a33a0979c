"""The JSON documents of the OGC API – Features, built from what :mod:`ogc` reads.

Pure functions of their arguments: ``base`` is the API's absolute address ending in
``/`` (``https://host/ogc/``), so every link is absolute, as GIS clients expect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from flask_babel import gettext as _

from webgis.features.ogc import (
    CRS84,
    SERVICE_AREAS,
    Collection,
    ItemsQuery,
    city_bounds,
)

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
SCHEMA = "application/schema+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
)


def link(href: str, rel: str, media_type: str, title: str) -> dict:
    """One link object."""
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def url(base: str, path: str = "", query=()) -> str:
    """An absolute address under the API with an (ordered) query."""
    query = list(query.items() if isinstance(query, dict) else query)
    return base + path + ("?" + urlencode(query) if query else "")


def _both(base: str, path: str, media_type: str, query=()) -> list[dict]:
    """The self link in JSON and the alternate in HTML of one resource."""
    query = list(query)
    return [
        link(url(base, path, [*query, ("f", "json")]), "self", media_type, _("JSON")),
        link(url(base, path, [*query, ("f", "html")]), "alternate", HTML, _("HTML")),
    ]


def landing(base: str) -> dict:
    """The landing page: what the API is and where its parts are."""
    return {
        "title": _("Mapa Zasobów: OGC API – Features"),
        "description": _(
            "Opublikowane dane miast (jednostki, obszary działania i warstwy "
            "tematyczne) dla programów GIS, takich jak QGIS i GDAL."
        ),
        "links": [
            *_both(base, "", JSON),
            link(url(base, "api"), "service-desc", OPENAPI, _("Definicja API")),
            link(url(base, "api", {"f": "html"}), "service-doc", HTML, _("Opis API")),
            link(url(base, "conformance"), "conformance", JSON, _("Zgodność")),
            link(url(base, "collections"), "data", JSON, _("Kolekcje")),
        ],
    }


def conformance(base: str) -> dict:
    """The conformance classes the API implements."""
    return {
        "conformsTo": list(CONFORMANCE),
        "links": _both(base, "conformance", JSON),
    }


def collection_path(found: Collection) -> str:
    """The collection's path under the API."""
    return "collections/" + quote(found.id)


def collection_document(base: str, found: Collection, bounds=None) -> dict:
    """One collection's description, with links to its items and queryables."""
    path = collection_path(found)
    document = {
        "id": found.id,
        "title": found.title,
        "description": found.description,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "links": [
            *_both(base, path, JSON),
            link(
                url(base, path + "/items", {"f": "json"}),
                "items",
                GEOJSON,
                _("Obiekty"),
            ),
            link(
                url(base, path + "/items", {"f": "html"}), "items", HTML, _("Obiekty")
            ),
            link(
                url(base, path + "/queryables", {"f": "json"}),
                QUERYABLES_REL,
                SCHEMA,
                _("Właściwości do filtrowania"),
            ),
            *(
                # GDAL up to 3.6 looks for "describedBy" only; the registered
                # relation is "describedby".
                link(url(base, path + "/schema"), rel, SCHEMA, _("Schemat obiektów"))
                for rel in ("describedby", "describedBy")
            ),
            link(
                url(base, "collections", {"f": "json"}),
                "collection",
                JSON,
                _("Kolekcje"),
            ),
        ],
    }
    bounds = bounds if bounds is not None else city_bounds(found.city)
    if bounds:
        document["extent"] = {"spatial": {"bbox": [bounds], "crs": CRS84}}
    return document


def collections_document(base: str, found: list[Collection]) -> dict:
    """Every collection; each city's extent is measured once."""
    bounds = {}
    for item in found:
        if item.city.id not in bounds:
            bounds[item.city.id] = city_bounds(item.city) or []
    return {
        "links": _both(base, "collections", JSON),
        "collections": [
            collection_document(base, item, bounds[item.city.id]) for item in found
        ],
    }


def feature_collection(
    base: str,
    found: Collection,
    query: ItemsQuery,
    features: list[dict],
    matched: int,
    args,
) -> dict:
    """One page of items, with links to the next and previous pages.

    ``args`` are the request's (name, value) pairs; the links keep the filters.
    """
    path = collection_path(found) + "/items"
    kept = [(k, v) for k, v in args if k not in ("limit", "offset", "f")]

    def page(offset: int) -> list:
        return [*kept, ("limit", query.limit), ("offset", offset)]

    links = [
        *_both(base, path, GEOJSON, page(query.offset)),
        link(url(base, collection_path(found)), "collection", JSON, found.title),
    ]
    if query.offset + len(features) < matched:
        after = page(query.offset + query.limit)
        links += _paging(base, path, "next", after, _("Następna strona"))
    if query.offset > 0:
        before = page(max(0, query.offset - query.limit))
        links += _paging(base, path, "prev", before, _("Poprzednia strona"))
    return {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": now(),
        "links": links,
        "features": features,
    }


def _paging(base: str, path: str, rel: str, query: list, title: str) -> list[dict]:
    return [
        link(url(base, path, [*query, ("f", "json")]), rel, GEOJSON, title),
        link(url(base, path, [*query, ("f", "html")]), rel, HTML, title),
    ]


def feature_document(base: str, found: Collection, feature: dict) -> dict:
    """One item with its links."""
    path = f"{collection_path(found)}/items/{quote(str(feature['id']), safe='')}"
    return {
        **feature,
        "links": [
            *_both(base, path, GEOJSON),
            link(url(base, collection_path(found)), "collection", JSON, found.title),
        ],
    }


def queryables_document(base: str, found: Collection) -> dict:
    """The properties items can be filtered by, as a JSON Schema (Part 3)."""
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url(base, collection_path(found) + "/queryables"),
        "type": "object",
        "title": found.title,
        "properties": found.queryables(),
        "additionalProperties": False,
    }


def now() -> str:
    """The current time in RFC 3339, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def schema_document(base: str, found: Collection) -> dict:
    """A JSON Schema of the collection's items: GeoJSON features, typed properties.

    Clients type their columns from it rather than from the first page, where an
    empty value says nothing of its type.
    """
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url(base, collection_path(found) + "/schema"),
        "type": "object",
        "title": found.title,
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string" if found.kind == SERVICE_AREAS else "integer"},
            "geometry": {"type": "object"},
            "properties": {
                "type": "object",
                "properties": {
                    name: _without_null(schema)
                    for name, schema in found.properties().items()
                },
            },
        },
    }


def _without_null(schema: dict) -> dict:
    """One type per property (every property may be null, as GeoJSON allows)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        return {**schema, "type": next(k for k in kind if k != "null")}
    return schema
