"""From a submitted feature form to validated values, and back to form values.

The views call these; validation itself is in :mod:`webgis.validation`.
"""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from shapely.geometry.base import BaseGeometry

from layers import LayerSpec
from webgis import feature_store, geography, layer_registry, vocabularies
from webgis.errors import Invalid
from webgis.features import STATUSES
from webgis.models import City
from webgis.text import translated
from webgis.validation import Form, clean_geometry, clean_properties, form_values


def read_submission(
    city: City, spec: LayerSpec, raw, user
) -> tuple[dict, BaseGeometry, str]:
    """Validated (properties, geometry, status) of a form, or :class:`Invalid`."""
    form = Form(raw)
    properties, errors = clean_properties(spec, form, feature_store.allowed(city, spec))
    chosen = {
        int(n) for n in form.getlist("units") if str(n).isascii() and str(n).isdigit()
    }
    units = [u.geometry for u in city.units if u.number in chosen]
    geometry = None
    try:
        geometry = clean_geometry(
            spec, form.text("geometry"), units, geography.city_outline(city)
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


def field_options(
    city: City, spec: LayerSpec, user, names: set[str] | None = None
) -> dict[str, list[tuple[str, str]]]:
    """Each choice-like field's ``(value, label)`` pairs, in the reader's language.

    ``names`` limits the work to those fields. Labels are plain text to escape:
    fixed choices are translated from their source strings, while vocabulary labels,
    area names and feature titles are stored data and are shown as they are.
    """
    options: dict[str, list[tuple[str, str]]] = {}
    for spec_field in spec.all_fields:
        if names is not None and spec_field.name not in names:
            continue
        if spec_field.vocabulary:
            terms = vocabularies.terms(spec_field.vocabulary)
            options[spec_field.name] = [(t.key, t.label) for t in terms]
        elif spec_field.choices:
            options[spec_field.name] = [
                (value, translated(label)) for value, label in spec_field.choices
            ]
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
