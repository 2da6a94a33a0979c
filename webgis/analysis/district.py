"""The district report: one printable page about a team's area, or the whole city.

What a team puts in its annual plan: the units and their residents, the published
features of every layer there (facilities, local alliances, programmes…), needs
against resources by area of life, the coverage figures of the analysis and what
changed since a date. Every list is bounded; the page says how many more there are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup
from sqlalchemy import select

from webgis.analysis import coverage
from webgis.core.extensions import db
from webgis.core.registry import layer_registry
from webgis.core.times import WARSAW
from webgis.features import editing, store
from webgis.features.models import Feature, Revision
from webgis.geography import cities
from webgis.geography.boundaries import METRIC_CRS
from webgis.geography.models import City, ServiceArea

#: Items shown per layer list and changes shown since the date.
LIST_LIMIT = 60
CHANGES_LIMIT = 100
#: Revisions read at most to find the changes in an area (newest first).
CHANGES_SCAN = 5_000


@dataclass
class Item:
    """One feature in a list: its id, layer, title and category labels."""

    id: int
    layer: str
    title: str
    category: str


@dataclass
class LayerList:
    """The published features of one layer in the report's area (first ones)."""

    key: str
    title: str
    items: list[Item]
    total: int


@dataclass
class Change:
    """One revision since the date: when, which feature, what was done."""

    at: datetime
    layer: str
    layer_title: str
    feature_id: int
    title: str
    action: str


@dataclass
class DistrictReport:
    """Everything the report page shows, for an area or (``area`` None) the city."""

    city: City
    area: ServiceArea | None
    since: date
    units: list
    population: int | None
    lists: list[LayerList] = field(default_factory=list)
    needs: list[tuple[str, int, int]] = field(default_factory=list)
    coverage: dict | None = None
    #: Each unit's share of residents covered, by unit number (missing: no data).
    unit_shares: dict[int, float] = field(default_factory=dict)
    radius: float = 1000.0
    changes: list[Change] = field(default_factory=list)
    more_changes: bool = False
    svg: Markup = Markup("")
    #: (layer title, colour) of the dots on the drawing.
    symbols: list[tuple[str, str]] = field(default_factory=list)


def build(city: City, area: ServiceArea | None, since: date) -> DistrictReport:
    """The report of ``area`` (None: the whole city), changes since ``since``."""
    units = list(area.units if area is not None else city.units)
    known = [u.population for u in units if u.population is not None]
    report = DistrictReport(
        city=city,
        area=area,
        since=since,
        units=units,
        population=sum(known) if known else None,
    )
    inside = _inside(city, area)
    features_by_layer = {}
    for spec in layer_registry().values():
        found = _members(city, area, spec.key)
        features_by_layer[spec.key] = found
        if spec.needs is not None:
            needs = _published(city, spec.key, [row.id for row in found])
            report.needs = needs_against_resources(city, spec, needs)
        else:
            report.lists.append(_layer_list(city, spec, found))
    report.coverage, report.unit_shares = coverage_figures(city, area)
    report.changes, report.more_changes = changes_since(
        city, inside, since, _envelope(area)
    )
    registry = layer_registry()
    points = [
        (row.geometry, registry[key].colour)
        for key, found in features_by_layer.items()
        for row in found
    ]
    report.svg = area_svg(city, area, units, points)
    report.symbols = [
        (spec.title, spec.colour)
        for key, spec in registry.items()
        if features_by_layer.get(key)
    ]
    return report


def _inside(city: City, area: ServiceArea | None):
    """A test of whether a feature belongs to the report (its area, or the city)."""
    if area is None:
        return lambda geometry: geometry is not None
    return lambda geometry: (
        geometry is not None and area in cities.areas_of(city, geometry)
    )


def _envelope(area: ServiceArea | None) -> list:
    """SQL: a feature's envelope overlaps the area's (nothing for the whole city)."""
    if area is None or area.geometry is None:
        return []
    return store.envelope_overlaps(area.geometry.bounds)


def _members(city: City, area: ServiceArea | None, layer: str) -> list:
    """(id, title key, geometry) of the layer's published features in the report.

    Only these columns are read, for candidates whose envelope overlaps the
    area; points are tested against the area all at once, other shapes by
    :func:`~webgis.geography.cities.areas_of`. Ordered by title.
    """
    columns = (Feature.id, Feature.title_key, Feature.geometry)
    rows = store.published_rows(city, [layer], columns, _envelope(area))
    rows = [row for row in rows if row.geometry is not None]
    if area is not None:
        rows = _in_area(city, area, rows)
    return sorted(rows, key=lambda row: (row.title_key or "", row.id))


def _in_area(city: City, area: ServiceArea, rows: list) -> list:
    if area.geometry is None:
        return []
    points = [r for r in rows if r.geometry.geom_type == "Point"]
    shapely.prepare(area.geometry)
    covered = shapely.covers(area.geometry, [r.geometry for r in points])
    others = [r for r in rows if r.geometry.geom_type != "Point"]
    return [r for r, inside in zip(points, covered, strict=True) if inside] + [
        r for r in others if area in cities.areas_of(city, r.geometry)
    ]


#: Ids looked up per statement: SQL drivers limit the parameters of one query.
ID_BATCH = 5_000


def _published(city: City, layer: str, ids: list[int] | None) -> list[Feature]:
    """Published features of ``layer`` among ``ids`` (None: all), in batches."""
    if ids is None:
        return store.published_by_id(city, [layer])
    return [
        feature
        for start in range(0, len(ids), ID_BATCH)
        for feature in store.published_by_id(
            city, [layer], ids[start : start + ID_BATCH]
        )
    ]


def _labels(city: City, spec) -> dict[str, str]:
    """The labels of the layer's category values, by value."""
    name = spec.category_field
    if name is None:
        return {}
    options = editing.field_options(city, spec, None, names={name})
    return dict(options.get(name, []))


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _layer_list(city: City, spec, members: list) -> LayerList:
    """The first features of the layer by title (loaded in full), and how many."""
    labels = _labels(city, spec)
    first = {
        f.id: f
        for f in _published(city, spec.key, [r.id for r in members[:LIST_LIMIT]])
    }
    items = [
        Item(
            id=f.id,
            layer=spec.key,
            title=str(spec.value_of("title", f.properties) or f"#{f.id}"),
            category=", ".join(
                labels.get(str(v), str(v))
                for v in _as_list(spec.value_of("category", f.properties))
            ),
        )
        for row in members[:LIST_LIMIT]
        if (f := first.get(row.id)) is not None
    ]
    return LayerList(spec.key, spec.title, items, len(members))


def needs_against_resources(
    city: City, spec, features: list[Feature]
) -> list[tuple[str, int, int]]:
    """(area of life, needs, resources) counts, most needs first."""
    needs, resources = Counter(), Counter()
    for feature in features:
        kind = (feature.properties or {}).get(spec.needs.field)
        counter = {spec.needs.need: needs, spec.needs.resource: resources}.get(kind)
        if counter is None:
            continue
        for value in _as_list(spec.value_of("category", feature.properties)):
            counter[str(value)] += 1
    labels = _labels(city, spec)
    rows = [
        (labels.get(key, key), needs[key], resources[key])
        for key in set(needs) | set(resources)
    ]
    return sorted(rows, key=lambda row: (-row[1], row[2], row[0]))


#: The coverage figures the report gives, from the analysis's area or city table.
COVERAGE_KEYS = ("population", "facilities", "covered", "uncovered", "coverage_share")


def coverage_figures(
    city: City, area: ServiceArea | None
) -> tuple[dict | None, dict[int, float]]:
    """The default analysis's figures for the area (or city) and each unit's share.

    The figures are None when the area's units have no population data.
    """
    result = coverage.run(city, coverage.AnalysisQuery())
    shares = {
        int(unit): float(share)
        for unit, share in zip(
            result.units["unit"], result.units["coverage_share"], strict=True
        )
        if not pd.isna(share)
    }
    if area is None:
        summary = {**result.summary, "population": result.summary.get("residents")}
        return {key: summary.get(key) for key in COVERAGE_KEYS}, shares
    rows = result.areas[result.areas["area"] == area.code]
    if rows.empty:
        return None, shares
    row = rows.iloc[0]
    return {key: _number(row.get(key)) for key in COVERAGE_KEYS}, shares


def _number(value):
    return None if value is None or pd.isna(value) else float(value)


def start_of(day: date) -> datetime:
    """Midnight in Warsaw at the start of ``day``, as the naive UTC moment stored."""
    local = datetime.combine(day, time.min, tzinfo=WARSAW)
    return local.astimezone(UTC).replace(tzinfo=None)


def changes_since(
    city: City, inside, since: date, where: list = ()
) -> tuple[list[Change], bool]:
    """Revisions of features in the report's area since ``since``, newest first.

    ``where``: SQL conditions choosing candidate features (the area's envelope);
    ``inside`` then tests each exactly.

    At most :data:`CHANGES_LIMIT`; the flag says whether there were more (or more
    than :data:`CHANGES_SCAN` revisions to look through).
    """
    registry = layer_registry()
    query = (
        select(Revision, Feature)
        .join(Feature, Feature.id == Revision.feature_id)
        .where(Feature.city_id == city.id, Revision.at >= start_of(since), *where)
        .order_by(Revision.id.desc())
        .limit(CHANGES_SCAN + 1)
    )
    rows = db.session.execute(query).all()
    found = []
    for revision, feature in rows[:CHANGES_SCAN]:
        spec = registry.get(feature.layer)
        if spec is None or not inside(feature.geometry):
            continue
        title = spec.value_of("title", revision.properties) or f"#{feature.id}"
        found.append(
            Change(
                revision.at,
                spec.key,
                spec.title,
                feature.id,
                str(title),
                revision.action,
            )
        )
    more = len(found) > CHANGES_LIMIT or len(rows) > CHANGES_SCAN
    return found[:CHANGES_LIMIT], more


#: The drawing's width in SVG units; its height follows the area's shape.
SVG_WIDTH = 600


def area_svg(city: City, area: ServiceArea | None, units: list, points: list) -> Markup:
    """An inline SVG of the units (numbered), the area's outline and the features.

    ``points`` are (geometry, colour) pairs: each feature in its layer's colour.

    Drawn on the server in metres, so the printed page needs no tiles, script or
    network. Unit names stay in the table beside it; numbers keep the map legible.
    """
    drawn = [u for u in units if u.geometry is not None]
    if not drawn:
        return Markup("")
    width, height, to_svg = _projector([u.geometry for u in drawn])
    parts = [
        Markup('<path class="unit" d="{}"><title>{}. {}</title></path>').format(
            _path(to_svg(u.geometry)), u.number, u.name
        )
        for u in drawn
    ]
    if area is not None and area.geometry is not None:
        outline = _path(to_svg(area.geometry))
        parts.append(Markup('<path class="outline" d="{}"></path>').format(outline))
    dot = Markup(
        '<circle class="feature" cx="{:.1f}" cy="{:.1f}" r="5" fill="{}"></circle>'
    )
    drawn_dots = set()
    for (x, y), colour in _dot_places(points, to_svg):
        # Dots closer than their own radius look like one: one is drawn, so the
        # page stays small however many features a city has.
        key = (round(x / DOT_GRID), round(y / DOT_GRID), colour)
        if key not in drawn_dots:
            drawn_dots.add(key)
            parts.append(dot.format(x, y, colour))
    label = Markup('<text x="{:.1f}" y="{:.1f}">{}</text>')
    for unit in drawn:
        spot = to_svg(unit.geometry.representative_point())
        parts.append(label.format(spot.x, spot.y, unit.number))
    return Markup(
        '<svg class="area-svg" viewBox="0 0 {w} {h}" aria-hidden="true" '
        'preserveAspectRatio="xMidYMid meet">{body}</svg>'
    ).format(w=width, h=height, body=Markup("").join(parts))


def _dot_places(points: list, to_svg) -> list:
    """((x, y) in SVG units, colour) of each feature's representative point.

    All points are projected at once, as one multipoint: one by one, 50,000
    features took seconds.
    """
    if not points:
        return []
    anchors = shapely.point_on_surface([geometry for geometry, _c in points])
    spots = shapely.get_coordinates(to_svg(shapely.multipoints(anchors)))
    return list(zip(map(tuple, spots), [c for _g, c in points], strict=True))


#: Dots of one layer within this many SVG units of each other are drawn once.
DOT_GRID = 4
#: Detail below this many SVG units is dropped: the page stays small.
SVG_TOLERANCE = 0.5


def _projector(shapes: list):
    """(width, height, geometry → geometry in SVG units) fitting ``shapes``.

    Metres (EPSG:2180) scaled to :data:`SVG_WIDTH`, y pointing down.
    """
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)

    def metric(geometry):
        return shapely.transform(
            geometry, lambda xy: np.column_stack(transformer.transform(*xy.T))
        )

    west, south, east, north = shapely.union_all([metric(s) for s in shapes]).bounds
    scale = SVG_WIDTH / max(east - west, north - south, 1.0)

    def to_svg(geometry):
        placed = shapely.transform(
            metric(geometry),
            lambda xy: np.column_stack(
                ((xy[:, 0] - west) * scale, (north - xy[:, 1]) * scale)
            ),
        )
        return placed.simplify(SVG_TOLERANCE) if placed.area else placed

    width = max(int((east - west) * scale), 1)
    height = max(int((north - south) * scale), 1)
    return width, height, to_svg


def _path(geometry) -> str:
    """SVG path data of a (multi)polygon's rings."""
    polygons = getattr(geometry, "geoms", [geometry])
    commands = []
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            points = " L".join(f"{x:.1f},{y:.1f}" for x, y in ring.coords)
            commands.append(f"M{points} Z")
    return " ".join(commands)
