"""Read an address register's file into address points, or say what is wrong.

The national register's export (PRG address points: the GML of both models, or a
CSV of it with X/Y in EPSG:2180 or longitude/latitude), a municipality's own
register, or any CSV, GeoPackage, GeoJSON or zipped Shapefile with a street, a
house number, a postcode and a point. Columns are found by their usual names or
given by options, as the boundary import does. Pure functions: nothing here
touches the database, so a refused file changes nothing, and every problem found
is named, by row and column, in one run.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from webgis.core.errors import ImportRefused
from webgis.geography.addresses import MAX_NUMBER_LENGTH, MAX_STREET_LENGTH
from webgis.geography.boundaries import (
    POLAND_BOUNDS,
    STORAGE_CRS,
    metric_transformer,
)
from webgis.geography.geocoding import number_key, plain, street_key, street_names

#: Column names as the register's exports and common tools write them (compared
#: without case, spaces, "_" or ":"): the PRG GML of 2012 (ulica, numerPorzadkowy,
#: kodPocztowy), its CSV conversions (numer_porzadkowy, kod_pocztowy, x_epsg_2180),
#: the new model's full street name (nazwaPelna) and OpenStreetMap's addr:*.
STREET_FIELDS = ("ulica", "ul_nazwa_glowna", "ulica_nazwa", "nazwa_ulicy")
STREET_FIELDS += ("nazwa_pelna", "street", "addr:street")
NUMBER_FIELDS = ("numer_porzadkowy", "numer", "nr", "numer_domu", "nr_domu")
NUMBER_FIELDS += ("number", "housenumber", "house_number", "addr:housenumber")
POSTCODE_FIELDS = ("kod_pocztowy", "kod", "postcode", "addr:postcode")
#: Pairs of coordinate columns in a table, with the CRS their names promise.
COORDINATE_FIELDS = (
    ("dlugosc_geograficzna", "szerokosc_geograficzna", "EPSG:4326"),
    ("longitude", "latitude", "EPSG:4326"),
    ("lon", "lat", "EPSG:4326"),
    ("lng", "lat", "EPSG:4326"),
    ("x_epsg_2180", "y_epsg_2180", "EPSG:2180"),
    ("x", "y", None),
)
#: The address layers of the register's GML: the 2012 model, the 2021 model.
PRG_LAYERS = ("PRG_PunktAdresowy", "AD_PunktAdresowy")
#: The 2021 model keeps street names apart, linked from each point.
PRG_STREETS = "AD_UlicaPlac"
PRG_STREET_LINKS = ("ulica2_href", "ulica1_href", "ulica_href")
#: Register states of points that are not (or no longer) there.
NOT_THERE = ("prognoz", "planow", "archiw", "wycof", "zniesion")
#: A point this far (metres) outside the city's units is outside the city; nearer,
#: it is digitising noise between the register and the units' boundaries.
CITY_MARGIN = 100.0
#: A refusal names this many problems, then counts the rest.
LISTED_PROBLEMS = 20
POSTCODE = re.compile(r"^\d{2}-\d{3}$")
#: PUWG 2000 eastings start with their zone's number: 5 → EPSG:2176 ... 8 → 2179.
ZONES_2000 = {5: "EPSG:2176", 6: "EPSG:2177", 7: "EPSG:2178", 8: "EPSG:2179"}


@dataclass
class AddressFile:
    """A file's rows: their attributes, one point each (or None) and their labels."""

    name: str
    attributes: pd.DataFrame
    x: np.ndarray  # in ``crs``; NaN where a row has no point
    y: np.ndarray
    crs: CRS
    labels: list[str]
    #: Whether x is surely the easting (or longitude): "given" by options (never
    #: swapped), "declared" by the file or the columns' names (swapped only when
    #: that puts more points in the city), or "unknown" for plain X/Y columns.
    axes: str = "declared"
    notes: list[str] = field(default_factory=list)


@dataclass
class AddressImport:
    """Points and street names ready to store, and what was left out and why."""

    points: pd.DataFrame
    streets: pd.DataFrame
    skipped: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# -- reading ---------------------------------------------------------------------------


def read_address_file(
    path: Path | str,
    crs: str | None = None,
    layer: str | None = None,
    x_field: str | None = None,
    y_field: str | None = None,
) -> AddressFile:
    """Read a CSV, GML, GeoPackage, GeoJSON or zipped Shapefile of address points.

    Parameters
    ----------
    path
        The file to read.
    crs
        The CRS of the coordinates, e.g. ``"EPSG:2180"`` or a PUWG 2000 zone
        (``EPSG:2176`` … ``EPSG:2179``); it replaces what the file declares.
    layer
        The layer of a GML, GeoPackage or zip; the register's address layer (or
        the only point layer) by default.
    x_field, y_field
        The coordinate columns of a CSV, found by their usual names otherwise.

    Raises
    ------
    ImportRefused
        The file is missing, empty or unreadable, has no CRS and none was given,
        or its coordinates are not numbers (each such row named).
    """
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"Nie ma pliku {path}.")
    if path.stat().st_size == 0:
        raise ImportRefused(f"Plik {path.name} jest pusty.")
    if path.suffix.lower() in (".csv", ".txt"):
        found = _read_table(path, crs, x_field, y_field)
    else:
        found = _read_gis(path, crs, layer)
    if found.attributes.empty:
        raise ImportRefused(f"Plik {path.name} nie zawiera żadnych adresów.")
    return found


def _read_table(path: Path, crs, x_field, y_field) -> AddressFile:
    text = _decode(path.read_bytes(), path.name)
    header = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=header.count)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        lines = [(reader.line_num, row) for row in reader]
    except csv.Error as problem:
        raise ImportRefused(f"Nie można odczytać pliku {path.name} jako CSV.") from (
            problem
        )
    lines = [(number, row) for number, row in lines if any(c.strip() for c in row)]
    if not lines:
        raise ImportRefused(f"Plik {path.name} jest pusty.")
    columns = [c.strip() for c in lines[0][1]]
    rows = [(row + [""] * len(columns))[: len(columns)] for _n, row in lines[1:]]
    attributes = pd.DataFrame(rows, columns=columns, dtype=object)
    labels = [f"wiersz {number}" for number, _row in lines[1:]]
    x_col, y_col, named_crs = _coordinate_columns(columns, x_field, y_field)
    x = _numbers(attributes[x_col], x_col, labels)
    y = _numbers(attributes[y_col], y_col, labels)
    axes = "given" if x_field else "declared" if named_crs else "unknown"
    return AddressFile(
        path.name,
        attributes.drop(columns=[x_col, y_col]),
        x,
        y,
        _table_crs(crs or named_crs, x, path.name, x_col, y_col),
        labels,
        axes,
    )


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without a BOM), else Windows-1250 (older Polish software)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    for encoding in ("utf-8", "cp1250"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(
        f"Nie można odczytać pliku {name}: zapisz go jako CSV w kodowaniu UTF-8."
    )


def _coordinate_columns(columns, x_field, y_field) -> tuple[str, str, str | None]:
    if x_field or y_field:
        if not (x_field and y_field):
            raise ImportRefused(
                "Podaj obie kolumny współrzędnych: --x-field i --y-field."
            )
        return (
            _given(columns, x_field),
            _given(columns, y_field),
            None,
        )
    squashed = {_squash(c): c for c in columns}
    for x_name, y_name, named_crs in COORDINATE_FIELDS:
        if _squash(x_name) in squashed and _squash(y_name) in squashed:
            return squashed[_squash(x_name)], squashed[_squash(y_name)], named_crs
    raise ImportRefused(
        "Nie znaleziono kolumn ze współrzędnymi punktów (np. X i Y, x_epsg_2180 "
        "i y_epsg_2180, lon i lat); wskaż je opcjami --x-field i --y-field. "
        f"Dostępne kolumny: {', '.join(columns) or 'brak'}."
    )


def _numbers(values: pd.Series, column: str, labels: list[str]) -> np.ndarray:
    """The column as numbers (a decimal comma too); NaN where empty, refused if text."""
    numbers, problems = [], []
    for label, value in zip(labels, values, strict=True):
        text = str(value or "").strip().replace(" ", "").replace(",", ".")
        if not text:
            numbers.append(np.nan)
            continue
        try:
            number = float(text)
        except ValueError:
            number = np.nan
        if not np.isfinite(number):
            problems.append(f"{label}, kolumna {column}: {value!r} nie jest liczbą")
        numbers.append(number)
    _refuse("Współrzędne w pliku nie są liczbami.", problems)
    return np.array(numbers, dtype=float)


def _table_crs(crs: str | None, x: np.ndarray, name: str, x_col, y_col) -> CRS:
    if crs:
        return _crs(crs)
    sample = x[np.isfinite(x)]
    hint = "EPSG:2180 (PUWG 1992, jak PRG)"
    if len(sample) and 5e6 < abs(sample[0]) < 9e6:
        hint = f"{ZONES_2000[int(abs(sample[0]) // 1e6)]} (PUWG 2000)"
    raise ImportRefused(
        f"Plik {name} nie mówi, w jakim układzie są współrzędne {x_col}, {y_col}; "
        f"podaj go opcją --crs (te wyglądają na {hint})."
    )


def _crs(text: str) -> CRS:
    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise ImportRefused(f"Nieznany układ współrzędnych {text!r}.") from exc


def _read_gis(path: Path, crs: str | None, layer: str | None) -> AddressFile:
    # GDAL writes a .gfs schema beside a GML it reads; a link in a scratch
    # directory keeps it out of the person's folder.
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / path.name
        os.symlink(path.resolve(), source)
        opened = f"/vsizip/{source}" if path.suffix.lower() == ".zip" else str(source)
        options = {"WRITE_GFS": "NO", "GML_ATTRIBUTES_TO_OGR_FIELDS": "YES"}
        gml = path.suffix.lower() in (".gml", ".xml")
        try:
            chosen = _layer(opened, path.name, layer)
            # Listing the layers wrote a schema without the links between points
            # and streets; reading writes none (WRITE_GFS) and keeps the links.
            for schema in Path(scratch).glob("*.gfs"):
                schema.unlink()
            frame = _read_layer(opened, chosen, options if gml else {})
            if gml and chosen == PRG_LAYERS[1]:
                frame = _with_street_names(frame, opened, options)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise ImportRefused(f"Nie można odczytać pliku {path.name}: {exc}") from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ImportRefused(f"Plik {path.name} nie zawiera punktów (geometrii).")
    if frame.crs is None and not crs:
        raise ImportRefused(
            f"Plik {path.name} nie określa układu współrzędnych; podaj go opcją "
            "--crs (np. --crs EPSG:2180)."
        )
    labels = [f"obiekt {i + 1}" for i in range(len(frame))]
    x, y = _point_coordinates(frame.geometry.values, labels)
    return AddressFile(
        path.name,
        pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object),
        x,
        y,
        _crs(crs) if crs else frame.crs,
        labels,
    )


def _layer(source: str, name: str, wanted: str | None) -> str | None:
    layers = [(str(n), str(kind)) for n, kind in pyogrio.list_layers(source)]
    names = [n for n, _kind in layers]
    if wanted:
        if wanted not in names:
            raise ImportRefused(
                f"W pliku {name} nie ma warstwy {wanted!r}; warstwy: "
                f"{', '.join(names)}."
            )
        return wanted
    register = [n for n in names if n in PRG_LAYERS]
    points = [n for n, kind in layers if kind in ("Point", "MultiPoint")]
    if register:
        return register[0]
    if len(layers) == 1 or len(points) == 1:
        return (points or names)[0]
    raise ImportRefused(
        f"Plik {name} ma kilka warstw ({', '.join(names)}); wybierz jedną "
        "opcją --layer."
    )


def _read_layer(source: str, layer: str | None, options: dict):
    # NaN coordinates are refused per row later; numpy's warning is only noise.
    with np.errstate(invalid="ignore"):
        return pyogrio.read_dataframe(source, layer=layer, **options)


def _with_street_names(frame, source: str, options: dict):
    """The 2021 model's points with the full names of the streets they link to."""
    link = next((c for c in PRG_STREET_LINKS if c in frame.columns), None)
    if link is None:
        return frame
    streets = _read_layer(source, PRG_STREETS, options)
    names = dict(zip(streets["gml_id"], streets["nazwaPelna"], strict=True))
    frame["ulica"] = [names.get(str(v).lstrip("#")) if v else None for v in frame[link]]
    return frame


def _point_coordinates(geometries, labels) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of each point; NaN for a row without one; other shapes refused."""
    problems = []
    x, y = np.full(len(labels), np.nan), np.full(len(labels), np.nan)
    for i, geometry in enumerate(geometries):
        if geometry is None or geometry.is_empty:
            continue
        if geometry.geom_type == "MultiPoint" and len(geometry.geoms) == 1:
            geometry = geometry.geoms[0]
        if geometry.geom_type != "Point":
            problems.append(
                f"{labels[i]}: geometria typu {geometry.geom_type}, a potrzebny "
                "jest punkt adresowy"
            )
            continue
        x[i], y[i] = geometry.x, geometry.y
    _refuse("Plik zawiera obiekty, które nie są punktami.", problems)
    return x, y


# -- checking --------------------------------------------------------------------------


def prepare(
    found: AddressFile,
    outline,
    street_field: str | None = None,
    number_field: str | None = None,
    postcode_field: str | None = None,
) -> AddressImport:
    """Check the rows and make address points and street names to store.

    ``outline`` is the city (the union of its units, EPSG:4326). A row without a
    street, a number or a point, one the register marks as not (or no longer)
    there, and a repeated address are left out, each with its reason.

    Raises
    ------
    ImportRefused
        Listing every problem: a missing column, a name or number too long, a
        postcode not written 00-000, points outside Poland or outside the city.
    """
    columns = list(found.attributes.columns)
    street_col = _field(columns, street_field, STREET_FIELDS, "ulicą", "--street-field")
    number_col = _field(
        columns, number_field, NUMBER_FIELDS, "numerem domu", "--number-field"
    )
    postcode_col = _optional(columns, postcode_field, POSTCODE_FIELDS)
    status_col = _optional(columns, None, ("status",))
    rows = pd.DataFrame(
        {
            "street": [_text(v) for v in found.attributes[street_col]],
            "number": [_text(v) for v in found.attributes[number_col]],
            "status": _column(found.attributes, status_col),
        }
    )
    labels = [
        f"{label} ({' '.join(filter(None, named))})" if any(named) else label
        for label, *named in zip(
            found.labels, rows["street"], rows["number"], strict=True
        )
    ]
    problems = _lengths(rows, labels, street_col, number_col)
    rows["postcode"] = _postcodes(
        _column(found.attributes, postcode_col), labels, postcode_col, problems
    )
    shapely.prepare(outline)
    lon, lat, notes = _in_storage(found, outline)
    problems += _outside(lon, lat, outline, labels)
    _refuse("Plik z adresami nie został zaimportowany.", problems)
    rows["lon"], rows["lat"] = lon, lat
    rows["x"], rows["y"] = metric_transformer().transform(lon, lat)
    kept, skipped = _kept(rows, labels)
    if postcode_col is None:
        notes.append("Plik nie podaje kodów pocztowych.")
    return AddressImport(kept, _streets(kept), skipped, [*found.notes, *notes])


def _squash(name: str) -> str:
    return re.sub(r"[\s_:\-.]+", "", str(name)).casefold()


def _given(columns: list[str], requested: str) -> str:
    if requested not in columns:
        raise ImportRefused(
            f"W pliku nie ma kolumny {requested!r}. Dostępne kolumny: "
            f"{', '.join(map(str, columns)) or 'brak'}."
        )
    return requested


def _optional(columns, requested, candidates) -> str | None:
    if requested:
        return _given(columns, requested)
    squashed = {_squash(c): c for c in columns}
    return next(
        (squashed[_squash(c)] for c in candidates if _squash(c) in squashed), None
    )


def _field(columns, requested, candidates, holding, option) -> str:
    found = _optional(columns, requested, candidates)
    if found is None:
        raise ImportRefused(
            f"Nie znaleziono kolumny z {holding}; wskaż ją opcją {option}. "
            f"Dostępne kolumny: {', '.join(map(str, columns)) or 'brak'}."
        )
    return found


def _column(frame: pd.DataFrame, column: str | None) -> list[str]:
    if column is None:
        return [""] * len(frame)
    return [_text(v) for v in frame[column]]


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = unicodedata.normalize("NFC", str(value))
    return re.sub(r"\s+", " ", text).strip()


def _lengths(rows, labels, street_col, number_col) -> list[str]:
    problems = []
    for label, street, number in zip(
        labels, rows["street"], rows["number"], strict=True
    ):
        if len(street) > MAX_STREET_LENGTH:
            problems.append(
                f"{label}, kolumna {street_col}: nazwa ulicy dłuższa niż "
                f"{MAX_STREET_LENGTH} znaków"
            )
        if len(number) > MAX_NUMBER_LENGTH:
            problems.append(
                f"{label}, kolumna {number_col}: numer dłuższy niż "
                f"{MAX_NUMBER_LENGTH} znaków"
            )
    return problems


def _postcodes(values, labels, column, problems) -> list[str]:
    """Postcodes written 00-000 (also 00000); anything else is named."""
    found = []
    for label, value in zip(labels, values, strict=True):
        code = value.replace(" ", "")
        if re.fullmatch(r"\d{5}", code):
            code = f"{code[:2]}-{code[2:]}"
        if code and not POSTCODE.match(code):
            problems.append(
                f"{label}, kolumna {column}: kod pocztowy {value!r} nie ma postaci "
                "00-000"
            )
            code = ""
        found.append(code)
    return found


def _in_storage(found: AddressFile, outline) -> tuple[np.ndarray, np.ndarray, list]:
    """Longitude and latitude of each row, read in the axis order that fits the city.

    Polish surveying names the northing X, and GIS tools the easting: unless the
    options say which is which, the points are read both ways and the way that
    puts more of them in the city wins (reported when it is the swapped one). In
    a city about as far east as north in EPSG:2180 (Wrocław) both ways may fit:
    plain X/Y columns are then refused until the options say.
    """
    to_storage = Transformer.from_crs(found.crs, STORAGE_CRS, always_xy=True)
    with np.errstate(invalid="ignore"):
        straight = to_storage.transform(found.x, found.y)
        swapped = to_storage.transform(found.y, found.x)
    if found.axes == "given":
        return *straight, []
    inside, inside_swapped = (_inside(v, outline).sum() for v in (straight, swapped))
    if inside_swapped > inside:
        return *swapped, ["Współrzędne odczytano w odwrotnej kolejności (X ↔ Y)."]
    if found.axes == "unknown" and inside and inside == inside_swapped:
        raise ImportRefused(
            "Nie da się rozpoznać, która kolumna współrzędnych to wschód, a która "
            "północ: w granicach miasta mieszczą się obie kolejności. Wskaż je "
            "opcjami --x-field (wschód, easting; w PRG zwykle Y) i --y-field "
            "(północ, northing; w PRG zwykle X)."
        )
    return *straight, []


def _inside(lonlat, outline) -> np.ndarray:
    lon, lat = (np.nan_to_num(np.asarray(v, dtype=float), nan=0.0) for v in lonlat)
    return shapely.contains_xy(outline, lon, lat)


def _outside(lon, lat, outline, labels) -> list[str]:
    """Each point outside Poland (a wrong CRS) or outside the city, named."""
    west, south, east, north = POLAND_BOUNDS
    present = np.isfinite(lon) & np.isfinite(lat)
    in_poland = (
        present & (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    )
    problems = [
        f"{labels[i]}: leży poza Polską ({lon[i]:.4f}, {lat[i]:.4f}); czy układ "
        "współrzędnych jest właściwy? podaj go opcją --crs (np. EPSG:2180)"
        for i in np.flatnonzero(present & ~in_poland)
    ]
    metric = shapely.transform(outline, _to_metric, interleaved=False)
    x, y = metric_transformer().transform(lon, lat)
    near = shapely.contains_xy(
        shapely.buffer(metric, CITY_MARGIN), np.nan_to_num(x), np.nan_to_num(y)
    )
    problems += [
        f"{labels[i]}: leży poza miastem (dalej niż {CITY_MARGIN:g} m od granic "
        "jego jednostek)"
        for i in np.flatnonzero(in_poland & ~near)
    ]
    return problems


def _to_metric(x, y):
    return metric_transformer().transform(x, y)


def _kept(rows: pd.DataFrame, labels: list[str]):
    """The rows to store, and those left out by reason (with their labels)."""
    skipped: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    keep = []
    rows["street_key"] = [street_key(s) for s in rows["street"]]
    rows["number_key"] = [number_key(n) for n in rows["number"]]
    for i, row in enumerate(rows.itertuples(index=False)):
        reason = _left_out(row, seen)
        if reason:
            skipped.setdefault(reason, []).append(labels[i])
        else:
            seen.add((row.street_key, row.number_key))
        keep.append(not reason)
    kept = rows[keep].drop(columns=["status"]).reset_index(drop=True)
    return kept, skipped


def _left_out(row, seen) -> str:
    if not row.street_key:
        return "bez nazwy ulicy"
    if not row.number_key:
        return "bez numeru"
    if not (np.isfinite(row.lon) and np.isfinite(row.lat)):
        return "bez współrzędnych"
    if row.status and plain(row.status).startswith(NOT_THERE):
        return f"stan „{row.status}” (adres nieistniejący)"
    if (row.street_key, row.number_key) in seen:
        return "powtórzony adres"
    return ""


def _streets(points: pd.DataFrame) -> pd.DataFrame:
    """Each street's names (see :func:`street_names`) with the street's middle.

    The middle is the street's own address point nearest to the mean of its
    points, so it lies on the street even where the street bends.
    """
    rows = []
    for key, group in points.groupby("street_key", sort=True):
        mean_x, mean_y = group["x"].mean(), group["y"].mean()
        middle = ((group["x"] - mean_x) ** 2 + (group["y"] - mean_y) ** 2).idxmin()
        written = Counter(group["street"]).most_common(1)[0][0]
        for name in street_names(key):
            rows.append(
                {
                    "street": written,
                    "street_key": key,
                    "name_key": name,
                    "name_length": len(name),
                    "lon": points.at[middle, "lon"],
                    "lat": points.at[middle, "lat"],
                }
            )
    return pd.DataFrame(
        rows, columns=["street", "street_key", "name_key", "name_length", "lon", "lat"]
    )


def _refuse(message: str, problems: list[str]) -> None:
    if not problems:
        return
    listed = problems[:LISTED_PROBLEMS]
    if len(problems) > LISTED_PROBLEMS:
        listed.append(f"… i jeszcze {len(problems) - LISTED_PROBLEMS}")
    raise ImportRefused(message, listed)


def summary(city_name: str, stored: int, prepared: AddressImport) -> list[str]:
    """What an import did, in a few lines for the person who ran it."""
    streets = prepared.streets["street_key"].nunique() if len(prepared.streets) else 0
    lines = [f"{city_name}: zapisano punkty adresowe: {stored} (ulice: {streets})."]
    skipped = sum(len(labels) for labels in prepared.skipped.values())
    if skipped:
        lines.append(f"Pominięto wiersze: {skipped}.")
    for reason, labels in prepared.skipped.items():
        shown = ", ".join(labels[:5]) + (" …" if len(labels) > 5 else "")
        lines.append(f"  {reason}: {len(labels)} — {shown}")
    return lines + prepared.notes
