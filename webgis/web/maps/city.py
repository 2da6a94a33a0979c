"""The city's map: service areas over units, and the thematic layers' features.

Features are not part of the page: a script asks for those in view as the map
moves (see :mod:`webgis.web.views.main`), grouped by the server when they crowd.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
import geopandas as gpd
from branca.element import MacroElement
from flask_babel import gettext as _
from folium.elements import JSCSSMixin
from folium.template import Template
from folium.utilities import JsCode
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
from webgis.web.maps.escaping import control_name, script_json


@dataclass(frozen=True)
class MapLayer:
    """One thematic layer for the map: a toggle, a colour, a symbol, where to ask.

    ``url`` answers with the layer's features (or groups of them) in a box and
    ``url + "/<id>"`` with one feature's popup: the page carries no features, so
    its size does not grow with them.
    """

    key: str
    title: str
    colour: str
    url: str
    symbol: str = "●"


class _LiveLayers(JSCSSMixin, MacroElement):
    """The thematic layers, each a toggle that loads what the map shows.

    The drawing is in ``live-layers.js``, a static file (the page's policy allows no
    other inline script than folium's); this only hands it the layers.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        MapaZasobow.liveLayers({{ this._parent.get_name() }},
            {{ this.control.get_name() }}, {{ this.data }});
        {% endmacro %}
        """
    )

    def __init__(self, layers, control, script_url: str, labels: dict):
        super().__init__()
        self._name = "LiveLayers"
        self.control = control
        self.default_js = [("live_layers", script_url)]
        self.data = script_json(
            {
                "labels": labels,
                "layers": [
                    {
                        "key": layer.key,
                        "name": control_name(layer.title),
                        "colour": layer.colour,
                        "symbol": layer.symbol,
                        "url": layer.url,
                    }
                    for layer in layers
                ],
            }
        )


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
    if areas.geometry.notna().any():  # a new city has no areas until one is drawn
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
    if not units.empty:  # nor units until their boundaries are imported
        unit_polygons(units).add_to(unit_group)
    unit_group.add_to(fmap)
    control = folium.LayerControl(collapsed=PHONE_SCREEN)
    control.add_to(fmap)
    if layers:
        _LiveLayers(
            layers, control, assets.script("live-layers.js"), _map_words()
        ).add_to(fmap)
    fit(fmap, units if not units.empty else areas)
    legend = [LegendEntry(colours[r.code], r.name) for r in areas.itertuples()]
    legend += [LegendEntry(layer.colour, layer.title, True) for layer in layers]
    return fmap, legend


#: Open on a wide screen; on a phone an open list of layers would cover a third of
#: the map, so it starts as the small button that opens it.
PHONE_SCREEN = JsCode('window.matchMedia("(max-width: 40rem)").matches')


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


def _map_words() -> dict:
    """What the map script says, in the reader's language."""
    return {
        "group": _("Obiekty w pobliżu: %(count)s. Przybliż, aby zobaczyć."),
        "failed": _("Nie udało się wczytać obiektów warstwy."),
    }
