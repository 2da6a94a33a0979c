"""Coverage analysis for planners: pure functions on GeoDataFrames in a metric CRS.

Method (also in the README): each unit's residents are spread uniformly over a regular
grid of square cells clipped to the unit, in proportion to each clipped cell's area.
A cell is covered when its representative point lies within ``radius`` metres of a
facility. The 2SFCA index is PySAL ``access``'s two-stage floating catchment on the
same grid, with straight-line distances and the facilities' capacities, computed in
chunks of cells (see :func:`two_step_fca`). Units without a known population are left
out and reported, never counted as 0.
"""

from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from webgis.geography.boundaries import METRIC_CRS


def _require_metric(frame: gpd.GeoDataFrame, name: str) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"'{name}' should be a GeoDataFrame, got {type(frame)}")
    if frame.crs is None:
        raise ValueError(f"'{name}' has no CRS; give it one (e.g. EPSG:4326)")


def to_metric(frame: gpd.GeoDataFrame, name: str = "frame") -> gpd.GeoDataFrame:
    """The frame in EPSG:2180, where distances are metres."""
    _require_metric(frame, name)
    return frame.to_crs(METRIC_CRS)


def population_grid(units: gpd.GeoDataFrame, cell: float = 100.0) -> gpd.GeoDataFrame:
    """Residents of each unit spread over grid cells clipped to the unit.

    ``units`` needs ``number`` and ``population`` columns; units whose population is
    missing are skipped. Returns one row per cell: ``unit``, ``residents`` and the
    cell's representative point as geometry (EPSG:2180).
    """
    units = to_metric(units, "units")
    if cell <= 0:
        raise ValueError(f"cell size should be positive, got {cell}")
    frames = []
    for row in units[units["population"].notna()].itertuples():
        x0, y0, x1, y1 = row.geometry.bounds
        xs = np.arange(x0, x1, cell)
        ys = np.arange(y0, y1, cell)
        gx, gy = np.meshgrid(xs, ys)
        cells = shapely.box(
            gx.ravel(), gy.ravel(), gx.ravel() + cell, gy.ravel() + cell
        )
        clipped, areas = _clip(cells, row.geometry, cell)
        residents = float(row.population) * areas / areas.sum()
        frames.append(
            gpd.GeoDataFrame(
                {"unit": row.number, "residents": residents},
                geometry=shapely.point_on_surface(clipped),
                crs=METRIC_CRS,
            )
        )
    if not frames:
        return gpd.GeoDataFrame(
            {"unit": [], "residents": []}, geometry=[], crs=METRIC_CRS
        )
    return pd.concat(frames, ignore_index=True)


def _clip(cells: np.ndarray, unit, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Cells cut to the unit and their areas; only boundary cells are intersected."""
    shapely.prepare(unit)
    inside = shapely.contains_properly(unit, cells)
    edge = ~inside & shapely.intersects(unit, cells)
    clipped = cells.copy()
    clipped[edge] = shapely.intersection(cells[edge], unit)
    areas = np.where(inside, cell * cell, 0.0)
    areas[edge] = shapely.area(clipped[edge])
    keep = areas > 0
    return clipped[keep], areas[keep]


#: Cell–facility pairs within the radius held in memory at once. The whole table
#: would be millions of rows (26 million for Wrocław's 100 m grid, 10,000
#: facilities and R = 3 km); cells are taken a chunk at a time instead.
PAIR_BUDGET = 2_000_000

#: Pairs this close to the radius (relative) are measured again exactly as GEOS
#: measures them, so "within R" does not depend on the index's rounding.
_EDGE = 1e-9


def _points(frame: gpd.GeoDataFrame) -> np.ndarray:
    """x, y of each geometry (a polygon at its representative point), in metres."""
    geometries = frame.geometry.to_numpy()
    not_points = shapely.get_type_id(geometries) != 0
    if not_points.any():
        geometries = geometries.copy()
        geometries[not_points] = shapely.point_on_surface(geometries[not_points])
    return shapely.get_coordinates(geometries).reshape(len(frame), 2)


def _metres(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # The formula GEOS uses between two points, so a cell exactly at R counts as
    # it did when distances came from shapely.
    dx, dy = a[:, 0] - b[:, 0], a[:, 1] - b[:, 1]
    return np.sqrt(dx * dx + dy * dy)


def pairs_in_reach(
    cells: np.ndarray,
    sites: np.ndarray,
    radius: float,
    budget: int = PAIR_BUDGET,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(cell, site) index pairs no more than ``radius`` apart, chunk by chunk.

    ``cells`` and ``sites`` are x, y arrays in metres. Each chunk holds at most
    ``budget`` pairs (or one cell's pairs when there are more sites than that), so
    memory stays bounded whatever the radius and the number of facilities.
    """
    if not len(cells) or not len(sites):
        return
    # Imported here: scipy.spatial costs a quarter of a second, and every command
    # and page that imports this module (the forms do) would pay it at start.
    from scipy.spatial import cKDTree

    tree = cKDTree(sites)
    step = max(1, budget // len(sites))
    padded = radius * (1 + _EDGE)
    for start in range(0, len(cells), step):
        chunk = cells[start : start + step]
        found = cKDTree(chunk).sparse_distance_matrix(
            tree, padded, output_type="ndarray"
        )
        cell, site, metres = found["i"] + start, found["j"], found["v"]
        edge = np.abs(metres - radius) <= radius * _EDGE
        metres[edge] = _metres(cells[cell[edge]], sites[site[edge]])
        keep = metres <= radius
        yield cell[keep], site[keep]


def covered_cells(
    grid: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, radius: float
) -> np.ndarray:
    """Boolean per grid cell: a facility within ``radius`` metres.

    The nearest facility decides; only cells whose nearest one is about R away are
    measured again exactly (as :func:`pairs_in_reach` does).
    """
    facilities = to_metric(facilities, "facilities")
    if not len(facilities) or not len(grid):
        return np.zeros(len(grid), dtype=bool)
    from scipy.spatial import cKDTree  # see pairs_in_reach

    cells, sites = _points(grid), _points(facilities)
    nearest, _site = cKDTree(sites).query(
        cells, distance_upper_bound=radius * (1 + _EDGE)
    )
    covered = nearest <= radius * (1 - _EDGE)
    edge = np.flatnonzero(~covered & np.isfinite(nearest))
    for cell, _sites in pairs_in_reach(cells[edge], sites, radius):
        covered[edge[cell]] = True
    return covered


def two_step_fca(
    grid: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    radius: float,
    budget: int = PAIR_BUDGET,
) -> np.ndarray:
    """2SFCA access score (capacity per resident) of each grid cell.

    ``facilities`` needs a ``capacity`` column; a facility without one counts as 0.
    The two-step floating catchment of Luo and Wang with straight-line distances,
    as PySAL ``access`` computes it (``Access.two_stage_fca`` with ``max_cost`` =
    ``radius``): each facility's capacity is divided by the residents of the cells
    within R of it, and each cell sums these ratios over the facilities within R.
    It is computed here, not by ``access``, because ``access`` takes the whole
    cell–facility cost table as a DataFrame and merges it twice: at R = 3 km with
    10,000 facilities in Wrocław that is 26 million rows and 3 GiB. Here both sums
    run over :func:`pairs_in_reach` chunks, so at most ``budget`` pairs are held at
    once. One difference, invisible in any unit's figures: a facility whose
    catchment has no residents adds 0 to its cells (``access`` adds inf or NaN to
    cells of 0 residents, which then drop out of every sum).
    """
    return _catchments(grid, facilities, radius, budget)[1]


def _catchments(
    grid: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    radius: float,
    budget: int = PAIR_BUDGET,
) -> tuple[np.ndarray, np.ndarray]:
    """Coverage and 2SFCA score of each cell; coverage comes free with the 2nd sum."""
    facilities = to_metric(facilities, "facilities")
    covered, scores = np.zeros(len(grid), dtype=bool), np.zeros(len(grid))
    if not len(facilities) or not len(grid):
        return covered, scores
    cells, sites = _points(grid), _points(facilities)
    residents = grid["residents"].to_numpy(dtype=float)
    capacity = facilities["capacity"].fillna(0).to_numpy(dtype=float)
    demand = np.zeros(len(sites))
    for cell, site in pairs_in_reach(cells, sites, radius, budget):
        demand += np.bincount(site, weights=residents[cell], minlength=len(sites))
    ratio = np.divide(capacity, demand, out=np.zeros(len(sites)), where=demand > 0)
    for cell, site in pairs_in_reach(cells, sites, radius, budget):
        scores += np.bincount(cell, weights=ratio[site], minlength=len(cells))
        covered[cell] = True
    return covered, scores


def unit_indicators(
    units: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    radius: float,
    cell: float = 100.0,
    grid: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Per unit: facilities, per 10,000 residents, places per 1,000, coverage, 2SFCA.

    Shares are in [0, 1]; ``covered`` + ``uncovered`` = residents for every unit with
    a known population; units without one have NaN indicators (shown as "no data").
    ``grid`` is :func:`population_grid` of the units when the caller already has it
    (a what-if or a second date reuses it instead of rebuilding it).
    """
    metric_units = to_metric(units, "units")
    metric_facilities = to_metric(facilities, "facilities")
    if grid is None:
        grid = population_grid(metric_units, cell)
    covered, access_score = _catchments(grid, metric_facilities, radius)
    grid = grid.assign(
        covered=grid["residents"] * covered, score=grid["residents"] * access_score
    )
    per_unit = grid.groupby("unit")[["residents", "covered", "score"]].sum()
    located = gpd.sjoin(
        metric_facilities, metric_units[["number", "geometry"]], predicate="within"
    )
    counts = located.groupby("number").size()
    places = located.groupby("number")["capacity"].sum(min_count=1)
    table = pd.DataFrame(
        {
            "unit": metric_units["number"].to_numpy(),
            "name": metric_units["name"].to_numpy(),
            "population": metric_units["population"].astype(float).to_numpy(),
        }
    ).set_index("unit")
    table["facilities"] = counts.reindex(table.index).fillna(0).astype(int)
    table["places"] = places.reindex(table.index).fillna(0.0)
    population = table["population"]
    table["per_10k"] = table["facilities"] / population * 10_000
    table["places_per_1k"] = table["places"] / population * 1_000
    # Summing a unit's cells can overshoot its population by rounding; a share above
    # 1 would be nonsense in a report.
    table["covered"] = np.minimum(per_unit["covered"].reindex(table.index), population)
    table["uncovered"] = population - table["covered"]
    table["coverage_share"] = table["covered"] / population
    table["access_2sfca_per_1k"] = (
        per_unit["score"].reindex(table.index) / population * 1_000
    )
    return table.reset_index()


def area_indicators(table: pd.DataFrame, assignment: dict[int, str]) -> pd.DataFrame:
    """The unit table summed up per service area (``{unit number: area code}``)."""
    known = table[table["population"].notna()].copy()
    known["area"] = known["unit"].map(assignment)
    sums = known.groupby("area")[
        ["population", "facilities", "places", "covered", "uncovered"]
    ].sum()
    sums["per_10k"] = sums["facilities"] / sums["population"] * 10_000
    sums["places_per_1k"] = sums["places"] / sums["population"] * 1_000
    sums["coverage_share"] = sums["covered"] / sums["population"]
    weighted = known["access_2sfca_per_1k"] * known["population"]
    sums["access_2sfca_per_1k"] = (
        weighted.groupby(known["area"]).sum() / sums["population"]
    )
    return sums.reset_index()


def unserved_units(table: pd.DataFrame) -> pd.DataFrame:
    """Units with residents but no facility within the radius, most residents first."""
    gaps = table[(table["population"] > 0) & (table["covered"] == 0)]
    return gaps.sort_values("population", ascending=False)


def unmet_needs(
    needs: gpd.GeoDataFrame, resources: gpd.GeoDataFrame, radius: float
) -> gpd.GeoDataFrame:
    """Needs with no resource of the same ``category`` within ``radius`` metres."""
    needs, resources = to_metric(needs, "needs"), to_metric(resources, "resources")
    unmet = []
    for index, need in needs.iterrows():
        same = resources[resources["category"] == need["category"]]
        if same.empty or same.distance(need.geometry).min() > radius:
            unmet.append(index)
    return needs.loc[unmet].to_crs("EPSG:4326")


def city_summary(table: pd.DataFrame) -> dict:
    """City totals of a unit table: residents, covered, facilities, 2SFCA, gaps.

    Units without a known population are counted apart (``units_without_data``), not
    as 0 residents.
    """
    known = table[table["population"].notna()]
    residents = float(known["population"].sum())
    covered = float(known["covered"].sum())
    weighted = (known["access_2sfca_per_1k"] * known["population"]).sum()
    return {
        "residents": residents,
        "covered": covered,
        "uncovered": residents - covered,
        "coverage_share": covered / residents if residents else np.nan,
        "facilities": int(table["facilities"].sum()),
        "places": float(table["places"].sum()),
        "access_2sfca_per_1k": weighted / residents if residents else np.nan,
        "unserved_units": len(unserved_units(table)),
        "units_without_data": int(table["population"].isna().sum()),
    }


def side_by_side(
    before: pd.DataFrame, after: pd.DataFrame, columns, key: str = "unit"
) -> pd.DataFrame:
    """Indicators of the same units in two tables, with their differences.

    For each of ``columns``: ``<column>_before``, ``<column>_after`` and
    ``<column>_change`` (after - before; NaN where either is unknown). Names come
    from ``before``.
    """
    left = before.set_index(key)
    right = after.set_index(key).reindex(left.index)
    frame = left[["name"]].copy()
    for column in columns:
        frame[f"{column}_before"] = left[column]
        frame[f"{column}_after"] = right[column]
        frame[f"{column}_change"] = right[column] - left[column]
    return frame.reset_index()
