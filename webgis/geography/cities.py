"""Cities, units and service areas in the database: the only module that queries them.

Each public function that writes does so in one transaction: it either commits all of
its changes or rolls back and raises, leaving the database as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from flask import current_app
from flask_babel import gettext as _
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select

from webgis.core import audit
from webgis.core.caching import RecentlyUsed
from webgis.core.errors import ImportRefused, NotFound, WebgisError
from webgis.core.extensions import db
from webgis.core.transaction import transaction
from webgis.geography.boundaries import (
    POLAND_BOUNDS,
    STORAGE_CRS,
    BoundaryImport,
    metric_transformer,
)
from webgis.geography.models import City, ServiceArea, Unit
from webgis.geography.service_areas import (
    natural_key,
    parse_assignments,
    union_of_units,
)

CITY_CODE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
#: First path segments the app uses itself; a city with such a code would be hidden.
RESERVED_CODES = frozenset(
    {
        "account",
        "admin",
        "api",
        "embed",
        "hsds",
        "kiosk",
        "login",
        "logout",
        "moderation",
        "ogc",
        "organisations",
        "static",
    }
)


def list_cities() -> list[City]:
    """All cities, by name."""
    return list(db.session.scalars(select(City).order_by(City.name)))


def get_city(code: str) -> City:
    """The city with this code, or :class:`NotFound`."""
    city = db.session.scalar(select(City).where(City.code == code))
    if city is None:
        raise NotFound(_("Nie ma miasta „%(code)s”.", code=code))
    return city


@dataclass(frozen=True)
class Outline:
    """What pages draw of a city on every request, without its full boundaries.

    ``extent`` is (west, south, east, north) of its units, or None without units;
    ``areas`` are (code, name) by their sort key and ``units`` (number, name) by
    name; ``area_geojson`` holds the service areas simplified to about 20 m (a
    light backdrop for maps) as a GeoJSON geometry collection, empty without any.
    """

    extent: tuple[float, float, float, float] | None
    areas: tuple[tuple[str, str], ...]
    units: tuple[tuple[int, str], ...]
    area_geojson: str


#: Cities whose outlines a process keeps (a version of each counts as one).
OUTLINE_CACHE_SIZE = 16


def outline(city: City) -> Outline:
    """The city's :class:`Outline`, read once per version of its boundaries.

    The key is the city's ``boundaries_version``, which every change of a unit or
    an area renews (in the same transaction), so a process never draws stale
    boundaries, even when another process changed them.
    """
    cache = current_app.extensions.setdefault(
        "webgis.city_outlines", RecentlyUsed(OUTLINE_CACHE_SIZE)
    )
    key = (str(db.engine.url), city.id, city.boundaries_version)
    return cache.get_or_make(key, lambda: _read_outline(city))


def _read_outline(city: City) -> Outline:
    units = db.session.execute(
        select(Unit.number, Unit.name, Unit.geometry).where(Unit.city_id == city.id)
    ).all()
    areas = db.session.execute(
        select(ServiceArea.code, ServiceArea.name, ServiceArea.geometry)
        .where(ServiceArea.city_id == city.id)
        .order_by(ServiceArea.sort_key, ServiceArea.code)
    ).all()
    shapes = [a.geometry for a in areas if a.geometry is not None]
    simple = shapely.simplify(shapes, 0.0002, preserve_topology=True)
    return Outline(
        extent=(
            tuple(float(v) for v in shapely.total_bounds([u.geometry for u in units]))
            if units
            else None
        ),
        areas=tuple((a.code, a.name) for a in areas),
        units=tuple(
            (u.number, u.name) for u in sorted(units, key=lambda u: u.name.lower())
        ),
        area_geojson=(
            shapely.to_geojson(shapely.GeometryCollection(list(simple)))
            if shapes
            else ""
        ),
    )


def extent(city: City) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the city's units; None when it has none."""
    return outline(city).extent


def example_point(city: City | None) -> tuple[str, str]:
    """The middle of the city (or of Poland) as latitude and longitude text.

    For examples in help and messages: Wrocław's coordinates would point a Kraków
    reader at another city.
    """
    bounds = extent(city) if city is not None else None
    west, south, east, north = bounds or POLAND_BOUNDS
    return f"{(south + north) / 2:.2f}", f"{(west + east) / 2:.2f}"


def get_service_area(city: City, code: str) -> ServiceArea:
    """One service area of a city, or :class:`NotFound`."""
    area = db.session.scalar(
        select(ServiceArea).where(ServiceArea.city == city, ServiceArea.code == code)
    )
    if area is None:
        raise NotFound(
            _("Miasto %(city)s nie ma obszaru „%(code)s”.", city=city.name, code=code)
        )
    return area


#: A feature reaches into a neighbouring area only when it covers more of it than a
#: shared border line or a digitising sliver: this share of its own size...
OVERLAP_SHARE = 0.01
#: ...and at least this many square metres (or metres, for a line).
OVERLAP_MIN = 100.0


def areas_of(city: City, geometry: BaseGeometry) -> list[ServiceArea]:
    """The service areas a feature belongs to: those whose interior it really covers.

    A point belongs to the area that contains it. A line or polygon belongs to the
    area holding its representative point, and to every other area it overlaps by
    more than :data:`OVERLAP_SHARE` of its own size and more than
    :data:`OVERLAP_MIN` m² (m for lines). A programme drawn from one team's units
    therefore does not belong to the neighbours it only borders. Who may edit a
    feature follows from this (see :mod:`webgis.permissions`).
    """
    candidates = [
        a for a in city.service_areas if a.geometry and a.geometry.intersects(geometry)
    ]
    if geometry.geom_type in ("Point", "MultiPoint"):
        return [a for a in candidates if a.geometry.covers(geometry)]
    anchor = geometry.representative_point()
    size = _measure(geometry)
    return [
        a
        for a in candidates
        if a.geometry.covers(anchor)
        or _overlap(a.geometry, geometry) > max(OVERLAP_SHARE * size, OVERLAP_MIN)
    ]


def _overlap(area: BaseGeometry, geometry: BaseGeometry) -> float:
    return _measure(area.intersection(geometry))


def _measure(geometry: BaseGeometry) -> float:
    """Area (m²) of a polygon, or length (m) of a line, in EPSG:2180."""
    metric = shapely.transform(
        geometry, metric_transformer().transform, interleaved=False
    )
    return metric.area if shapely.get_dimensions(geometry) == 2 else metric.length


def city_outline(city: City) -> BaseGeometry:
    """The union of the city's units: where its features may lie."""
    return shapely.union_all([u.geometry for u in city.units])


def area_containing(city: City, geometry: BaseGeometry) -> ServiceArea | None:
    """The service area holding the geometry's representative point, if any."""
    point = geometry.representative_point()
    return next(
        (a for a in city.service_areas if a.geometry and a.geometry.covers(point)),
        None,
    )


def add_city(
    code: str, name: str, unit_kind: str = "jednostka", area_kind: str = "obszar"
) -> City:
    """Register a city; its boundaries and service areas are imported afterwards."""
    if not CITY_CODE.match(code):
        raise WebgisError(
            f"Kod miasta {code!r} jest niepoprawny: małe litery, cyfry i myślniki, "
            "od litery (np. 'wroclaw')."
        )
    if code in RESERVED_CODES:
        raise WebgisError(f"Kod miasta {code!r} jest zarezerwowany przez aplikację.")
    if not name.strip():
        raise WebgisError("Nazwa miasta nie może być pusta.")
    with transaction():
        city = db.session.scalar(select(City).where(City.code == code))
        if city is None:
            city = City(code=code)
            db.session.add(city)
        city.name, city.unit_kind, city.area_kind = name.strip(), unit_kind, area_kind
        audit.record("cities.save", code, city.name)
    return city


def replace_units(city: City, prepared: BoundaryImport) -> list[str]:
    """Make the city's units exactly those of ``prepared``, atomically.

    Units keep their identity by number, and with it their service area, so
    re-importing corrected boundaries does not undo the teams' assignment.
    Returns notes for the user, each warning as "Uwaga: …".
    """
    notes = list(prepared.notes) + [f"Uwaga: {w}" for w in prepared.warnings]
    with transaction():
        existing = {u.number: u for u in city.units}
        incoming = set()
        for row in prepared.units.itertuples(index=False):
            unit = existing.get(row.number) or Unit(city=city, number=row.number)
            unit.name, unit.geometry = row.name, row.geometry
            unit.population = None if pd.isna(row.population) else int(row.population)
            unit.area_km2 = float(row.area_km2)
            db.session.add(unit)
            incoming.add(row.number)
        removed = [u for n, u in existing.items() if n not in incoming]
        for unit in removed:
            city.units.remove(unit)
        if removed:
            notes.append(
                "Usunięto jednostki: "
                + ", ".join(f"{u.number} ({u.name})" for u in removed)
            )
        db.session.flush()
        _refresh_area_geometries(city)
        audit.record("boundaries.import", city.code, f"{len(incoming)} units")
    notes.insert(0, f"{city.name}: zapisano {len(incoming)} jednostek.")
    return notes


def assign_service_areas(city: City, path: Path | str) -> list[str]:
    """Replace the city's service areas with those of an assignment CSV, atomically."""
    if not city.units:
        raise ImportRefused(
            f"Miasto {city.name} nie ma jeszcze jednostek; najpierw zaimportuj granice."
        )
    units = {u.number: u for u in city.units}
    plan = parse_assignments(path, city.code, {n: u.name for n, u in units.items()})
    with transaction():
        areas = {a.code: a for a in city.service_areas}
        for code, name in plan.areas.items():
            area = areas.get(code) or ServiceArea(city=city, code=code)
            area.name, area.sort_key = name, natural_key(code)
            db.session.add(area)
            areas[code] = area
        for unit in units.values():
            unit.service_area, unit.assignment_status = None, None
        for row in plan.assignments:
            unit = units[row.unit_number]
            unit.service_area, unit.assignment_status = areas[row.area_code], row.status
        for code, area in areas.items():
            if code not in plan.areas:
                city.service_areas.remove(area)
        db.session.flush()
        _refresh_area_geometries(city)
        audit.record("service_areas.import", city.code, f"{len(plan.areas)} areas")
    summary = (
        f"{city.name}: {len(plan.areas)} obszarów z {len(plan.assignments)} jednostek."
    )
    return [summary, *plan.notes]


def reassign_units(city: City, assignment: dict[int, str | None]) -> list[str]:
    """Move units between service areas (``{unit number: area code or None}``).

    Area geometries are recomputed in the same transaction, so maps and statistics
    follow at once. Returns one line per unit that moved.
    """
    units = {u.number: u for u in city.units}
    areas = {a.code: a for a in city.service_areas}
    unknown = [str(n) for n in assignment if n not in units]
    unknown += [c for c in assignment.values() if c is not None and c not in areas]
    if unknown:
        raise WebgisError(
            _("Nieznane jednostki lub obszary: %(what)s.", what=", ".join(unknown))
        )
    moved = []
    with transaction():
        for number, code in assignment.items():
            unit = units[number]
            before = unit.service_area.code if unit.service_area else None
            if before == code:
                continue
            unit.service_area = areas[code] if code else None
            unit.assignment_status = "confirmed" if code else None
            moved.append(f"{unit.number} {unit.name}: {before or '—'} → {code or '—'}")
        db.session.flush()
        _refresh_area_geometries(city)
        if moved:
            audit.record("service_areas.reassign", city.code, "\n".join(moved))
    return moved


def add_service_area(city: City, code: str, name: str) -> ServiceArea:
    """A new, still empty service area (units are then moved into it)."""
    from webgis.geography.service_areas import MAX_AREA_CODE_LENGTH, is_area_code

    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise WebgisError(_("Podaj kod i nazwę obszaru."))
    if not is_area_code(code):
        # The code becomes part of the area's page address; it must stay reachable.
        raise WebgisError(
            _(
                "Niedozwolony kod obszaru „%(code)s”: kod ma najwyżej %(max)s "
                "znaków, zaczyna się literą lub cyfrą i zawiera tylko litery bez "
                "polskich znaków, cyfry, „-”, „_” i „.” (i nie ma postaci "
                "unit-NUMER).",
                code=code,
                max=MAX_AREA_CODE_LENGTH,
            )
        )
    if any(a.code == code for a in city.service_areas):
        raise WebgisError(_("Obszar %(code)s już istnieje.", code=code))
    with transaction():
        area = ServiceArea(city=city, code=code, name=name, sort_key=natural_key(code))
        db.session.add(area)
        audit.record("service_areas.add", f"{city.code}:{code}", name)
    return area


def remove_service_area(city: City, code: str) -> None:
    """Delete a service area that no longer has units (teams get merged)."""
    area = get_service_area(city, code)
    if area.units:
        raise WebgisError(
            _("Obszar %(code)s ma jeszcze jednostki; najpierw je przenieś.", code=code)
        )
    with transaction():
        city.service_areas.remove(area)
        audit.record("service_areas.remove", f"{city.code}:{code}", area.name)


def _refresh_area_geometries(city: City) -> None:
    """Recompute each service area as the union of its units (after any change)."""
    for area in city.service_areas:
        area.geometry = union_of_units(u.geometry for u in area.units)


def units_frame(city: City) -> gpd.GeoDataFrame:
    """The city's units with number, name, population, area and service area."""
    rows = [
        {
            "number": u.number,
            "name": u.name,
            "population": u.population,
            "area_km2": u.area_km2,
            "service_area": u.service_area.code if u.service_area else None,
            "geometry": u.geometry,
        }
        for u in city.units
    ]
    return _frame(rows, ["number", "name", "population", "area_km2", "service_area"])


def service_areas_frame(city: City) -> gpd.GeoDataFrame:
    """The city's service areas with their units, residents and dissolved geometry."""
    rows = [
        {
            "code": a.code,
            "name": a.name,
            "population": a.population,
            "area_km2": a.area_km2,
            "units": [u.name for u in a.units],
            "unit_numbers": [u.number for u in a.units],
            "geometry": a.geometry,
        }
        for a in city.service_areas
    ]
    return _frame(
        rows, ["code", "name", "population", "area_km2", "units", "unit_numbers"]
    )


def _frame(rows: list[dict], columns: list[str]) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame(
            columns=[*columns, "geometry"], geometry="geometry", crs=STORAGE_CRS
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)
    # Keep missing populations as None rather than NaN so they read as "no data".
    frame["population"] = frame["population"].astype(object)
    frame.loc[frame["population"].isna(), "population"] = None
    return frame


def unit_names(city: City) -> tuple[tuple[int, str], ...]:
    """(number, name) of the city's units by name (kept with its :class:`Outline`)."""
    return outline(city).units


def area_names(city: City) -> tuple[tuple[str, str], ...]:
    """(code, name) of the city's service areas in their order (from its outline)."""
    return outline(city).areas


def unit_point(city: City, number: int) -> BaseGeometry:
    """A point surely inside the unit (its representative point)."""
    unit = db.session.scalar(
        select(Unit).where(Unit.city_id == city.id, Unit.number == number)
    )
    if unit is None:
        raise NotFound(_("Nie ma jednostki %(number)s.", number=number))
    return unit.geometry.representative_point()
