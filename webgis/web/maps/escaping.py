"""How text reaches a folium map safely: one policy for every map.

Leaflet shows tooltips, popups and the layer control's names as HTML, and folium
writes popups inside JavaScript template literals and data inside script elements.
Every stored text passes through one of these functions on its way there.
"""

from __future__ import annotations

import json

from flask_babel import format_number
from flask_babel import gettext as _
from markupsafe import Markup, escape


def control_name(text: str) -> str:
    """A layer's name for Leaflet's layer control, which shows names as HTML."""
    return str(escape(text))


def literal_safe(html: Markup) -> str:
    """Escaped HTML that is also safe inside a JavaScript template literal.

    folium writes popup HTML between backticks; HTML escaping leaves backticks,
    backslashes and ``${`` alone, so they become character references here.
    """
    return (
        str(html).replace("\\", "&#92;").replace("`", "&#96;").replace("${", "&#36;{")
    )


def script_json(value) -> str:
    """JSON that is safe inside an HTML script element (no tag can be closed)."""
    return script_safe(json.dumps(value))


def script_safe(text: str) -> str:
    """JSON text made safe inside an HTML script element, as :func:`script_json`."""
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


def residents_text(population: int | None) -> str:
    """Residents as a reader sees them; an unknown population is "no data", never 0."""
    if population is None:
        return _("Mieszkańcy: brak danych")
    return _("Mieszkańcy: %(count)s", count=format_number(population))


def area_tooltip(row) -> str:
    """A service area's tooltip: name, residents and units, escaped."""
    units = ", ".join(row.units)
    return str(
        Markup("<strong>{}</strong><br>{}<br>{}: {}").format(
            row.name, residents_text(row.population), _("Jednostki"), units
        )
    )


def unit_tooltip(row) -> str:
    """A unit's tooltip: number, name and residents, escaped."""
    return str(
        Markup("<strong>{}. {}</strong><br>{}").format(
            row.number, row.name, residents_text(row.population)
        )
    )
