"""The map of a staff member's home page: the outlines of the areas they work in."""

from __future__ import annotations

import folium
import geopandas as gpd

from webgis.web.maps.base import MapAssets, area_colours, area_polygons, base_map, fit


def home_map(areas: gpd.GeoDataFrame, assets: MapAssets) -> folium.Map:
    """The given service areas' outlines, coloured and framed; no features.

    A home page lists its records beside the map; the outlines alone keep the page
    light whatever the number of features.
    """
    fmap = base_map(assets)
    shown = areas[areas.geometry.notna()]
    if not shown.empty:
        area_polygons(shown, area_colours(list(shown["code"])), 0.15).add_to(fmap)
    fit(fmap, shown)
    return fmap
