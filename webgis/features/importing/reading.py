"""Reading a spreadsheet or GIS file into columns and cells, or saying why not.

CSV (comma, semicolon or tab; UTF-8 with or without a BOM, else Windows-1250),
XLSX (a chosen sheet), GeoJSON, GeoPackage (a chosen layer) and zipped Shapefiles,
in any CRS, reprojected to EPSG:4326. Nothing here touches the database.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from webgis.core.errors import ImportRefused
from webgis.core.text import lazy_text as _l
from webgis.features.export import FIELD_NAMES_FILE, FORMULA_STARTS
from webgis.geography.boundaries import STORAGE_CRS, ZIP_CLUTTER

GIS_FILES = (".geojson", ".json", ".gpkg", ".zip")


@dataclass
class Source:
    """What a file holds: its column names and, per data row, its number and cells.

    ``geometries`` (EPSG:4326, one per row) come with GIS files. ``parts`` are the
    sheets or layers the file has, ``part`` the one read ("" for all layers read
    together, as a GIS export of points and areas writes them).
    """

    name: str
    columns: list[str]
    rows: list[tuple[int, list]]
    geometries: list[BaseGeometry | None] | None = None
    parts: list[str] = field(default_factory=list)
    part: str = ""


def refused(message, problems=None) -> ImportRefused:
    """The refusal of a file: a message and each problem as text."""
    return ImportRefused(message, [str(p) for p in problems or []])


def read_source(
    path: Path | str,
    name: str,
    *,
    sheet: str | None = None,
    layer: str | None = None,
    max_bytes: int | None = None,
) -> Source:
    """The columns and rows of a file, or :class:`ImportRefused` saying why not.

    ``name`` is the file's name as the person knows it; ``sheet`` chooses an XLSX
    sheet (the first by default), ``layer`` a layer of a GeoPackage or zip (all of
    them when they have the same columns, else the first).
    """
    path = Path(path)
    if not path.is_file():
        raise refused(_l("Nie ma pliku %(name)s.", name=name))
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise refused(
            _l(
                "Plik %(name)s ma %(size)s MB, a można wczytać najwyżej %(max)s MB.",
                name=name,
                size=math.ceil(size / 2**20),
                max=max_bytes // 2**20,
            )
        )
    if size == 0:
        raise refused(_l("Plik %(name)s jest pusty.", name=name))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        source = _read_csv(path, name)
    elif suffix == ".xlsx":
        source = _read_xlsx(path, name, sheet)
    elif suffix in GIS_FILES:
        source = _read_gis(path, name, layer)
    else:
        raise refused(
            _l(
                "Nie można wczytać pliku %(name)s: przyjmujemy CSV, XLSX, GeoJSON, "
                "GeoPackage i Shapefile spakowany do ZIP.",
                name=name,
            )
        )
    if not source.rows:
        raise refused(
            _l("Plik %(name)s nie zawiera żadnych wierszy z danymi.", name=name)
        )
    return source


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without a BOM), else Windows-1250 (older Polish Excel)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250")
    except UnicodeDecodeError:
        raise refused(
            _l(
                "Nie można odczytać pliku %(name)s: zapisz go jako CSV w kodowaniu "
                "UTF-8.",
                name=name,
            )
        ) from None


@contextmanager
def _long_fields():
    """Let a field be as long as a polygon's WKT while this file is read.

    The csv module's limit (128 KiB) is one setting for the whole process; it is
    restored at once, so other readers keep refusing absurd fields.
    """
    before = csv.field_size_limit(64 * 2**20)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _read_csv(path: Path, name: str) -> Source:
    text = _decode(path.read_bytes(), name)
    header = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=header.count) if header else ","
    try:
        with _long_fields():
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            rows = list(reader)
    except csv.Error as problem:
        raise refused(
            _l("Nie można odczytać pliku %(name)s jako CSV.", name=name),
            [str(problem)],
        ) from problem
    return _table(name, rows)


def _read_xlsx(path: Path, name: str, sheet: str | None) -> Source:
    try:
        with warnings.catch_warnings():
            # Styles and extensions openpyxl does not know are not data.
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as problem:
        raise refused(
            _l(
                "Nie można odczytać pliku %(name)s jako arkusza XLSX; zapisz go "
                "w Excelu albo LibreOffice jako XLSX albo CSV.",
                name=name,
            )
        ) from problem
    try:
        sheets = book.sheetnames
        if sheet and sheet not in sheets:
            raise refused(
                _l(
                    "W pliku %(name)s nie ma arkusza „%(sheet)s”; arkusze: %(sheets)s.",
                    name=name,
                    sheet=sheet,
                    sheets=", ".join(sheets),
                )
            )
        # Unless one is chosen, the first sheet with data (not a cover or notes).
        for chosen in [sheet] if sheet else sheets:
            rows = [list(row) for row in book[chosen].iter_rows(values_only=True)]
            if sum(any(v is not None for v in row) for row in rows) > 1:
                break
        else:
            chosen = sheets[0]
            rows = [list(row) for row in book[chosen].iter_rows(values_only=True)]
    finally:
        book.close()
    source = _table(name, rows)
    source.parts, source.part = sheets, chosen
    return source


def _table(name: str, rows: list[list]) -> Source:
    """Columns from the first row that has any, then the rows after it (numbered)."""
    cells = [[_normalised(v) for v in row] for row in rows]
    start = next((i for i, row in enumerate(cells) if any(_filled(row))), None)
    if start is None:
        raise refused(_l("Plik %(name)s nie zawiera żadnych danych.", name=name))
    header = cells[start]
    width = max(i + 1 for i, filled in enumerate(_filled(header)) if filled)
    columns = _column_names(header[:width])
    data = [
        (number + 1, (row + [None] * width)[:width])
        for number, row in enumerate(cells)
        if number > start and any(_filled(row[:width]))
    ]
    return Source(name, columns, data)


def _filled(row: list) -> list[bool]:
    return [v is not None for v in row]


def _column_names(header: list) -> list[str]:
    names = []
    for index, value in enumerate(header):
        name = (
            str(value) if value is not None else str(_l("kolumna %(n)s", n=index + 1))
        )
        while name in names:
            name += "*"
        names.append(name)
    return names


def _normalised(value):
    """A cell as plain Python: text trimmed (empty is None), numbers, days, lists."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "to_pydatetime"):  # pandas' Timestamp (NaT is not a value)
        return None if str(value) == "NaT" else value.to_pydatetime()
    if isinstance(value, str):
        value = value.strip()
        # The quote an export put before text a spreadsheet would take for a formula.
        if value.startswith("'") and value[1:2] and value[1] in "".join(FORMULA_STARTS):
            value = value[1:]
        return value or None
    return value


def _read_gis(path: Path, name: str, layer: str | None) -> Source:
    parts = _gis_parts(path, name)
    if layer and layer not in parts:
        raise refused(
            _l(
                "W pliku %(name)s nie ma warstwy „%(layer)s”; warstwy: %(layers)s.",
                name=name,
                layer=layer,
                layers=", ".join(parts),
            )
        )
    frames = {
        part: _read_frame(source, part_layer, name)
        for part, (source, part_layer) in parts.items()
        if not layer or part == layer
    }
    renames = _field_names(path) if path.suffix.lower() == ".zip" else {}
    frames = {part: frame.rename(columns=renames) for part, frame in frames.items()}
    columns = {
        part: list(f.columns.drop(f.geometry.name)) for part, f in frames.items()
    }
    first = next(iter(frames))
    chosen = layer or ""
    if any(c != columns[first] for c in columns.values()):
        # Layers of different tables cannot be read as one: the first is read, the
        # others are offered.
        chosen, frames = first, {first: frames[first]}
    header = columns[first]
    rows, geometries = [], []
    for frame in frames.values():
        with np.errstate(invalid="ignore"):
            stored = frame.geometry.to_crs(STORAGE_CRS)
        values = frame[header].to_numpy(dtype=object)
        for cells, geometry in zip(values, stored, strict=True):
            rows.append((len(rows) + 1, [_normalised(v) for v in cells]))
            geometries.append(geometry)
    return Source(name, header, rows, geometries, list(parts), chosen)


def _gis_parts(path: Path, name: str) -> dict[str, tuple[str, str | None]]:
    """The layers of a GIS file: name → (what GDAL opens, its layer)."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.namelist()
        except zipfile.BadZipFile as problem:
            raise refused(
                _l("Plik %(name)s nie jest poprawnym archiwum ZIP.", name=name)
            ) from problem
        shapefiles = [
            m
            for m in members
            if m.lower().endswith(".shp") and not ZIP_CLUTTER.search(m)
        ]
        if not shapefiles:
            raise refused(
                _l(
                    "Archiwum %(name)s nie zawiera pliku .shp; spakuj razem pliki "
                    ".shp, .shx, .dbf i .prj warstwy.",
                    name=name,
                )
            )
        return {
            PurePosixPath(m).stem: (f"/vsizip/{path.resolve()}/{m}", None)
            for m in shapefiles
        }
    if suffix == ".gpkg":
        try:
            names = [str(row[0]) for row in pyogrio.list_layers(path)]
        except pyogrio.errors.DataSourceError as problem:
            raise _unreadable(name, problem, path) from problem
        return {layer: (str(path), layer) for layer in names}
    return {"": (str(path), None)}


def _unreadable(name: str, problem: Exception, path) -> ImportRefused:
    # GDAL's words, without where the server keeps the file.
    why = str(problem).replace(str(Path(path).resolve()), name).replace(str(path), name)
    return refused(_l("Nie można odczytać pliku %(name)s.", name=name), [why.strip()])


def _read_frame(source: str, layer: str | None, name: str) -> gpd.GeoDataFrame:
    try:
        with np.errstate(invalid="ignore"):
            frame = gpd.read_file(source, layer=layer, engine="pyogrio")
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        UnicodeDecodeError,
        shapely.errors.GEOSException,
    ) as problem:
        raise _unreadable(name, problem, source) from problem
    if not isinstance(frame, gpd.GeoDataFrame):
        raise refused(_l("Plik %(name)s nie zawiera geometrii.", name=name))
    if frame.crs is None:
        raise refused(
            _l(
                "Plik %(name)s nie określa układu współrzędnych (w Shapefile: brak "
                "pliku .prj).",
                name=name,
            )
        )
    return frame


def _field_names(path: Path) -> dict[str, str]:
    """The full names of a Shapefile's shortened fields, as our export lists them."""
    with zipfile.ZipFile(path) as archive:
        listed = [
            m for m in archive.namelist() if PurePosixPath(m).name == FIELD_NAMES_FILE
        ]
        if not listed:
            return {}
        text = archive.read(listed[0]).decode("utf-8-sig", errors="replace")
    return {
        row["shapefile"]: row["name"]
        for row in csv.DictReader(io.StringIO(text))
        if row.get("shapefile") and row.get("name")
    }
