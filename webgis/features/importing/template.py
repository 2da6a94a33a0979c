"""A workbook to fill in for an import: the layer's columns, lists and explanations.

Headers are the fields' labels in the reader's language (``*`` marks a required
one; each header's comment gives the field's key), choice-like columns offer
drop-down lists of their labels, and a second sheet explains every column. An
import reads the filled workbook back by those labels.
"""

from __future__ import annotations

import io

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from layers import FieldSpec, LayerSpec
from webgis.core.text import lazy_text as _l
from webgis.core.text import translated
from webgis.features import editing
from webgis.features.importing.mapping import PLACE, PLACES, reader
from webgis.features.kinds import kind_of
from webgis.geography import cities
from webgis.geography.models import City

#: Rows of the data sheet that offer the drop-down lists.
TEMPLATE_ROWS = 2000
#: A required field the import fills itself when the file leaves it empty (from how
#: the place was given), so the template does not mark it.
FILLED_BY_IMPORT = ("location_precision",)
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
PLACE_HINTS = {
    "lon": _l("stopnie dziesiętne (WGS 84), np. %(lon)s"),
    "lat": _l("stopnie dziesiętne (WGS 84), np. %(lat)s"),
    "unit": _l("nazwa albo numer jednostki (osiedla, dzielnicy)"),
    "wkt": _l("geometria w zapisie WKT (WGS 84), np. POLYGON ((…))"),
}


def template(city: City, spec: LayerSpec, user) -> bytes:
    """An XLSX to fill in with the layer's features, in the reader's language."""
    options = editing.field_options(city, spec, reader(user))
    # examples in the city's own coordinates, not another city's
    lat, lon = cities.example_point(city)
    book = openpyxl.Workbook()
    data = book.active
    data.title = _sheet_name(translated(spec.title))
    lists = book.create_sheet(str(_l("Listy")))
    guide = book.create_sheet(str(_l("Objaśnienia")))
    guide.append([str(h) for h in GUIDE_HEADINGS])
    guide.append(["", "", "", str(PLACE_NOTE), "", ""])
    for number, (header, key, spec_field) in enumerate(_columns(spec), start=1):
        required = spec_field is not None and _required(spec_field)
        title = header + (" *" if required else "")
        cell = data.cell(row=1, column=number, value=title)
        cell.comment = Comment(str(_l("Klucz: %(key)s", key=key)), "Mapa Zasobów")
        cell.font = Font(bold=True)
        if required:
            cell.fill = REQUIRED_FILL
        data.column_dimensions[get_column_letter(number)].width = max(14, len(header))
        allowed = _allowed(spec_field, options)
        if allowed:
            _drop_down(data, lists, number, allowed, _many(spec_field))
        guide.append(
            [
                header,
                key,
                str(_l("tak")) if required else "",
                _hint(spec_field, key, options) % {"lat": lat, "lon": lon},
                ", ".join(allowed)[:2000],
                translated(spec_field.help) if spec_field and spec_field.help else "",
            ]
        )
    data.freeze_panes = "A2"
    lists.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GUIDE_HEADINGS = (
    _l("Kolumna"),
    _l("Klucz"),
    _l("Wymagana"),
    _l("Co wpisać"),
    _l("Dozwolone wartości"),
    _l("Pomoc"),
)
PLACE_NOTE = _l(
    "Miejsce obiektu: wpisz długość i szerokość geograficzną (lon, lat), albo "
    "jednostkę, albo adres znany już w tym mieście. Kolumny oznaczone * są wymagane."
)


def _columns(spec: LayerSpec) -> list[tuple[str, str, FieldSpec | None]]:
    """(header, key, field) of each column: the fields, then where the feature is."""
    fields = [(translated(f.label), f.name, f) for f in spec.all_fields]
    polygons = spec.geometry_type == "Polygon"
    places = ("unit", "wkt") if polygons else ("lon", "lat", "unit")
    return fields + [(str(PLACES[p][0]), PLACE + p, None) for p in places]


def _required(spec_field: FieldSpec) -> bool:
    return (
        spec_field.required
        and not spec_field.when
        and spec_field.name not in FILLED_BY_IMPORT
    )


def _many(spec_field: FieldSpec | None) -> bool:
    if spec_field is None:
        return False
    return kind_of(spec_field).schema(spec_field).get("type") == "array"


def _allowed(spec_field: FieldSpec | None, options: dict) -> list[str]:
    if spec_field is None:
        return []
    if kind_of(spec_field).cell_type(spec_field) == "boolean":
        return [str(_l("tak")), str(_l("nie"))]
    return [str(label) for _value, label in options.get(spec_field.name, [])]


def _drop_down(data, lists, number: int, allowed: list[str], many: bool) -> None:
    """A drop-down of ``allowed`` in the column; lists of several only suggest."""
    letter = get_column_letter(number)
    for row, label in enumerate(allowed, start=1):
        lists.cell(row=row, column=number, value=label)
    validation = DataValidation(
        type="list",
        formula1=f"'{lists.title}'!${letter}$1:${letter}${len(allowed)}",
        allow_blank=True,
        # Several values separated by ";" are not one item of the list.
        showErrorMessage=not many,
    )
    validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
    data.add_data_validation(validation)


def _hint(spec_field: FieldSpec | None, key: str, options: dict) -> str:
    """What to write in a column, from the field kind's type."""
    if spec_field is None:
        return str(PLACE_HINTS[key.removeprefix(PLACE)])
    schema = kind_of(spec_field).schema(spec_field)
    kind_type, items = schema.get("type"), schema.get("items") or {}
    if schema.get("format") == "date":
        return str(_l("data: 2013-05-01 albo 01.05.2013"))
    if kind_type == "integer":
        return str(_l("liczba całkowita"))
    if kind_type == "boolean":
        return str(_l("tak albo nie"))
    if kind_type == "array" and items.get("type") == "object":
        return str(_l("nazwy z sektorem w nawiasie, oddzielone średnikiem"))
    if kind_type == "array":
        return str(_l("wartości z listy, oddzielone średnikiem"))
    if kind_type == "object":
        return str(
            _l("dni z godzinami, np. poniedziałek 08:00-16:00; wtorek 10:00-14:00")
        )
    if spec_field.name in options:
        return str(_l("jedna wartość z listy"))
    return str(_l("tekst"))


def _sheet_name(title: str) -> str:
    # Excel forbids some characters in sheet names and allows 31 of them.
    return "".join(c for c in title if c not in "[]:*?/\\")[:31] or "dane"
