"""Open Referral HSDS 3.0: the finder's public services for other directories.

The read endpoints of the HSDS API (``/hsds/services``, ``/hsds/organizations``, …)
and the tabular data package (``/hsds/datapackage.zip``). Everything starts from the
finder's public services (:func:`webgis.finder.search.services`), which hold only
what the public may see; :mod:`webgis.finder.hsds` turns them into HSDS records.
Errors answer as JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _

from webgis.core.errors import NotFound, WebgisError
from webgis.core.extensions import db
from webgis.core.registry import layer_registry
from webgis.core.text import lazy_text as _l
from webgis.features import organisations, vocabularies
from webgis.finder import hsds, hsds_query, search
from webgis.finder.questions import positive_number
from webgis.geography import cities

bp = Blueprint("hsds", __name__, url_prefix="/hsds")

PER_PAGE, MOST_PER_PAGE = 50, 1000
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


class BadParameter(WebgisError):
    """A query parameter the API cannot use; nothing is guessed."""

    status = 400


@bp.errorhandler(WebgisError)
def _json_error(error: WebgisError):
    body = {"status": error.status, "message": str(error.message)}
    if error.problems:
        body["problems"] = error.problems
    return jsonify({"error": body}), error.status


def _catalogue(entries: list[hsds.Entry] | None = None) -> hsds.Catalogue:
    """Services (by default every public one), their operators and vocabularies."""
    registry = layer_registry()
    specs = search.finder_layers(registry)
    if entries is None:
        entries = [
            hsds.Entry(city.code, city.name, service, specs[service.layer])
            for city in cities.list_cities()
            for service in sorted(search.services(city, registry), key=lambda s: s.id)
        ]
    names = [
        str(e.service.roles["operator"])
        for e in entries
        if e.service.roles.get("operator")
    ]
    return hsds.Catalogue(
        entries,
        organisations.find_named(names),
        {
            key: (
                str(vocabularies.VOCABULARIES.get(key, key)),
                vocabularies.terms(key, True),
            )
            for key in hsds.service_vocabularies(specs)
        },
        str(get_locale() or "pl"),
    )


def _flag(name: str) -> bool:
    value = request.args.get(name, "").strip().lower()
    if value and value not in TRUE + FALSE:
        raise BadParameter(
            _l("Parametr %(name)s przyjmuje wartości true albo false.", name=name)
        )
    return value in TRUE


def _paging() -> tuple[int, int]:
    number, size = 1, PER_PAGE
    if "page" in request.args:
        number = positive_number(request.args["page"].strip(), 1_000_000)
        if number is None:
            raise BadParameter(_l("Parametr page musi być liczbą całkowitą od 1."))
    if "per_page" in request.args:
        size = positive_number(request.args["per_page"].strip(), MOST_PER_PAGE)
        if size is None:
            raise BadParameter(
                _l("Parametr per_page musi być liczbą od 1 do %(n)s.", n=MOST_PER_PAGE)
            )
    if request.args.get("format", "json") != "json":
        raise BadParameter(_l("Dostępny jest tylko format json."))
    return number, size


def _modified_after() -> datetime | None:
    text = request.args.get("modified_after", "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadParameter(
            _l("Parametr modified_after to data i czas, np. 2024-05-01T12:00:00Z.")
        ) from None
    if moment.tzinfo is not None:
        # Stored times are naive UTC.
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _search() -> str:
    """The words of a ``search``, as long as the finder takes them."""
    return request.args.get("search", "")[:200]


def _listing(items, build):
    number, size = _paging()
    return jsonify(hsds.page(items, number, size, build))


def _services(catalogue: hsds.Catalogue) -> list[hsds.Entry]:
    """The services that pass the HSDS filters of the query."""
    entries = list(catalogue.entries)
    words = _search()
    organisation = request.args.get("organization_id", "")
    term = request.args.get("taxonomy_term_id", "")
    taxonomy = request.args.get("taxonomy_id", "")
    after = _modified_after()
    if words:
        entries = [
            e
            for e in entries
            if hsds.matches(words, e.service.title, e.service.haystack)
        ]
    if organisation:
        entries = [e for e in entries if _operator_id(catalogue, e) == organisation]
    if term or taxonomy:
        entries = [
            e
            for e in entries
            if any(
                term in ("", hsds.term_id(v, k))
                and taxonomy in ("", hsds.taxonomy_id(v))
                for v, k in hsds.terms_of(e)
            )
        ]
    if after is not None:
        entries = [e for e in entries if e.service.updated_at >= after]
    return entries


def _operator_id(catalogue: hsds.Catalogue, entry: hsds.Entry) -> str | None:
    organisation = catalogue.operator(entry)
    return hsds.organisation_id(organisation) if organisation else None


def _one(items, wanted: str, id_of, message):
    found = next((item for item in items if id_of(item) == wanted), None)
    if found is None:
        raise NotFound(message)
    return found


@bp.get("/")
def about():
    """Which HSDS version this API speaks."""
    return jsonify({"version": hsds.HSDS_VERSION})


def _service_page(build) -> Response:
    """A page of public services, chosen, counted and paged by the database.

    Only the page's services are derived. The organisation filter, which names
    an operator record, still reads the whole catalogue.
    """
    if request.args.get("organization_id", ""):
        catalogue = _catalogue()
        return _listing(_services(catalogue), lambda e: build(e, catalogue))
    number, size = _paging()
    specs = search.finder_layers(layer_registry())
    query = hsds_query.listed(
        specs,
        _search(),
        request.args.get("taxonomy_term_id", ""),
        request.args.get("taxonomy_id", ""),
        _modified_after(),
    )
    total = hsds_query.count(query)
    rows = db.session.execute(query.limit(size).offset((number - 1) * size)).all()
    catalogue = _catalogue(hsds_query.entries(specs, [tuple(r) for r in rows]))
    chosen = list(catalogue.entries)
    return jsonify(
        hsds.page_of(chosen, total, number, size, lambda e: build(e, catalogue))
    )


def _found(kind: str, record_id: str) -> tuple[hsds.Entry, hsds.Catalogue]:
    specs = search.finder_layers(layer_registry())
    found = hsds_query.one(specs, kind, record_id)
    if not found:
        raise NotFound(_l("Nie ma takiej usługi."))
    catalogue = _catalogue(found)
    return found[0], catalogue


@bp.get("/services")
def services():
    """Public services, a page at a time (``full=true`` nests everything)."""
    full, minimal = _flag("full"), _flag("minimal")

    def build(entry, catalogue):
        if minimal:
            return hsds.minimal_service(entry)
        return hsds.service_record(entry, catalogue, full=full)

    return _service_page(build)


@bp.get("/services/<record_id>")
def service(record_id: str):
    """One public service with everything about it nested."""
    entry, catalogue = _found("service", record_id)
    return jsonify(hsds.service_record(entry, catalogue))


@bp.get("/organizations")
def organization_list():
    """Organisations that run public services, a page at a time."""
    catalogue = _catalogue()
    full, full_services = _flag("full"), _flag("full_service")
    found = catalogue.organisations()
    words = _search()
    if words:
        found = [o for o in found if hsds.matches(words, o.name, o.description)]

    def build(organisation):
        if full or full_services:
            return hsds.organisation_detail(organisation, catalogue, full_services)
        return hsds.organisation_record(organisation)

    return _listing(found, build)


@bp.get("/organizations/<record_id>")
def organization(record_id: str):
    """One organisation with the services it runs."""
    catalogue = _catalogue()
    organisation = _one(
        catalogue.organisations(),
        record_id,
        hsds.organisation_id,
        _l("Nie ma takiej organizacji."),
    )
    return jsonify(
        hsds.organisation_detail(organisation, catalogue, _flag("full_service"))
    )


@bp.get("/taxonomies")
def taxonomy_list():
    """Our vocabularies that describe services, as HSDS taxonomies."""
    catalogue = _catalogue()
    found = list(catalogue.vocabularies)
    words = _search()
    if words:
        found = [
            v for v in found if hsds.matches(words, catalogue.vocabularies[v][0], v)
        ]
    return _listing(found, lambda v: hsds.taxonomy_record(v, catalogue))


@bp.get("/taxonomies/<record_id>")
def taxonomy(record_id: str):
    """One vocabulary as an HSDS taxonomy."""
    catalogue = _catalogue()
    vocabulary = _one(
        list(catalogue.vocabularies),
        record_id,
        hsds.taxonomy_id,
        _l("Nie ma takiej taksonomii."),
    )
    return jsonify(hsds.taxonomy_record(vocabulary, catalogue))


@bp.get("/taxonomy_terms")
def taxonomy_term_list():
    """Every term of those vocabularies, in the reader's language."""
    catalogue = _catalogue()
    found = hsds.terms(catalogue)
    taxonomy = request.args.get("taxonomy_id", "")
    words = _search()
    _flag("top_only")  # every term is at the top: our vocabularies are flat
    if taxonomy:
        found = [(v, t) for v, t in found if hsds.taxonomy_id(v) == taxonomy]
    if request.args.get("parent_id"):
        found = []
    if words:
        found = [
            (v, t)
            for v, t in found
            if hsds.matches(words, t.key, t.label_pl, t.label_en, t.label_uk)
        ]
    return _listing(found, lambda pair: hsds.term_record(*pair, catalogue))


@bp.get("/taxonomy_terms/<record_id>")
def taxonomy_term(record_id: str):
    """One vocabulary term with its three labels."""
    catalogue = _catalogue()
    vocabulary, term = _one(
        hsds.terms(catalogue),
        record_id,
        lambda pair: hsds.term_id(pair[0], pair[1].key),
        _l("Nie ma takiego pojęcia."),
    )
    return jsonify(hsds.term_record(vocabulary, term, catalogue))


@bp.get("/service_at_locations")
def service_at_location_list():
    """Each public service at its place, a page at a time."""
    full = _flag("full")
    return _service_page(
        lambda entry, catalogue: hsds.service_at_location_record(
            entry, catalogue, full=full
        )
    )


@bp.get("/service_at_locations/<record_id>")
def service_at_location(record_id: str):
    """One service at its place, with the location and the service nested."""
    entry, catalogue = _found("service_at_location", record_id)
    return jsonify(hsds.service_at_location_detail(entry, catalogue))


@bp.get("/datapackage.zip")
def datapackage():
    """Every record as CSV files with ``datapackage.json`` (Table Schemas)."""
    title = _("Mapa Zasobów: usługi w standardzie Open Referral HSDS 3.0")
    return Response(
        hsds.package_zip(_catalogue(), title),
        mimetype="application/zip",
        headers={"Content-Disposition": 'attachment; filename="hsds-datapackage.zip"'},
    )


# -- the OpenAPI description ---------------------------------------------------------

UUID_SCHEMA = {"type": "string", "format": "uuid"}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
            },
        }
    },
}
#: The required fields of each HSDS object (the full schemas are Open Referral's).
RECORDS = {
    "service": ("id", "name", "status"),
    "organization": ("id", "name", "description"),
    "taxonomy": ("id", "name", "description"),
    "taxonomy_term": ("id", "name", "description"),
    "service_at_location": ("id",),
}
LISTS = {
    "services": ("service", "Public services of the finder."),
    "organizations": ("organization", "Organisations that run them."),
    "taxonomies": ("taxonomy", "Vocabularies that describe them."),
    "taxonomy_terms": ("taxonomy_term", "Terms of those vocabularies."),
    "service_at_locations": ("service_at_location", "Services at places."),
}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


PAGING = [
    _query("page", {"type": "integer", "minimum": 1}, "Page number, from 1."),
    _query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MOST_PER_PAGE},
        "Records per page.",
    ),
    _query("format", {"type": "string", "enum": ["json"]}, "Only json."),
    _query("search", {"type": "string"}, "Every word must appear."),
]
FILTERS = [
    _query("organization_id", {"type": "string"}, "Services of one organisation."),
    _query("taxonomy_term_id", {"type": "string"}, "Services with this term."),
    _query("taxonomy_id", {"type": "string"}, "Services with a term of this taxonomy."),
    _query(
        "modified_after",
        {"type": "string", "format": "date-time"},
        "Services changed at or after this time.",
    ),
    _query("full", {"type": "boolean"}, "Nest every related record."),
]
EXTRA = {
    "services": [
        *FILTERS,
        _query("minimal", {"type": "boolean"}, "Only ids and last changes."),
    ],
    "organizations": [
        _query("full", {"type": "boolean"}, "Nest every related record."),
        _query("full_service", {"type": "boolean"}, "Nest the services in full."),
    ],
    "taxonomy_terms": [
        _query("taxonomy_id", {"type": "string"}, "Terms of one taxonomy."),
        _query("top_only", {"type": "boolean"}, "Terms without a parent (all)."),
        _query("parent_id", {"type": "string"}, "Children of a term (none)."),
    ],
    "service_at_locations": FILTERS,
}


def _record(kind: str) -> dict:
    required = RECORDS[kind]
    return {
        "type": "object",
        "required": list(required),
        "properties": {
            name: UUID_SCHEMA if name == "id" else {"type": "string"}
            for name in required
        },
    }


def _json(description: str, schema: dict) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _responses(ok: dict, missing: bool = False) -> dict:
    responses = {"200": ok, "400": _json("A parameter cannot be used.", ERROR_SCHEMA)}
    if missing:
        responses["404"] = _json("No such record.", ERROR_SCHEMA)
    return responses


def _page_of(kind: str) -> dict:
    integer, boolean = {"type": "integer", "minimum": 0}, {"type": "boolean"}
    return {
        "type": "object",
        "required": ["total_items", "total_pages", "page_number", "contents"],
        "properties": {
            "total_items": integer,
            "total_pages": integer,
            "page_number": integer,
            "size": integer,
            "first_page": boolean,
            "last_page": boolean,
            "empty": boolean,
            "contents": {"type": "array", "items": _record(kind)},
        },
    }


def openapi_paths() -> dict:
    """The OpenAPI path items of the HSDS endpoints, for the app-wide document.

    Records are described by their required fields; the full schemas are Open
    Referral's (HSDS 3.0).
    """
    paths = {
        "/hsds/": {
            "get": {
                "summary": "The HSDS version of this API.",
                "operationId": "getHsdsMetaInformation",
                "responses": {
                    "200": _json(
                        "The version.",
                        {
                            "type": "object",
                            "properties": {"version": {"type": "string"}},
                        },
                    )
                },
            }
        },
        "/hsds/datapackage.zip": {
            "get": {
                "summary": "Every HSDS record as a tabular data package (CSV).",
                "operationId": "getHsdsDataPackage",
                "responses": {
                    "200": {
                        "description": "A zip of CSV files and datapackage.json.",
                        "content": {
                            "application/zip": {
                                "schema": {"type": "string", "format": "binary"}
                            }
                        },
                    }
                },
            }
        },
    }
    for name, (kind, summary) in LISTS.items():
        paths[f"/hsds/{name}"] = {
            "get": {
                "summary": summary,
                "operationId": f"getHsds_{name}",
                "parameters": PAGING + EXTRA.get(name, []),
                "responses": _responses(_json("One page.", _page_of(kind))),
            }
        }
        paths[f"/hsds/{name}/{{id}}"] = {
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
            "get": {
                "summary": f"One {kind} with its related records.",
                "operationId": f"getHsds_{kind}",
                "parameters": EXTRA["organizations"][1:]
                if kind == "organization"
                else [],
                "responses": _responses(_json(f"The {kind}.", _record(kind)), True),
            },
        }
    return paths
