"""Every folium map of the app; nothing outside this package imports folium.

Builders by page (:mod:`.city`, :mod:`.forms`, :mod:`.finder`, :mod:`.choropleth`)
share :mod:`.base`; every stored text reaches a map through :mod:`.escaping`, and
:mod:`.rendering` keeps folium from reading rendered text as a template again.
"""

from webgis.web.maps import rendering  # noqa: F401  (it fixes how folium renders)
from webgis.web.maps.base import (
    MapAssets,
    RenderedMap,
    for_display,
    merged_header,
    render,
    with_nonce,
)
from webgis.web.maps.choropleth import choropleth_map
from webgis.web.maps.city import MapLayer, area_map, city_map
from webgis.web.maps.finder import Pin, finder_map
from webgis.web.maps.forms import editor_map, feature_map, suggestion_map

__all__ = [
    "MapAssets",
    "MapLayer",
    "Pin",
    "RenderedMap",
    "area_map",
    "choropleth_map",
    "city_map",
    "editor_map",
    "feature_map",
    "finder_map",
    "for_display",
    "merged_header",
    "render",
    "suggestion_map",
    "with_nonce",
]
