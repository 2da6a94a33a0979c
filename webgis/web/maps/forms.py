"""Maps of one feature: the form's editor, the suggestion form, a detail page."""

from __future__ import annotations

from collections.abc import Iterable

import folium
import geopandas as gpd
from branca.element import MacroElement
from flask_babel import gettext as _
from folium.template import Template
from markupsafe import escape

from webgis.web.maps.base import (
    MapAssets,
    area_colours,
    area_polygons,
    base_map,
    fit,
    unit_polygons,
)
from webgis.web.maps.escaping import literal_safe


class _ToolbarNames(MacroElement):
    """Names for the drawing toolbar's links, which Leaflet-Geoman leaves unnamed.

    Each link's name is only the ``title`` of the box around it, which screen
    readers do not announce for the link (axe-core ``link-name``); the toolbar is
    added later by the page's script, so its links are named as they appear.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (container) {
          function name() {
            container.querySelectorAll(
              ".button-container[title] > a:not([aria-label])"
            ).forEach(function (link) {
              link.setAttribute("aria-label", link.parentNode.getAttribute("title"));
            });
          }
          new MutationObserver(name).observe(container,
                                             {childList: true, subtree: true});
        }({{ this._parent.get_name() }}.getContainer()));
        {% endmacro %}
        """
    )


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
    _ToolbarNames().add_to(fmap)
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


def moderation_map(
    areas: gpd.GeoDataFrame,
    latitude: float,
    longitude: float,
    assets: MapAssets,
    others: Iterable[tuple[float, float, str]] = (),
) -> folium.Map:
    """A suggestion's map: the city's service areas and its point, to drag.

    ``others`` (latitude, longitude, title) are what it may repeat, drawn as
    rings. ``static/js/moderation-map.js`` writes the dragged point into the
    form's latitude and longitude fields (which also work without scripts).
    """
    fmap = base_map(assets)
    colours = area_colours(list(areas["code"]))
    area_polygons(areas, colours, fill_opacity=0.08).add_to(fmap)
    for other_latitude, other_longitude, title in others:
        folium.CircleMarker(
            location=(other_latitude, other_longitude),
            radius=8,
            color="#6a3d9a",
            weight=3,
            fill=False,
            class_name="possible-duplicate",
            # folium writes a tooltip between backticks, as HTML.
            tooltip=folium.Tooltip(literal_safe(escape(title))),
        ).add_to(fmap)
    folium.Marker(
        location=(latitude, longitude),
        draggable=True,
        keyboard=True,
        # The marker is a button to screen readers; its alt text is its name.
        alt=_("Proponowane miejsce (przeciągnij, aby poprawić)"),
    ).add_to(fmap)
    # About 500 m each way: the neighbourhood, and the area borders near it.
    north, south = latitude + 0.0045, latitude - 0.0045
    east, west = longitude + 0.007, longitude - 0.007
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


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
