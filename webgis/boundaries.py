"""Read an official boundary file and turn it into clean units, or say what is wrong.

Pure functions on GeoDataFrames: nothing here touches the database, so a refused file
changes nothing. Every problem found is collected, so one run names all of them.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from webgis.errors import ImportRefused

#: Where stored geometries live (WGS 84) and where they are measured (Poland CS92).
STORAGE_CRS = "EPSG:4326"
METRIC_CRS = "EPSG:2180"
#: Poland's extent in lon/lat with a small margin: anything outside is a wrong CRS.
POLAND_BOUNDS = (13.9, 48.9, 24.3, 55.0)
#: Neighbouring units may overlap by digitising noise; more than this share of the
#: smaller unit is a real overlap and the file is refused.
SLIVER_SHARE = 0.001

NAME_FIELDS = ("name", "nazwa")
NUMBER_FIELDS = ("unit_no", "number", "numer", "nr", "id")
POPULATION_FIELDS = ("population", "ludnosc", "liczba_mieszkancow")
READABLE_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")


@dataclass
class BoundaryImport:
    """Units ready to store (EPSG:4326) and what was repaired or is worth knowing."""

    units: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)


def clean_name(raw: str) -> str:
    """Normalise a unit name: NFC, single spaces, no spaces around hyphens."""
    name = unicodedata.normalize("NFC", str(raw))
    name = re.sub(r"\s+", " ", name).strip()
    return re.sub(r"\s*-\s*", "-", name)


def read_boundary_file(path: Path | str, crs: str | None = None) -> gpd.GeoDataFrame:
    """Read GeoJSON, GeoPackage or a Shapefile (plain or zipped) with a known CRS.

    Parameters
    ----------
    path
        The file to read.
    crs
        The CRS to assume, e.g. ``"EPSG:2180"``. It replaces whatever the file
        declares, which helps with GeoJSON written in a projected CRS without saying so.

    Raises
    ------
    ImportRefused
        The file cannot be read, is empty or has no CRS and none was given.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"Nie ma pliku {path}.")
    source = _zip_member(path) if path.suffix.lower() == ".zip" else str(path)
    try:
        frame = gpd.read_file(source, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ImportRefused(
            f"Nie można odczytać pliku {path.name}: {exc}".strip()
        ) from exc
    if frame.empty:
        raise ImportRefused(f"Plik {path.name} nie zawiera żadnych obiektów.")
    if crs:
        try:
            frame = frame.set_crs(CRS.from_user_input(crs), allow_override=True)
        except CRSError as exc:
            raise ImportRefused(f"Nieznany układ współrzędnych {crs!r}.") from exc
    elif frame.crs is None:
        raise ImportRefused(
            f"Plik {path.name} nie określa układu współrzędnych; "
            "podaj go opcją --crs (np. --crs EPSG:2180)."
        )
    return frame


def _zip_member(path: Path) -> str:
    """Return a GDAL path to the one readable layer inside a zip archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise ImportRefused(f"{path.name} nie jest poprawnym archiwum zip.") from exc
    layers = [n for n in names if n.lower().endswith(READABLE_SUFFIXES)]
    if not layers:
        found = ", ".join(names) or "nic"
        raise ImportRefused(
            f"Archiwum {path.name} nie zawiera pliku .shp (ani .gpkg, .geojson); "
            f"zawiera: {found}."
        )
    if len(layers) > 1:
        raise ImportRefused(
            f"Archiwum {path.name} zawiera kilka warstw: {', '.join(layers)}; "
            "spakuj jedną."
        )
    return f"/vsizip/{path.resolve()}/{layers[0]}"


def prepare_units(
    frame: gpd.GeoDataFrame,
    name_field: str | None = None,
    number_field: str | None = None,
    population_field: str | None = None,
) -> BoundaryImport:
    """Validate and clean raw boundary features into units.

    Returns a frame with ``number``, ``name``, ``population``, ``area_km2`` and
    MultiPolygon ``geometry`` in EPSG:4326, plus notes on repairs and missing data.

    Raises
    ------
    ImportRefused
        Listing every problem: non-polygons, coordinates outside Poland, missing or
        duplicate numbers, missing names, overlapping units.
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"'frame' should be a GeoDataFrame, got {type(frame)}")
    if frame.crs is None:
        raise ImportRefused("Dane nie mają układu współrzędnych.")
    columns = list(frame.columns.drop(frame.geometry.name))
    name_col = _pick_field(columns, name_field, NAME_FIELDS, "nazwą", "--name-field")
    number_col = _pick_field(
        columns, number_field, NUMBER_FIELDS, "numerem", "--number-field"
    )
    population_col = _pick_optional(columns, population_field, POPULATION_FIELDS)

    frame = frame.reset_index(drop=True)
    labels = [_label(i, frame.at[i, name_col]) for i in range(len(frame))]
    problems: list[str] = []
    notes: list[str] = []

    names = [_name_or_none(v) for v in frame[name_col]]
    problems += [f"{labels[i]}: brak nazwy" for i, n in enumerate(names) if n is None]
    numbers = [
        _integer_or_problem(v, labels[i], problems)
        for i, v in enumerate(frame[number_col])
    ]
    problems += _duplicate_numbers(numbers, labels)
    populations = _populations(frame, population_col, labels, problems, notes)

    geometries = frame.geometry.to_crs(STORAGE_CRS)
    geometries, repair_notes = _polygonal(geometries, labels, problems)
    notes += repair_notes
    problems += _outside_poland(geometries, labels)
    if problems:
        raise ImportRefused("Plik z granicami nie został zaimportowany.", problems)

    units = gpd.GeoDataFrame(
        {
            "number": numbers,
            "name": names,
            "population": pd.array(populations, dtype="Int64"),
        },
        geometry=list(geometries),
        crs=STORAGE_CRS,
    )
    metric = units.geometry.to_crs(METRIC_CRS)
    overlaps = _overlaps(metric, labels)
    if overlaps:
        raise ImportRefused("Jednostki nakładają się na siebie.", overlaps)
    units["area_km2"] = (metric.area / 1e6).round(3)
    return BoundaryImport(units=units, notes=notes)


def _pick_field(columns, requested, candidates, holding, option) -> str:
    found = _pick_optional(columns, requested, candidates)
    if found is None:
        raise ImportRefused(
            f"Nie znaleziono pola z {holding} jednostki; wskaż je opcją {option}. "
            "Dostępne pola: "
            f"{', '.join(columns) or 'brak'}."
        )
    return found


def _pick_optional(columns, requested, candidates) -> str | None:
    if requested:
        if requested not in columns:
            raise ImportRefused(
                f"W pliku nie ma pola {requested!r}. Dostępne pola: "
                f"{', '.join(columns) or 'brak'}."
            )
        return requested
    lower = {c.lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


def _label(index: int, name) -> str:
    name = _name_or_none(name)
    return f"obiekt {index + 1}" + (f" ({name})" if name else "")


def _name_or_none(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    name = clean_name(value)
    return name or None


def _integer_or_problem(value, label: str, problems: list[str]) -> int | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        problems.append(f"{label}: brak numeru jednostki")
        return None
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        number = float("nan")
    if not number.is_integer():
        problems.append(f"{label}: numer {value!r} nie jest liczbą całkowitą")
        return None
    return int(number)


def _duplicate_numbers(numbers: list[int | None], labels: list[str]) -> list[str]:
    seen: dict[int, list[str]] = {}
    for number, label in zip(numbers, labels, strict=True):
        if number is not None:
            seen.setdefault(number, []).append(label)
    return [
        f"numer {number} powtarza się: {', '.join(owners)}"
        for number, owners in seen.items()
        if len(owners) > 1
    ]


def _populations(frame, column, labels, problems, notes) -> list[int | None]:
    if column is None:
        notes.append("Plik nie podaje liczby mieszkańców; jednostki są bez populacji.")
        return [None] * len(frame)
    values: list[int | None] = []
    missing = []
    for label, raw in zip(labels, frame[column], strict=True):
        if raw is None or (isinstance(raw, float) and pd.isna(raw)) or raw == "":
            values.append(None)
            missing.append(label)
            continue
        try:
            number = int(round(float(str(raw).replace(" ", "").replace(",", "."))))
        except ValueError:
            number = -1
        if number < 0:
            problems.append(f"{label}: niepoprawna liczba mieszkańców {raw!r}")
        values.append(number if number >= 0 else None)
    if missing:
        notes.append(
            "Brak liczby mieszkańców (pokazywane jako „brak danych”): "
            + ", ".join(missing)
        )
    return values


def _polygonal(geometries: gpd.GeoSeries, labels, problems):
    """Promote to MultiPolygon, repairing invalid shapes and reporting each repair."""
    cleaned, notes = [], []
    for label, geom in zip(labels, geometries, strict=True):
        if geom is None or geom.is_empty:
            problems.append(f"{label}: brak geometrii")
            cleaned.append(None)
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(
                f"{label}: geometria typu {geom.geom_type}, a potrzebny jest poligon"
            )
            cleaned.append(None)
            continue
        if not geom.is_valid:
            reason = explain_validity(geom)
            geom = _polygon_parts(shapely.make_valid(geom))
            notes.append(f"{label}: naprawiono geometrię ({reason})")
        cleaned.append(_as_multipolygon(geom))
    return cleaned, notes


def _polygon_parts(geom) -> MultiPolygon:
    parts = getattr(geom, "geoms", [geom])
    polygons = []
    for part in parts:
        if isinstance(part, Polygon):
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(part.geoms)
    return MultiPolygon(polygons)


def _as_multipolygon(geom) -> MultiPolygon:
    return MultiPolygon([geom]) if isinstance(geom, Polygon) else geom


def _outside_poland(geometries, labels) -> list[str]:
    west, south, east, north = POLAND_BOUNDS
    problems = []
    for label, geom in zip(labels, geometries, strict=True):
        if geom is None:
            continue
        x0, y0, x1, y1 = geom.bounds
        if x0 >= west and x1 <= east and y0 >= south and y1 <= north:
            continue
        hint = ""
        if max(abs(x0), abs(x1)) > 180 or max(abs(y0), abs(y1)) > 90:
            hint = (
                " — współrzędne wyglądają na metryczne; czy układ jest właściwy? "
                "podaj go opcją --crs (np. EPSG:2180)"
            )
        problems.append(
            f"{label}: leży poza Polską (zasięg {x0:.4f}, {y0:.4f}, {x1:.4f}, "
            f"{y1:.4f}){hint}"
        )
    return problems


def _overlaps(metric: gpd.GeoSeries, labels) -> list[str]:
    left, right = metric.sindex.query(metric, predicate="intersects")
    problems = []
    for a, b in zip(left, right, strict=True):
        if a >= b:
            continue
        shared = metric.iloc[a].intersection(metric.iloc[b]).area
        smaller = min(metric.iloc[a].area, metric.iloc[b].area)
        if shared > SLIVER_SHARE * smaller:
            problems.append(
                f"{labels[a]} i {labels[b]} nakładają się na "
                f"{shared / 1e4:.2f} ha ({shared / smaller:.1%} mniejszej jednostki)"
            )
    return problems
