"""Maps of one feature: the form's editor, the suggestion form, a detail page."""

from __future__ import annotations

import folium
import geopandas as gpd

from webgis.web.maps.base import MapAssets, base_map, fit, unit_polygons


def editor_map(units: gpd.GeoDataFrame, geometry, assets: MapAssets) -> folium.Map:
    """The map of a feature form: the city's units and the current geometry.

    ``static/js/feature-editor.js`` adds clicking, dragging and drawing.
    """
    fmap = base_map(assets)
    fmap.default_js = [
        *fmap.default_js,
        ("geoman", assets.url("geoman/leaflet-geoman.min.js")),
    ]
    fmap.default_css = [
        *fmap.default_css,
        ("geoman_css", assets.url("geoman/leaflet-geoman.css")),
    ]
    unit_polygons(units, interactive=False).add_to(fmap)
    if geometry is not None:
        west, south, east, north = geometry.buffer(0.003).bounds
        fmap.fit_bounds([[south, west], [north, east]])
    else:
        fit(fmap, units)
    return fmap


def suggestion_map(units: gpd.GeoDataFrame, assets: MapAssets) -> folium.Map:
    """The public suggestion form's map: units drawn lighter for a phone.

    Outlines simplified to about 10 m shrink the page several times over; the map
    only helps a resident click roughly where something is.
    """
    light = units.set_geometry(units.geometry.simplify(0.0001, preserve_topology=True))
    return editor_map(light, None, assets)


def feature_map(geometry, colour: str, assets: MapAssets) -> folium.Map:
    """A small map of one feature."""
    fmap = base_map(assets)
    if geometry.geom_type == "Point":
        folium.CircleMarker(
            location=(geometry.y, geometry.x),
            radius=9,
            color=colour,
            fill=True,
            fill_opacity=0.85,
            class_name="feature",
        ).add_to(fmap)
    else:
        folium.GeoJson(
            geometry.__geo_interface__,
            style_function=lambda _f: {
                "color": colour,
                "weight": 2,
                "fillOpacity": 0.2,
                "className": "feature",
            },
        ).add_to(fmap)
    west, south, east, north = geometry.buffer(0.003).bounds
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap
