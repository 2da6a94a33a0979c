"""What a city calls its units and its teams' areas, in the reader's language.

A city stores these words (``unit_kind``, ``area_kind``) as its admin typed them:
"osiedla" and "ZTPS" in Wrocław, "dzielnice" and "Filie" in Kraków, the defaults
"jednostki" and "obszary" in a city added without them. Stored text is never passed
through the translator; the words this project knows are looked up instead, and any
other word is shown as stored.
"""

from flask_babel import gettext as _
from flask_babel import ngettext

from webgis.core.text import lazy_text as _l

#: Known words, stored as typed, to their translatable labels.
KNOWN = {
    "osiedla": _l("osiedla"),
    "dzielnice": _l("dzielnice"),
    "filie": _l("Filie"),
    "jednostki": _l("jednostki"),
    "jednostka": _l("jednostki"),
    "obszary": _l("obszary"),
    "obszar": _l("obszary"),
}
#: Area kinds that only repeat the word "areas": headings then leave them out.
GENERIC_AREA_KINDS = {"", "obszar", "obszary"}
GENERIC_UNIT_KINDS = {"", "jednostka", "jednostki"}


def kind_label(kind: str | None) -> str:
    """The stored kind in the reader's language when it is a known word."""
    text = (kind or "").strip()
    return str(KNOWN.get(text.casefold(), text))


def areas_heading(city) -> str:
    """The city map's heading: "Wrocław: obszary ZTPS", "Testowo: obszary"."""
    if (city.area_kind or "").strip().casefold() in GENERIC_AREA_KINDS:
        return _("%(city)s: obszary", city=city.name)
    kind = kind_label(city.area_kind)
    return _("%(city)s: obszary %(kind)s", city=city.name, kind=kind)


def city_counts(city) -> str:
    """How many units and areas a city has: "48 jednostek (osiedla), 2 obszary"."""
    units = ngettext("%(num)s jednostka", "%(num)s jednostek", len(city.units))
    areas = ngettext("%(num)s obszar", "%(num)s obszarów", len(city.service_areas))
    units = _with_kind(units, city.unit_kind, GENERIC_UNIT_KINDS)
    areas = _with_kind(areas, city.area_kind, GENERIC_AREA_KINDS)
    return f"{units}, {areas}"


def _with_kind(count: str, kind: str | None, generic: set[str]) -> str:
    """The count, and the city's own word for what is counted unless it is generic."""
    if (kind or "").strip().casefold() in generic:
        return count
    return _("%(count)s (%(kind)s)", count=count, kind=kind_label(kind))
