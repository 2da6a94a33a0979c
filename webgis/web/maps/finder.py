"""The finder's map: numbered pins, the place distances start from, the outlines."""

from __future__ import annotations

from dataclasses import dataclass

import folium
from branca.element import MacroElement
from folium.template import Template
from markupsafe import Markup

from webgis.web.maps.base import MapAssets, base_map
from webgis.web.maps.escaping import script_json, script_safe


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
          var markers = {{ this.data }}.map(function (p) {
            return L.marker([p.lat, p.lon], {
              icon: L.divIcon({html: p.icon, className: "pin-icon",
                               iconSize: [30, 30], iconAnchor: [15, 15]}),
              // Leaflet names the marker's button with its title (screen readers).
              title: p.title, alt: p.title, keyboard: true
            }).bindPopup(p.popup, {maxWidth: 300}).addTo(map);
          });
          // Pins closer on screen than their own size would hide each other: move
          // each later one to a free place on a small ring around its point. A
          // page has a few dozen pins at most, so comparing all pairs is cheap.
          var SIZE = 30, RING = 32, STEPS = 8;
          function free(spot, placed) {
            return !placed.some(function (q) { return q.distanceTo(spot) < SIZE; });
          }
          function around(step) {
            var angle = 2 * Math.PI * step / STEPS;
            var radius = RING * (1 + Math.floor(step / STEPS));
            return L.point(Math.round(radius * Math.cos(angle)),
                           Math.round(radius * Math.sin(angle)));
          }
          function spread() {
            var placed = [];
            markers.forEach(function (marker) {
              var at = map.latLngToLayerPoint(marker.getLatLng());
              var shift = L.point(0, 0);
              for (var step = 0; step < 2 * STEPS; step++) {
                if (free(at.add(shift), placed)) break;
                shift = around(step);
              }
              placed.push(at.add(shift));
              var icon = marker.getElement();
              if (icon && icon.firstChild) {
                icon.firstChild.style.transform = shift.x || shift.y
                  ? "translate(" + shift.x + "px," + shift.y + "px)" : "";
              }
            });
          }
          map.whenReady(spread);
          map.on("zoomend", spread);
        }({{ this._parent.get_name() }}));
        {% endmacro %}
        """
    )

    def __init__(self, pins: list[Pin]):
        super().__init__()
        self._name = "Pins"
        self.data = script_json([_marker(group) for group in at_one_place(pins)])


class _Outlines(MacroElement):
    """The service areas' outlines from GeoJSON text made once per their version.

    Not ``folium.GeoJson``: it would turn the geometries into JSON again on every
    page of the finder.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.geoJSON({{ this.data }}, {
          interactive: false,
          style: {color: "#555555", weight: 1.5, fill: false, className: "outline"}
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, geojson: str):
        super().__init__()
        self._name = "Outlines"
        self.data = script_safe(geojson)


def at_one_place(pins: list[Pin]) -> list[list[Pin]]:
    """The page's pins grouped by place, in list order.

    Services at one address would draw their pins exactly on top of each other, so
    only the last could be seen or clicked; one marker per place lists them all.
    Only the shown page's pins are grouped, so this costs nothing per stored row.
    """
    groups: dict[tuple[float, float], list[Pin]] = {}
    for pin in pins:
        # about 10 cm: the same geocoded address, not merely a near neighbour
        groups.setdefault((round(pin.lat, 6), round(pin.lon, 6)), []).append(pin)
    return list(groups.values())


def _marker(group: list[Pin]) -> dict:
    """One marker's data: its numbers, the names for screen readers, the popups."""
    first = group[0]
    numbers = ", ".join(pin.label for pin in group)
    return {
        "lat": first.lat,
        "lon": first.lon,
        "title": "; ".join(f"{pin.label}. {pin.title}" for pin in group),
        "popup": str(Markup('<hr class="popup-gap">').join(p.popup for p in group)),
        "icon": str(
            Markup(
                '<span class="{}" style="background:{}" aria-hidden="true">{}</span>'
            ).format(
                "pin approximate" if all(p.approximate for p in group) else "pin",
                first.colour,
                numbers,
            )
        ),
    }


def finder_map(
    pins: list[Pin],
    assets: MapAssets,
    bounds: tuple[float, float, float, float],
    origin: tuple[float, float] | None = None,
    outlines: str = "",
) -> folium.Map:
    """The finder's results as numbered markers, and the place distances start from.

    The numbers match the list beside the map, which carries the same facts (and is
    what screen readers and keyboards use); ``bounds`` (west, south, east, north)
    frame the city when nothing was found. ``origin`` is (lat, lon). ``outlines``
    (the service areas as GeoJSON text) give the pins a place when the background
    tiles fail.
    """
    fmap = base_map(assets)
    if outlines:
        _Outlines(outlines).add_to(fmap)
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
