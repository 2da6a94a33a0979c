"""From a submitted feature form to validated values, and back to form values.

The views call these; validation itself is in :mod:`webgis.validation`.
"""

from __future__ import annotations

import json

import shapely
from flask_babel import lazy_gettext as _l
from shapely.geometry.base import BaseGeometry

from layers import LayerSpec
from webgis import feature_store, layer_registry, vocabularies
from webgis.errors import WebgisError
from webgis.features import STATUSES
from webgis.models import City
from webgis.validation import WEEKDAYS, Allowed, Form, clean_geometry, clean_properties


class Invalid(WebgisError):
    """A form with mistakes; ``errors`` maps each field to its message."""

    status = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__(_l("Popraw zaznaczone pola; nic nie zostało zapisane."))
        self.errors = errors


def allowed_for(city: City, spec: LayerSpec, user) -> Allowed:
    """The vocabulary keys, service areas and features ``spec`` may link to."""
    linked = {f.link_layer for f in spec.all_fields if f.kind == "links"}
    registry = layer_registry()
    return Allowed(
        vocabularies={
            key: {t.key for t in vocabularies.terms(key)}
            for key in vocabularies.VOCABULARIES
        },
        service_areas={a.code for a in city.service_areas},
        links={
            key: {f.id for f in feature_store.visible(city, registry[key], user)}
            for key in linked
        },
    )


def city_outline(city: City) -> BaseGeometry:
    """The union of the city's units."""
    return shapely.union_all([u.geometry for u in city.units])


def read_submission(
    city: City, spec: LayerSpec, raw, user
) -> tuple[dict, BaseGeometry, str]:
    """Validated (properties, geometry, status) of a form, or :class:`Invalid`."""
    form = Form(raw)
    properties, errors = clean_properties(spec, form, allowed_for(city, spec, user))
    chosen = {int(n) for n in form.getlist("units") if str(n).isdigit()}
    units = [u.geometry for u in city.units if u.number in chosen]
    geometry = None
    try:
        geometry = clean_geometry(
            spec, form.text("geometry"), units, city_outline(city)
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
    values: dict[str, list[str]] = {}
    for spec_field in spec.all_fields:
        value = (properties or {}).get(spec_field.name)
        if value is None:
            continue
        if spec_field.kind == "members":
            values[f"{spec_field.name}-name"] = [m["name"] for m in value]
            values[f"{spec_field.name}-sector"] = [m["sector"] for m in value]
        elif spec_field.kind == "hours":
            for day in WEEKDAYS:
                intervals = value.get(day, [])
                values[f"{spec_field.name}-{day}"] = [
                    ", ".join(f"{a}-{b}" for a, b in intervals)
                ]
        elif spec_field.kind == "bool":
            values[spec_field.name] = ["y"] if value else []
        elif isinstance(value, list):
            values[spec_field.name] = [str(v) for v in value]
        else:
            values[spec_field.name] = [str(value)]
    if geometry is not None:
        values["geometry"] = [json.dumps(geometry.__geo_interface__)]
    return values


def field_options(
    city: City, spec: LayerSpec, user, names: set[str] | None = None
) -> dict[str, list[tuple[str, str]]]:
    """Each choice-like field's ``(value, label)`` pairs, localised.

    ``names`` limits the work to those fields. Fixed choices keep their Polish
    source label; templates translate them.
    """
    options: dict[str, list[tuple[str, str]]] = {}
    for spec_field in spec.all_fields:
        if names is not None and spec_field.name not in names:
            continue
        if spec_field.vocabulary:
            terms = vocabularies.terms(spec_field.vocabulary)
            options[spec_field.name] = [(t.key, t.label) for t in terms]
        elif spec_field.choices:
            options[spec_field.name] = list(spec_field.choices)
        elif spec_field.kind == "service_area":
            options[spec_field.name] = [(a.code, a.name) for a in city.service_areas]
        elif spec_field.kind == "links":
            target = layer_registry()[spec_field.link_layer]
            options[spec_field.name] = [
                (str(f.id), f.title_for(target))
                for f in feature_store.visible(city, target, user)
            ]
        elif spec_field.kind == "members":
            options[spec_field.name] = [
                (t.key, t.label) for t in vocabularies.terms("partner_sector")
            ]
    return options
