"""Checking what a person submitted for a feature, field by field, against its layer.

Pure functions: they take the raw form values and what the city allows (vocabulary
keys, service-area codes, linkable features, the city's outline) and return clean
properties and geometry, or a message per field. Each field is cleaned by its kind
(:mod:`webgis.features.kinds`). Nothing is stored here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from layers import LayerSpec
from webgis.core.text import lazy_text as _l
from webgis.core.text import translated
from webgis.features.kinds import kind_of


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
            value = kind_of(spec_field).clean(spec_field, form, allowed)
        except ValueError as problem:
            errors[spec_field.name] = str(problem.args[0])
            continue
        if _empty(value):
            if spec_field.required:
                errors[spec_field.name] = str(_l("To pole jest wymagane."))
            continue
        properties[spec_field.name] = value
    _check_order(spec, properties, errors)
    return properties, errors


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _check_order(spec: LayerSpec, properties: dict, errors: dict) -> None:
    """A field declared ``after`` another (a last year) may not come before it."""
    for spec_field in spec.all_fields:
        start, end = properties.get(spec_field.after), properties.get(spec_field.name)
        if spec_field.after and start and end and end < start:
            errors[spec_field.name] = str(
                _l(
                    "Nie może być wcześniejszy niż „%(other)s”.",
                    other=translated(spec.get_field(spec_field.after).label),
                )
            )


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


def within_city(city_outline: BaseGeometry) -> BaseGeometry:
    """Where features may lie: the city with a little tolerance, prepared for tests.

    Boundaries are digitised and markers dropped by hand, so a few metres over the
    line still count as inside.
    """
    area = city_outline.buffer(0.0005)
    shapely.prepare(area)
    return area


def check_geometry(
    spec: LayerSpec,
    geometry: BaseGeometry | None,
    city_outline: BaseGeometry,
    within: BaseGeometry | None = None,
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
    # ``within`` may come prepared (see within_city) when many features are checked.
    if not (within if within is not None else within_city(city_outline)).covers(
        geometry
    ):
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
        if value is not None:
            try:
                values.update(kind_of(spec_field).form_values(spec_field, value))
            except (TypeError, ValueError, AttributeError):
                # A stored value of the wrong shape: the form shows it empty and
                # cleaning reports what is missing.
                continue
    return values
