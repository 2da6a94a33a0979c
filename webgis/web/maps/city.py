"""The city's map: service areas over units, and the thematic layers' features."""

from __future__ import annotations

from dataclasses import dataclass

import folium
import geopandas as gpd
from folium.plugins import MarkerCluster
from markupsafe import Markup

from webgis.analysis.choropleth import LegendEntry
from webgis.web.maps.base import (
    MapAssets,
    area_colours,
    area_polygons,
    base_map,
    fit,
    unit_polygons,
)
from webgis.web.maps.escaping import control_name, literal_safe


@dataclass(frozen=True)
class MapFeature:
    """A feature as a map shows it: where, its popup (escaped HTML), how sure."""

    geometry: object
    popup: Markup
    approximate: bool = False


@dataclass(frozen=True)
class MapLayer:
    """One thematic layer for the map: a toggle, a colour, a symbol, its features."""

    key: str
    title: str
    colour: str
    features: list[MapFeature]
    symbol: str = "●"


def city_map(
    areas: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    labels: dict,
    assets: MapAssets,
    layers: list[MapLayer] = (),
) -> tuple[folium.Map, list[LegendEntry]]:
    """The city's service areas, coloured and labelled, over a toggleable unit layer.

    ``labels`` gives the city's words for its units and areas (``unit_kind``,
    ``area_kind``), used for the layer names.
    """
    colours = area_colours(list(areas["code"]))
    fmap = base_map(assets)
    area_group = folium.FeatureGroup(name=control_name(labels["area_kind"]), show=True)
    area_polygons(areas, colours).add_to(area_group)
    for row in areas.itertuples():
        if row.geometry is None:
            continue
        point = row.geometry.representative_point()
        folium.Marker(
            location=(point.y, point.x),
            icon=folium.DivIcon(
                html=str(Markup('<span class="area-label">{}</span>').format(row.code)),
                class_name="area-label-icon",
                icon_size=(0, 0),
            ),
            interactive=False,
        ).add_to(area_group)
    area_group.add_to(fmap)
    unit_group = folium.FeatureGroup(name=control_name(labels["unit_kind"]), show=False)
    unit_polygons(units).add_to(unit_group)
    unit_group.add_to(fmap)
    for layer in layers:
        _thematic_layer(layer, assets).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fit(fmap, units if not units.empty else areas)
    legend = [LegendEntry(colours[r.code], r.name) for r in areas.itertuples()]
    legend += [LegendEntry(layer.colour, layer.title, True) for layer in layers]
    return fmap, legend


def area_map(
    area: gpd.GeoDataFrame, units: gpd.GeoDataFrame, assets: MapAssets
) -> folium.Map:
    """One service area's outline with its units, for the area's own page."""
    colours = area_colours(list(area["code"]))
    fmap = base_map(assets)
    if area.geometry.notna().any():
        area_polygons(area, colours, fill_opacity=0.15).add_to(fmap)
    if not units.empty:  # an area an admin has just added has no units yet
        unit_polygons(units).add_to(fmap)
    fit(fmap, units if not units.empty else area)
    return fmap


def _thematic_layer(layer: MapLayer, assets: MapAssets) -> folium.FeatureGroup:
    """A toggleable group: areas as polygons, points clustered when they crowd."""
    group = folium.FeatureGroup(name=control_name(layer.title), show=True)
    cluster = MarkerCluster(name=control_name(layer.title), control=False)
    cluster.default_js = [
        ("markerclusterjs", assets.url("markercluster/leaflet.markercluster.js"))
    ]
    cluster.default_css = [
        ("markerclustercss", assets.url("markercluster/MarkerCluster.css")),
        ("markerclusterdefault", assets.url("markercluster/MarkerCluster.Default.css")),
    ]
    for feature in layer.features:
        popup = folium.Popup(literal_safe(feature.popup), max_width=320)
        css = f"feature feature-{layer.key}" + (
            " approximate" if feature.approximate else ""
        )
        if feature.geometry.geom_type == "Point":
            icon = Markup(
                '<span class="{}" style="background:{}" aria-hidden="true">{}</span>'
            ).format(css, layer.colour, layer.symbol)
            folium.Marker(
                location=(feature.geometry.y, feature.geometry.x),
                icon=folium.DivIcon(
                    html=str(icon),
                    class_name="feature-icon",
                    icon_size=(26, 26),
                    icon_anchor=(13, 13),
                ),
                popup=popup,
                tooltip=None,
            ).add_to(cluster)
        else:
            folium.GeoJson(
                feature.geometry.__geo_interface__,
                style_function=lambda _f, c=layer.colour, k=css: {
                    "color": c,
                    "weight": 2,
                    "fillOpacity": 0.15,
                    "className": k,
                },
                popup=popup,
            ).add_to(group)
    cluster.add_to(group)
    return group
