"""From a submitted feature form to validated values, and back to form values.

The views call these; validation itself is in :mod:`webgis.validation`.
"""

from __future__ import annotations

import json

from shapely.geometry.base import BaseGeometry

from layers import LayerSpec
from webgis.core.errors import Invalid
from webgis.core.registry import layer_registry
from webgis.core.text import lazy_text as _l
from webgis.features import store, vocabularies
from webgis.features.kinds import kind_of
from webgis.features.models import STATUSES
from webgis.features.validation import (
    Form,
    clean_geometry,
    clean_properties,
    form_values,
)
from webgis.geography import cities
from webgis.geography.models import City


def read_submission(
    city: City, spec: LayerSpec, raw, user
) -> tuple[dict, BaseGeometry, str]:
    """Validated (properties, geometry, status) of a form, or :class:`Invalid`."""
    form = Form(raw)
    properties, errors = clean_properties(spec, form, store.allowed(city, spec))
    chosen = {
        int(n) for n in form.getlist("units") if str(n).isascii() and str(n).isdigit()
    }
    units = [u.geometry for u in city.units if u.number in chosen]
    geometry = None
    try:
        geometry = clean_geometry(
            spec, form.text("geometry"), units, cities.city_outline(city)
        )
    except ValueError as problem:
        errors["geometry"] = str(problem.args[0])
    status = form.text("status") or "draft"
    if status not in STATUSES[:2]:
        errors["status"] = str(_l("Wybierz: szkic albo opublikowany."))
    if errors:
        raise Invalid(errors)
    return properties, geometry, status


def to_form(spec: LayerSpec, properties: dict, geometry=None) -> dict[str, list[str]]:
    """Form values (name → list of strings) that show a stored feature for editing."""
    values = form_values(spec, properties)
    if geometry is not None:
        values["geometry"] = [json.dumps(geometry.__geo_interface__)]
    return values


class _CityOptions:
    """What a city offers choice-like fields, for :meth:`FieldKind.options`."""

    def __init__(self, city: City, user):
        self.city, self.user = city, user

    def vocabulary(self, name: str) -> list[tuple[str, str]]:
        return [(t.key, t.label) for t in vocabularies.terms(name)]

    def service_areas(self) -> list[tuple[str, str]]:
        return [(a.code, a.name) for a in self.city.service_areas]

    def features(self, layer: str) -> list[tuple[str, str]]:
        spec = layer_registry()[layer]
        return [
            (str(f.id), f.title_for(spec))
            for f in store.visible(self.city, spec, self.user)
        ]


def field_options(
    city: City, spec: LayerSpec, user, names: set[str] | None = None
) -> dict[str, list[tuple[str, str]]]:
    """Each choice-like field's ``(value, label)`` pairs, in the reader's language.

    ``names`` limits the work to those fields. Labels are plain text to escape:
    fixed choices are translated from their source strings, while vocabulary labels,
    area names and feature titles are stored data and are shown as they are.
    """
    source = _CityOptions(city, user)
    options: dict[str, list[tuple[str, str]]] = {}
    for spec_field in spec.all_fields:
        if names is not None and spec_field.name not in names:
            continue
        offered = kind_of(spec_field).options(spec_field, source)
        if offered is not None:
            options[spec_field.name] = offered
    return options
