"""Builds every folium map of the app; no other module imports folium.

Maps load Leaflet from the app's own static files, so they draw without the internet;
only the background tiles come from outside, and a page works when they fail.
Every text that reaches a tooltip is escaped here, because Leaflet shows it as HTML.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import cycle

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from flask_babel import format_number
from flask_babel import gettext as _
from folium.plugins import MarkerCluster
from folium.template import Template
from markupsafe import Markup, escape

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
UNIT_STYLE = {"color": "#444444", "weight": 1, "fillOpacity": 0.05, "dashArray": "3"}


@dataclass(frozen=True)
class MapAssets:
    """Where the browser fetches Leaflet, its plugins and the background tiles from.

    ``vendor`` is the URL prefix of ``webgis/static/vendor/``.
    """

    vendor: str
    tiles_url: str
    tiles_attribution: str

    def url(self, path: str) -> str:
        """The URL of a vendored file."""
        return self.vendor.rstrip("/") + "/" + path


@dataclass(frozen=True)
class MapFeature:
    """A feature as a map shows it: where, its popup (escaped HTML), how sure."""

    geometry: object
    popup: Markup
    approximate: bool = False


@dataclass(frozen=True)
class Pin:
    """A numbered marker of the finder map; ``label`` is its number in the list."""

    lat: float
    lon: float
    label: str
    title: str
    popup: Markup
    colour: str = "#1f78b4"
    approximate: bool = False


@dataclass(frozen=True)
class MapLayer:
    """One thematic layer for the map: a toggle, a colour, a symbol, its features."""

    key: str
    title: str
    colour: str
    features: list[MapFeature]
    symbol: str = "●"


@dataclass(frozen=True)
class LegendEntry:
    """One line of a map legend: a colour and what it stands for."""

    colour: str
    label: str
    is_layer: bool = False


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
    fmap = _base_map(assets)
    area_group = folium.FeatureGroup(name=_control_name(labels["area_kind"]), show=True)
    _area_polygons(areas, colours).add_to(area_group)
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
    unit_group = folium.FeatureGroup(
        name=_control_name(labels["unit_kind"]), show=False
    )
    _unit_polygons(units).add_to(unit_group)
    unit_group.add_to(fmap)
    for layer in layers:
        _thematic_layer(layer, assets).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _fit(fmap, units if not units.empty else areas)
    legend = [LegendEntry(colours[r.code], r.name) for r in areas.itertuples()]
    legend += [LegendEntry(layer.colour, layer.title, True) for layer in layers]
    return fmap, legend


#: Sequential colours (ColorBrewer YlGnBu) for 2-7 classes, light = low; and the
#: grey of "no data", which must never look like a low value.
SEQUENTIAL = {
    2: ("#edf8b1", "#2c7fb8"),
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
NO_DATA_COLOUR = "#bdbdbd"


def class_colours(count: int) -> tuple[str, ...]:
    """The colours of ``count`` classes, low to high."""
    if count <= 1:
        return SEQUENTIAL[2][1:] if count else ()
    return SEQUENTIAL[min(count, 7)]


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
    fmap = _base_map(assets)
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
    _fit(fmap, units)
    return fmap


def for_display(geometry):
    """A lighter geometry for a city-wide map: about 1 m precision, 2 m simplified.

    Official boundaries carry centimetre vertices; sent as they are, three maps of
    Wrocław's osiedla weigh 2 MB. Rounding keeps shared edges shared.
    """
    rounded = shapely.set_precision(geometry, 1e-5)
    return shapely.simplify(rounded, 2e-5, preserve_topology=True)


def area_map(
    area: gpd.GeoDataFrame, units: gpd.GeoDataFrame, assets: MapAssets
) -> folium.Map:
    """One service area's outline with its units, for the area's own page."""
    colours = area_colours(list(area["code"]))
    fmap = _base_map(assets)
    if area.geometry.notna().any():
        _area_polygons(area, colours, fill_opacity=0.15).add_to(fmap)
    if not units.empty:  # an area an admin has just added has no units yet
        _unit_polygons(units).add_to(fmap)
    _fit(fmap, units if not units.empty else area)
    return fmap


def _thematic_layer(layer: MapLayer, assets: MapAssets) -> folium.FeatureGroup:
    """A toggleable group: areas as polygons, points clustered when they crowd."""
    group = folium.FeatureGroup(name=_control_name(layer.title), show=True)
    cluster = MarkerCluster(name=_control_name(layer.title), control=False)
    cluster.default_js = [
        ("markerclusterjs", assets.url("markercluster/leaflet.markercluster.js"))
    ]
    cluster.default_css = [
        ("markerclustercss", assets.url("markercluster/MarkerCluster.css")),
        ("markerclusterdefault", assets.url("markercluster/MarkerCluster.Default.css")),
    ]
    for feature in layer.features:
        popup = folium.Popup(_literal_safe(feature.popup), max_width=320)
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


def _control_name(text: str) -> str:
    """A layer's name for Leaflet's layer control, which shows names as HTML."""
    return str(escape(text))


def _literal_safe(html: Markup) -> str:
    """Escaped HTML that is also safe inside a JavaScript template literal.

    folium writes popup HTML between backticks; HTML escaping leaves backticks,
    backslashes and ``${`` alone, so they become character references here.
    """
    return (
        str(html).replace("\\", "&#92;").replace("`", "&#96;").replace("${", "&#36;{")
    )


def editor_map(units: gpd.GeoDataFrame, geometry, assets: MapAssets) -> folium.Map:
    """The map of a feature form: the city's units and the current geometry.

    ``static/js/feature-editor.js`` adds clicking, dragging and drawing.
    """
    fmap = _base_map(assets)
    fmap.default_js = [
        *fmap.default_js,
        ("geoman", assets.url("geoman/leaflet-geoman.min.js")),
    ]
    fmap.default_css = [
        *fmap.default_css,
        ("geoman_css", assets.url("geoman/leaflet-geoman.css")),
    ]
    _unit_polygons(units, interactive=False).add_to(fmap)
    if geometry is not None:
        west, south, east, north = geometry.buffer(0.003).bounds
        fmap.fit_bounds([[south, west], [north, east]])
    else:
        _fit(fmap, units)
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
    fmap = _base_map(assets)
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


class _PinLayer(MacroElement):
    """The finder's numbered pins, all drawn by one script.

    A folium Marker per pin compiles its templates anew each time, which cost more
    than the search itself (see benchmarks/finder.py).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
          {{ this.data }}.forEach(function (p) {
            L.marker([p.lat, p.lon], {
              icon: L.divIcon({html: p.icon, className: "pin-icon",
                               iconSize: [30, 30], iconAnchor: [15, 15]}),
              // Leaflet names the marker's button with its title (screen readers).
              title: p.title, alt: p.title, keyboard: true
            }).bindPopup(p.popup, {maxWidth: 300}).addTo(map);
          });
        }({{ this._parent.get_name() }}));
        {% endmacro %}
        """
    )

    def __init__(self, pins: list[Pin]):
        super().__init__()
        self._name = "Pins"
        self.data = _script_json(
            [
                {
                    "lat": pin.lat,
                    "lon": pin.lon,
                    "title": f"{pin.label}. {pin.title}",
                    "popup": str(pin.popup),
                    "icon": str(
                        Markup(
                            '<span class="{}" style="background:{}" '
                            'aria-hidden="true">{}</span>'
                        ).format(
                            "pin approximate" if pin.approximate else "pin",
                            pin.colour,
                            pin.label,
                        )
                    ),
                }
                for pin in pins
            ]
        )


def _script_json(value) -> str:
    """JSON that is safe inside an HTML script element (no tag can be closed)."""
    return (
        json.dumps(value)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


def finder_map(
    pins: list[Pin],
    assets: MapAssets,
    bounds: tuple[float, float, float, float],
    origin: tuple[float, float] | None = None,
    outlines: list = (),
) -> folium.Map:
    """The finder's results as numbered markers, and the place distances start from.

    The numbers match the list beside the map, which carries the same facts (and is
    what screen readers and keyboards use); ``bounds`` (west, south, east, north)
    frame the city when nothing was found. ``origin`` is (lat, lon). ``outlines``
    (the service areas) give the pins a place when the background tiles fail.
    """
    fmap = _base_map(assets)
    if outlines:
        folium.GeoJson(
            {
                "type": "GeometryCollection",
                "geometries": [g.__geo_interface__ for g in outlines],
            },
            name="outlines",
            style_function=lambda _f: {
                "color": "#555555",
                "weight": 1.5,
                "fill": False,
                "className": "outline",
            },
            interactive=False,
            control=False,
        ).add_to(fmap)
    _PinLayer(pins).add_to(fmap)
    points = [(p.lat, p.lon) for p in pins]
    if origin is not None:
        folium.CircleMarker(
            location=origin,
            radius=8,
            color="#b00020",
            fill=True,
            fill_opacity=0.9,
            class_name="origin",
        ).add_to(fmap)
        points.append(origin)
    if points:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        pad = 0.003
        fmap.fit_bounds(
            [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]
        )
    else:
        west, south, east, north = bounds
        fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def render(fmap: folium.Map, nonce: str = "") -> RenderedMap:
    """Split a folium map into the pieces a Jinja page embeds.

    ``nonce`` is the page's Content-Security-Policy nonce, put on folium's inline
    scripts so the policy can forbid every other inline script.
    """
    root = fmap.get_root()
    root.render()
    header = root.header.render()
    # folium's own viewport tag forbids zooming the page, which fails WCAG 1.4.4;
    # the page template already sets a proper one.
    header = _FOLIUM_META.sub("", header)
    header = header.replace("<script>", f'<script nonce="{escape(nonce)}">')
    return RenderedMap(
        header=Markup(header),
        body=Markup(root.html.render()),
        script=Markup(root.script.render()),
        name=fmap.get_name(),
    )


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


def _base_map(assets: MapAssets) -> folium.Map:
    fmap = folium.Map(tiles=None, control_scale=True, zoom_start=11)
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
            tiles=assets.tiles_url,
            attr=assets.tiles_attribution,
            name=_("Podkład mapy"),
            control=False,
        ).add_to(fmap)
    return fmap


def _area_polygons(areas, colours, fill_opacity=0.35) -> folium.GeoJson:
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
                    "tooltip": _area_tooltip(row),
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


def _unit_polygons(units, interactive: bool = True) -> folium.GeoJson:
    features = [
        {
            "type": "Feature",
            "geometry": for_display(row.geometry).__geo_interface__,
            "properties": {"tooltip": _unit_tooltip(row)},
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


def residents_text(population: int | None) -> str:
    """Residents as a reader sees them; an unknown population is "no data", never 0."""
    if population is None:
        return _("Mieszkańcy: brak danych")
    return _("Mieszkańcy: %(count)s", count=format_number(population))


def _area_tooltip(row) -> str:
    units = ", ".join(row.units)
    return str(
        Markup("<strong>{}</strong><br>{}<br>{}: {}").format(
            row.name, residents_text(row.population), _("Jednostki"), units
        )
    )


def _unit_tooltip(row) -> str:
    return str(
        Markup("<strong>{}. {}</strong><br>{}").format(
            row.number, row.name, residents_text(row.population)
        )
    )


def _fit(fmap: folium.Map, frame: gpd.GeoDataFrame) -> None:
    frame = frame[frame.geometry.notna()]
    if frame.empty:
        return
    west, south, east, north = frame.total_bounds
    fmap.fit_bounds([[south, west], [north, east]])
