"""The address register for the feature forms: a typed address, a clicked point.

Both answer JSON for the form's script (``static/js/address-lookup.js``); the
messages come translated, so the script shows them as they are.
"""

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from layers import PRECISIONS
from webgis.accounts.permissions import role_required
from webgis.core.text import translated
from webgis.geography import cities, geocoding
from webgis.geography.boundaries import POLAND_BOUNDS

bp = Blueprint("addresses", __name__)
STAFF = ("organiser", "planner", "admin")


@bp.get("/<city_code>/addresses/geocode")
@role_required(*STAFF)
def geocode(city_code: str):
    """Where a typed address is: ``{found, lon, lat, precision, label, address}``."""
    city = cities.get_city(city_code)
    typed = request.args.get("q", "").strip()[:200]
    located = geocoding.geocode(city, typed) if typed else None
    if located is None:
        message = _("Nie znaleziono adresu „%(address)s” w tym mieście.", address=typed)
        return jsonify(found=False, message=message)
    precision = translated(dict(PRECISIONS)[located.precision])
    message = _(
        "Znaleziono: %(place)s (dokładność: %(precision)s).",
        place=located.label,
        precision=precision,
    )
    return jsonify(found=True, message=message, **_described(city, located))


@bp.get("/<city_code>/addresses/reverse")
@role_required(*STAFF)
def reverse(city_code: str):
    """The address nearest a clicked point: ``{found, label, address, distance}``."""
    city = cities.get_city(city_code)
    try:
        lat, lon = float(request.args["lat"]), float(request.args["lon"])
    except (KeyError, ValueError):
        return jsonify(found=False, message=_("Podaj lat i lon jako liczby.")), 400
    west, south, east, north = POLAND_BOUNDS
    located = None
    if south <= lat <= north and west <= lon <= east:
        located = geocoding.reverse(city, lon, lat)
    if located is None:
        return jsonify(found=False, message=_("W pobliżu nie ma adresu z rejestru."))
    message = _(
        "Najbliższy adres: %(place)s (%(metres)s m stąd).",
        place=located.label,
        metres=round(located.distance),
    )
    return jsonify(
        found=True,
        message=message,
        distance=round(located.distance, 1),
        **_described(city, located),
    )


def _described(city, located: geocoding.Located) -> dict:
    """The place as the form uses it: a point, a precision, the address to write."""
    address = located.label
    if located.precision == "address":
        town = " ".join(filter(None, (located.postcode, city.name)))
        address = f"{located.label}, {town}"
    return {
        "lon": located.lon,
        "lat": located.lat,
        "precision": located.precision,
        "label": located.label,
        "address": address,
    }
