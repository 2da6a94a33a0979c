"""Exporting a layer's features as files for GIS tools and spreadsheets.

The columns come from the layer's spec, not from what happens to be stored: every
declared field the reader may see is a column even when it is empty, typed by its
kind (an integer, a day, yes/no, text; lists as text separated by ``;``), and
choice-like fields get their labels in the reader's language beside the keys
(``category`` and ``category_label``). Only GeoJSON keeps lists and objects as they
are stored.

Text that spreadsheets open (CSV, XLSX) is neutralised by :func:`spreadsheet_text`:
a stored name such as ``=HYPERLINK(...)`` must stay words, never become a formula.
GIS formats (GeoJSON, GeoPackage, Shapefile) keep the text as stored.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import shapely
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from pyogrio import raw
from shapely.geometry import MultiPolygon, Polygon, mapping

from layers import FieldSpec, LayerSpec
from webgis.features import store
from webgis.features.kinds import kind_of
from webgis.features.models import Feature
from webgis.geography.boundaries import STORAGE_CRS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX,
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "shp.zip": "application/zip",
}
TABLE_FORMATS = {"csv": FORMATS["csv"], "xlsx": XLSX}
#: First characters that make a spreadsheet read a cell as a formula (OWASP's list
#: for CSV injection): the cell would run when a planner opens the file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What a label column is called: the field's name and this.
LABEL_SUFFIX = "_label"
#: Shapefile (dBASE) field names have at most this many characters.
SHAPEFILE_NAME_LENGTH = 10
#: Beside the Shapefile in the zip: each shortened field name and the full one.
FIELD_NAMES_FILE = "field_names.csv"


@dataclass(frozen=True)
class Column:
    """One column of an export: its name, how it is typed and the field it shows."""

    name: str
    cell_type: str
    field: FieldSpec | None = None
    label: bool = False


def columns(spec: LayerSpec, user=None, options: dict | None = None) -> list[Column]:
    """The export's columns: the record's own, then each field the reader may see.

    The public gets the public fields, staff every declared field; a choice-like
    field (one with ``options``) is followed by its label column.
    """
    staff = user is not None and user.is_authenticated
    found = [
        Column("id", "integer"),
        Column("status", "text"),
        Column("version", "integer"),
    ]
    for spec_field in spec.all_fields:
        if not (staff or spec_field.public):
            continue
        kind = kind_of(spec_field)
        found.append(Column(spec_field.name, kind.cell_type(spec_field), spec_field))
        if spec_field.name in (options or {}):
            label = spec_field.name + LABEL_SUFFIX
            found.append(Column(label, "text", spec_field, label=True))
    return found


def rows(
    spec: LayerSpec,
    features: list[Feature],
    user=None,
    options: dict | None = None,
    native: bool = False,
) -> tuple[list[Column], list[dict]]:
    """The columns and one row per feature, each value typed by its column.

    ``native`` keeps the stored values (lists, objects, ISO days) for GeoJSON;
    otherwise each is one typed cell (:meth:`FieldKind.to_cell`). A value the reader
    may not see is empty; a yes/no field that applies is false when not ticked.
    """
    found = columns(spec, user, options)
    labels = {name: dict(pairs) for name, pairs in (options or {}).items()}
    table = []
    for feature in features:
        shown = store.shown_properties(spec, feature, user)
        hidden = store.hidden_fields(spec, feature.properties, user)
        row = {"id": feature.id, "status": feature.status, "version": feature.version}
        for column in found:
            if column.field is None:
                continue
            value = shown.get(column.field.name)
            if column.label:
                row[column.name] = _label(column.field, value, labels)
            elif value in (None, "", [], {}):
                applies = column.field.name not in hidden and spec.applies(
                    column.field, feature.properties or {}
                )
                yes_no = column.cell_type == "boolean" and applies
                row[column.name] = False if yes_no else None
            else:
                row[column.name] = value if native else _cell(column.field, value)
        table.append(row)
    return found, table


def _cell(spec_field: FieldSpec, value):
    try:
        return kind_of(spec_field).to_cell(spec_field, value)
    except (TypeError, ValueError, AttributeError, KeyError):
        # A stored value of an older shape is still shown, as text.
        return str(value)


def _label(spec_field: FieldSpec, value, labels: dict) -> str | None:
    if value in (None, "", [], {}):
        return None
    return kind_of(spec_field).text(spec_field, value, labels[spec_field.name])


def layer_file(
    spec: LayerSpec,
    features: list[Feature],
    fmt: str,
    user=None,
    options: dict | None = None,
    separator: str = ",",
) -> bytes:
    """The features as a file of ``fmt`` (one of :data:`FORMATS`).

    ``options`` are the choice-like fields' (value, label) pairs in the reader's
    language (``editing.field_options``); ``separator`` separates CSV columns.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {sorted(FORMATS)}")
    geometries = [f.geometry for f in features]
    if fmt == "geojson":
        found, table = rows(spec, features, user, options, native=True)
        return _geojson(spec, table, geometries)
    found, table = rows(spec, features, user, options)
    if fmt in ("csv", "xlsx"):
        found, table = _with_places(found, table, geometries)
        if fmt == "csv":
            return _typed_csv(found, table, separator)
        return _typed_xlsx(found, table, spec.key)
    if fmt == "gpkg":
        return _geopackage(spec, found, table, geometries)
    return _shapefiles(spec, found, table, geometries)


def _with_places(found: list[Column], table: list[dict], geometries: list):
    """Add lon/lat (a representative point) and the WKT of each geometry."""
    points = shapely.point_on_surface(np.array(geometries, dtype=object))
    for row, point, geometry in zip(table, points, geometries, strict=True):
        row["lon"], row["lat"] = round(point.x, 6), round(point.y, 6)
        row["wkt"] = shapely.to_wkt(geometry, rounding_precision=7)
    places = [Column("lon", "number"), Column("lat", "number"), Column("wkt", "text")]
    return found + places, table


def _text_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return spreadsheet_text(str(value)) if isinstance(value, str) else str(value)


def _typed_csv(found: list[Column], table: list[dict], separator: str) -> bytes:
    buffer = io.StringIO()
    # RFC 4180 line ends: a text with a bare "\r" is then quoted, so it cannot end the
    # row and start a new one whose first cell is a formula.
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow([spreadsheet_text(c.name) for c in found])
    for row in table:
        writer.writerow([_text_cell(row.get(c.name)) for c in found])
    # A BOM lets spreadsheet programs read the Polish letters as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _typed_xlsx(found: list[Column], table: list[dict], sheet: str) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    worksheet = book.create_sheet(_sheet_name(sheet))
    worksheet.append([_xlsx_cell(worksheet, c.name) for c in found])
    for row in table:
        worksheet.append([_xlsx_cell(worksheet, row.get(c.name)) for c in found])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(worksheet, value):
    if isinstance(value, str):
        # Control characters cannot be stored in XLSX; a formula start is quoted.
        cell = WriteOnlyCell(
            worksheet, spreadsheet_text(ILLEGAL_CHARACTERS_RE.sub("", value))
        )
        # openpyxl stores any text starting with "=" as a formula; text is text.
        cell.data_type = "s"
        return cell
    cell = WriteOnlyCell(worksheet, value)
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _sheet_name(sheet: str) -> str:
    # Excel forbids some characters in sheet names and allows 31 of them.
    return "".join(c for c in sheet if c not in "[]:*?/\\")[:31] or "data"


def _geojson(spec: LayerSpec, table: list[dict], geometries: list) -> bytes:
    collection = {
        "type": "FeatureCollection",
        "name": spec.key,
        "features": [
            {"type": "Feature", "properties": row, "geometry": mapping(geometry)}
            for row, geometry in zip(table, geometries, strict=True)
        ],
    }
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")


def gis_tables(spec: LayerSpec, geometries: list) -> list[tuple[str, str, list[int]]]:
    """(table name, declared geometry type, row indexes) of a GIS export.

    A point layer is one table of points and an area layer one of multipolygons;
    a layer of both ("Geometry") is two tables, ``<key>_points`` and
    ``<key>_polygons`` (an empty one is left out, unless both are empty).
    """
    everything = list(range(len(geometries)))
    if spec.geometry_type == "Point":
        return [(spec.key, "Point", everything)]
    if spec.geometry_type == "Polygon":
        return [(spec.key, "MultiPolygon", everything)]
    points = [i for i in everything if geometries[i].geom_type == "Point"]
    areas = [i for i in everything if geometries[i].geom_type != "Point"]
    tables = [
        (f"{spec.key}_points", "Point", points),
        (f"{spec.key}_polygons", "MultiPolygon", areas),
    ]
    return [t for t in tables if t[2]] or tables


def _geopackage(spec, found, table, geometries) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"{spec.key}.gpkg"
        for name, geometry_type, indexes in gis_tables(spec, geometries):
            _write_table(
                path, "GPKG", name, geometry_type, found, table, geometries, indexes
            )
        return path.read_bytes()


def _shapefiles(spec, found, table, geometries) -> bytes:
    short = short_names([c.name for c in found])
    renamed = [Column(short[c.name], c.cell_type, c.field, c.label) for c in found]
    rows_short = [{short[k]: v for k, v in row.items()} for row in table]
    buffer = io.BytesIO()
    with (
        tempfile.TemporaryDirectory() as directory,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for name, geometry_type, indexes in gis_tables(spec, geometries):
            path = Path(directory) / f"{name}.shp"
            _write_table(
                path,
                "ESRI Shapefile",
                name,
                geometry_type,
                renamed,
                rows_short,
                geometries,
                indexes,
            )
        for part in sorted(Path(directory).iterdir()):
            archive.write(part, part.name)
        archive.writestr(FIELD_NAMES_FILE, _field_names(found, short))
    return buffer.getvalue()


def _field_names(found: list[Column], short: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["shapefile", "name"])
    writer.writerows([short[c.name], c.name] for c in found)
    return buffer.getvalue()


def short_names(names: list[str]) -> dict[str, str]:
    """Each name shortened to 10 characters, unique (ignoring case) in the list."""
    used: set[str] = set()
    short = {}
    for name in names:
        candidate, number = name[:SHAPEFILE_NAME_LENGTH], 1
        while candidate.lower() in used:
            suffix = f"_{number}"
            candidate = name[: SHAPEFILE_NAME_LENGTH - len(suffix)] + suffix
            number += 1
        used.add(candidate.lower())
        short[name] = candidate
    return short


def _write_table(path, driver, name, geometry_type, found, table, geometries, indexes):
    """One table of a GIS file, each field of its column's type (pyogrio)."""
    chosen = [table[i] for i in indexes]
    shapes = [_declared(geometries[i], geometry_type) for i in indexes]
    arrays, masks = zip(*(_field_array(c, chosen) for c in found), strict=True)
    raw.write(
        str(path),
        shapely.to_wkb(np.array(shapes, dtype=object)),
        field_data=list(arrays),
        fields=[c.name for c in found],
        field_mask=list(masks),
        layer=name,
        driver=driver,
        geometry_type=geometry_type,
        crs=STORAGE_CRS,
        encoding="UTF-8" if driver == "ESRI Shapefile" else None,
    )


def _declared(geometry, geometry_type: str):
    if geometry_type == "MultiPolygon" and isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    return geometry


def _field_array(column: Column, table: list[dict]):
    """A typed array of the column's values and the mask of the empty ones."""
    values = [row.get(column.name) for row in table]
    empty = np.array([v is None for v in values], dtype=bool)
    if column.cell_type == "integer":
        return np.array([v or 0 for v in values], dtype="int32"), empty
    if column.cell_type == "boolean":
        return np.array([bool(v) for v in values], dtype=bool), empty
    if column.cell_type == "number":
        return np.array([v or 0.0 for v in values], dtype="float64"), empty
    if column.cell_type == "date":
        days = [v.isoformat() if isinstance(v, date) else "NaT" for v in values]
        return np.array(days, dtype="datetime64[D]"), None
    return np.array([None if v is None else str(v) for v in values], dtype=object), None


def spreadsheet_text(value):
    """``value`` as a spreadsheet cell: text that could start a formula gets a quote.

    The leading ``'`` makes Excel and LibreOffice show the text as typed instead of
    evaluating it. Only text changes: a negative number is still a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """The table with :func:`spreadsheet_text` applied to its headings and cells."""
    return table.rename(columns=spreadsheet_text).map(spreadsheet_text)


def _csv(table: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    # RFC 4180 line ends: a text with a bare "\r" is then quoted, so it cannot end the
    # row and start a new one whose first cell is a formula.
    _spreadsheet_safe(table).to_csv(buffer, index=False, lineterminator="\r\n")
    # A BOM lets spreadsheet programs read the Polish letters as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_file(table: pd.DataFrame, fmt: str, sheet: str) -> bytes:
    """A plain table as CSV or as an Excel workbook with one sheet named ``sheet``."""
    if fmt == "csv":
        return _csv(table)
    if fmt == "xlsx":
        return _xlsx(table, sheet)
    raise ValueError(
        f"unknown table format {fmt!r}; use one of {sorted(TABLE_FORMATS)}"
    )


def _xlsx(table: pd.DataFrame, sheet: str) -> bytes:
    buffer = io.BytesIO()
    name = _sheet_name(sheet)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _spreadsheet_safe(table).to_excel(writer, sheet_name=name, index=False)
        # openpyxl stores any text starting with "=" as a formula; text is text.
        for row in writer.sheets[name].iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    return buffer.getvalue()
