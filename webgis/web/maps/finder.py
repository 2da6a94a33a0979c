"""The finder's map: numbered pins, the place distances start from, the outlines."""

from __future__ import annotations

from dataclasses import dataclass

import folium
from branca.element import MacroElement
from folium.template import Template
from markupsafe import Markup

from webgis.web.maps.base import MapAssets, base_map
from webgis.web.maps.escaping import script_json


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
        self.data = script_json(
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
    fmap = base_map(assets)
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
