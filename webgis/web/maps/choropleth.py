"""The analysis map: units filled by class, existing and hypothetical facilities."""

from __future__ import annotations

import folium
import geopandas as gpd

from webgis.web.maps.base import MapAssets, base_map, fit, for_display


def choropleth_map(
    units: gpd.GeoDataFrame,
    assets: MapAssets,
    facilities: gpd.GeoDataFrame | None = None,
    hypothetical: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Units filled by ``colour`` with an escaped ``tooltip`` each, plus points.

    ``facilities`` (existing, dark dots) and ``hypothetical`` (what-if, orange
    rings) are point frames in EPSG:4326.
    """
    fmap = base_map(assets)
    features = [
        {
            "type": "Feature",
            "geometry": for_display(row.geometry).__geo_interface__,
            "properties": {"colour": row.colour, "tooltip": row.tooltip},
        }
        for row in units.itertuples()
        if row.geometry is not None
    ]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="choropleth",
        style_function=lambda f: {
            "color": "#555555",
            "weight": 1,
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.8,
            "className": "choropleth-unit",
        },
        highlight_function=lambda f: {"weight": 3},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
    ).add_to(fmap)
    for frame, style in (
        (facilities, {"color": "#222222", "radius": 4, "class_name": "facility"}),
        (hypothetical, {"color": "#d95f02", "radius": 8, "class_name": "what-if"}),
    ):
        for point in [] if frame is None else frame.geometry:
            folium.CircleMarker(
                location=(point.y, point.x), fill=True, fill_opacity=0.9, **style
            ).add_to(fmap)
    fit(fmap, units)
    return fmap
