"""Exporting a layer's features as files for GIS tools and spreadsheets (geopandas).

Text that spreadsheets open (CSV, XLSX) is neutralised by :func:`spreadsheet_text`:
a stored name such as ``=HYPERLINK(...)`` must stay words, never become a formula.
GIS formats (GeoJSON, GeoPackage) keep the text as stored.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from layers import LayerSpec
from webgis.features import store
from webgis.features.models import Feature
from webgis.geography.boundaries import STORAGE_CRS

FORMATS = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
}
TABLE_FORMATS = {
    "csv": FORMATS["csv"],
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: First characters that make a spreadsheet read a cell as a formula (OWASP's list
#: for CSV injection): the cell would run when a planner opens the file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def features_frame(
    spec: LayerSpec, features: list[Feature], user=None
) -> gpd.GeoDataFrame:
    """One row per feature and one column per field; lists and tables as JSON text.

    Values ``user`` may not see (see :func:`feature_store.hidden_fields`) are empty.
    """
    names = [f.name for f in spec.all_fields]
    rows = []
    for feature in features:
        props = store.shown_properties(spec, feature, user)
        row = {"id": feature.id, "status": feature.status, "version": feature.version}
        for name in names:
            value = props.get(name)
            row[name] = (
                json.dumps(value, ensure_ascii=False)
                if isinstance(value, list | dict)
                else value
            )
        row["geometry"] = feature.geometry
        rows.append(row)
    columns = ["id", "status", "version", *names]
    if not rows:
        return gpd.GeoDataFrame(
            columns=[*columns, "geometry"], geometry="geometry", crs=STORAGE_CRS
        )
    return gpd.GeoDataFrame(rows, columns=[*columns, "geometry"], crs=STORAGE_CRS)


def export(frame: gpd.GeoDataFrame, fmt: str, layer: str) -> bytes:
    """The frame as a GeoJSON, CSV (WKT and lon/lat) or GeoPackage file."""
    if fmt == "geojson":
        return frame.to_json(drop_id=True, ensure_ascii=False).encode("utf-8")
    if fmt == "csv":
        table = frame.drop(columns="geometry").copy()
        points = frame.geometry.representative_point()
        table["lon"], table["lat"] = points.x.round(6), points.y.round(6)
        table["wkt"] = frame.geometry.to_wkt()
        return _csv(table)
    if fmt == "gpkg":
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"{layer}.gpkg"
            frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
            return path.read_bytes()
    raise ValueError(f"unknown export format {fmt!r}; use one of {sorted(FORMATS)}")


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
    # Excel forbids some characters in sheet names and allows 31 of them.
    name = "".join(c for c in sheet if c not in "[]:*?/\\")[:31] or "data"
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _spreadsheet_safe(table).to_excel(writer, sheet_name=name, index=False)
        # openpyxl stores any text starting with "=" as a formula; text is text.
        for row in writer.sheets[name].iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    return buffer.getvalue()
