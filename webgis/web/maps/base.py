"""What every map of the app shares: Leaflet from this site and the base map.

Also the outlines of units and service areas, and the pieces a page template embeds.

Maps load Leaflet from the app's own static files, so they draw without the internet;
only the background tiles come from outside, and a page works when they fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import cycle

import folium
import geopandas as gpd
import shapely
import xyzservices
from flask_babel import gettext as _
from markupsafe import Markup, escape

from webgis.web.maps.escaping import area_tooltip, unit_tooltip

#: Qualitative colours (ColorBrewer Paired and Dark2), distinguishable side by side.
AREA_COLOURS = (
    "#1f78b4",
    "#33a02c",
    "#e31a1c",
    "#ff7f00",
    "#6a3d9a",
    "#b15928",
    "#a6cee3",
    "#b2df8a",
    "#fb9a99",
    "#fdbf6f",
    "#cab2d6",
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
)
_FOLIUM_META = re.compile(r"<meta (name=\"viewport\"|http-equiv)[^>]*>", re.S)
#: The closest zoom of every map (street level, where background tiles stop).
MAX_ZOOM = 19
UNIT_STYLE = {"color": "#444444", "weight": 1, "fillOpacity": 0.05, "dashArray": "3"}


@dataclass(frozen=True)
class MapAssets:
    """Where the browser fetches Leaflet, its plugins and the background tiles from.

    ``vendor`` is the URL prefix of ``webgis/static/vendor/``.
    """

    vendor: str
    tiles_url: str
    tiles_attribution: str
    #: The URL prefix of ``webgis/static/js/``, the app's own scripts.
    scripts: str = "/static/js/"

    def url(self, path: str) -> str:
        """The URL of a vendored file."""
        return self.vendor.rstrip("/") + "/" + path

    def script(self, name: str) -> str:
        """The URL of one of the app's own scripts."""
        return self.scripts.rstrip("/") + "/" + name


@dataclass(frozen=True)
class RenderedMap:
    """The parts of a folium map that a page template places in its head and body."""

    header: Markup
    body: Markup
    script: Markup
    #: The map's JavaScript variable, for a page script that listens to clicks.
    name: str = ""


def area_colours(codes: list[str]) -> dict[str, str]:
    """A distinct colour for each service-area code, stable for a given order."""
    return dict(zip(codes, cycle(AREA_COLOURS), strict=False))


def for_display(geometry):
    """A lighter geometry for a city-wide map: about 1 m precision, 2 m simplified.

    Official boundaries carry centimetre vertices; sent as they are, three maps of
    Wrocław's osiedla weigh 2 MB. Rounding keeps shared edges shared.
    """
    rounded = shapely.set_precision(geometry, 1e-5)
    return shapely.simplify(rounded, 2e-5, preserve_topology=True)


def render(fmap: folium.Map, nonce: str = "") -> RenderedMap:
    """Split a folium map into the pieces a Jinja page embeds.

    ``nonce`` is the page's Content-Security-Policy nonce, put on folium's inline
    scripts so the policy can forbid every other inline script. Without one the
    pieces can be kept and given each page's nonce by :func:`with_nonce`.
    """
    root = fmap.get_root()
    root.render()
    header = root.header.render()
    # folium's own viewport tag forbids zooming the page, which fails WCAG 1.4.4;
    # the page template already sets a proper one.
    header = _FOLIUM_META.sub("", header)
    rendered = RenderedMap(
        header=Markup(header),
        body=Markup(root.html.render()),
        script=Markup(root.script.render()),
        name=fmap.get_name(),
    )
    return with_nonce(rendered, nonce) if nonce else rendered


def with_nonce(rendered: RenderedMap, nonce: str) -> RenderedMap:
    """A map rendered without a nonce, with ``nonce`` on its head's inline scripts."""
    tag = f'<script nonce="{escape(nonce)}">'
    header = str(rendered.header).replace("<script>", tag)
    return replace(rendered, header=Markup(header))


_HEAD_ELEMENT = re.compile(r"<(script|style)\b[^>]*>.*?</\1>|<link\b[^>]*>", re.S)


def merged_header(rendered: list[RenderedMap]) -> Markup:
    """The head of a page with several maps: each script, link and style once.

    Loading Leaflet twice would replace ``L`` under the first map; each map's own
    style (keyed by its element id) stays, as it differs.
    """
    seen, parts = set(), []
    for one in rendered:
        for match in _HEAD_ELEMENT.finditer(str(one.header)):
            key = " ".join(match.group(0).split())
            if key not in seen:
                seen.add(key)
                parts.append(match.group(0))
    return Markup("\n".join(parts))


def base_map(assets: MapAssets) -> folium.Map:
    """An empty map with this site's Leaflet and, when configured, background tiles."""
    fmap = folium.Map(tiles=None, control_scale=True, zoom_start=11)
    # Leaflet takes the zoom range from the tile layer; without tiles (offline,
    # WEBGIS_TILES_URL empty) the map needs its own, or zooming to fit fails.
    fmap.options["maxZoom"] = MAX_ZOOM
    # Served from our static files; folium's CDN extras (Bootstrap, icon fonts) are
    # not used and would be requests that fail offline.
    # folium's popups build their content with jQuery.
    fmap.default_js = [
        ("leaflet", assets.url("leaflet/leaflet.js")),
        ("jquery", assets.url("jquery/jquery.min.js")),
    ]
    fmap.default_css = [("leaflet_css", assets.url("leaflet/leaflet.css"))]
    if assets.tiles_url:
        folium.TileLayer(
            tiles=_tile_provider(assets.tiles_url, assets.tiles_attribution),
            attr=assets.tiles_attribution,
            name=_("Podkład mapy"),
            control=False,
        ).add_to(fmap)
    return fmap


@lru_cache(maxsize=8)
def _tile_provider(url: str, attribution: str) -> xyzservices.TileProvider:
    # Given a string, folium looks it up among xyzservices' thousands of named
    # providers first (several milliseconds on every map page); ours is a URL.
    return xyzservices.TileProvider(
        name="tiles", url=url, attribution=attribution, html_attribution=attribution
    )


def area_polygons(areas, colours, fill_opacity=0.35) -> folium.GeoJson:
    """The service areas as one GeoJSON layer, coloured, with escaped tooltips."""
    features = []
    for row in areas.itertuples():
        if row.geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": for_display(row.geometry).__geo_interface__,
                "properties": {
                    "colour": colours[row.code],
                    "tooltip": area_tooltip(row),
                },
            }
        )
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="service_areas",
        style_function=lambda f: {
            "color": f["properties"]["colour"],
            "fillColor": f["properties"]["colour"],
            "weight": 2,
            "fillOpacity": fill_opacity,
            "className": "service-area",
        },
        highlight_function=lambda f: {"weight": 4, "fillOpacity": fill_opacity + 0.2},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
    )


def unit_polygons(units, interactive: bool = True) -> folium.GeoJson:
    """The units as one GeoJSON layer, with escaped tooltips when ``interactive``."""
    features = [
        {
            "type": "Feature",
            "geometry": for_display(row.geometry).__geo_interface__,
            "properties": {"tooltip": unit_tooltip(row)},
        }
        for row in units.itertuples()
    ]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="units",
        style_function=lambda f: {**UNIT_STYLE, "className": "unit"},
        highlight_function=(lambda f: {"weight": 3}) if interactive else None,
        tooltip=(
            folium.GeoJsonTooltip(fields=["tooltip"], labels=False)
            if interactive
            else None
        ),
        interactive=interactive,
    )


def fit(fmap: folium.Map, frame: gpd.GeoDataFrame) -> None:
    """Frame the map on the frame's geometries (nothing when there are none)."""
    frame = frame[frame.geometry.notna()]
    if frame.empty:
        return
    west, south, east, north = frame.total_bounds
    fmap.fit_bounds([[south, west], [north, east]])
