"""schema.org structured data (JSON-LD) of a service page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from layers import LayerSpec
from webgis.features.kinds import WEEKDAYS
from webgis.geography.models import City

if TYPE_CHECKING:
    from webgis.finder.search import Service

SCHEMA_DAYS = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def structured_data(service: Service, spec: LayerSpec, url: str, city: City) -> dict:
    """schema.org JSON-LD of a service page (a LocalBusiness with its hours).

    Only public properties are used; the template writes it with ``tojson``, which
    escapes what could close the script element.
    """
    props = service.properties
    data = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "@id": url,
        "url": url,
        "name": service.title,
        "geo": {
            "@type": "GeoCoordinates",
            "latitude": round(service.lat, 6),
            "longitude": round(service.lon, 6),
        },
        "dateModified": service.updated_at.date().isoformat(),
    }
    if props.get("address"):
        data["address"] = {
            "@type": "PostalAddress",
            "streetAddress": props["address"],
            "addressLocality": city.name,
            "addressCountry": "PL",
        }
    # schema.org's names for the fields' roles.
    optional = {
        "description": "description",
        "telephone": "phone",
        "email": "email",
        "sameAs": "website",
        "knowsLanguage": "languages",
    }
    roles = service.roles
    data.update({key: roles[role] for key, role in optional.items() if roles.get(role)})
    if roles.get("operator"):
        data["parentOrganization"] = {
            "@type": "Organization",
            "name": roles["operator"],
        }
    hours = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{SCHEMA_DAYS[day]}",
            "opens": start,
            "closes": end,
        }
        for f in spec.all_fields
        if f.kind == "hours" and f.public
        for day in WEEKDAYS
        for start, end in (props.get(f.name) or {}).get(day, [])
    ]
    if hours:
        data["openingHoursSpecification"] = hours
    return data
