"""The coverage analysis of one city and layer, from the database.

:mod:`webgis.analysis` computes on GeoDataFrames; this module reads what it needs
(units, the features published at a date, hypothetical facilities) and assembles
everything the analysis page, its exports and the CLI show.

Results and population grids are kept in small caches of the app, keyed by what
they were computed from (the units' content, the layers' stamps, the query), so the
page's downloads reuse the page's result and a change of data is never served stale.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import pandas as pd
import shapely
from flask import current_app
from shapely.geometry import Point

from layers import N_
from webgis.analysis import methods
from webgis.core.caching import RecentlyUsed
from webgis.core.errors import NotFound, WebgisError
from webgis.core.registry import layer_registry
from webgis.features import store
from webgis.geography import cities
from webgis.geography.boundaries import STORAGE_CRS
from webgis.geography.models import City

#: Indicators a planner can map, rank and compare, with their labels.
INDICATORS = {
    "coverage_share": N_("Udział mieszkańców w zasięgu"),
    "uncovered": N_("Mieszkańcy poza zasięgiem"),
    "access_2sfca_per_1k": N_("Dostępność 2SFCA (miejsca na 1000 mieszkańców)"),
    "per_10k": N_("Placówki na 10 tys. mieszkańców"),
    "places_per_1k": N_("Miejsca na 1000 mieszkańców"),
    "facilities": N_("Liczba placówek"),
}

#: Column headings of the tables (page and exports); indicators as above.
COLUMNS = {
    "unit": N_("Nr"),
    "name": N_("Nazwa"),
    "service_area": N_("Obszar"),
    "area": N_("Obszar"),
    "population": N_("Mieszkańcy"),
    "places": N_("Miejsca"),
    "covered": N_("Mieszkańcy w zasięgu"),
    "title": N_("Tytuł"),
    "category": N_("Obszar życia"),
    "lon": N_("Długość geogr."),
    "lat": N_("Szerokość geogr."),
    **INDICATORS,
}


@dataclass(frozen=True)
class Hypothetical:
    """A facility that does not exist, placed to see what it would change."""

    lat: float
    lon: float
    capacity: float | None = None


@dataclass(frozen=True)
class AnalysisQuery:
    """What a planner asks: which facilities, how far, when, and what if."""

    #: A layer key; None means the layer whose features are facilities by default.
    layer: str | None = None
    category: str | None = None
    radius: float = 1000.0
    when: date | None = None
    compare_to: date | None = None
    hypothetical: tuple[Hypothetical, ...] = ()
    cell: float = 100.0


@dataclass
class AnalysisResult:
    """Tables of one analysis; ``earlier`` and ``what_if`` only when asked for."""

    units: pd.DataFrame
    areas: pd.DataFrame
    summary: dict
    unserved: pd.DataFrame
    facilities: gpd.GeoDataFrame
    unmet_needs: pd.DataFrame | None
    shapes: gpd.GeoDataFrame
    query: AnalysisQuery = field(default_factory=AnalysisQuery)
    hypothetical: gpd.GeoDataFrame | None = None
    earlier: pd.DataFrame | None = None
    earlier_facilities: gpd.GeoDataFrame | None = None
    earlier_summary: dict | None = None
    what_if: pd.DataFrame | None = None
    what_if_summary: dict | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def facilities_frame(
    city: City,
    layer: str | None = None,
    category: str | None = None,
    when: date | None = None,
) -> gpd.GeoDataFrame:
    """Published features of ``layer`` (optionally of one category) as points.

    The category and the places are the layer's fields with those roles (a facility
    type, a target group…; none means unknown places); a polygon feature counts at
    its representative point. Without a ``category`` only the features the layer
    counts as facilities (``LayerSpec.facilities_when``) are taken: a planner who
    picks a category asked for it by name.
    """
    spec = facilities_layer(layer)
    rows = [
        {
            "capacity": spec.value_of("capacity", props),
            "category": _as_list(spec.value_of("category", props)),
            "geometry": geometry.representative_point(),
        }
        for geometry, props in store.published_at(city, spec, when)
        if category or counts_as_facility(spec, props)
    ]
    frame = gpd.GeoDataFrame(
        rows or {"capacity": [], "category": [], "geometry": []},
        geometry="geometry",
        crs=STORAGE_CRS,
    )
    if category:
        known = sorted({c for cats in frame["category"] for c in cats})
        if rows and category not in known:
            raise WebgisError(
                f"Nie ma obiektów kategorii {category!r}; są: {', '.join(known)}."
            )
        frame = frame[[category in cats for cats in frame["category"]]]
    frame["capacity"] = _places(frame["capacity"], spec)
    return frame


def counts_as_facility(spec, properties: dict) -> bool:
    """Whether the layer counts a feature with these properties as a facility."""
    if spec.facilities_when is None:
        return True
    name, values = spec.facilities_when
    held = _as_list((properties or {}).get(name))
    return any(value in values for value in held)


def _places(values: pd.Series, spec) -> pd.Series:
    """Capacities as numbers; one outside the field's range counts as unknown.

    A value stored before the range was enforced (10**30 places) must not break
    the analysis for everyone.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    field = spec.field_for("capacity")
    limit = field.maximum if field is not None else float("inf")
    return numbers.where((numbers >= 0) & (numbers <= limit))


def facilities_layer(layer: str | None = None):
    """The spec of ``layer``, or of the layer counted as facilities by default."""
    registry = layer_registry()
    if layer is None:
        default = next((s for s in registry.values() if s.facilities), None)
        return default or next(iter(registry.values()))
    if layer not in registry:
        raise NotFound(f"Nie ma warstwy {layer!r}; są: {', '.join(registry)}.")
    return registry[layer]


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def hypothetical_frame(facilities: tuple[Hypothetical, ...]) -> gpd.GeoDataFrame:
    """Hypothetical facilities in the shape of :func:`facilities_frame`."""
    return gpd.GeoDataFrame(
        {
            "capacity": pd.to_numeric(
                pd.Series([f.capacity for f in facilities], dtype=object),
                errors="coerce",
            ),
            "category": [[] for _ in facilities],
        },
        geometry=[Point(f.lon, f.lat) for f in facilities],
        crs=STORAGE_CRS,
    )


def units_for_analysis(city: City) -> gpd.GeoDataFrame:
    """The city's units with a numeric population (None stays missing)."""
    units = cities.units_frame(city)
    if units.empty:
        raise WebgisError(f"Miasto {city.name} nie ma jednostek.")
    units["population"] = pd.to_numeric(units["population"], errors="coerce")
    return units


#: How many population grids (one per city, boundary version and cell size) and
#: analysis results (one per query and data version) the app keeps.
GRID_CACHE_SIZE = 4
RESULT_CACHE_SIZE = 16


@dataclass
class AnalysisCache:
    """The app's population grids and analysis results."""

    grids: RecentlyUsed = field(default_factory=lambda: RecentlyUsed(GRID_CACHE_SIZE))
    results: RecentlyUsed = field(
        default_factory=lambda: RecentlyUsed(RESULT_CACHE_SIZE)
    )


def analysis_cache() -> AnalysisCache:
    """The current app's cache, made on first use (each test app has its own)."""
    return current_app.extensions.setdefault("webgis.analysis_cache", AnalysisCache())


def boundary_version(units: gpd.GeoDataFrame) -> str:
    """A digest of the units as the analysis reads them: changes on any re-import.

    Numbers, names, populations, service areas and geometries; units keep their
    database ids when boundaries are re-imported, so ids would not tell.
    """
    digest = hashlib.sha256()
    columns = ["number", "name", "population", "service_area"]
    digest.update(units[columns].to_json(orient="values").encode())
    for wkb in shapely.to_wkb(units.geometry.to_numpy()):
        digest.update(wkb)
    return digest.hexdigest()


def population_grid(
    city: City, units: gpd.GeoDataFrame, cell: float, version: str | None = None
) -> gpd.GeoDataFrame:
    """:func:`methods.population_grid` of the city's units, cached per version.

    The cached grid is shared: callers must not change it.
    """
    version = version or boundary_version(units)
    return analysis_cache().grids.get_or_make(
        (city.id, float(cell), version),
        lambda: methods.population_grid(units, cell),
    )


def _ranked(table: pd.DataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Worst-served first: lowest coverage, then most residents."""
    table = table.copy()
    table.insert(2, "service_area", units["service_area"].to_numpy())
    return table.sort_values(["coverage_share", "population"], ascending=[True, False])


def coverage_table(
    city: City,
    layer: str | None,
    category: str | None,
    radius: float,
    cell: float,
    when: date | None = None,
) -> pd.DataFrame:
    """Per-unit indicators with each unit's service area, ranked worst-served first."""
    units = units_for_analysis(city)
    facilities = facilities_frame(city, layer, category, when)
    grid = population_grid(city, units, cell)
    table = methods.unit_indicators(units, facilities, radius, cell, grid)
    return _ranked(table, units)


class OutsideCity(WebgisError):
    """Hypothetical facilities placed outside the city's units (1-based ``lines``)."""

    def __init__(self, lines: list[int]):
        super().__init__(f"poza miastem: {lines}")
        self.lines = lines


def run(city: City, query: AnalysisQuery) -> AnalysisResult:
    """The whole analysis the page shows: indicators, gaps, change and what-if.

    Raises :class:`OutsideCity` when a hypothetical facility lies outside the city.
    A result computed before from the same query and the same data (units,
    facilities, needs) is reused: the page's downloads cost no second analysis. The
    result is shared: callers must not change it.
    """
    units = units_for_analysis(city)
    version = boundary_version(units)
    key = (city.id, query, version, _data_stamps(city, query))
    return analysis_cache().results.get_or_make(
        key, lambda: compute(city, query, units, version)
    )


def _data_stamps(city: City, query: AnalysisQuery) -> tuple:
    """Stamps of the layers a result reads; any saved change moves one of them."""
    layers = [facilities_layer(query.layer)]
    layers += [s for s in layer_registry().values() if s.needs][:1]
    return tuple((spec.key, store.layer_stamp(city, spec)) for spec in layers)


def compute(
    city: City, query: AnalysisQuery, units: gpd.GeoDataFrame, version: str
) -> AnalysisResult:
    """The analysis of :func:`run`, always computed (``version``: of the units)."""
    extra = None
    if query.hypothetical:
        extra = hypothetical_frame(query.hypothetical)
        city_area = units.union_all()
        outside = [
            i + 1 for i, p in enumerate(extra.geometry) if not city_area.covers(p)
        ]
        if outside:
            raise OutsideCity(outside)
    grid = population_grid(city, units, query.cell, version)

    def indicators(facilities: gpd.GeoDataFrame) -> pd.DataFrame:
        table = methods.unit_indicators(
            units, facilities, query.radius, query.cell, grid
        )
        return _ranked(without_places(table, facilities), units)

    facilities = facilities_frame(city, query.layer, query.category, query.when)
    table = indicators(facilities)
    assignment = dict(zip(units["number"], units["service_area"], strict=True))
    result = AnalysisResult(
        units=table,
        areas=without_places(methods.area_indicators(table, assignment), facilities),
        summary=_summary(table),
        unserved=methods.unserved_units(table),
        facilities=facilities,
        unmet_needs=unmet_needs(city, query.radius, query.when),
        shapes=units[["number", "name", "population", "geometry"]],
        query=query,
        hypothetical=extra,
    )
    if query.compare_to is not None:
        earlier = facilities_frame(city, query.layer, query.category, query.compare_to)
        result.earlier = indicators(earlier)
        result.earlier_facilities = earlier
        result.earlier_summary = _summary(result.earlier)
    if extra is not None:
        result.what_if = indicators(pd.concat([facilities, extra], ignore_index=True))
        result.what_if_summary = _summary(result.what_if)
    result.tables = _tables(result)
    return result


#: Indicators that divide the facilities' places: they cannot be computed, and are
#: unknown rather than 0, when no facility has its places filled in.
PLACES_INDICATORS = ("places_per_1k", "access_2sfca_per_1k")


def places_known(facilities: gpd.GeoDataFrame) -> bool:
    """Whether any of the facilities has its number of places filled in."""
    return bool(facilities["capacity"].notna().any())


def without_places(table: pd.DataFrame, facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    """``table`` with the places indicators unknown when no facility has places."""
    if places_known(facilities):
        return table
    table = table.copy()
    table[list(PLACES_INDICATORS)] = float("nan")
    return table


def _summary(table: pd.DataFrame) -> dict:
    """The city summary; the places indicators unknown when the table's are."""
    summary = methods.city_summary(table)
    for key in PLACES_INDICATORS:
        if key in summary and table[key].isna().all():
            summary[key] = float("nan")
    return summary


def unmet_needs(city: City, radius: float, when: date | None) -> pd.DataFrame | None:
    """Published needs with no published resource of their category within R.

    None when no layer maps needs and resources (``LayerSpec.needs``).
    """
    spec = next((s for s in layer_registry().values() if s.needs), None)
    if spec is None:
        return None
    rows = [
        {
            "kind": props.get(spec.needs.field),
            "title": spec.value_of("title", props),
            "category": spec.value_of("category", props),
            "geometry": geometry.representative_point(),
        }
        for geometry, props in store.published_at(city, spec, when)
    ]
    frame = gpd.GeoDataFrame(
        rows or {"kind": [], "title": [], "category": [], "geometry": []},
        geometry="geometry",
        crs=STORAGE_CRS,
    )
    needs = frame[frame["kind"] == spec.needs.need]
    resources = frame[frame["kind"] == spec.needs.resource]
    unmet = methods.unmet_needs(needs, resources, radius)
    return pd.DataFrame(
        {
            "title": unmet["title"],
            "category": unmet["category"],
            "lon": unmet.geometry.x.round(6),
            "lat": unmet.geometry.y.round(6),
        }
    )


#: Indicators compared between two dates or with the hypothetical facilities.
COMPARED = tuple(INDICATORS)


def _tables(result: AnalysisResult) -> dict[str, pd.DataFrame]:
    """Every table of the result by the name its export uses."""
    tables = {
        "units": result.units,
        "areas": result.areas,
        "gaps": result.unserved,
    }
    if result.unmet_needs is not None:
        tables["needs"] = result.unmet_needs
    if result.earlier is not None:
        tables["change"] = methods.side_by_side(result.earlier, result.units, COMPARED)
    if result.what_if is not None:
        tables["what_if"] = methods.side_by_side(result.units, result.what_if, COMPARED)
    return tables
