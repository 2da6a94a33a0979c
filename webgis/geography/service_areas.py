"""Which units make up which service area (ZTPS, Filia): parsing and geometry.

Pure functions: the assignment file is checked as a whole before anything is stored.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon

from webgis.core.errors import ImportRefused
from webgis.core.text import fold

REQUIRED_COLUMNS = ("city", "area_code", "area_name", "unit_no")
#: A service-area code is a segment of page addresses (/<city>/areas/<code>): it
#: starts with a letter or digit (so never "." or ".."), then ASCII letters, digits,
#: "-", "_" or "."; nothing a URL would split or escape (/ \ ? # % spaces).
AREA_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MAX_AREA_CODE_LENGTH = 40
#: The finder's area filter already means a unit by "unit-<number>".
UNIT_FILTER = re.compile(r"unit-[0-9]+", re.IGNORECASE)
#: What the database columns hold.
MAX_AREA_NAME_LENGTH = 200
MAX_STATUS_LENGTH = 40


@dataclass(frozen=True)
class Assignment:
    """One unit assigned to one service area, as a row of the assignment file."""

    area_code: str
    area_name: str
    unit_number: int
    status: str | None


@dataclass
class AssignmentPlan:
    """A checked set of assignments for one city and what is worth knowing about it."""

    assignments: list[Assignment]
    notes: list[str] = field(default_factory=list)

    @property
    def areas(self) -> dict[str, str]:
        """Service-area codes mapped to their names, in file order."""
        return {a.area_code: a.area_name for a in self.assignments}


def is_area_code(code: str) -> bool:
    """Whether ``code`` may name a service area (see :data:`AREA_CODE`)."""
    return (
        len(code) <= MAX_AREA_CODE_LENGTH
        and AREA_CODE.fullmatch(code) is not None
        and UNIT_FILTER.fullmatch(code) is None
    )


def natural_key(code: str) -> str:
    """Sort key that puts ZTPS-2 before ZTPS-10 and F9 before F10."""
    return re.sub(r"\d+", lambda m: m.group().zfill(6), code.casefold())


def same_unit_name(listed: str, stored: str) -> bool:
    """Whether two spellings name one unit; a prefix like "Dzielnica III" is allowed."""
    a, b = fold(listed), fold(stored)
    return a == b or a.endswith(" " + b) or b.endswith(" " + a)


def parse_assignments(
    path: Path | str, city_code: str, unit_names: dict[int, str]
) -> AssignmentPlan:
    """Read the rows of ``city_code`` from an assignment CSV and check them.

    Parameters
    ----------
    path
        A CSV with the columns of ``service-areas.csv``: city, area_code, area_name,
        unit_no and optionally unit_name and mapping_status.
    city_code
        Only rows of this city are taken; the file may hold several cities.
    unit_names
        The city's units, number to name, as stored.

    Raises
    ------
    ImportRefused
        Listing every row that names an unknown unit, assigns a unit twice, gives
        one area code two names, or has an area code :func:`is_area_code` refuses;
        or the file cannot be read as a CSV in UTF-8 with the required columns.
    """
    rows = _read_rows(Path(path))
    problems: list[str] = []
    notes: list[str] = []
    assignments: list[Assignment] = []
    owner: dict[int, tuple[str, int]] = {}
    area_names: dict[str, str] = {}
    for line, row in rows:
        if row["city"].strip() != city_code:
            continue
        code, name = row["area_code"].strip(), row["area_name"].strip()
        number = _unit_number(row["unit_no"])
        if not code or not name:
            problems.append(f"wiersz {line}: brak kodu lub nazwy obszaru")
            continue
        row_problems = _area_problems(code, name, row)
        if row_problems:
            problems += [f"wiersz {line}: {p}" for p in row_problems]
            continue
        if number is None or number not in unit_names:
            problems.append(
                f"wiersz {line}: miasto nie ma jednostki nr {row['unit_no']!r}"
            )
            continue
        if area_names.setdefault(code, name) != name:
            problems.append(
                f"wiersz {line}: obszar {code} ma dwie nazwy: "
                f"{area_names[code]!r} i {name!r}"
            )
        if number in owner:
            first_code, first_line = owner[number]
            problems.append(
                f"jednostka {number} ({unit_names[number]}) przypisana dwa razy: "
                f"do {first_code} (wiersz {first_line}) i do {code} (wiersz {line})"
            )
            continue
        owner[number] = (code, line)
        listed = (row.get("unit_name") or "").strip()
        if listed and not same_unit_name(listed, unit_names[number]):
            notes.append(
                f"wiersz {line}: jednostka {number} nazywa się "
                f"„{unit_names[number]}”, a w pliku „{listed}”"
            )
        status = (row.get("mapping_status") or "").strip() or None
        assignments.append(Assignment(code, name, number, status))
    if not assignments and not problems:
        problems.append(f"plik nie zawiera wierszy dla miasta {city_code!r}")
    if problems:
        raise ImportRefused(
            "Przypisanie jednostek nie zostało zaimportowane.", problems
        )
    unassigned = sorted(set(unit_names) - set(owner))
    if unassigned:
        notes.append(
            "Jednostki bez obszaru: "
            + ", ".join(f"{n} ({unit_names[n]})" for n in unassigned)
        )
    return AssignmentPlan(assignments=assignments, notes=notes)


def _area_problems(code: str, name: str, row: dict[str, str]) -> list[str]:
    problems = []
    if not is_area_code(code):
        problems.append(
            f"niedozwolony kod obszaru {code!r}: kod ma najwyżej "
            f"{MAX_AREA_CODE_LENGTH} znaków, zaczyna się literą lub cyfrą i zawiera "
            "tylko litery bez polskich znaków, cyfry, „-”, „_” i „.” "
            "(i nie ma postaci unit-NUMER)"
        )
    if len(name) > MAX_AREA_NAME_LENGTH:
        problems.append(f"nazwa obszaru dłuższa niż {MAX_AREA_NAME_LENGTH} znaków")
    if len((row.get("mapping_status") or "").strip()) > MAX_STATUS_LENGTH:
        problems.append(f"mapping_status dłuższy niż {MAX_STATUS_LENGTH} znaków")
    return problems


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise ImportRefused(f"Nie ma pliku {path}.")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in REQUIRED_COLUMNS if c not in columns]
            if missing:
                # A spreadsheet set to Polish saves CSV with semicolons.
                hint = (
                    " (kolumny mają być rozdzielone przecinkami)"
                    if any(";" in c for c in columns)
                    else ""
                )
                raise ImportRefused(
                    f"W pliku {path.name} brakuje kolumn: {', '.join(missing)}{hint}."
                )
            return [
                (line, {k: v or "" for k, v in row.items() if k})
                for line, row in enumerate(reader, start=2)
            ]
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"Plik {path.name} nie jest zapisany w UTF-8.") from exc
    except csv.Error as exc:
        raise ImportRefused(
            f"Nie można odczytać pliku {path.name} jako CSV: {exc}."
        ) from exc


def _unit_number(raw: str) -> int | None:
    try:
        return int(raw.strip())
    except ValueError:
        return None


def union_of_units(geometries: Iterable) -> MultiPolygon | None:
    """The dissolved union of unit geometries, always a MultiPolygon (or None)."""
    parts = [g for g in geometries if g is not None]
    if not parts:
        return None
    union = shapely.union_all(parts)
    if isinstance(union, Polygon):
        return MultiPolygon([union])
    if isinstance(union, MultiPolygon):
        return union
    return MultiPolygon(
        [g for g in getattr(union, "geoms", []) if isinstance(g, Polygon)]
    )
