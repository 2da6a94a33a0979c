"""The analysis map: units filled by class, existing and hypothetical facilities."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import shapely

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
    for frame, colour, radius, css in (
        (facilities, "#222222", 4, "facility"),
        (hypothetical, "#d95f02", 8, "what-if"),
    ):
        if frame is not None and len(frame):
            _points_layer(frame, colour, radius, css).add_to(fmap)
    fit(fmap, units)
    return fmap


#: Up to this many points are drawn one by one; more are drawn as groups.
SINGLE_POINTS = 2_000
#: The grid (degrees, about 350 m in Poland) points are grouped on.
GROUP_CELL = 0.005


def _points_layer(frame, colour: str, radius: int, css: str) -> folium.GeoJson:
    """Points as one GeoJSON layer of circles: a few bytes each, not a script each.

    Beyond :data:`SINGLE_POINTS` they are grouped on a grid, each group a circle
    that grows with its count, so the page stays small at any number of facilities.
    """
    groups = point_groups(
        frame.geometry, GROUP_CELL if len(frame) > SINGLE_POINTS else 0
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(x, 5), round(y, 5)]},
            "properties": {"count": int(n)},
        }
        for x, y, n in groups
    ]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=css,
        marker=folium.CircleMarker(radius=radius, fill=True, fill_opacity=0.9),
        style_function=lambda f, c=colour, r=radius, k=css: {
            "color": c,
            "fillColor": c,
            "radius": r + min(8, 2 * (f["properties"]["count"] - 1) ** 0.5),
            "className": k,
        },
        interactive=False,
        control=False,
    )


def point_groups(points, cell: float) -> list[tuple[float, float, int]]:
    """(x, y, count) of points grouped on a grid of ``cell`` degrees (0: no groups)."""
    coordinates = shapely.get_coordinates(shapely.centroid(np.asarray(points)))
    if not cell or not len(coordinates):
        return [(x, y, 1) for x, y in coordinates]
    keys = np.floor(coordinates / cell).astype(np.int64)
    _unique, group, counts = np.unique(
        keys, axis=0, return_inverse=True, return_counts=True
    )
    group = group.ravel()
    sums = np.zeros((len(counts), 2))
    np.add.at(sums, group, coordinates)
    middles = sums / counts[:, None]
    return [(x, y, n) for (x, y), n in zip(middles, counts, strict=True)]
