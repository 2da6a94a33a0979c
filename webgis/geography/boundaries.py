"""Read an official boundary file and turn it into clean units, or say what is wrong.

Pure functions on GeoDataFrames: nothing here touches the database, so a refused file
changes nothing. Every problem found is collected, so one run names all of them.
"""

from __future__ import annotations

import math
import re
import struct
import threading
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from webgis.core.errors import ImportRefused

#: Where stored geometries live (WGS 84) and where they are measured (Poland CS92).
STORAGE_CRS = "EPSG:4326"
METRIC_CRS = "EPSG:2180"


_per_thread = threading.local()


def metric_transformer() -> Transformer:
    """From stored lon/lat (EPSG:4326) to metres (EPSG:2180), one per thread.

    A pyproj Transformer must not be shared between threads: the server's
    threads transforming through one crashed the process (a segfault in the
    benchmark at 8 concurrent clients). Each thread builds its own once.
    """
    return _thread_transformer("metric", STORAGE_CRS, METRIC_CRS)


def geographic_transformer() -> Transformer:
    """From metres (EPSG:2180) back to lon/lat (EPSG:4326), one per thread."""
    return _thread_transformer("geographic", METRIC_CRS, STORAGE_CRS)


def _thread_transformer(name: str, source: str, target: str) -> Transformer:
    transformer = getattr(_per_thread, name, None)
    if transformer is None:
        transformer = Transformer.from_crs(source, target, always_xy=True)
        setattr(_per_thread, name, transformer)
    return transformer


#: Poland's extent in lon/lat with a small margin: anything outside is a wrong CRS.
POLAND_BOUNDS = (13.9, 48.9, 24.3, 55.0)
#: Neighbouring units may overlap by digitising noise; more than this share of the
#: smaller unit is a real overlap and the file is refused.
SLIVER_SHARE = 0.001
#: A repair (make_valid) that changes a unit's area by more than this share is
#: reported with both areas: the unit may no longer be what the file meant.
REPAIR_AREA_SHARE = 0.01
#: A unit borders a gap when this much of the gap's outline (metres) runs along it;
#: a unit that only touches it at a corner does not.
BORDER_METRES = 1.0
#: Every later save of a feature is intersected with the units, so their detail is
#: capped: a unit of a million vertices made each save take 24 s. The reference
#: files stay far below (Wrocław: at most 1,780 per unit, 28,883 in all).
MAX_UNIT_VERTICES = 20_000
MAX_IMPORT_VERTICES = 300_000
#: A larger --simplify tolerance would move borders by whole street blocks.
MAX_SIMPLIFY_METRES = 100.0
#: What the database columns hold: unit names, and integers (numbers, residents).
MAX_NAME_LENGTH = 200
MAX_INTEGER = 2**31 - 1
#: Polish letters of a Windows-1250 file read as ISO-8859-1 or Windows-1252 (ł → ³,
#: ą → ¹, ż → ¿, Ł → £ ...); no unit name contains them, nor control characters.
MISREAD_LETTERS = frozenset("¹³¿¯¥£œŸŒ")

NAME_FIELDS = ("name", "nazwa")
NUMBER_FIELDS = ("unit_no", "number", "numer", "nr", "id")
POPULATION_FIELDS = ("population", "ludnosc", "liczba_mieszkancow")
READABLE_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")
#: What a Mac adds to the zips it makes: resource forks, never layers.
ZIP_CLUTTER = re.compile(r"(^|/)(__MACOSX/|\._)")


@dataclass
class BoundaryImport:
    """Units ready to store (EPSG:4326) and what was repaired or is worth knowing.

    ``warnings`` say what the import took as it is but someone should check: a
    repair that changed a unit's area, a gap between units.
    """

    units: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
        The file cannot be read (a Shapefile's ``.dbf`` included), has no geometry,
        is empty or has no CRS and none was given.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"Nie ma pliku {path}.")
    member = _zip_member(path) if path.suffix.lower() == ".zip" else None
    source = f"/vsizip/{path.resolve()}/{member}" if member else str(path)
    shapefile = (member or path.name).lower().endswith(".shp")
    if shapefile:
        _check_attribute_table(path, member)
    frame = _read(path, source)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ImportRefused(
            f"Plik {path.name} nie zawiera geometrii; czy to na pewno plik z granicami?"
        )
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


def _read(path: Path, source: str):
    try:
        # NaN coordinates are refused per feature by prepare_units; numpy's warning
        # about them while decoding is only noise.
        with np.errstate(invalid="ignore"):
            return gpd.read_file(source, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ImportRefused(
            f"Nie można odczytać pliku {path.name}: {exc}".strip()
        ) from exc
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            f"Nie można odczytać pliku {path.name}: napisy nie są w kodowaniu, "
            "którego wymaga format (GeoJSON i GeoPackage: UTF-8; Shapefile: to, "
            "które podaje plik .cpg)."
        ) from exc
    except shapely.errors.GEOSException as exc:
        raise ImportRefused(
            f"Nie można odczytać geometrii z pliku {path.name}.",
            _unreadable_geometries(source) or [str(exc)],
        ) from exc


def _unreadable_geometries(source: str) -> list[str]:
    """Name each feature whose geometry cannot be built, one by one.

    A NaN in the first or last point keeps a ring from closing, so such a feature
    fails while the file is read, before prepare_units could name it.
    """
    meta, _, geometries, values = pyogrio.raw.read(source)
    lower = [str(f).lower() for f in meta["fields"]]
    names = next((values[lower.index(f)] for f in NAME_FIELDS if f in lower), None)
    problems = []
    for i, wkb in enumerate(geometries):
        try:
            with np.errstate(invalid="ignore"):
                shapely.from_wkb(wkb)
        except shapely.errors.GEOSException as exc:
            label = _label(i, None if names is None else names[i])
            problems.append(
                f"{label}: geometrii nie da się odczytać ({exc}); sprawdź, czy "
                "współrzędne są liczbami (nie NaN ani Infinity), a pierścienie "
                "są zamknięte"
            )
    return problems


def _zip_member(path: Path) -> str:
    """Return the one readable layer inside a zip archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise ImportRefused(f"{path.name} nie jest poprawnym archiwum zip.") from exc
    layers = [
        n
        for n in names
        if n.lower().endswith(READABLE_SUFFIXES) and not ZIP_CLUTTER.search(n)
    ]
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
    return layers[0]


def _check_attribute_table(path: Path, member: str | None) -> None:
    """Refuse a Shapefile whose ``.dbf`` is missing or damaged, naming it.

    GDAL reads such a file without attributes, or without the units past a wrong
    record count, and without a word; the import would then fail later with a
    misleading "no name field", or lose units.
    """
    shp = PurePosixPath(member).name if member else path.name
    try:
        dbf = _part(path, member, ".dbf", _read_dbf_header)
        shx = _part(path, member, ".shx", lambda handle: b"")
    except (OSError, zipfile.BadZipFile) as exc:
        raise ImportRefused(f"Nie można odczytać pliku .dbf obok {shp}: {exc}") from exc
    if dbf is None:
        raise ImportRefused(
            f"Brak pliku .dbf z atrybutami jednostek obok {shp}; "
            "Shapefile to komplet plików .shp, .shx, .dbf (i .prj)."
        )
    name, header, size = dbf
    damage = _dbf_damage(header, size)
    if damage is None and shx is not None:
        # The index holds a 100-byte header and 8 bytes per shape.
        records, shapes = struct.unpack_from("<I", header, 4)[0], (shx[2] - 100) // 8
        if records != shapes:
            damage = f"ma {records} rekordów, a {shp} {shapes} kształtów"
    if damage:
        raise ImportRefused(
            f"Nie można odczytać pliku {name} (atrybuty jednostek): {damage}."
        )


def _part(
    path: Path, member: str | None, suffix: str, read_header
) -> tuple[str, bytes, int] | None:
    """Another file of a Shapefile (.dbf, .shx): its name, header and size, if any."""
    if member is None:
        candidates = (path.with_suffix(suffix), path.with_suffix(suffix.upper()))
        part = next((c for c in candidates if c.is_file()), None)
        if part is None:
            return None
        with part.open("rb") as handle:
            return part.name, read_header(handle), part.stat().st_size
    wanted = member[: -len(".shp")].lower() + suffix
    with zipfile.ZipFile(path) as archive:
        name = next((n for n in archive.namelist() if n.lower() == wanted), None)
        if name is None:
            return None
        with archive.open(name) as handle:
            header = read_header(handle)
        return PurePosixPath(name).name, header, archive.getinfo(name).file_size


def _read_dbf_header(handle: BinaryIO) -> bytes:
    head = handle.read(32)
    if len(head) < 32:
        return head
    (length,) = struct.unpack_from("<H", head, 8)
    return head + handle.read(max(0, length - 32))


def _dbf_damage(header: bytes, size: int) -> str | None:
    """What is wrong with a dBASE header, checked against the file's real size."""
    if len(header) < 32:
        return "plik jest pusty albo ucięty"
    records, length, record_length = struct.unpack_from("<IHH", header, 4)
    if length < 33 or len(header) < length:
        return "uszkodzony nagłówek"
    widths, offset = [], 32
    while offset + 32 <= length and header[offset] != 0x0D:
        width = header[offset + 16]
        if header[offset + 11 : offset + 12] not in (b"N", b"F"):
            width += 256 * header[offset + 17]  # long text fields (shapelib's rule)
        widths.append(width)
        offset += 32
    if sum(widths) + 1 != record_length:
        return "uszkodzony nagłówek (opisy pól nie zgadzają się z długością rekordu)"
    if length + records * record_length > size:
        return f"plik jest ucięty (nagłówek zapowiada {records} rekordów)"
    return None


def prepare_units(
    frame: gpd.GeoDataFrame,
    name_field: str | None = None,
    number_field: str | None = None,
    population_field: str | None = None,
    simplify: float | None = None,
) -> BoundaryImport:
    """Validate and clean raw boundary features into units.

    Returns a frame with ``number``, ``name``, ``population``, ``area_km2`` and
    MultiPolygon ``geometry`` in EPSG:4326, plus notes on repairs and missing data,
    and warnings: a repair that changed a unit's area by more than
    :data:`REPAIR_AREA_SHARE` (both areas), a gap that units enclose and that is
    larger than a sliver (as overlaps are measured).

    Parameters
    ----------
    frame
        The features as read, in any CRS.
    name_field, number_field, population_field
        Attributes holding each; found among the usual names when not given.
    simplify
        A tolerance in metres (at most :data:`MAX_SIMPLIFY_METRES`): the units are
        simplified together in EPSG:2180, so neighbours keep one shared border,
        before their size is checked.

    Raises
    ------
    ImportRefused
        Listing every problem: non-polygons, coordinates that are not finite numbers
        or lie outside Poland, missing or duplicate numbers, missing names, units
        with too many vertices (more than :data:`MAX_UNIT_VERTICES` each or
        :data:`MAX_IMPORT_VERTICES` in all), overlapping units.
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"'frame' should be a GeoDataFrame, got {type(frame)}")
    if frame.crs is None:
        raise ImportRefused("Dane nie mają układu współrzędnych.")
    _check_tolerance(simplify)
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
    problems += _name_problems(names, labels)
    numbers = [
        _integer_or_problem(v, labels[i], problems)
        for i, v in enumerate(frame[number_col])
    ]
    problems += _duplicate_numbers(numbers, labels)
    populations = _populations(frame, population_col, labels, problems, notes)

    as_read = _stored_geometries(frame.geometry, labels, problems)
    repaired, repair_notes = _polygonal(as_read, labels, problems)
    notes += repair_notes
    geometries = repaired
    problems += _outside_poland(geometries, labels)
    # The limits apply to what would be stored: after --simplify, when it is given
    # (it needs every geometry sound first).
    if simplify is not None and not problems:
        geometries = _simplified(geometries, labels, simplify, problems, notes)
    if simplify is None or not problems:
        problems += _too_detailed(geometries, labels, simplify)
    if problems:
        raise ImportRefused("Plik z granicami nie został zaimportowany.", problems)
    # Measured before --simplify, which moves borders on purpose.
    warnings = _repair_changes(as_read, repaired, numbers, names)

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
    warnings += _gaps(metric, numbers, names)
    return BoundaryImport(units=units, notes=notes, warnings=warnings)


def _check_tolerance(metres: float | None) -> None:
    if metres is None:
        return
    if not (math.isfinite(metres) and 0 < metres <= MAX_SIMPLIFY_METRES):
        raise ImportRefused(
            f"Tolerancja --simplify musi być większa od 0 i nie większa niż "
            f"{MAX_SIMPLIFY_METRES:g} m (podano {metres:g})."
        )


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
    if name and len(name) > 60:
        name = name[:59] + "…"  # a label names the feature, it need not quote it
    return f"obiekt {index + 1}" + (f" ({name})" if name else "")


def _name_or_none(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    name = clean_name(value)
    return name or None


def _name_problems(names: list[str | None], labels: list[str]) -> list[str]:
    problems = []
    for label, name in zip(labels, names, strict=True):
        if name is None:
            problems.append(f"{label}: brak nazwy")
        elif len(name) > MAX_NAME_LENGTH:
            problems.append(f"{label}: nazwa dłuższa niż {MAX_NAME_LENGTH} znaków")
        elif any(c in MISREAD_LETTERS or unicodedata.category(c) == "Cc" for c in name):
            problems.append(
                f"{label}: nazwa wygląda na źle odczytaną (polskie znaki w innym "
                "kodowaniu); dla Shapefile dołóż plik .cpg z kodowaniem, np. 1250"
            )
    return problems


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
    if abs(number) > MAX_INTEGER:
        problems.append(f"{label}: numer {value!r} jest zbyt duży")
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
            number = float(str(raw).replace(" ", "").replace(",", "."))
        except ValueError:
            number = math.nan
        # NaN and infinity fail this comparison too.
        if not 0 <= number <= MAX_INTEGER:
            problems.append(f"{label}: niepoprawna liczba mieszkańców {raw!r}")
            values.append(None)
            continue
        values.append(int(round(number)))
    if missing:
        notes.append(
            "Brak liczby mieszkańców (pokazywane jako „brak danych”): "
            + ", ".join(missing)
        )
    return values


def _stored_geometries(raw: gpd.GeoSeries, labels, problems) -> list:
    """The geometries in EPSG:4326; None for those refused, each with its reason.

    Coordinates that are not finite numbers (NaN, Infinity in a GeoJSON, or what a
    wrong CRS turns into after reprojection) make every later geometry operation
    fail, so such features are refused before any.
    """
    kept = []
    for label, geom in zip(labels, raw, strict=True):
        if geom is None or geom.is_empty:
            problems.append(f"{label}: brak geometrii")
        elif not _finite(geom):
            problems.append(
                f"{label}: współrzędne nie są skończonymi liczbami (NaN lub Infinity)"
            )
        else:
            kept.append(geom)
            continue
        kept.append(None)
    with np.errstate(invalid="ignore"):
        stored = list(gpd.GeoSeries(kept, crs=raw.crs).to_crs(STORAGE_CRS))
    for i, geom in enumerate(stored):
        if geom is not None and not _finite(geom):
            problems.append(
                f"{labels[i]}: współrzędnych nie da się przeliczyć z układu "
                f"{raw.crs.to_string()}; czy układ jest właściwy? "
                "podaj go opcją --crs (np. EPSG:2180)"
            )
            stored[i] = None
    return stored


def _finite(geom) -> bool:
    return bool(np.isfinite(shapely.get_coordinates(geom)).all())


def _polygonal(geometries: list, labels, problems):
    """Promote to MultiPolygon, repairing invalid shapes and reporting each repair.

    Geometries already refused (None) are passed on as they are.
    """
    cleaned, notes = [], []
    for label, geom in zip(labels, geometries, strict=True):
        if geom is None:
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
            if geom.is_empty:
                problems.append(f"{label}: geometria nie ma powierzchni ({reason})")
                cleaned.append(None)
                continue
            notes.append(f"{label}: naprawiono geometrię ({reason})")
        cleaned.append(_as_multipolygon(geom))
    return cleaned, notes


def _unit(number: int, name: str) -> str:
    """A unit as warnings name it: by its number and name, which the city uses."""
    return f"jednostka {number} ({name})"


def _area(square_metres: float) -> str:
    """An area the Polish way: m² below a hectare, km² with three decimals above."""
    if square_metres < 1e4:
        return f"{_count(round(square_metres))} m²"
    return f"{square_metres / 1e6:.3f}".replace(".", ",") + " km²"


def _share(part: float) -> str:
    """A share as a Polish percentage: 0.5 is "50,0 %"."""
    return f"{part:.1%}".replace(".", ",").replace("%", " %")


def _repair_changes(as_read: list, repaired: list, numbers, names) -> list[str]:
    """Units whose repair changed their area by more than :data:`REPAIR_AREA_SHARE`.

    The area before is the one of the geometry as the file gives it (GEOS's, as
    any GIS measures it: a part drawn the other way round counts against the rest,
    a part drawn twice counts twice); the area after is the repaired unit's.
    """
    changed = [
        i
        for i, (before, after) in enumerate(zip(as_read, repaired, strict=True))
        if before is not None and after is not None and not before.is_valid
    ]
    if not changed:
        return []
    before = gpd.GeoSeries([as_read[i] for i in changed], crs=STORAGE_CRS)
    after = gpd.GeoSeries([repaired[i] for i in changed], crs=STORAGE_CRS)
    olds, news = before.to_crs(METRIC_CRS).area, after.to_crs(METRIC_CRS).area
    warnings = []
    for i, old, new in zip(changed, olds, news, strict=True):
        if abs(new - old) <= REPAIR_AREA_SHARE * old:
            continue
        how = (
            f"{'zmniejszyła' if new < old else 'zwiększyła'} jej powierzchnię o "
            f"{_share(abs(new - old) / old)}"
            # Below a square metre the file's area is nil (a symmetric bow-tie's
            # halves cancel out): no share of it can be given.
            if old >= 1
            else "zmieniła jej powierzchnię"
        )
        warnings.append(
            f"{_unit(numbers[i], names[i])}: naprawa geometrii {how}, z {_area(old)} "
            f"do {_area(new)}; sprawdź jej granicę w pliku"
        )
    return warnings


def _gaps(metric: gpd.GeoSeries, numbers, names) -> list[str]:
    """Gaps the units enclose between them, larger than a sliver.

    A gap is a hole in the union of the units that at least two units border;
    a hole only one unit borders is that unit's own (an enclave of another
    municipality). Like an overlap, a gap counts when it is larger than
    :data:`SLIVER_SHARE` of the smallest unit around it.
    """
    union = shapely.union_all(metric.values)
    holes = [
        Polygon(ring)
        for part in shapely.get_parts(union)
        if isinstance(part, Polygon)
        for ring in part.interiors
    ]
    warnings = []
    for hole in holes:
        outline = hole.exterior.buffer(0.01)
        around = [
            i
            for i in metric.sindex.query(hole, predicate="dwithin", distance=0.01)
            if metric.iloc[i].boundary.intersection(outline).length > BORDER_METRES
        ]
        if len(around) < 2:
            continue
        smallest = min(metric.iloc[i].area for i in around)
        if hole.area <= SLIVER_SHARE * smallest:
            continue
        lon, lat = geographic_transformer().transform(
            *hole.representative_point().coords[0]
        )
        warnings.append(
            "luka między jednostkami: "
            + ", ".join(_unit(numbers[i], names[i]) for i in sorted(around))
            + f" — {_area(hole.area)} ({_share(hole.area / smallest)} najmniejszej "
            f"z nich), np. w punkcie {lat:.5f}, {lon:.5f}"
        )
    return warnings


def _simplified(geometries: list, labels, tolerance: float, problems, notes) -> list:
    """Simplify all units together in metres, so neighbours keep one shared border.

    Coverage simplification moves each shared border once for both neighbours;
    simplifying polygon by polygon would open gaps and overlaps between them.
    """
    metric = gpd.GeoSeries(geometries, crs=STORAGE_CRS).to_crs(METRIC_CRS)
    simple = shapely.coverage_simplify(metric.values, tolerance)
    before = shapely.get_num_coordinates(metric.values)
    after = shapely.get_num_coordinates(simple)
    stored = gpd.GeoSeries(simple, crs=METRIC_CRS).to_crs(STORAGE_CRS)
    result = []
    for label, geom in zip(labels, stored, strict=True):
        if geom is None or geom.is_empty or not geom.is_valid:
            problems.append(
                f"{label}: po uproszczeniu o {tolerance:g} m geometria jest "
                "niepoprawna; podaj mniejszą tolerancję --simplify"
            )
            result.append(None)
            continue
        result.append(_as_multipolygon(_polygon_parts(geom)))
    notes.append(
        f"Uproszczono granice (tolerancja {tolerance:g} m): "
        f"{_count(before.sum())} → {_count(after.sum())} wierzchołków, "
        f"największa jednostka {_count(before.max())} → {_count(after.max())}."
    )
    return result


def _too_detailed(geometries: list, labels, tolerance: float | None) -> list[str]:
    """Every unit over :data:`MAX_UNIT_VERTICES`, and the whole file over its cap."""
    counts = [0 if g is None else shapely.get_num_coordinates(g) for g in geometries]
    advice = (
        f"zwiększ tolerancję --simplify (teraz {tolerance:g} m)"
        if tolerance is not None
        else "uprość granice opcją --simplify METRY (np. --simplify 1)"
    )
    problems = [
        f"{label}: {_count(n)} wierzchołków, limit {_count(MAX_UNIT_VERTICES)} "
        f"na jednostkę; {advice}"
        for label, n in zip(labels, counts, strict=True)
        if n > MAX_UNIT_VERTICES
    ]
    total = sum(counts)
    if total > MAX_IMPORT_VERTICES:
        problems.append(
            f"razem {_count(total)} wierzchołków, limit "
            f"{_count(MAX_IMPORT_VERTICES)} na import; {advice}"
        )
    return problems


def _count(n) -> str:
    """A count with spaces between thousands, as Polish writes it (28 883)."""
    return f"{int(n):,}".replace(",", " ")


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
