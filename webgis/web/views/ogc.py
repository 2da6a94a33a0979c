"""OGC API – Features under ``/ogc/`` for GIS clients (QGIS, GDAL, OWSLib).

Every resource answers in JSON (items in GeoJSON) or, with ``f=html`` or a browser's
``Accept: text/html``, as a page. Errors follow the standard: a JSON body with the
exception ``code`` and a ``description``. Why these routes are ours rather than
pygeoapi's: see :mod:`webgis.features.ogc`.
"""

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _

from webgis.core.errors import WebgisError
from webgis.features import ogc, ogc_documents, ogc_openapi
from webgis.features.ogc import OgcError, check_parameters
from webgis.features.ogc_documents import GEOJSON, HTML, JSON, OPENAPI, SCHEMA

bp = Blueprint("ogc", __name__, url_prefix="/ogc")


def openapi_paths() -> dict:
    """The path items of these routes, for the app's own OpenAPI document."""
    return ogc_openapi.paths(bp.url_prefix)


@bp.get("/")
def landing():
    """The landing page: links to the API definition, conformance and data."""
    check_parameters(request.args)
    return _answer(ogc_documents.landing(_base()), "ogc/landing.html", JSON)


@bp.get("/api")
def api():
    """The OpenAPI 3.0 definition of this API."""
    check_parameters(request.args)
    document = ogc_openapi.document(_base(), ogc.collections())
    return _answer(document, "ogc/api.html", OPENAPI)


@bp.get("/conformance")
def conformance():
    """The conformance classes this API implements."""
    check_parameters(request.args)
    return _answer(ogc_documents.conformance(_base()), "ogc/conformance.html", JSON)


@bp.get("/collections")
def collections():
    """Every collection: per city, its units, service areas and layers."""
    check_parameters(request.args)
    document = ogc_documents.collections_document(_base(), ogc.collections())
    return _answer(document, "ogc/collections.html", JSON)


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    """One collection's description."""
    found = ogc.collection(collection_id)
    check_parameters(request.args)
    document = ogc_documents.collection_document(_base(), found)
    return _answer(document, "ogc/collection.html", JSON, collection=found)


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    """The properties the collection's items can be filtered by (JSON Schema)."""
    found = ogc.collection(collection_id)
    check_parameters(request.args)
    document = ogc_documents.queryables_document(_base(), found)
    return _answer(
        document,
        "ogc/properties.html",
        SCHEMA,
        collection=found,
        filters=True,
        properties=document["properties"],
        heading=_("Właściwości do filtrowania"),
    )


@bp.get("/collections/<collection_id>/schema")
def schema(collection_id: str):
    """The JSON Schema of the collection's items, so clients type their columns."""
    found = ogc.collection(collection_id)
    check_parameters(request.args)
    document = ogc_documents.schema_document(_base(), found)
    properties = document["properties"]["properties"]["properties"]
    return _answer(
        document,
        "ogc/properties.html",
        SCHEMA,
        collection=found,
        filters=False,
        properties=properties,
        heading=_("Schemat obiektów"),
    )


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    """A page of the collection's items: ``limit``, ``offset``, filters."""
    found = ogc.collection(collection_id)
    query = ogc.ItemsQuery.parse(found, request.args)
    if _format() == "json" and found.spec is not None:
        return _joined_items(found, query)
    features, matched = ogc.read_items(found, query)
    document = ogc_documents.feature_collection(
        _base(), found, query, features, matched, request.args.items(multi=True)
    )
    return _answer(
        document,
        "ogc/items.html",
        GEOJSON,
        collection=found,
        query=query,
        fields=found.properties(),
    )


def _joined_items(found, query):
    """A layer's page of items as JSON, its items joined from the stored texts."""
    texts, matched = ogc.read_item_texts(found, query)
    document = ogc_documents.feature_collection(
        _base(), found, query, texts, matched, request.args.items(multi=True)
    )
    document["features"] = []
    head = current_app.json.dumps(document)
    # The items are already JSON: put them in place of the empty list.
    marker = '"features": []' if '"features": []' in head else '"features":[]'
    body = head.replace(marker, '"features":[' + ",".join(texts) + "]", 1)
    response = current_app.response_class(body, mimetype=GEOJSON)
    response.vary.add("Accept")
    return response


@bp.get("/collections/<collection_id>/items/<item_id>")
def item(collection_id: str, item_id: str):
    """One item by its id."""
    found = ogc.collection(collection_id)
    check_parameters(request.args)
    _format()
    document = ogc_documents.feature_document(
        _base(), found, ogc.read_item(found, item_id)
    )
    return _answer(
        document, "ogc/item.html", GEOJSON, collection=found, fields=found.properties()
    )


@bp.errorhandler(WebgisError)
def refused(error: WebgisError):
    """A refused request as the standard's exception (or as a page for browsers)."""
    code = getattr(error, "code", None)
    code = code or ("NotFound" if error.status == 404 else "InvalidParameterValue")
    if _html_wanted():
        page = render_template(
            "errors/error.html",
            status=error.status,
            title=_("Nie znaleziono")
            if error.status == 404
            else _("Niepoprawne żądanie"),
            message=str(error.message),
            problems=error.problems,
        )
        return page, error.status
    response = current_app.json.response(
        {"code": code, "description": str(error.message)}
    )
    response.status_code = error.status
    response.vary.add("Accept")
    return response


def _base() -> str:
    return url_for("ogc.landing", _external=True)


def _html_wanted() -> bool:
    wanted = request.args.get("f")
    if wanted is not None:
        return wanted == "html"
    best = request.accept_mimetypes.best_match([JSON, GEOJSON, HTML], default=JSON)
    return best == HTML


def _format() -> str:
    """``json`` or ``html``, from ``f`` or else the Accept header."""
    wanted = request.args.get("f")
    if wanted not in (None, "json", "html"):
        raise OgcError(_("f: podaj json albo html."))
    return "html" if _html_wanted() else "json"


def _answer(document: dict, template: str, media_type: str, **context):
    if _format() == "html":
        response = current_app.make_response(
            render_template(template, document=document, **context)
        )
    else:
        response = current_app.json.response(document)
        response.content_type = media_type
    response.vary.add("Accept")
    return response
