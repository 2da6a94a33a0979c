"""The public service finder: which published services answer a resident's question.

A *service* is a public feature of a layer whose spec sets ``finder`` (day-support
centres; resources of the needs-and-resources map). Filters work on the vocabularies
the layers declare, not on field names, so a new layer joins the finder by setting
``finder=True``. Everything here is pure except :func:`services` and
:func:`get_service` (and :func:`find`, which calls the first), which ask
:mod:`webgis.feature_store` for the features.

What is derived from a feature (folded search text, metric coordinates) is cached per
feature version: the version changes on every save, so the cache cannot go stale, and
a process that never saw a feature simply derives it again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from threading import Lock
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from flask import current_app
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, func, not_, or_, select

from layers import LayerSpec
from webgis.core.errors import NotFound
from webgis.core.extensions import db
from webgis.core.text import fold
from webgis.core.text import lazy_text as _l
from webgis.features import hours, indexing, store
from webgis.features.kinds import WEEKDAYS
from webgis.features.models import LISTED_WORDS, Feature, ListedTerm, ListedText
from webgis.finder.questions import (
    ANY_OF,
    LANGUAGES,
    POLAND,
    VOCABULARY_FILTERS,
    Choices,
    Query,
    parse_query,
)
from webgis.geography import cities, geocoding
from webgis.geography.boundaries import metric_transformer
from webgis.geography.models import City

WARSAW = ZoneInfo("Europe/Warsaw")
PAGE_SIZE = 25


@dataclass(frozen=True)
class Service:
    """What the finder needs of one feature, derived once per feature version."""

    id: int
    version: int
    layer: str
    title: str
    properties: dict
    geometry: BaseGeometry
    point: Point  # where its marker is (EPSG:4326)
    lon: float
    lat: float
    x: float  # EPSG:2180 metres
    y: float
    updated_at: datetime
    sort_key: str
    #: What the service's fields with a role hold (its phone, places, …), public only.
    roles: dict
    haystack: str  # folded searchable text
    address: str  # folded, to find a place by a street name
    listed: bool  # public and, where the layer says so, of the right kind

    @property
    def precision(self) -> str:
        """How exactly the place is known: address, street or unit."""
        return self.properties.get("location_precision") or "address"


@dataclass(frozen=True)
class Hit:
    """A service that matched, with its distance from the chosen place (metres)."""

    service: Service
    distance: float | None = None


def now_in_warsaw() -> datetime:
    """The present in Poland."""
    return datetime.now(WARSAW)


def present(now: datetime | tuple[str, str] | None) -> datetime:
    """``now`` as a moment in Warsaw; the present when None.

    A (weekday key, HH:MM) pair, as callers once passed, is that hour of the
    ordinary week (one without holidays).
    """
    if now is None:
        return now_in_warsaw()
    if isinstance(now, tuple):
        day = hours.ORDINARY_MONDAY + timedelta(days=WEEKDAYS.index(now[0]))
        return datetime.combine(day, time.fromisoformat(now[1]), WARSAW)
    return now if now.tzinfo else now.replace(tzinfo=WARSAW)


def is_open(expr, moment: datetime) -> bool:
    """Whether opening hours (an expression) are open at ``moment``."""
    return hours.is_open(hours.expression(expr), moment)


class ServiceCache:
    """What the finder derived from features, by feature version; owned by the app.

    At most ``limit`` entries: the least recently used go first. A request keeps
    the services it collected, so an eviction meanwhile cannot drop any of them.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._entries: OrderedDict[tuple, Service] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple) -> Service | None:
        """The service derived for this feature version, if still kept."""
        with self._lock:
            service = self._entries.get(key)
            if service is not None:
                self._entries.move_to_end(key)
            return service

    def put(self, key: tuple, service: Service) -> None:
        """Keep a derived service, forgetting the oldest beyond the limit."""
        with self._lock:
            self._entries[key] = service
            self._entries.move_to_end(key)
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)


def _cache() -> ServiceCache:
    return current_app.extensions["webgis.finder_cache"]


def _key(feature: Feature) -> tuple:
    # Ids repeat across databases (tests, the benchmark), so the key names the
    # database, and the creation time tells a recreated database apart.
    return (str(db.engine.url), feature.id, feature.version, feature.created_at)


def derive(spec: LayerSpec, feature: Feature) -> Service:
    """The finder's view of one feature (cached per version)."""
    key = _key(feature)
    cached = _cache().get(key)
    if cached is not None:
        return cached
    # The finder is public: staff see there exactly what residents see.
    props = store.shown_properties(spec, feature)
    point = feature.geometry.representative_point()
    x, y = metric_transformer().transform(point.x, point.y)
    title = feature.title_for(spec)
    listed = store.is_public(spec, feature) and (
        spec.finder_when is None
        or props.get(spec.finder_when[0]) == spec.finder_when[1]
    )
    service = Service(
        id=feature.id,
        version=feature.version,
        layer=spec.key,
        title=title,
        properties=props,
        geometry=feature.geometry,
        point=point,
        lon=point.x,
        lat=point.y,
        x=x,
        y=y,
        updated_at=feature.updated_at,
        roles={
            f.role: props[f.name] for f in spec.all_fields if f.role and f.name in props
        },
        sort_key=fold(title),
        haystack=fold(
            " ".join(
                str(props.get(f.name) or "")
                for f in spec.all_fields
                if f.searchable and f.public
            )
        ),
        address=fold(str(props.get("address") or "")),
        listed=listed,
    )
    _cache().put(key, service)
    return service


def finder_layers(registry: Mapping[str, LayerSpec]) -> dict[str, LayerSpec]:
    """The layers whose features are services."""
    return {key: spec for key, spec in registry.items() if spec.finder}


def services(city: City, registry: Mapping[str, LayerSpec]) -> list[Service]:
    """Every service of the city the public may see."""
    found = _derived(city, finder_layers(registry))
    return [service for service in found.values() if service.listed]


def _derived(city: City, specs, ids=None) -> dict[int, Service]:
    """The published services by id: all of them, or those among ``ids``.

    Versions are read first; only features whose version is not cached yet are
    loaded in full (their geometry and properties).
    """
    database, cache = str(db.engine.url), _cache()
    keys = [(database, *row) for row in store.published_versions(city, specs, ids)]
    found = {key: cache.get(key) for key in keys}
    missing = [key[1] for key, service in found.items() if service is None]
    if missing:
        # Loading everything is quicker than a long list of ids (a cold start).
        whole = ids is None and len(missing) > len(keys) // 2
        for feature in store.published_by_id(city, specs, None if whole else missing):
            key = _key(feature)
            if key in found:
                found[key] = derive(specs[feature.layer], feature)
    return {key[1]: service for key, service in found.items() if service is not None}


def conditions(city: City, query: Query) -> list:
    """The SQL conditions of a query: every filter the database can decide alone.

    Text, terms, language, the day and the area's envelope are decided here, on the
    columns the feature store keeps (:mod:`webgis.features.indexing`); the exact
    area and the hour are checked on the few rows left (:func:`_exact`).
    """
    # ``listed`` holds only for published, public features of finder layers, which
    # are never suggestions in the queue: two columns of one index.
    found = [Feature.city_id == city.id, Feature.listed.is_(True)]
    found += [_holds(city, word) for word in fold(query.text).split()]
    for name, wanted in query.terms.items():
        tokens = _tokens(name, wanted)
        if name in ANY_OF and tokens:
            found.append(Feature.id.in_(_with_terms(city, tokens)))
        else:
            found += [Feature.id.in_(_with_terms(city, [t])) for t in tokens]
    if query.language:
        stems = [
            indexing.contains(Feature.languages, fold(s))
            for s in LANGUAGES[query.language][1]
        ]
        if query.language == "pl":
            stems.append(Feature.languages == "")  # no language listed: Polish
        found.append(or_(*stems))
    return found


def _holds(city: City, word: str, rows=Feature):
    """SQL: the listed service has ``word`` in its searchable text.

    ``rows`` is what the query reads: the services (``Feature``) or their narrow
    text rows (``ListedText``). A word of three characters or more is looked up
    in a trigram index of the listed texts: SQLite's FTS5 index, as a quoted
    phrase of the word's trigrams, or PostgreSQL's ``pg_trgm`` index, through
    the narrow rows (read in title order instead, a word that few services hold
    made it read them all). A shorter word has no trigram: ``LIKE`` reads the
    rows in the query's own order and stops at the end of the page.
    """
    text = rows.search_text
    if len(word) < 3:
        return indexing.contains(text, word)
    ids = rows.id if rows is Feature else rows.feature_id
    if db.session.get_bind().dialect.name == "sqlite":
        phrase = '"' + word.replace('"', '""') + '"'
        words = LISTED_WORDS.c
        return ids.in_(select(words.rowid).where(words.search_text.op("MATCH")(phrase)))
    if rows is ListedText:
        return indexing.contains(text, word)
    return ids.in_(
        select(ListedText.feature_id).where(
            ListedText.city_id == city.id,
            indexing.contains(ListedText.search_text, word),
        )
    )


def _tokens(name: str, wanted: tuple[str, ...]) -> list[str]:
    return [indexing.term_token(VOCABULARY_FILTERS[name], key) for key in wanted]


def _with_terms(city: City, tokens: list[str]):
    """SQL: ids of the city's listed services that have any of these terms."""
    return select(ListedTerm.feature_id).where(
        ListedTerm.city_id == city.id, ListedTerm.token.in_(tokens)
    )


def _count(city: City, query: Query, where: list, when) -> int:
    """How many listed services pass ``where``, the conditions of ``query``.

    A query that filters by one term filter alone is counted on the narrow term
    rows (read from their index only), one that filters by words alone, or not
    at all, on the narrow text rows; not on the services.
    """
    chosen = [(name, wanted) for name, wanted in query.terms.items() if wanted]
    words = fold(query.text).split()
    if not (query.language or when or query.area):
        if not chosen:
            return db.session.scalar(
                select(func.count()).where(
                    ListedText.city_id == city.id,
                    *(_holds(city, w, ListedText) for w in words),
                )
            )
        if not words and len(chosen) == 1:
            name, wanted = chosen[0]
            if name in ANY_OF or len(wanted) == 1:
                ids = _with_terms(city, _tokens(name, wanted)).distinct().subquery()
                return db.session.scalar(select(func.count()).select_from(ids))
    return db.session.scalar(select(func.count()).where(*where))


def _area(area: BaseGeometry | None) -> list:
    found = []
    if area is not None:
        found += store.envelope_overlaps(area.bounds)
    return found


def _order(query: Query) -> list:
    if query.origin is None:
        return [Feature.title_key, Feature.id]
    return store.by_distance(*_metric_origin(query))


def _metric_origin(query: Query) -> tuple[float, float]:
    return metric_transformer().transform(query.origin[1], query.origin[0])


def listed_changes(city: City) -> list[tuple[int, datetime]]:
    """(id, last change) of every service of the city the finder lists, by id."""
    query = select(Feature.id, Feature.updated_at).where(
        Feature.city_id == city.id, Feature.listed.is_(True)
    )
    return [tuple(row) for row in db.session.execute(query.order_by(Feature.id))]


def search(
    city: City,
    query: Query,
    choices: Choices,
    specs: Mapping[str, LayerSpec],
    now: datetime | tuple[str, str] | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list[Hit], int, int, int]:
    """One page of the services that pass every filter, nearest first from a place.

    Returns the page's hits, how many services match, the page's number (at most the
    last) and the last page's. ``now`` (a datetime, Warsaw's when naive) stands for
    the present in "open now" and "today" (tests pass it; by default the time in
    Poland). Only the page's features are loaded.
    """
    when = _when(query, now)
    area = choices.areas.get(query.area) if query.area else None
    where = conditions(city, query) + _area(area)
    if when is not None:
        where.append(_open_at(where, specs, when))
    if query.area and area is None:
        return [], 0, 1, 1  # an area without a boundary holds nothing
    ordered = select(Feature.id).where(*where).order_by(*_order(query))
    if area is None:
        total = _count(city, query, where, when)
        last = max(1, -(-total // size))
        page = min(query.page, last)
        ids = _page_ids(ordered, query, size, (page - 1) * size)
    else:
        ids = _exact(ordered, area)
        total = len(ids)
        last = max(1, -(-total // size))
        page = min(query.page, last)
        ids = ids[(page - 1) * size : page * size]
    services = _services_by_id(city, specs, ids)
    hits = [services[i] for i in ids if i in services]
    if query.origin is None:
        return [Hit(s) for s in hits], total, page, last
    distances = distances_from(query.origin, hits)
    return (
        [Hit(s, float(d)) for s, d in zip(hits, distances, strict=True)],
        total,
        page,
        last,
    )


#: Nearest first on SQLite, the search looks this far around the place first
#: (metres), then four times as far, and so on, before it sorts every match.
FIRST_RING, LAST_RING = 1_000.0, 64_000.0


def _page_ids(ordered, query: Query, size: int, offset: int) -> list:
    """The ids of one page of results, nearest first when there is a place.

    Sorting every match by distance reads them all. The page is found within a
    circle that holds at least the page's end: whatever lies outside is further
    away than all of those. PostGIS measures that circle by walking its spatial
    index in distance order (KNN); SQLite asks its R*Tree for growing circles,
    since the nearest page usually lies within a kilometre or two.
    """
    page = ordered.limit(size).offset(offset)
    if query.origin is None:
        return list(db.session.scalars(page))
    x0, y0 = _metric_origin(query)
    if db.session.get_bind().dialect.name == "postgresql":
        return _nearest_on_postgis(ordered, (x0, y0), size, offset)
    radius = FIRST_RING
    while radius <= LAST_RING:
        ring = ordered.where(*store.within_metres(x0, y0, radius))
        nearest = list(db.session.scalars(ring.limit(offset + size)))
        if len(nearest) >= offset + size:
            return nearest[offset:]
        radius *= 4
    return list(db.session.scalars(page))


#: Rows the KNN walk reads past the page, to see whether equal distances go on.
KNN_SLACK = 8


def _nearest_on_postgis(ordered, origin: tuple[float, float], size, offset) -> list:
    # KNN orders by distance alone (a second key would sort every row). Ties
    # are ordered by id here; only when they run past what the walk read does
    # a second query take the whole circle to the page's last distance.
    distance = store.by_distance(*origin)[0]
    walk = ordered.add_columns(distance).order_by(None).order_by(distance)
    end = offset + size
    rows = sorted(
        ((d, i) for i, d in db.session.execute(walk.limit(end + KNN_SLACK))),
    )
    if len(rows) <= end or rows[end - 1][0] < rows[-1][0]:
        return [i for _d, i in rows[offset:end]]
    radius = rows[end - 1][0] * (1 + 1e-9) + 1e-6  # the same distance, computed again
    circle = ordered.where(*store.within_metres(*origin, radius))
    return list(db.session.scalars(circle.limit(size).offset(offset)))


def _open_at(where: list, specs, when: tuple[date, str]):
    """SQL: open on the date ``when[0]``, at the time ``when[1]`` (HH:MM) or ever.

    The weekly index (:func:`~webgis.features.indexing.week_hours`) of an ordinary
    week, or on a public holiday of a week of holidays, says in one character
    whether a feature is open for all of that hour; those open for part of it,
    those whose hours depend on the date, and (the day after a holiday) nights
    that began on it are few, and their expressions are evaluated here.
    """
    day, clock = when
    weekday = day.weekday()
    column = Feature.holiday_hours if hours.is_holiday(day) else Feature.open_hours
    if clock:
        slot = func.substr(column, weekday * 24 + int(clock[:2]) + 1, 1)
        sure = slot == indexing.OPEN
        maybe = slot.in_((indexing.PART, indexing.DATED))
    else:
        whole = func.substr(column, weekday * 24 + 1, 24)
        sure = or_(
            indexing.contains(whole, indexing.OPEN),
            indexing.contains(whole, indexing.PART),
        )
        maybe = whole.like(f"{indexing.DATED}%")
    if hours.is_holiday(day - timedelta(days=1)):
        night = _night_after_holiday((weekday - 1) % 7)
        sure, maybe = and_(sure, not_(night)), or_(maybe, night)
    # Their ids first (from the index), then the expressions of only those.
    candidates = list(db.session.scalars(select(Feature.id).where(*where, maybe)))
    rows = select(Feature.id, Feature.layer, Feature.properties).where(
        Feature.id.in_(candidates)
    )
    moment = datetime.combine(day, time.fromisoformat(clock), WARSAW) if clock else None
    open_then = [
        row.id
        for row in (db.session.execute(rows) if candidates else [])
        if any(
            hours.is_open(expr, moment) if moment else hours.open_on(expr, day)
            for name in _public_hours(specs[row.layer])
            if (expr := hours.expression(row.properties.get(name)))
        )
    ]
    return or_(sure, Feature.id.in_(open_then))


def _night_after_holiday(eve: int):
    """SQL: hours that may run past the midnight after a holiday on weekday ``eve``.

    The indexes take the day before as ordinary, so a night the holiday's rules
    open (or close) is read from the expression.
    """
    last_hour = eve * 24 + 24
    return and_(
        Feature.holiday_hours != Feature.open_hours,
        or_(
            func.substr(Feature.holiday_hours, last_hour, 1) != indexing.CLOSED,
            func.substr(Feature.open_hours, last_hour, 1) != indexing.CLOSED,
        ),
    )


def _exact(ordered, area: BaseGeometry) -> list[int]:
    """Ids of the rows, in order, whose geometry really touches the area."""
    shapely.prepare(area)
    query = ordered.with_only_columns(Feature.id, Feature.geometry)
    return [
        row.id for row in db.session.execute(query) if area.intersects(row.geometry)
    ]


def _services_by_id(city, specs, ids) -> dict[int, Service]:
    return _derived(city, specs, ids) if ids else {}


def _fields_by_vocabulary(spec: LayerSpec) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for spec_field in spec.all_fields:
        if spec_field.vocabulary and spec_field.public:
            found.setdefault(spec_field.vocabulary, []).append(spec_field.name)
    return found


def _has_terms(service: Service, query: Query, fields: dict[str, list[str]]) -> bool:
    """The service has the chosen terms: any of them (:data:`ANY_OF`) or all."""
    for name, wanted in query.terms.items():
        if not wanted:
            continue
        values: set[str] = set()
        for field_name in fields.get(VOCABULARY_FILTERS[name], []):
            value = service.properties.get(field_name)
            values.update(value if isinstance(value, list) else [value])
        found = set(wanted) & values if name in ANY_OF else set(wanted) <= values
        if not found:
            return False
    return True


def speaks(roles: Mapping, language: str) -> bool:
    """Whether the service's languages (its field of that role) mention ``language``.

    A service that lists no language is taken to work in Polish.
    """
    text = fold(str(roles.get("languages") or ""))
    if not text:
        return language == "pl"
    return any(fold(stem) in text for stem in LANGUAGES[language][1])


def _when(query: Query, now) -> tuple[date, str] | None:
    """(date, HH:MM or "") the query asks about, if any.

    A weekday without a date is its next occurrence from today (today included).
    """
    moment = present(now)
    if query.open_now:
        return moment.date(), moment.strftime("%H:%M")
    if not (query.day or query.time or query.date):
        return None
    if query.date:
        day = date.fromisoformat(query.date)
    else:
        wanted = WEEKDAYS.index(query.day) if query.day else moment.weekday()
        day = moment.date() + timedelta(days=(wanted - moment.weekday()) % 7)
    return day, query.time


def _public_hours(spec: LayerSpec) -> list[str]:
    return [f.name for f in spec.all_fields if f.kind == "hours" and f.public]


def distances_from(origin: tuple[float, float], rows: list[Service]) -> np.ndarray:
    """Straight-line distances in metres (EPSG:2180) from (lat, lon) to each service."""
    x0, y0 = metric_transformer().transform(origin[1], origin[0])
    xs = np.fromiter((s.x for s in rows), float, len(rows))
    ys = np.fromiter((s.y for s in rows), float, len(rows))
    return np.hypot(xs - x0, ys - y0)


@dataclass(frozen=True)
class Result:
    """A finder page's answer: the query as understood, problems, one page of hits.

    ``total`` services match; ``page`` is the page shown (at most ``last``).
    """

    query: Query
    errors: dict[str, str]
    hits: list[Hit]
    choices: Choices
    total: int = 0
    page: int = 1
    last: int = 1


def city_choices(city: City, vocabularies: Mapping[str, set[str]]) -> Choices:
    """What the city's finder filters by, and how a typed place name is found.

    A typed place is looked up in the city's address register, then among its
    units (:func:`~webgis.geography.geocoding.geocode`), then among the addresses
    of its services (asked of the database only when a place was typed). Only
    names and codes are read here: the boundaries themselves are loaded when a
    query asks for an area or a place.
    """
    codes = [code for code, _name in cities.area_names(city)]
    units = cities.unit_names(city)
    areas = OnDemand(
        [*codes, *(f"unit-{number}" for number, _name in units)],
        lambda: _area_geometries(city),
    )
    places = OnDemand([fold(name) for _n, name in units], lambda: _unit_points(city))
    return Choices(
        vocabularies,
        areas,
        places,
        lambda wanted, level: _address(city, wanted, level),
        lambda typed: geocoding.geocode(city, typed),
        lambda: cities.example_point(city),
    )


class OnDemand(Mapping):
    """A mapping whose keys are known now and whose values are loaded on first use.

    The finder needs the names of areas and places on every request, but their
    boundaries only when a query filters by one; loading every unit's boundary
    cost more than the rest of a search.
    """

    def __init__(self, keys: list[str], load: Callable[[], Mapping]):
        self._keys = dict.fromkeys(keys)
        self._load = load
        self._values: Mapping | None = None

    def __getitem__(self, key: str):
        if key not in self._keys:
            raise KeyError(key)
        if self._values is None:
            self._values = self._load()
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._keys  # without loading the values

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _area_geometries(city: City) -> dict[str, BaseGeometry | None]:
    areas: dict[str, BaseGeometry | None] = {
        a.code: a.geometry for a in city.service_areas
    }
    areas.update((f"unit-{u.number}", u.geometry) for u in city.units)
    return areas


def _unit_points(city: City) -> dict[str, Point]:
    return {fold(u.name): u.geometry.representative_point() for u in city.units}


def _address(city: City, wanted: str, level: str) -> Point | None:
    """The shortest listed service address matching ``wanted`` at ``level``.

    ``wanted`` is folded; levels as in :func:`~webgis.finder.questions.find_place`.
    """
    escaped = indexing.like_escaped(wanted)
    pattern = {"equal": escaped, "start": f"{escaped}%"}.get(level, f"%{escaped}%")
    row = db.session.execute(
        select(Feature.lon, Feature.lat)
        .where(
            Feature.city_id == city.id,
            Feature.listed.is_(True),
            Feature.address_key.like(pattern, escape="\\"),
        )
        .order_by(func.length(Feature.address_key), Feature.id)
        .limit(1)
    ).first()
    return None if row is None else Point(row.lon, row.lat)


def find(
    city: City,
    registry: Mapping[str, LayerSpec],
    args: Mapping,
    vocabularies: Mapping[str, set[str]],
    now: datetime | tuple[str, str] | None = None,
) -> Result:
    """Parse the URL's query and search the city's services with it (one page)."""
    choices = city_choices(city, vocabularies)
    query, errors = parse_query(args, choices)
    hits, total, page, last = search(city, query, choices, finder_layers(registry), now)
    return Result(query, errors, hits, choices, total, page, last)


def get_service(
    city: City, registry: Mapping[str, LayerSpec], service_id: int
) -> Service:
    """One service the public may see, or :class:`NotFound` (drafts do not exist)."""
    specs = finder_layers(registry)
    found = store.published_by_id(city, specs, [service_id])
    service = derive(specs[found[0].layer], found[0]) if found else None
    if service is None or not service.listed:
        raise NotFound(_l("Nie ma takiej usługi."))
    return service


def city_bounds(city: City) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the city's units, to frame an empty map."""
    return cities.extent(city) or POLAND


def area_outlines(city: City) -> str:
    """The city's service areas simplified to about 20 m, as GeoJSON text.

    A light backdrop for the pins, made once per version of the boundaries.
    """
    return cities.outline(city).area_geojson


def term_labels(
    service: Service, spec: LayerSpec, vocabulary: str, labels: Mapping[str, str]
) -> list[str]:
    """Labels of the service's terms of one vocabulary, in the reader's language."""
    values: list[str] = []
    for spec_field in spec.all_fields:
        if spec_field.vocabulary == vocabulary and spec_field.public:
            value = service.properties.get(spec_field.name)
            values += value if isinstance(value, list) else [value]
    return [labels.get(v, v) for v in values if v]


def service_hours(service: Service, spec: LayerSpec) -> str | None:
    """The expression of the service's opening hours; None when it publishes none."""
    for spec_field in spec.all_fields:
        value = service.properties.get(spec_field.name)
        if spec_field.kind == "hours" and spec_field.public and value:
            return hours.expression(value)
    return None


def hours_on(service: Service, spec: LayerSpec, day: date) -> list[tuple] | None:
    """The service's opening intervals ("8:00", "16:00") on a date; None without hours.

    A night that began the day before is not listed; one that begins this day
    is, up to its end the next morning.
    """
    expr = service_hours(service, spec)
    if expr is None:
        return None
    spans = hours.day_spans(expr, day)
    if spans and spans[0][0] == 0 and _night_before(expr, day):
        spans = spans[1:]  # the end of yesterday's night
    if spans and spans[-1][1] == 24 * 60 and spans[-1][0] > 0:
        following = hours.day_spans(expr, day + timedelta(days=1))
        if following and following[0][0] == 0 and following[0][1] < 24 * 60:
            spans[-1] = (spans[-1][0], following[0][1], spans[-1][2])
    return [(hours.clock(s), hours.clock(e)) for s, e, _comment in spans]


def _night_before(expr: str, day: date) -> bool:
    """Whether a night that began the day before runs into ``day``."""
    spans = hours.day_spans(expr, day - timedelta(days=1))
    return bool(spans) and spans[-1][1] == 24 * 60 and spans[-1][0] > 0
