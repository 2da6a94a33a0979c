"""schema.org structured data (JSON-LD) of a service page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from layers import LayerSpec
from webgis.features import hours
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
    expr = next(
        (
            hours.expression(props.get(f.name))
            for f in spec.all_fields
            if f.kind == "hours" and f.public and props.get(f.name)
        ),
        "",
    )
    data.update(opening_hours(expr))
    return data


def opening_hours(expr: str) -> dict:
    """schema.org's ``openingHours`` ("Mo-Fr 08:00-16:00") and its specification.

    Both of an ordinary week (schema.org has no public holidays or comments); a
    night closes the next morning, a ``closes`` before its ``opens``.
    """
    if not expr:
        return {}
    week = hours.merged(hours.ordinary_week(expr))
    days_by_interval: dict[tuple[str, str], list[int]] = {}
    for index, spans in enumerate(week):
        for start, end in spans:
            days_by_interval.setdefault((_clock(start), _clock(end)), []).append(index)
    found = {}
    if days_by_interval:
        found["openingHours"] = [
            f"{_days(days)} {opens}-{closes}"
            for (opens, closes), days in sorted(days_by_interval.items())
        ]
    specification = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{SCHEMA_DAYS[WEEKDAYS[index]]}",
            "opens": _clock(start),
            "closes": _clock(end),
        }
        for index, spans in enumerate(week)
        for start, end in spans
    ]
    if specification:
        found["openingHoursSpecification"] = specification
    return found


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _days(indices: list[int]) -> str:
    """Weekdays as schema.org writes them: runs as ranges (Mo-Fr), others by commas."""
    runs: list[list[int]] = []
    for index in indices:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    osm = hours.OSM_DAYS
    return ",".join(
        osm[r[0]] if len(r) == 1 else f"{osm[r[0]]}-{osm[r[-1]]}" for r in runs
    )
