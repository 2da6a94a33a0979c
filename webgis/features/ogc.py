"""OGC API – Features (Part 1: Core) over the feature store: collections and items.

Each city offers its units, its service areas and every registered layer as
collections (``wroclaw-units``, ``wroclaw-service-areas``, ``wroclaw-<layer>``).
Items are read through :func:`store.public_page` and :func:`store.shown_properties`,
so GIS clients get exactly what the public gets anywhere else: published features
the public may see, public fields only. :mod:`webgis.features.ogc_documents` builds
the JSON documents from what this module reads; the web view only negotiates the
format.

Why our own routes rather than pygeoapi as a library with a provider over the store:
pygeoapi's provider interface (``query(offset, limit, bbox, datetime_,
properties)``, ``get(identifier)``) maps well onto the store, and it brings its
OpenAPI generator, HTML pages and the other OGC APIs. But its resources are a
static configuration read when its app is built, while our collections follow the
database (a city added with ``webgis cities add`` must appear at once) and the
layer registry; its pages have their own templates and language negotiation,
outside our base page, our Polish-first catalogues, the Content-Security-Policy and
the payload tests; and it would bring a large dependency tree (its own Flask app,
pydantic, tinydb, ...) where Part 1 Core, small and stable, takes about a thousand
lines here. So the routes are ours, tested with the clients that matter (GDAL's
OAPIF driver, OWSLib); the provider shape stays, should pygeoapi be wanted later:
:func:`read_items` and :func:`read_item`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import shapely
from flask_babel import gettext as _
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry
from werkzeug.datastructures import MultiDict

from layers import LayerSpec
from webgis.core.errors import WebgisError
from webgis.core.registry import layer_registry
from webgis.core.text import translated
from webgis.features import indexing, store
from webgis.features.kinds import public_schema
from webgis.geography import cities
from webgis.geography.models import City

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000
#: Parameters every resource takes: the format and the interface language.
COMMON_PARAMETERS = ("f", "lang")
ITEMS_PARAMETERS = ("limit", "offset", "bbox", "datetime")
UNITS, SERVICE_AREAS = "units", "service-areas"
#: The last change of a feature, given with every item; ``datetime`` filters on it.
UPDATED = indexing.UPDATED


class OgcError(WebgisError):
    """A request the API refuses; ``code`` is the OGC exception code."""

    status = 400
    code = "InvalidParameterValue"


class UnknownResource(OgcError):
    """A collection or item that does not exist, or that the public may not see."""

    status = 404
    code = "NotFound"


@dataclass(frozen=True)
class Collection:
    """One collection: a city's units, its service areas, or one layer of it."""

    id: str
    city: City
    kind: str
    spec: LayerSpec | None = None

    @property
    def title(self) -> str:
        """The title in the reader's language."""
        if self.kind == UNITS:
            return _(
                "%(city)s: jednostki (%(kind)s)",
                city=self.city.name,
                kind=self.city.unit_kind,
            )
        if self.kind == SERVICE_AREAS:
            return _(
                "%(city)s: obszary działania (%(kind)s)",
                city=self.city.name,
                kind=self.city.area_kind,
            )
        return _(
            "%(city)s: %(layer)s",
            city=self.city.name,
            layer=translated(self.spec.title),
        )

    @property
    def description(self) -> str:
        """What the collection holds, in the reader's language."""
        if self.kind == UNITS:
            return _("Jednostki miasta: mieszkańcy, powierzchnia, obszar działania.")
        if self.kind == SERVICE_AREAS:
            return _("Obszary działania zespołów: suma ich jednostek.")
        if self.spec.description:
            return translated(self.spec.description)
        return _("Opublikowane obiekty warstwy, tylko pola publiczne.")

    @property
    def title_field(self) -> str:
        """The property that names an item."""
        return self.spec.title_field if self.spec is not None else "name"

    @property
    def has_time(self) -> bool:
        """Whether its items record their last change (``datetime`` applies)."""
        return self.spec is not None

    def properties(self) -> dict[str, dict]:
        """Every property an item has, as a JSON Schema per name (public only)."""
        if self.kind == UNITS:
            return _unit_properties()
        if self.kind == SERVICE_AREAS:
            return _area_properties()
        schemas = dict(public_schema(self.spec)["properties"])
        schemas[UPDATED] = {
            "type": "string",
            "format": "date-time",
            "title": _("Ostatnia zmiana"),
        }
        return schemas

    def queryables(self) -> dict[str, dict]:
        """The properties items can be filtered by with ``?name=value``."""
        if self.kind == UNITS:
            names = ("number", "name", "service_area")
        elif self.kind == SERVICE_AREAS:
            names = ("code", "name")
        else:
            names = tuple(n for n, s in self.properties().items() if _simple(s))
            names = tuple(n for n in names if n != UPDATED)
        everything = self.properties()
        return {name: everything[name] for name in names}


def _simple(schema: dict) -> bool:
    """A value compared as one word or number (or a list of them)."""
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    return schema.get("type") in ("string", "integer", "boolean")


def _unit_properties() -> dict[str, dict]:
    return {
        "number": {"type": "integer", "title": _("Numer")},
        "name": {"type": "string", "title": _("Nazwa")},
        "population": {"type": ["integer", "null"], "title": _("Mieszkańcy")},
        "area_km2": {"type": "number", "title": _("Powierzchnia (km²)")},
        "service_area": {"type": ["string", "null"], "title": _("Obszar działania")},
    }


def _area_properties() -> dict[str, dict]:
    names = {"type": "array", "items": {"type": "string"}}
    numbers = {"type": "array", "items": {"type": "integer"}}
    return {
        "code": {"type": "string", "title": _("Kod")},
        "name": {"type": "string", "title": _("Nazwa")},
        "population": {"type": ["integer", "null"], "title": _("Mieszkańcy")},
        "area_km2": {"type": "number", "title": _("Powierzchnia (km²)")},
        "units": {**names, "title": _("Jednostki")},
        "unit_numbers": {**numbers, "title": _("Numery jednostek")},
    }


def collections() -> list[Collection]:
    """Every collection: per city, its units, service areas and each layer."""
    found = []
    for city in cities.list_cities():
        found.append(Collection(f"{city.code}-{UNITS}", city, UNITS))
        found.append(Collection(f"{city.code}-{SERVICE_AREAS}", city, SERVICE_AREAS))
        found.extend(
            Collection(f"{city.code}-{key}", city, "layer", spec)
            for key, spec in layer_registry().items()
        )
    return found


def collection(collection_id: str) -> Collection:
    """The collection with this id, or :class:`UnknownResource`."""
    found = next((c for c in collections() if c.id == collection_id), None)
    if found is None:
        raise UnknownResource(_("Nie ma takiej kolekcji."))
    return found


def city_bounds(city: City) -> list[float] | None:
    """The city's bounding box in CRS84 (its features lie inside), or None."""
    if not city.units:
        return None
    bounds = shapely.total_bounds([u.geometry for u in city.units])
    return [round(float(v), 6) for v in bounds]


# -- the request ------------------------------------------------------------------


def check_parameters(args: MultiDict, allowed=()) -> None:
    """Refuse parameters the resource does not know, and any given twice."""
    known = set(COMMON_PARAMETERS) | set(allowed)
    unknown = sorted(name for name in args if name not in known)
    if unknown:
        raise OgcError(_("Nieznane parametry: %(names)s.", names=", ".join(unknown)))
    repeated = sorted(name for name in args if len(args.getlist(name)) > 1)
    if repeated:
        raise OgcError(
            _("Parametr podany więcej niż raz: %(names)s.", names=", ".join(repeated))
        )


@dataclass(frozen=True)
class ItemsQuery:
    """What an ``items`` request asks for, checked."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    updated: tuple[datetime | None, datetime | None] | None = None
    equals: dict = field(default_factory=dict)

    @property
    def area(self) -> BaseGeometry | None:
        """The bounding box as a geometry the items must touch."""
        return box(*self.bbox) if self.bbox else None

    @classmethod
    def parse(cls, found: Collection, args: MultiDict) -> ItemsQuery:
        """The query of ``args``, or :class:`OgcError` naming what is wrong."""
        queryables = found.queryables()
        check_parameters(args, (*ITEMS_PARAMETERS, *queryables))
        if "datetime" in args and not found.has_time:
            raise OgcError(
                _("Ta kolekcja nie zapisuje czasu zmian; nie można użyć datetime.")
            )
        return cls(
            limit=whole_number(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
            offset=whole_number(args, "offset", 0, 0, 10**12),
            bbox=parse_bbox(args["bbox"]) if "bbox" in args else None,
            updated=parse_datetime(args["datetime"]) if "datetime" in args else None,
            equals={
                name: typed_value(name, queryables[name], args[name])
                for name in queryables
                if name in args
            },
        )


def whole_number(
    args: MultiDict, name: str, default: int, least: int, most: int
) -> int:
    """The parameter ``name`` as a whole number from ``least`` to ``most``.

    ``default`` when it is absent; :class:`OgcError` when it is anything else.
    """
    text = args.get(name)
    if text is None:
        return default
    if not re.fullmatch(r"\d{1,13}", text) or not least <= int(text) <= most:
        raise OgcError(
            _(
                "%(name)s: podaj liczbę całkowitą od %(least)s do %(most)s.",
                name=name,
                least=least,
                most=most,
            )
        )
    return int(text)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``minLon,minLat,maxLon,maxLat`` in CRS84, or :class:`OgcError`."""
    wrong = OgcError(
        _(
            "bbox: podaj cztery liczby: minimalna długość, minimalna szerokość, "
            "maksymalna długość, maksymalna szerokość geograficzna (CRS84)."
        )
    )
    parts = text.split(",")
    if len(parts) != 4:
        raise wrong
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise wrong from None
    numbers = (west, south, east, north)
    if not all(math.isfinite(v) for v in numbers):
        raise wrong
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise wrong
    return numbers


DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OPEN = ("", "..")


def parse_datetime(text: str) -> tuple[datetime | None, datetime | None]:
    """An instant or interval (RFC 3339) as [from, before) in naive UTC.

    A day covers the whole day; a time covers its second; ``..`` or nothing leaves
    an end open. Refused with :class:`OgcError` when it cannot be read.
    """
    parts = text.split("/")
    if len(parts) == 1:
        return _moment(text, last=False), _moment(text, last=True)
    if len(parts) != 2 or (parts[0] in OPEN and parts[1] in OPEN):
        raise _bad_datetime()
    start = None if parts[0] in OPEN else _moment(parts[0], last=False)
    end = None if parts[1] in OPEN else _moment(parts[1], last=True)
    if start is not None and end is not None and start >= end:
        raise OgcError(_("datetime: początek przedziału jest po jego końcu."))
    return start, end


def _moment(text: str, last: bool) -> datetime:
    """The start of a day or second, or (``last``) the start of the next one."""
    try:
        if DAY.match(text):
            moment = datetime.fromisoformat(text)
            return moment + timedelta(days=1) if last else moment
        if "T" not in text.upper():
            raise ValueError(text)
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        raise _bad_datetime() from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment + timedelta(seconds=1) if last else moment


def _bad_datetime() -> OgcError:
    return OgcError(
        _(
            "datetime: podaj chwilę (2024-01-31 albo 2024-01-31T12:00:00Z) albo "
            "przedział (2024-01-01/2024-01-31, ../2024-01-31, 2024-01-01/..)."
        )
    )


def typed_value(name: str, schema: dict, text: str):
    """A filter's value as the property holds it (a number, yes or no, a word)."""
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?\d{1,15}", text):
            raise OgcError(_("%(name)s: podaj liczbę całkowitą.", name=name))
        return int(text)
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise OgcError(_("%(name)s: podaj true albo false.", name=name))
        return text.lower() == "true"
    return text


# -- reading ----------------------------------------------------------------------


def read_items(found: Collection, query: ItemsQuery) -> tuple[list[dict], int]:
    """One page of the collection's items as GeoJSON features, and how many match."""
    if found.spec is not None:
        features, matched = _layer_page(found, query)
        return [layer_item(found.spec, f) for f in features], matched
    area = query.area
    matching = [
        item
        for item in _geography_items(found)
        if (area is None or _touches(item["geometry"], area))
        and all(_holds(item["properties"].get(n), v) for n, v in query.equals.items())
    ]
    return matching[query.offset : query.offset + query.limit], len(matching)


def read_item(found: Collection, item_id: str) -> dict:
    """One item by its id, or :class:`UnknownResource`."""
    if found.spec is not None:
        if not re.fullmatch(r"\d{1,9}", item_id):
            raise UnknownResource(_("Nie ma takiego obiektu."))
        feature = store.get(found.city, found.spec, int(item_id), None)
        return layer_item(found.spec, feature)
    item = next((i for i in _geography_items(found) if str(i["id"]) == item_id), None)
    if item is None:
        raise UnknownResource(_("Nie ma takiego obiektu."))
    return item


def layer_item(spec: LayerSpec, feature) -> dict:
    """A feature as the public sees it: every public field, null when not shown."""
    shown = store.shown_properties(spec, feature, None)
    return {
        "id": feature.id,
        **indexing.public_item(spec, feature.geometry, shown, feature.updated_at),
    }


def read_item_texts(found: Collection, query: ItemsQuery) -> tuple[list[str], int]:
    """A page of a layer's items as JSON texts the store keeps, and how many match.

    The same items as :func:`read_items` (a test holds them equal), joined from
    stored text instead of being built and encoded on every request.
    """
    return _layer_page(found, query, texts=True)


def _layer_page(found: Collection, query: ItemsQuery, texts: bool = False):
    return store.public_page(
        found.city,
        found.spec,
        bbox=query.bbox,
        updated=query.updated,
        equals=query.equals,
        limit=query.limit,
        offset=query.offset,
        texts=texts,
    )


def _geography_items(found: Collection) -> list[dict]:
    """Units or service areas with the facts the city's GeoJSON API gives."""
    if found.kind == UNITS:
        frame, key = cities.units_frame(found.city), "number"
    else:
        frame, key = cities.service_areas_frame(found.city), "code"
    items = frame.to_geo_dict(drop_id=True)["features"]
    for item in items:
        item["id"] = item["properties"][key]
        # The frame holds residents as floats (28600.0); they are whole people.
        residents = item["properties"].get("population")
        if residents is not None:
            item["properties"]["population"] = int(residents)
    return items


def _touches(geometry: dict | None, area: BaseGeometry) -> bool:
    # An area without units has no geometry yet: it lies in no box.
    return geometry is not None and shape(geometry).intersects(area)


def _holds(value, wanted) -> bool:
    if isinstance(value, list):
        return wanted in value
    return value == wanted
