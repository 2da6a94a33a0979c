"""Checking what a person submitted for a feature, field by field, against its layer.

Pure functions: they take the raw form values and what the city allows (vocabulary
keys, service-area codes, linkable features, the city's outline) and return clean
properties and geometry, or a message per field. Nothing is stored here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import shapely
from flask_babel import lazy_gettext as _l
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from layers import FieldSpec, LayerSpec

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME = r"([01]\d|2[0-3]):[0-5]\d|24:00"
INTERVAL = re.compile(rf"^\s*({TIME})\s*[-–]\s*({TIME})\s*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[\d\s()\-]{6,20}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)
MAX_TEXT, MAX_TEXTAREA = 300, 5000
TRUE = ("y", "yes", "on", "true", "1")


def _no_links(_layer: str, _ids: set[int]) -> set[int]:
    return set()


@dataclass
class Allowed:
    """What the city offers for choice-like fields.

    ``known_links(layer, ids)`` returns those of ``ids`` that name features of
    ``layer`` the feature may link to (asked per submission, so nothing reads every
    feature of a layer to check a handful of links).
    """

    vocabularies: Mapping[str, set[str]] = field(default_factory=dict)
    service_areas: set[str] = field(default_factory=set)
    known_links: Callable[[str, set[int]], set[int]] = _no_links
    today: date = field(default_factory=date.today)


class Form(Mapping):
    """Raw submitted values with ``getlist`` (a werkzeug MultiDict or a plain dict)."""

    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def getlist(self, key) -> list[str]:
        """Every value submitted under ``key``."""
        if hasattr(self._data, "getlist"):
            return self._data.getlist(key)
        value = self._data.get(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list | tuple) else [value]

    def text(self, key) -> str:
        """The first value under ``key``, trimmed ("" when absent)."""
        values = self.getlist(key)
        return str(values[0]).strip() if values else ""


def clean_properties(
    spec: LayerSpec, raw, allowed: Allowed
) -> tuple[dict, dict[str, str]]:
    """Validate every field of ``spec``; returns (properties, errors by field)."""
    form = raw if isinstance(raw, Form) else Form(raw)
    properties: dict = {}
    errors: dict[str, str] = {}
    for spec_field in spec.all_fields:
        if spec_field.when and form.text(spec_field.when[0]) != spec_field.when[1]:
            continue
        try:
            value = CLEANERS[spec_field.kind](spec_field, form, allowed)
        except ValueError as problem:
            errors[spec_field.name] = str(problem.args[0])
            continue
        if _empty(value):
            if spec_field.required:
                errors[spec_field.name] = str(_l("To pole jest wymagane."))
            continue
        properties[spec_field.name] = value
    _check_years(properties, errors)
    return properties, errors


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _text(limit: int):
    def clean(spec_field: FieldSpec, form: Form, _allowed) -> str:
        value = form.text(spec_field.name)
        if len(value) > limit:
            raise ValueError(_l("Najwyżej %(n)s znaków.", n=limit))
        return value

    return clean


def _digits(value: str) -> bool:
    # str.isdigit() also accepts "²" and "٣", which int() refuses.
    return value.isascii() and value.isdigit()


def _int(spec_field, form, _allowed):
    value = form.text(spec_field.name).replace(" ", "")
    if not value:
        return None
    if not _digits(value) or int(value) > spec_field.maximum:
        raise ValueError(
            _l("Podaj liczbę całkowitą od 0 do %(max)s.", max=spec_field.maximum)
        )
    return int(value)


def _date(spec_field, form, allowed):
    value = form.text(spec_field.name)
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError(_l("Podaj datę w postaci RRRR-MM-DD.")) from None
    if parsed > allowed.today:
        raise ValueError(_l("Data nie może być z przyszłości."))
    if parsed.year < 1945:
        raise ValueError(_l("Data jest zbyt odległa."))
    return parsed.isoformat()


def _year(spec_field, form, allowed):
    value = form.text(spec_field.name)
    if not value:
        return None
    if not _digits(value) or not 1989 <= int(value) <= allowed.today.year + 10:
        raise ValueError(
            _l("Podaj rok między 1989 a %(last)s.", last=allowed.today.year + 10)
        )
    return int(value)


def _bool(spec_field, form, _allowed):
    return form.text(spec_field.name).lower() in TRUE or None


def _pattern(regex: re.Pattern, message):
    def clean(spec_field, form, _allowed):
        value = form.text(spec_field.name)
        if value and not regex.match(value):
            raise ValueError(message)
        return value

    return clean


def _options(spec_field: FieldSpec, allowed: Allowed) -> set[str]:
    if spec_field.vocabulary:
        return set(allowed.vocabularies.get(spec_field.vocabulary, ()))
    return {value for value, _label in spec_field.choices}


def _choice(spec_field, form, allowed):
    value = form.text(spec_field.name)
    if value and value not in _options(spec_field, allowed):
        raise ValueError(_l("Wybierz jedną z podanych możliwości."))
    return value


def _multichoice(spec_field, form, allowed):
    values = [v for v in (x.strip() for x in form.getlist(spec_field.name)) if v]
    unknown = set(values) - _options(spec_field, allowed)
    if unknown:
        raise ValueError(_l("Nieznane wartości: %(v)s.", v=", ".join(sorted(unknown))))
    return sorted(set(values), key=values.index)


def _service_area(spec_field, form, allowed):
    value = form.text(spec_field.name)
    if value and value not in allowed.service_areas:
        raise ValueError(_l("Miasto nie ma obszaru %(code)s.", code=value))
    return value


def _members(spec_field, form, allowed):
    names = form.getlist(f"{spec_field.name}-name")
    sectors = form.getlist(f"{spec_field.name}-sector")
    known = set(allowed.vocabularies.get("partner_sector", ()))
    members = []
    for name, sector in zip(names, sectors + [""] * len(names), strict=False):
        name, sector = name.strip(), sector.strip()
        if not name:
            continue
        if sector not in known:
            raise ValueError(_l("Wybierz sektor dla: %(name)s.", name=name))
        if len(name) > MAX_TEXT:
            raise ValueError(_l("Najwyżej %(n)s znaków.", n=MAX_TEXT))
        members.append({"name": name, "sector": sector})
    return members


def parse_hours(text: str) -> list[list[str]]:
    """Parse "08:00-12:00, 13:00-16:00" into ordered, non-overlapping intervals."""
    intervals = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = INTERVAL.match(part)
        if not match:
            raise ValueError(_l("Zapisz godziny jak 08:00-16:00, 17:00-19:00."))
        start, end = match.group(1), match.group(3)
        if start >= end:
            raise ValueError(_l("Koniec musi być później niż początek: %(p)s.", p=part))
        intervals.append([start, end])
    intervals.sort()
    for (_s1, end1), (start2, _e2) in zip(intervals, intervals[1:], strict=False):
        if start2 < end1:
            raise ValueError(_l("Przedziały godzin nakładają się."))
    return intervals


def _hours(spec_field, form, _allowed):
    hours = {}
    for day in WEEKDAYS:
        text = form.text(f"{spec_field.name}-{day}")
        if text:
            hours[day] = parse_hours(text)
    return hours


def _links(spec_field, form, allowed):
    values = [str(v).strip() for v in form.getlist(spec_field.name)]
    values = [v for v in values if v]
    if not all(_digits(v) and len(v) < 12 for v in values):
        raise ValueError(_l("Niepoprawne powiązanie."))
    ids = list(dict.fromkeys(int(v) for v in values))
    unknown = set(ids) - allowed.known_links(spec_field.link_layer or "", set(ids))
    if unknown:
        raise ValueError(
            _l(
                "Nie można powiązać z: %(v)s.",
                v=", ".join(map(str, sorted(unknown))),
            )
        )
    return ids


CLEANERS: dict[str, Callable] = {
    "text": _text(MAX_TEXT),
    "textarea": _text(MAX_TEXTAREA),
    "int": _int,
    "date": _date,
    "year": _year,
    "bool": _bool,
    "url": _pattern(URL, _l("Podaj adres zaczynający się od http:// lub https://.")),
    "email": _pattern(EMAIL, _l("Podaj poprawny adres e-mail.")),
    "phone": _pattern(PHONE, _l("Podaj numer telefonu (cyfry, spacje, +, -).")),
    "choice": _choice,
    "multichoice": _multichoice,
    "service_area": _service_area,
    "members": _members,
    "hours": _hours,
    "links": _links,
}


def _check_years(properties: dict, errors: dict) -> None:
    start, end = properties.get("years_from"), properties.get("years_to")
    if start and end and end < start:
        errors["years_to"] = str(_l("Rok końcowy nie może być wcześniejszy."))


# -- geometry ---------------------------------------------------------------------

ACCEPTED = {
    "Point": ("Point",),
    "Polygon": ("Polygon", "MultiPolygon"),
    "Geometry": ("Point", "Polygon", "MultiPolygon"),
}
#: A feature's outline is drawn by hand or built from a few units; more vertices than
#: this would make every map that shows it heavy (a 300,000-vertex polygon made the
#: public map 13 MB).
MAX_FEATURE_VERTICES = 10_000
#: Drawn GeoJSON longer than this is refused before it is parsed.
MAX_GEOJSON_CHARS = 2_000_000


def clean_geometry(
    spec: LayerSpec,
    geojson: str,
    chosen_units: list[BaseGeometry],
    city_outline: BaseGeometry,
) -> BaseGeometry:
    """The feature's geometry from drawn GeoJSON or, for areas, the chosen units.

    Raises ``ValueError`` with a message for the person who drew it.
    """
    geometry = _parse(geojson) if geojson.strip() else None
    if geometry is None and chosen_units and spec.geometry_type != "Point":
        geometry = shapely.union_all(chosen_units)
    return check_geometry(spec, geometry, city_outline)


def check_geometry(
    spec: LayerSpec, geometry: BaseGeometry | None, city_outline: BaseGeometry
) -> BaseGeometry:
    """Return the geometry (2D) when the layer accepts it inside the city.

    Every stored geometry passes here, whoever sends it: a form, a moderator, an
    import. Raises ``ValueError`` with a message for the person who drew it.
    """
    if geometry is None or geometry.is_empty:
        raise ValueError(_l("Wskaż miejsce na mapie (kliknij lub narysuj obszar)."))
    if geometry.geom_type not in ACCEPTED[spec.geometry_type]:
        raise ValueError(
            _l(
                "Ta warstwa przyjmuje: %(types)s.",
                types=", ".join(ACCEPTED[spec.geometry_type]),
            )
        )
    vertices = shapely.get_num_coordinates(geometry)
    if vertices > MAX_FEATURE_VERTICES:
        raise ValueError(
            _l(
                "Obszar ma %(n)s wierzchołków, a można najwyżej %(max)s; uprość go.",
                n=vertices,
                max=MAX_FEATURE_VERTICES,
            )
        )
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        raise ValueError(_l("Współrzędne są poza zakresem."))
    geometry = shapely.force_2d(geometry)
    if not geometry.is_valid:
        raise ValueError(
            _l(
                "Obszar jest niepoprawny (%(why)s); popraw rysunek.",
                why=explain_validity(geometry),
            )
        )
    if isinstance(geometry, Polygon | MultiPolygon) and (
        geometry.area > city_outline.area * 1.001
    ):
        raise ValueError(_l("Obszar jest większy niż całe miasto."))
    # A little tolerance: boundaries are digitised, markers are dropped by hand.
    if not city_outline.buffer(0.0005).covers(geometry):
        raise ValueError(_l("To miejsce leży poza granicami miasta."))
    return geometry


def _parse(geojson: str) -> BaseGeometry:
    unreadable = ValueError(_l("Nie udało się odczytać geometrii."))
    if len(geojson) > MAX_GEOJSON_CHARS:
        raise unreadable
    try:
        data = json.loads(geojson)
        if isinstance(data, dict) and data.get("type") == "Feature":
            data = data.get("geometry")
        if not isinstance(data, dict):
            raise unreadable
        geometry = shape(data)
    except (
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        IndexError,
        # Deeply nested brackets exhaust the parser's stack.
        RecursionError,
        shapely.errors.GEOSException,
    ):
        raise unreadable from None
    if geometry.is_empty:
        return geometry
    west, south, east, north = geometry.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise ValueError(_l("Współrzędne są poza zakresem."))
    return geometry


# -- back to the form ---------------------------------------------------------------


def form_values(spec: LayerSpec, properties: dict | None) -> dict[str, list[str]]:
    """Form values (name → list of strings) that show stored properties for editing.

    The inverse of :func:`clean_properties`: cleaning the result gives the
    properties back, which is how stored values are checked like a form.
    """
    values: dict[str, list[str]] = {}
    for spec_field in spec.all_fields:
        value = (properties or {}).get(spec_field.name)
        if value is None:
            continue
        if spec_field.kind == "members" and isinstance(value, list):
            members = [m for m in value if isinstance(m, dict)]
            values[f"{spec_field.name}-name"] = [
                str(m.get("name", "")) for m in members
            ]
            values[f"{spec_field.name}-sector"] = [
                str(m.get("sector", "")) for m in members
            ]
        elif spec_field.kind == "hours" and isinstance(value, dict):
            for day in WEEKDAYS:
                intervals = value.get(day) or []
                values[f"{spec_field.name}-{day}"] = [
                    ", ".join("-".join(map(str, interval)) for interval in intervals)
                ]
        elif spec_field.kind == "bool":
            values[spec_field.name] = ["y"] if value else []
        elif isinstance(value, list):
            values[spec_field.name] = [str(v) for v in value]
        else:
            values[spec_field.name] = [str(value)]
    return values
