"""The coverage analysis of one city and layer, from the database."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd

from webgis import analysis, feature_store, geography, layer_registry
from webgis.boundaries import STORAGE_CRS
from webgis.errors import NotFound, WebgisError
from webgis.models import City


def facilities_frame(
    city: City, layer: str, facility_type: str | None = None, when: date | None = None
) -> gpd.GeoDataFrame:
    """Published point features of ``layer`` (optionally of one type) with capacity."""
    spec = layer_registry().get(layer)
    if spec is None:
        raise NotFound(f"Nie ma warstwy {layer!r}; są: {', '.join(layer_registry())}.")
    rows = [
        {
            "capacity": props.get("capacity"),
            "type": props.get("facility_type"),
            "geometry": geometry.representative_point(),
        }
        for geometry, props in feature_store.published_at(city, spec, when)
    ]
    frame = gpd.GeoDataFrame(
        rows or {"capacity": [], "type": [], "geometry": []},
        geometry="geometry",
        crs=STORAGE_CRS,
    )
    if facility_type:
        if facility_type not in set(frame["type"].dropna()) and rows:
            known = ", ".join(sorted(set(frame["type"].dropna())))
            raise WebgisError(
                f"Nie ma placówek typu {facility_type!r}; są typy: {known}."
            )
        frame = frame[frame["type"] == facility_type]
    frame["capacity"] = pd.to_numeric(frame["capacity"], errors="coerce")
    return frame


def coverage_table(
    city: City,
    layer: str,
    facility_type: str | None,
    radius: float,
    cell: float,
    when: date | None = None,
) -> pd.DataFrame:
    """Per-unit indicators with each unit's service area, ranked worst-served first."""
    units = geography.units_frame(city)
    if units.empty:
        raise WebgisError(f"Miasto {city.name} nie ma jednostek.")
    units["population"] = pd.to_numeric(units["population"], errors="coerce")
    facilities = facilities_frame(city, layer, facility_type, when)
    table = analysis.unit_indicators(units, facilities, radius, cell)
    table.insert(2, "service_area", units["service_area"].to_numpy())
    return table.sort_values(["coverage_share", "population"], ascending=[True, False])
