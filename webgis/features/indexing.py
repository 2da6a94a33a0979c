"""The columns queries filter, sort and place by, derived from a feature's fields.

Properties are JSON, which SQLite and PostgreSQL query differently and neither
indexes well; so the feature store keeps, beside them, plain columns computed here
every time it writes a feature: who may see it, its folded title and searchable
text, its vocabulary terms as tokens, its representative point in lon/lat and in
metres, and its envelope. Finder, map and API queries then run in the database on
both engines with the same SQL, and only a page of results is loaded.

Everything here is computed from what the public may see (the caller passes the
allow-listed properties), so a hidden value can never be found through a filter.
"""

from __future__ import annotations

import json
from datetime import datetime

from shapely.geometry.base import BaseGeometry

from layers import LayerSpec
from webgis.core.text import fold
from webgis.features import hours
from webgis.features.kinds import WEEKDAYS
from webgis.geography.boundaries import metric_transformer

#: Indexed text columns are cut to this length; sorting needs only the start.
KEY_LENGTH = 200


def like_escaped(text: str) -> str:
    """``text`` inside a SQL LIKE pattern whose escape character is a backslash.

    Its own percent signs and underscores then match only themselves.
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, text: str):
    """SQL: ``column`` holds ``text`` (both already folded, so case cannot differ)."""
    return column.like(f"%{like_escaped(text)}%", escape="\\")


def term_token(vocabulary: str, key: str) -> str:
    """How one vocabulary term is written in the ``terms`` column."""
    return f"|{vocabulary}:{key}|"


def tokens(terms: str) -> list[str]:
    """The tokens of a ``terms`` column, each as :func:`term_token` writes it."""
    return [f"|{token}|" for token in terms.strip("|").split("||") if token]


#: The property every public item carries: the time of its last change.
UPDATED = "updated_at"


def public_item(
    spec: LayerSpec, geometry: BaseGeometry, shown: dict, updated_at: datetime
) -> dict:
    """A feature as the public sees it, without its id.

    Every public field (null when not shown), the geometry and the time of the
    last change.
    """
    properties = {f.name: shown.get(f.name) for f in spec.all_fields if f.public}
    properties[UPDATED] = updated_at.replace(microsecond=0).isoformat() + "Z"
    return {
        "type": "Feature",
        "geometry": geometry.__geo_interface__,
        "properties": properties,
    }


def columns(
    spec: LayerSpec,
    geometry: BaseGeometry,
    shown: dict,
    *,
    public: bool,
    title: str,
    updated_at: datetime,
) -> dict:
    """The query columns of one feature.

    ``shown`` holds the properties the public may see (the store's allow-list) and
    ``public`` whether the public sees the feature at all; ``title`` is what lists
    call it.
    """
    point = geometry.representative_point()
    x, y = metric_transformer().transform(point.x, point.y)
    west, south, east, north = geometry.bounds
    listed = public and (
        spec.finder_when is None
        or shown.get(spec.finder_when[0]) == spec.finder_when[1]
    )
    return {
        "public": public,
        "listed": bool(spec.finder and listed),
        "title_key": fold(title)[:KEY_LENGTH],
        "search_text": fold(
            " ".join(
                str(shown.get(f.name) or "") for f in spec.all_fields if f.searchable
            )
        ),
        "terms": _terms(spec, shown),
        "languages": fold(str(spec.value_of("languages", shown) or "")),
        "address_key": fold(str(shown.get("address") or ""))[:KEY_LENGTH],
        "open_days": _open_days(spec, shown),
        "open_hours": week_hours(_hours(spec, shown)),
        "holiday_hours": week_hours(_hours(spec, shown), holidays=True),
        "public_item": json.dumps(
            public_item(spec, geometry, shown, updated_at),
            ensure_ascii=False,
            separators=(",", ":"),
        ),
        "lon": point.x,
        "lat": point.y,
        "x": x,
        "y": y,
        "min_lon": west,
        "min_lat": south,
        "max_lon": east,
        "max_lat": north,
    }


def _terms(spec: LayerSpec, shown: dict) -> str:
    """Tokens of the terms of vocabulary fields, and of the category field's values.

    A category field with fixed choices, not a vocabulary, is written under
    ``@<field name>`` (the list filters by it).
    """
    tokens = []
    for spec_field in spec.all_fields:
        namespace = spec_field.vocabulary
        if namespace is None and spec_field.name == spec.category_field:
            namespace = f"@{spec_field.name}"
        if namespace is None or spec_field.name not in shown:
            continue
        value = shown[spec_field.name]
        for key in value if isinstance(value, list) else [value]:
            if key not in (None, ""):
                tokens.append(term_token(namespace, str(key)))
    return "".join(tokens)


def _hours(spec: LayerSpec, shown: dict) -> list[str]:
    """The expressions of the published opening hours (structured ones converted)."""
    return [
        expr
        for spec_field in spec.all_fields
        if spec_field.kind == "hours"
        and (expr := hours.expression(shown.get(spec_field.name)))
    ]


def _open_days(spec: LayerSpec, shown: dict) -> str:
    """The weekdays with any published opening hours, e.g. "|mon|sat|"."""
    days = {day for expr in _hours(spec, shown) for day in hours.open_days(expr)}
    return "".join(f"|{day}|" for day in WEEKDAYS if day in days)


#: What :func:`week_hours` writes for an hour: open all of it, part of it, closed,
#: or "depends on the date" (see :func:`webgis.features.hours.week_index`).
OPEN, PART, CLOSED, DATED = hours.OPEN, hours.PART, hours.CLOSED, hours.DATED
#: When several fields give hours, an hour is what the most open of them says.
_RANK = {OPEN: 3, DATED: 2, PART: 1, CLOSED: 0}


def week_hours(expressions: list[str], holidays: bool = False) -> str:
    """The week's 168 hours, Monday 0:00 first, each open, partly open or closed.

    Of an ordinary week, or (``holidays``) of a week of public holidays. "Open at
    10:15 on Tuesday" is then one character of a column, read the same way on
    both engines (:func:`hour_slot`); only features open for part of that hour,
    or whose hours depend on the date, need their expression read. Empty when no
    hours are published.
    """
    weeks = [hours.week_index(expr, holidays) for expr in expressions if expr]
    if not weeks:
        return ""
    return "".join(
        max(slots, key=_RANK.__getitem__) for slots in zip(*weeks, strict=True)
    )


def hour_slot(day: str, time: str) -> int:
    """The 1-based position of ``time`` (HH:MM) on ``day`` in :func:`week_hours`."""
    return WEEKDAYS.index(day) * 24 + int(time[:2]) + 1
