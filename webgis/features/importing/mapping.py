"""Which column holds which field, and which key a cell's text names.

Columns are matched by a field's name or its label in any interface language;
choice-like cells name a key or a label in any language (compared folded).
"""

from __future__ import annotations

from collections import defaultdict

from flask import current_app
from flask_babel import force_locale

from layers import FieldSpec, LayerSpec
from webgis.core.text import fold, translated
from webgis.core.text import lazy_text as _l
from webgis.features import editing
from webgis.features.export import LABEL_SUFFIX
from webgis.features.kinds import kind_of
from webgis.geography.models import City

#: What a column may hold besides a field: where the feature is.
PLACE = "place:"
PLACES = {
    "wkt": (_l("Geometria (WKT)"), ("wkt", "geometry", "geometria", "geom")),
    "lon": (
        _l("Długość geograficzna (lon)"),
        ("lon", "lng", "long", "longitude", "dlugosc", "dlugosc geograficzna"),
    ),
    "lat": (
        _l("Szerokość geograficzna (lat)"),
        ("lat", "latitude", "szerokosc", "szerokosc geograficzna"),
    ),
    "x": (_l("X (EPSG:2180, metry)"), ("x",)),
    "y": (_l("Y (EPSG:2180, metry)"), ("y",)),
    "unit": (
        _l("Jednostka (nazwa lub numer)"),
        ("unit", "jednostka", "osiedle", "dzielnica", "unit no", "unit number"),
    ),
}


def languages() -> tuple[str, ...]:
    """The interface languages, whose labels a file may use."""
    return tuple(current_app.config["WEBGIS_LANGUAGES"])


def targets(spec: LayerSpec) -> list[tuple[str, str]]:
    """What a column may hold: a field, or the place; labelled for the reader."""
    fields = [(f.name, translated(f.label)) for f in spec.all_fields]
    return fields + [(PLACE + key, str(label)) for key, (label, _) in PLACES.items()]


def propose_mapping(spec: LayerSpec, columns: list[str]) -> dict[int, str]:
    """Column index → target, matched by field name or label in any language.

    A field's key column wins over its label column, except for keys that mean
    something only in their own city (links by feature id), whose labels win.
    """
    names = _target_names(spec)
    candidates = sorted(
        (rank, index, target)
        for index, column in enumerate(columns)
        for rank, target in names.get(fold(column.replace("*", "")), [])
    )
    mapping: dict[int, str] = {}
    for _rank, index, target in candidates:
        if index not in mapping and target not in mapping.values():
            mapping[index] = target
    return mapping


def _target_names(spec: LayerSpec) -> dict[str, list[tuple[int, str]]]:
    names: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for spec_field in spec.all_fields:
        local = kind_of(spec_field).keys_are_local
        names[fold(spec_field.name)].append((2 if local else 0, spec_field.name))
        label = fold(spec_field.name + LABEL_SUFFIX)
        names[label].append((0 if local else 3, spec_field.name))
    for key, (_label, aliases) in PLACES.items():
        for alias in aliases:
            names[fold(alias)].append((1, PLACE + key))
    for lang in languages():
        with force_locale(lang):
            for spec_field in spec.all_fields:
                names[fold(translated(spec_field.label))].append((1, spec_field.name))
            for key, (label, _aliases) in PLACES.items():
                names[fold(str(label))].append((1, PLACE + key))
    return names


class _Everyone:
    """The command line reads every feature, as staff do."""

    is_authenticated = True


def reader(user):
    """Who reads stored features for an import: the user, or the command line."""
    return user if user is not None else _Everyone()


class Lookup:
    """Keys of choice-like fields from what cells say: keys or pl/en/uk labels."""

    def __init__(self, city: City, spec: LayerSpec, user):
        self.exact: dict[str, set[str]] = defaultdict(set)
        self.folded: dict[str, dict[str, str]] = defaultdict(dict)
        pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for lang in languages():
            with force_locale(lang):
                offered = editing.field_options(city, spec, reader(user))
                for spec_field in spec.all_fields:
                    extra = kind_of(spec_field).cell_choices(spec_field) or []
                    pairs[spec_field.name] += offered.get(spec_field.name, []) + extra
        for name, found in pairs.items():
            self.exact[name] = {str(key) for key, _label in found}
            for key, _label in found:
                self.folded[name].setdefault(fold(str(key)), str(key))
            for key, label in found:
                self.folded[name].setdefault(fold(str(label)), str(key))

    def key(self, spec_field: FieldSpec, text: str) -> str | None:
        """The key ``text`` names: a key, or a label in any language (folded)."""
        if text in self.exact[spec_field.name]:
            return text
        return self.folded[spec_field.name].get(fold(text))
