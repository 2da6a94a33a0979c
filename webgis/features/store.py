"""Features of every layer in the database: the only module that queries them.

This is the one write path. Every change, whoever makes it (a form, a moderator, a
public suggestion, the demo or an import), is checked here like a form (each field
against its spec, the geometry inside the city) and against the user's areas, and
writes a revision and an audit entry in the same transaction, so version numbers
follow revisions without gaps. Saving over a version someone else changed meanwhile
raises :class:`Conflict` instead of overwriting it.

Reading is allow-listed: :func:`shown_properties` is the only way properties leave
the server, and it returns declared fields only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Float, select
from sqlalchemy.orm.exc import StaleDataError

from layers import LayerSpec
from webgis.accounts import permissions
from webgis.core import audit
from webgis.core.errors import Forbidden, Invalid, NotFound, WebgisError
from webgis.core.extensions import db
from webgis.core.registry import layer_registry
from webgis.core.text import fold
from webgis.core.text import lazy_text as _l
from webgis.features import indexing, organisations, validation, vocabularies
from webgis.features.kinds import kind_of
from webgis.features.models import (
    FEATURE_BOXES,
    METRIC_SRID,
    STATUSES,
    Feature,
    FeatureRow,
    ListedTerm,
    ListedText,
    Revision,
    item_with_id,
)
from webgis.geography import cities
from webgis.geography.boundaries import geographic_transformer
from webgis.geography.models import City, ServiceArea

VERIFY_AFTER = timedelta(days=365)


class Conflict(WebgisError):
    """Someone saved the feature after the editor opened it."""

    status = 409

    def __init__(self, feature: Feature, mine: dict, mine_geometry: BaseGeometry):
        super().__init__(_l("Ktoś zmienił ten obiekt w czasie Twojej edycji."))
        self.feature, self.mine, self.mine_geometry = feature, mine, mine_geometry


@dataclass(frozen=True)
class Change:
    """One field that differs between two versions."""

    field: str
    before: object
    after: object


def is_public(spec: LayerSpec, feature: Feature) -> bool:
    """Published, and for layers with a visibility switch (needs), switched on."""
    if feature.status != "published":
        return False
    if spec.public_when is None:
        return True
    name, wanted = spec.public_when
    rule = spec.get_field(name).when
    props = feature.properties or {}
    if rule and props.get(rule[0]) != rule[1]:
        return True  # the switch does not apply (resources are public)
    return props.get(name) == wanted


def can_edit(user, feature: Feature) -> bool:
    """Staff who work in one of the areas the feature belongs to."""
    return permissions.works_on(user, feature.city, feature.geometry)


def _in_queue():
    """Suggestions waiting for, or turned down by, a moderator: not features yet."""
    return Feature.moderation.is_(None) | (Feature.moderation == "accepted")


def readable(city: City, spec: LayerSpec, user, include_archived=False) -> list:
    """SQL conditions choosing the layer's features in the city the user may see.

    Published and public ones for everyone (the ``public`` column the store keeps);
    staff also see drafts and, when asked, archived ones. Suggestions still in
    moderation are not features yet.
    """
    where = [Feature.city_id == city.id, Feature.layer == spec.key]
    staff = user is not None and user.is_authenticated
    if not staff:
        # Public features are never suggestions in the queue (refresh_columns).
        where.append(Feature.public.is_(True))
        return where
    where.append(_in_queue())
    if not include_archived:
        where.append(Feature.status != "archived")
    return where


def visible(city: City, spec: LayerSpec, user, include_archived=False) -> list[Feature]:
    """The layer's features the user may see (see :func:`readable`), by id."""
    query = select(Feature).where(*readable(city, spec, user, include_archived))
    return list(db.session.scalars(query.order_by(Feature.id)))


def envelope_overlaps(bounds: tuple[float, float, float, float]) -> list:
    """SQL: the feature's envelope overlaps ``bounds`` (west, south, east, north)."""
    west, south, east, north = bounds
    return [
        Feature.max_lon >= west,
        Feature.min_lon <= east,
        Feature.max_lat >= south,
        Feature.min_lat <= north,
    ]


def touching(where: list, bbox: tuple[float, float, float, float]) -> list:
    """``where`` and "the geometry touches ``bbox``" (west, south, east, north).

    PostGIS decides it exactly with its spatial index (``ST_Intersects``). On
    SQLite the R*Tree of envelopes finds the candidates; the only ones in doubt
    are polygons whose envelope crosses the box's edge, and those few are tested
    exactly and the misses left out by id.
    """
    west, south, east, north = bbox
    if db.session.get_bind().dialect.name == "postgresql":
        envelope = db.func.ST_MakeEnvelope(west, south, east, north, 4326)
        return [*where, db.func.ST_Intersects(Feature.geometry, envelope)]
    boxes = FEATURE_BOXES.c
    candidates = select(boxes.id).where(
        boxes.max_lon >= west,
        boxes.min_lon <= east,
        boxes.max_lat >= south,
        boxes.min_lat <= north,
    )
    # The R*Tree keeps its boxes in single precision, rounded outwards: the
    # columns say exactly which envelopes overlap.
    overlap = [Feature.id.in_(candidates), *envelope_overlaps(bbox)]
    inside = (
        (Feature.min_lon >= west)
        & (Feature.max_lon <= east)
        & (Feature.min_lat >= south)
        & (Feature.max_lat <= north)
    )
    doubtful = select(Feature.id, Feature.geometry).where(*where, *overlap, ~inside)
    frame = shapely.box(*bbox)
    misses = [
        row.id
        for row in db.session.execute(doubtful)
        if not row.geometry.intersects(frame)
    ]
    return [*where, *overlap] + ([Feature.id.not_in(misses)] if misses else [])


def metric_point():
    """SQL (PostGIS): the feature's metric point, as its GiST index holds it."""
    return db.func.ST_SetSRID(db.func.ST_MakePoint(Feature.x, Feature.y), METRIC_SRID)


def by_distance(x: float, y: float) -> list:
    """ORDER BY terms: nearest first from the metric point (x, y), then by id.

    PostGIS walks its GiST index in distance order (KNN, ``<->``), so a page of
    the nearest reads that page only. SQLite sorts the rows it is given; callers
    narrow them first with :func:`within_metres`.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        origin = db.func.ST_SetSRID(db.func.ST_MakePoint(x, y), METRIC_SRID)
        return [metric_point().op("<->", return_type=Float)(origin), Feature.id]
    dx, dy = Feature.x - x, Feature.y - y
    return [dx * dx + dy * dy, Feature.id]


def within_metres(x: float, y: float, radius: float) -> list:
    """SQL: the feature's metric point lies within ``radius`` metres of (x, y).

    PostGIS answers with ``ST_DWithin`` on the GiST index; SQLite takes the
    candidates from its R*Tree of envelopes (the square's lon/lat envelope, a
    little wider, since a metric square is not quite a lon/lat box) and measures
    those exactly.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        origin = db.func.ST_SetSRID(db.func.ST_MakePoint(x, y), METRIC_SRID)
        return [db.func.ST_DWithin(metric_point(), origin, radius)]
    corners = [(x + dx, y + dy) for dx in (-radius, radius) for dy in (-radius, radius)]
    lons, lats = geographic_transformer().transform(*zip(*corners, strict=True))
    margin = 1e-4  # about ten metres
    boxes = FEATURE_BOXES.c
    candidates = select(boxes.id).where(
        boxes.max_lon >= min(lons) - margin,
        boxes.min_lon <= max(lons) + margin,
        boxes.max_lat >= min(lats) - margin,
        boxes.min_lat <= max(lats) + margin,
    )
    dx, dy = Feature.x - x, Feature.y - y
    return [
        Feature.id.in_(candidates),
        # The square in metres too: without statistics (no ANALYZE yet) SQLite
        # walks the city's rows in its x index and probes the R*Tree's list; this
        # keeps that walk to a strip of the city.
        Feature.x.between(x - radius, x + radius),
        Feature.y.between(y - radius, y + radius),
        dx * dx + dy * dy <= radius * radius,
    ]


def _in_view_where(city, spec, user, bbox, ids=None) -> list:
    where = readable(city, spec, user)
    if ids is not None:
        where.append(Feature.id.in_(sorted(ids)))
    return where if bbox is None else touching(where, bbox)


def count_in_view(
    city: City, spec: LayerSpec, user, bbox: tuple[float, float, float, float] | None
) -> int:
    """How many features the user may see touch ``bbox`` (west, south, east, north).

    ``bbox`` None counts them all.
    """
    where = _in_view_where(city, spec, user, bbox)
    return db.session.scalar(select(db.func.count()).where(*where))


def in_view(
    city: City,
    spec: LayerSpec,
    user,
    bbox: tuple[float, float, float, float] | None = None,
    limit: int = 1_000,
    offset: int = 0,
    ids=None,
) -> list[FeatureRow]:
    """One page (by id) of the features the user may see, as rows.

    ``bbox`` (west, south, east, north) keeps those that touch it, ``ids`` those
    with these ids.
    """
    where = _in_view_where(city, spec, user, bbox, ids)
    return _rows(select(Feature).where(*where).order_by(Feature.id), limit, offset)


def _columns(texts: bool) -> list:
    if texts:
        return [Feature.id, Feature.public_item]
    return [getattr(Feature, f.name) for f in fields(FeatureRow)]


def _made(row, texts: bool):
    return item_with_id(*row) if texts else FeatureRow(*row)


def _rows(query, limit: int | None = None, offset: int = 0, texts: bool = False):
    """The query's features as rows (no ORM objects), a page of them if asked.

    With ``texts``, their public items as JSON texts instead (see
    :meth:`FeatureRow.item_text`).
    """
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = db.session.execute(query.with_only_columns(*_columns(texts)))
    return [_made(row, texts) for row in rows]


def _counted_page(query, limit: int, offset: int, texts: bool) -> tuple[list, int]:
    """A page of the query's rows and how many rows match, in one statement.

    The count rides along as a window over every match, so the matches of a box
    are found once by the spatial index (a second ``count(*)`` found them all
    again); only a page past the end, which has no row to carry it, asks again.
    """
    matched = db.func.count().over().label("matched")
    page = query.with_only_columns(*_columns(texts), matched)
    rows = db.session.execute(page.limit(limit).offset(offset)).all()
    if rows:
        return [_made(row[:-1], texts) for row in rows], rows[0].matched
    count = query.with_only_columns(db.func.count()).order_by(None)
    return [], db.session.scalar(count)


@dataclass(frozen=True)
class Cluster:
    """Features of a layer near each other: how many, their middle, their extent."""

    count: int
    lon: float
    lat: float
    bounds: tuple[float, float, float, float]
    #: The feature's id when the cluster holds one.
    feature_id: int


def clusters(
    city: City,
    spec: LayerSpec,
    user,
    bbox: tuple[float, float, float, float],
    cell: float,
) -> list[Cluster]:
    """The visible features in ``bbox``, grouped on a grid of ``cell`` degrees.

    Grouped by the database by their representative points (an index holds them),
    so a city-wide view of 200,000 features sends a few dozen groups, not the
    features.
    """
    where = _points_where(city, spec, user, bbox)
    column = db.cast(Feature.lon / cell, db.Integer)
    row = db.cast(Feature.lat / cell, db.Integer)
    query = (
        select(
            db.func.count(),
            db.func.avg(Feature.lon),
            db.func.avg(Feature.lat),
            db.func.min(Feature.lon),
            db.func.min(Feature.lat),
            db.func.max(Feature.lon),
            db.func.max(Feature.lat),
            db.func.min(Feature.id),
        )
        .where(*where)
        .group_by(column, row)
    )
    return [
        Cluster(int(n), lon, lat, (w, s, e, north), int(first))
        for n, lon, lat, w, s, e, north, first in db.session.execute(query)
    ]


def _points_where(city, spec, user, bbox) -> list:
    west, south, east, north = bbox
    return [
        *readable(city, spec, user),
        Feature.lon.between(west, east),
        Feature.lat.between(south, north),
    ]


def count_points_in_view(
    city: City, spec: LayerSpec, user, bbox: tuple[float, float, float, float]
) -> int:
    """How many visible features have their representative point in ``bbox``.

    Read from an index alone: what a map needs to choose between features and
    groups (:func:`clusters`), where :func:`count_in_view` is exact for polygons.
    """
    where = _points_where(city, spec, user, bbox)
    return db.session.scalar(select(db.func.count()).where(*where))


def get(city: City, spec: LayerSpec, feature_id: int, user) -> Feature:
    """One feature the user may see, or 404 (hidden ones do not exist for them)."""
    feature = db.session.get(Feature, feature_id)
    if (
        feature is None
        or feature.city_id != city.id
        or feature.layer != spec.key
        or feature.moderation not in (None, "accepted")
    ):
        # Suggestions are handled in the moderation queue, not edited as features.
        raise NotFound(_l("Nie ma takiego obiektu."))
    staff = user is not None and user.is_authenticated
    if not staff and not is_public(spec, feature):
        raise NotFound(_l("Nie ma takiego obiektu."))
    return feature


def needs_verification(
    spec: LayerSpec, feature: Feature, today: date | None = None
) -> bool:
    """A record whose data nobody has confirmed for twelve months.

    Only layers with a field of role ``verified_on`` take part; a record that was
    never confirmed needs it too.
    """
    checked = spec.value_of("verified_on", feature.properties)
    if spec.field_for("verified_on") is None:
        return False
    if not checked:
        return True
    return date.fromisoformat(checked) < (today or date.today()) - VERIFY_AFTER


def allowed(city: City, spec: LayerSpec, user=None) -> validation.Allowed:
    """What ``spec``'s choice-like fields may hold in this city."""

    def known_links(layer: str, ids: set[int]) -> set[int]:
        if not ids:
            return set()
        query = select(Feature.id).where(
            Feature.city == city,
            Feature.layer == layer,
            Feature.id.in_(sorted(ids)),
            Feature.status != "archived",
            _in_queue(),
        )
        return set(db.session.scalars(query))

    return validation.Allowed(
        vocabularies={
            key: {t.key for t in vocabularies.terms(key)}
            for key in vocabularies.VOCABULARIES
        },
        service_areas={a.code for a in city.service_areas},
        known_links=known_links,
    )


class Checker:
    """Checks features of one layer in one city like a form, preparing the city once.

    What the city allows (vocabularies, areas) and its outline are read when the
    checker is made, so checking thousands of rows of an import costs one read.
    """

    def __init__(self, city: City, spec: LayerSpec):
        self.city, self.spec = city, spec
        self.allowed = allowed(city, spec)
        self.outline = cities.city_outline(city)
        self.within = validation.within_city(self.outline)

    def problems(
        self, geometry: BaseGeometry | None, properties: dict, status: str
    ) -> tuple[dict, BaseGeometry | None, dict[str, str]]:
        """The cleaned properties and geometry, and a message per field in error."""
        values = validation.form_values(self.spec, properties)
        cleaned, errors = validation.clean_properties(self.spec, values, self.allowed)
        try:
            geometry = validation.check_geometry(
                self.spec, geometry, self.outline, self.within
            )
        except ValueError as problem:
            errors["geometry"] = str(problem.args[0])
        if status not in STATUSES:
            errors["status"] = str(_l("Nieznany stan %(status)s.", status=status))
        return cleaned, geometry, errors

    def checked(
        self, geometry: BaseGeometry | None, properties: dict, status: str
    ) -> tuple[dict, BaseGeometry]:
        """Properties and geometry as a form would accept them, or :class:`Invalid`."""
        cleaned, geometry, errors = self.problems(geometry, properties, status)
        if errors:
            raise Invalid(errors)
        return cleaned, geometry


def checked(
    city: City, spec: LayerSpec, geometry: BaseGeometry, properties: dict, status: str
) -> tuple[dict, BaseGeometry]:
    """Properties and geometry as a form would accept them, or :class:`Invalid`.

    Properties pass through the form's own cleaning, so whatever the source, only
    declared fields with valid values are stored.
    """
    return Checker(city, spec).checked(geometry, properties, status)


def _snapshot(
    feature: Feature, action: str, user, origin: str, at: datetime | None = None
) -> None:
    actor = getattr(user, "email", None) or origin
    db.session.add(
        Revision(
            **({"at": at} if at is not None else {}),
            feature_id=feature.id,
            version=feature.version,
            user_id=getattr(user, "id", None),
            actor=actor,
            action=action,
            status=feature.status,
            properties=dict(feature.properties or {}),
            geometry=feature.geometry,
        )
    )
    audit.record(
        f"feature.{action}", f"{feature.layer}:{feature.id}", actor=user or origin
    )


#: 32 bytes of randomness: a status link cannot be guessed or counted through.
STATUS_TOKEN_BYTES = 32


def create(
    user,
    city: City,
    spec: LayerSpec,
    geometry: BaseGeometry,
    properties: dict,
    status: str,
    *,
    origin: str = "import",
    queue_area: ServiceArea | None = None,
    described_at: datetime | None = None,
) -> Feature:
    """Store a new feature; a user must work in one of the areas it belongs to.

    ``user`` None is not a person signed in: ``origin`` says who it is, "import"
    (the command line, the demo) or "public" (a resident's suggestion, which then
    waits in the moderation queue of ``queue_area``, invisible until accepted).
    ``described_at`` (UTC) dates the first revision by the moment its source
    describes, for records taken from dated documents; the history and the
    analysis "as of a date" then place it there. By default it is now.
    """
    if user is not None:
        _check_staff(user)
        permissions.check_placement(user, city, geometry)
    properties, geometry = checked(city, spec, geometry, properties, status)
    suggestion = origin == "public"
    with cities.transaction():
        feature = Feature(
            city=city,
            layer=spec.key,
            geometry=geometry,
            properties=properties,
            status="draft" if suggestion else status,
            created_by_id=getattr(user, "id", None),
            updated_by_id=getattr(user, "id", None),
            moderation="pending" if suggestion else None,
            queue_area=queue_area if suggestion else None,
            # The resident's key to the suggestion's status page, in the same row.
            status_token=secrets.token_urlsafe(STATUS_TOKEN_BYTES)
            if suggestion
            else None,
        )
        if described_at is not None:
            feature.created_at = described_at  # before the insert: no new version
        refresh_columns(spec, feature)
        db.session.add(feature)
        db.session.flush()
        action = "suggest" if suggestion else "create"
        _snapshot(feature, action, user, origin, described_at)
        organisations.link(feature, spec)
    return feature


@dataclass(frozen=True)
class Row:
    """One feature of a batch: new (``feature`` None) or a new version of one."""

    geometry: BaseGeometry
    properties: dict
    status: str
    feature: Feature | None = None


class RowsInvalid(WebgisError):
    """Rows of a batch that break the rules: ``errors`` by row index, then field."""

    status = 422

    def __init__(self, errors: dict[int, dict[str, str]]):
        super().__init__(
            _l("Nic nie zostało zapisane: wiersze z błędami: %(n)s.", n=len(errors))
        )
        self.errors = errors


def save_many(
    user, city: City, spec: LayerSpec, rows: list[Row], *, action: str = "import"
) -> list[Feature]:
    """Store many features of one layer at once: all of them, or none.

    Every row is checked like a form and against the user's areas (``user`` None is
    the command line); any problem refuses the whole batch with :class:`RowsInvalid`.
    Otherwise one transaction writes them, each with a revision whose action is
    ``action``.
    """
    if user is not None:
        _check_staff(user)
    checker, errors, ready = Checker(city, spec), {}, []
    for index, row in enumerate(rows):
        cleaned, geometry, problems = checker.problems(
            row.geometry, row.properties, row.status
        )
        if user is not None and geometry is not None and "geometry" not in problems:
            places = [geometry] + ([row.feature.geometry] if row.feature else [])
            if not all(permissions.works_on(user, city, g) for g in places):
                problems["geometry"] = str(_l("Poza Twoimi obszarami."))
        if problems:
            errors[index] = problems
        ready.append((row, cleaned, geometry))
    if errors:
        raise RowsInvalid(errors)
    saved = []
    with cities.transaction():
        for row, properties, geometry in ready:
            feature = row.feature or Feature(
                city=city, layer=spec.key, created_by_id=getattr(user, "id", None)
            )
            feature.geometry, feature.properties = geometry, properties
            feature.status = row.status
            feature.updated_by_id = getattr(user, "id", None)
            refresh_columns(spec, feature)
            db.session.add(feature)
            saved.append(feature)
        # One flush gives every row its id and version; then their revisions.
        db.session.flush()
        for feature in saved:
            _snapshot(feature, action, user, "import")
        organisations.link_many(saved, spec)
    return saved


def _check_staff(user) -> None:
    if not getattr(user, "is_authenticated", False) or not getattr(
        user, "is_active", False
    ):
        raise Forbidden(_l("Zaloguj się, aby zmieniać dane."))


def update(
    user,
    feature: Feature,
    base_version: int,
    geometry: BaseGeometry | None,
    properties: dict,
    status: str,
    action: str = "update",
    moderation: tuple[str, str] | None = None,
) -> Feature:
    """Save a new version of the feature, unless someone else saved one meanwhile.

    ``user`` must work in an area the feature belongs to, and in one the new
    geometry belongs to. ``moderation`` (state, note) settles a suggestion.
    """
    _check_staff(user)
    if not can_edit(user, feature):
        raise Forbidden(_l("Ten obiekt leży poza Twoimi obszarami."))
    moved = geometry is not None and not geometry.equals(feature.geometry)
    if moved:
        permissions.check_placement(user, feature.city, geometry)
    geometry = geometry if moved else feature.geometry
    publishing = status == "published" and feature.status != "published"
    if moved or publishing or properties != feature.properties:
        # A status change alone (archive, reject) keeps what is stored, so an old
        # record can always be archived; what becomes public is always checked.
        properties, geometry = checked(
            feature.city, _spec_of(feature), geometry, properties, status
        )
    elif status not in STATUSES:
        raise Invalid({"status": str(_l("Nieznany stan %(status)s.", status=status))})
    if base_version != feature.version:
        raise Conflict(feature, properties, geometry)
    if not (moved or moderation or status != feature.status) and not diff(
        _spec_of(feature), feature.properties or {}, properties
    ):
        # Saving what is stored is not a change: no version, no revision, so
        # version numbers count changes and the history has no empty steps.
        return feature
    try:
        with cities.transaction():
            if moved:
                feature.geometry = geometry
                if feature.moderation is not None:
                    # A suggestion's queue follows its place.
                    feature.queue_area = cities.area_containing(feature.city, geometry)
            feature.properties = properties
            feature.status = status
            feature.updated_by_id = user.id
            if moderation is not None:
                feature.moderation, feature.moderation_note = moderation
            refresh_columns(_spec_of(feature), feature)
            db.session.flush()
            _snapshot(feature, action, user, "")
            organisations.link(feature, _spec_of(feature))
    except StaleDataError as race:
        # Another process saved between our check and our write.
        db.session.refresh(feature)
        raise Conflict(feature, properties, geometry) from race
    return feature


def refresh_columns(spec: LayerSpec, feature: Feature) -> None:
    """Set the feature's query columns from its properties, geometry and status.

    Called by every write above; :func:`reindex` repairs them after a layer's spec
    changed which fields are public or searchable.
    """
    # The time of this change, set here (not at flush) so the public item has it.
    feature.updated_at = datetime.now(UTC).replace(tzinfo=None)
    values = _index_values(spec, feature)
    for name, value in values.items():
        setattr(feature, name, value)
    _keep_listed_terms(feature, _listed_tokens(values))
    _keep_listed_text(feature, values)


def _listed_tokens(values: dict) -> set[str]:
    return set(indexing.tokens(values["terms"])) if values["listed"] else set()


def _keep_listed_terms(feature: Feature, wanted: set[str]) -> None:
    # Only what changed: a term removed and added again in one flush would clash.
    kept = {term.token: term for term in feature.listed_terms}
    for token in kept.keys() - wanted:
        feature.listed_terms.remove(kept[token])
    for token in sorted(wanted - kept.keys()):
        feature.listed_terms.append(ListedTerm(token=token, city_id=_city_id(feature)))


def _keep_listed_text(feature: Feature, values: dict) -> None:
    if not values["listed"]:
        feature.listed_text = None
    elif feature.listed_text is None:
        feature.listed_text = ListedText(
            city_id=_city_id(feature), search_text=values["search_text"]
        )
    else:
        feature.listed_text.search_text = values["search_text"]


def _city_id(feature: Feature) -> int:
    # A new feature knows its city, not yet the city's id.
    return feature.city_id if feature.city_id is not None else feature.city.id


def _index_values(spec: LayerSpec, feature: Feature) -> dict:
    title = spec.value_of("title", feature.properties or {}) or ""
    return indexing.columns(
        spec,
        feature.geometry,
        shown_properties(spec, feature),
        # A suggestion is never public before a moderator accepts it.
        public=is_public(spec, feature) and feature.moderation in (None, "accepted"),
        title=str(title),
        updated_at=feature.updated_at,
    )


def reindex(batch: int = 2_000) -> int:
    """Recompute every feature's query columns; how many features there were.

    The columns follow from what is stored, so this changes no feature: versions
    stay and no revision is written.
    """
    registry, done, last_id = layer_registry(), 0, 0
    table = Feature.__table__
    while True:
        query = select(Feature).where(Feature.id > last_id).order_by(Feature.id)
        features = list(db.session.scalars(query.limit(batch)))
        if not features:
            return done
        rows = [
            {"feature_id": f.id, **_index_values(registry[f.layer], f)}
            for f in features
            if f.layer in registry
        ]
        if rows:
            # Core, not the ORM: an ORM update would raise the optimistic version.
            # (Parameters may not be named after the columns they set.)
            names = [name for name in rows[0] if name != "feature_id"]
            statement = (
                table.update()
                .where(table.c.id == db.bindparam("feature_id"))
                .values({name: db.bindparam(f"new_{name}") for name in names})
                # Not a change: the time of the last one stays.
                .values(updated_at=table.c.updated_at)
            )
            db.session.execute(
                statement,
                [
                    {"feature_id": r["feature_id"], **{f"new_{n}": r[n] for n in names}}
                    for r in rows
                ],
            )
            replace_listed_rows(rows, {f.id: f.city_id for f in features})
        last_id, done = features[-1].id, done + len(features)
        db.session.commit()
        db.session.expunge_all()


def replace_listed_rows(rows: list[dict], cities_of: dict[int, int]) -> None:
    """Write the finder's term and text rows of features, through the tables.

    ``rows`` hold each feature's ``feature_id`` and query columns (``listed``,
    ``terms``, ``search_text``); ``cities_of`` maps a feature's id to its city's.
    For writes that bypass :func:`refresh_columns`' ORM path (reindex, bulk loads).
    """
    ids = [r["feature_id"] for r in rows]
    terms, texts = ListedTerm.__table__, ListedText.__table__
    for table in (terms, texts):
        db.session.execute(table.delete().where(table.c.feature_id.in_(ids)))
    listed = [
        {"feature_id": i, "city_id": cities_of[i], "search_text": r["search_text"]}
        for r in rows
        for i in [r["feature_id"]]
        if r["listed"]
    ]
    tokens = [
        {"feature_id": i, "token": t, "city_id": cities_of[i]}
        for r in rows
        for i in [r["feature_id"]]
        for t in sorted(_listed_tokens(r))
    ]
    for table, new in ((texts, listed), (terms, tokens)):
        if new:
            db.session.execute(table.insert(), new)


def _spec_of(feature: Feature) -> LayerSpec:
    return layer_registry()[feature.layer]


def set_status(user, feature: Feature, status: str) -> Feature:
    """Archive ("delete"), restore or publish without touching anything else."""
    action = {"archived": "archive", "published": "publish"}.get(status, "restore")
    return update(
        user, feature, feature.version, None, feature.properties, status, action=action
    )


def history(feature: Feature) -> list[tuple[Revision, list[Change], bool]]:
    """Revisions newest first, each with its field changes and whether it moved."""
    revisions = list(
        db.session.scalars(
            select(Revision)
            .where(Revision.feature_id == feature.id)
            .order_by(Revision.version)
        )
    )
    spec, rows, previous = _spec_of(feature), [], None
    for revision in revisions:
        before = previous.properties if previous else {}
        changes = diff(spec, before, revision.properties)
        if previous and previous.status != revision.status:
            changes.insert(0, Change("status", previous.status, revision.status))
        moved = bool(previous) and not previous.geometry.equals(revision.geometry)
        rows.append((revision, changes, moved))
        previous = revision
    return list(reversed(rows))


def diff(spec: LayerSpec, before: dict, after: dict) -> list[Change]:
    """Field-by-field differences between two property sets of a layer's feature.

    Each field's kind says what is a change (reordering a list is not); only
    declared fields are compared.
    """
    return [
        Change(f.name, before.get(f.name), after.get(f.name))
        for f in spec.all_fields
        if not _same(f, before.get(f.name), after.get(f.name))
    ]


def _same(spec_field, before, after) -> bool:
    if before in (None, "", [], {}) or after in (None, "", [], {}):
        return before in (None, "", [], {}) and after in (None, "", [], {})
    return kind_of(spec_field).same(before, after)


def restore_revision(user, feature: Feature, revision_id: int) -> Feature:
    """Make an earlier version current again, as a new revision."""
    revision = db.session.get(Revision, revision_id)
    if revision is None or revision.feature_id != feature.id:
        raise NotFound(_l("Nie ma takiej wersji."))
    return update(
        user,
        feature,
        feature.version,
        revision.geometry,
        revision.properties,
        revision.status,
        action="revert",
    )


@dataclass(frozen=True)
class Merge:
    """My edit laid over a version someone saved meanwhile, field by field.

    Fields only I changed take my value, fields only they changed keep theirs;
    ``contested`` are those both changed differently (``before`` theirs, ``after``
    mine), which need a choice. "status" and "geometry" take part like fields.
    """

    properties: dict
    geometry: BaseGeometry
    status: str
    contested: list[Change]
    #: Fields (and "status", "geometry") where my change is kept without asking.
    mine_kept: list[str]
    #: Those where only the other person's change was made, kept as saved.
    theirs_kept: list[str]


def base_revision(feature: Feature, version: int) -> Revision | None:
    """The feature's revision of ``version``: what an editor started from."""
    return db.session.scalar(
        select(Revision).where(
            Revision.feature_id == feature.id, Revision.version == version
        )
    )


def merge(
    feature: Feature,
    base_version: int,
    mine: dict,
    mine_geometry: BaseGeometry | None,
    mine_status: str,
    choices: dict[str, str] | None = None,
) -> Merge:
    """Lay my edit (started from ``base_version``) over the saved feature.

    ``choices`` maps contested fields to "mine" or "theirs"; a contested field
    without a choice keeps theirs. Without the base revision every difference is
    contested.
    """
    spec, choices = _spec_of(feature), choices or {}
    base = base_revision(feature, base_version)
    known = base is not None
    before = base.properties if known else {}
    theirs = feature.properties or {}
    properties, contested, kept, theirs_kept = {}, [], [], []

    def settle(name, same, was, saved, wanted):
        value, taken, asked = _merge_value(
            same, was, saved, wanted, known, choices.get(name)
        )
        if asked:
            contested.append(Change(name, saved, wanted))
        if taken:
            kept.append(name)
        elif known and not asked and not same(saved, was):
            theirs_kept.append(name)
        return value

    status = settle(
        "status",
        lambda a, b: a == b,
        base.status if known else None,
        feature.status,
        mine_status,
    )
    for f in spec.all_fields:
        value = settle(
            f.name,
            lambda a, b, f=f: _same(f, a, b),
            before.get(f.name),
            theirs.get(f.name),
            mine.get(f.name),
        )
        if value not in (None, "", [], {}):
            properties[f.name] = value
    geometry = settle(
        "geometry",
        lambda a, b: a is not None and b is not None and a.equals(b),
        base.geometry if known else None,
        feature.geometry,
        mine_geometry if mine_geometry is not None else feature.geometry,
    )
    return Merge(properties, geometry, status, contested, kept, theirs_kept)


def _merge_value(same, base, theirs, mine, known: bool, choice: str | None):
    """(value, my change kept unasked, contested) of one field of a merge."""
    if same(mine, theirs):
        return theirs, False, False
    if known and same(mine, base):
        return theirs, False, False  # only they changed it
    if known and same(theirs, base):
        return mine, True, False  # only I changed it
    return (mine if choice == "mine" else theirs), False, True


def resolve(
    user,
    feature: Feature,
    seen_version: int,
    merged: Merge,
) -> Feature:
    """Save a merge whose contested fields were chosen, over ``seen_version``.

    The same write path as any edit: someone saving again meanwhile is another
    :class:`Conflict`.
    """
    return update(
        user, feature, seen_version, merged.geometry, merged.properties, merged.status
    )


def confirm_still_valid(
    user, feature: Feature, base_version: int, today: date | None = None
) -> Feature:
    """Record that the feature's data were checked today ("still valid").

    Sets the field of role ``verified_on`` through :func:`update`, so the check is
    a revision of its own (action "verify") with who and when.
    """
    spec = _spec_of(feature)
    field = spec.field_for("verified_on")
    if field is None:
        raise Invalid({"verified_on": str(_l("Ta warstwa nie ma daty weryfikacji."))})
    day = (today or date.today()).isoformat()
    properties = {**(feature.properties or {}), field.name: day}
    return update(
        user, feature, base_version, None, properties, feature.status, action="verify"
    )


def to_verify(
    city: City, spec: LayerSpec, user, limit: int = 20, today: date | None = None
) -> list[FeatureRow]:
    """Up to ``limit`` records of the layer the user may edit whose data need a check.

    Published ones never confirmed or confirmed over twelve months ago, by id;
    drafts, archived ones and suggestions are left out. For an organiser only
    those in their areas.
    """
    field = spec.field_for("verified_on")
    if field is None:
        return []
    cutoff = ((today or date.today()) - VERIFY_AFTER).isoformat()
    checked = Feature.properties[field.name].as_string()
    where = [*readable(city, spec, user), *_in_areas(city, user)]
    # Published records: what the public reads (a draft is still being written).
    where.append(Feature.status == "published")
    where.append(checked.is_(None) | (checked == "") | (checked < cutoff))
    query = select(Feature).where(*where).order_by(Feature.id)
    return _rows_in_areas(city, user, query, limit)


def drafts(city: City, spec: LayerSpec, user, limit: int = 20) -> list[FeatureRow]:
    """Up to ``limit`` drafts of the layer the user may edit, newest first."""
    where = [*readable(city, spec, user), Feature.status == "draft"]
    # By id, which an index holds: sorting by the time of the last change would
    # read every draft of the layer first.
    query = (
        select(Feature)
        .where(*where, *_in_areas(city, user))
        .order_by(Feature.id.desc())
    )
    return _rows_in_areas(city, user, query, limit)


#: How many pages of candidates a bounded list reads at most before it stops.
SCAN_PAGES = 10


def _in_areas(city: City, user) -> list:
    """SQL: the feature's envelope overlaps one of the user's areas in the city."""
    if user.sees_everything:
        return []
    boxes = [
        db.and_(*envelope_overlaps(a.geometry.bounds))
        for a in user.areas
        if a.city_id == city.id and a.geometry is not None
    ]
    return [db.or_(*boxes)] if boxes else [db.false()]


def _rows_in_areas(city: City, user, query, limit: int) -> list[FeatureRow]:
    """The first ``limit`` rows of ``query`` that really lie in the user's areas.

    The envelopes chose candidates in SQL; the exact test runs here, on pages of
    candidates, so a long list is never read whole.
    """
    found, offset, page = [], 0, max(limit * 2, 50)
    for _ in range(SCAN_PAGES):
        if len(found) >= limit:
            break
        rows = _rows(query, page, offset)
        found += [r for r in rows if permissions.works_on(user, city, r.geometry)]
        if len(rows) < page:
            break
        offset += page
    return found[:limit]


def recent_changes(
    city: City, user, limit: int = 20, offset: int = 0
) -> list[tuple[Revision, Feature]]:
    """A page of the latest revisions by others of features in the user's areas.

    Newest first; an organiser's areas are checked on pages of candidates, at
    most :data:`SCAN_PAGES` of them, so the whole history is never read.
    """
    query = (
        select(Revision, Feature)
        .join(Feature, Feature.id == Revision.feature_id)
        .where(Feature.city_id == city.id, _in_queue(), *_in_areas(city, user))
        .where(Revision.user_id.is_(None) | (Revision.user_id != user.id))
        # Ids grow with time: the primary key walks newest first, nothing sorted.
        .order_by(Revision.id.desc())
    )
    found, start, page = [], 0, max((limit + offset) * 2, 50)
    for _ in range(SCAN_PAGES):
        if len(found) >= limit + offset:
            break
        rows = db.session.execute(query.limit(page).offset(start)).all()
        found += [
            (r, f) for r, f in rows if permissions.works_on(user, city, f.geometry)
        ]
        if len(rows) < page:
            break
        start += page
    return found[offset : offset + limit]


#: Rows on one page of a layer's list.
LIST_PAGE = 100


@dataclass(frozen=True)
class ListPage:
    """One page of a layer's list: its rows, how many match, which page of how many."""

    rows: list
    total: int
    page: int
    last: int

    @property
    def first(self) -> int:
        """How many rows come before this page."""
        return (self.page - 1) * LIST_PAGE


def _list_query(city, spec: LayerSpec, user, filters: dict):
    """The list's filters as SQL, its order, and the area rows must really touch.

    Status, category (a term of the category field) and text (the folded
    searchable fields) are decided in SQL; an area by its envelope in SQL, then
    exactly on the rows left.
    """
    archived = filters.get("status") == "archived"
    where = readable(city, spec, user, include_archived=archived)
    if filters.get("status") in STATUSES:
        where.append(Feature.status == filters["status"])
    category = filters.get("category")
    if category and spec.category_field:
        token = indexing.term_token(_term_namespace(spec), category)
        where.append(indexing.contains(Feature.terms, token))
    for word in fold(filters.get("q") or "").split():
        where.append(indexing.contains(Feature.search_text, word))
    area = next((a for a in city.service_areas if a.code == filters.get("area")), None)
    if filters.get("area") and (area is None or area.geometry is None):
        where.append(db.false())  # an unknown area holds nothing
    elif area is not None:
        where += envelope_overlaps(area.geometry.bounds)
    query = select(Feature).where(*where).order_by(*_list_order(spec, filters))
    return query, area


def _term_namespace(spec: LayerSpec) -> str:
    return spec.get_field(spec.category_field).vocabulary or f"@{spec.category_field}"


def _list_order(spec: LayerSpec, filters: dict) -> list:
    key = filters.get("sort") or spec.title_field
    if key not in {f.name for f in spec.all_fields} or key == spec.title_field:
        value = Feature.title_key
    elif kind_of(spec.get_field(key)).schema(spec.get_field(key)).get("type") in (
        "integer",
        "number",
    ):
        value = Feature.properties[key].as_float()
    else:
        value = db.func.lower(Feature.properties[key].as_string())
    if filters.get("order") == "desc":
        return [value.desc(), Feature.id.desc()]
    return [value, Feature.id]


def listing(city, spec: LayerSpec, user, filters: dict) -> list[FeatureRow]:
    """Every feature a list with these filters shows, in its order (downloads)."""
    return _all_listed(city, *_list_query(city, spec, user, filters))


def _all_listed(city, query, area) -> list[FeatureRow]:
    rows = _rows(query)
    return rows if area is None else [r for r in rows if _in_area(city, area, r)]


def list_page(city, spec: LayerSpec, user, filters: dict, page: int) -> ListPage:
    """One page of :data:`LIST_PAGE` rows of the list (the last when past it)."""
    query, area = _list_query(city, spec, user, filters)
    if area is None:
        total = db.session.scalar(
            select(db.func.count()).select_from(query.order_by(None).subquery())
        )
        last = max(1, -(-total // LIST_PAGE))
        page = min(page, last)
        return ListPage(
            _rows(query, LIST_PAGE, (page - 1) * LIST_PAGE), total, page, last
        )
    rows = _all_listed(city, query, area)
    last = max(1, -(-len(rows) // LIST_PAGE))
    page = min(page, last)
    return ListPage(
        rows[(page - 1) * LIST_PAGE : page * LIST_PAGE], len(rows), page, last
    )


def _in_area(city, area, row) -> bool:
    return area.code in {a.code for a in cities.areas_of(city, row.geometry)}


def hidden_fields(spec: LayerSpec, properties: dict | None, user=None) -> set[str]:
    """Declared fields of one feature that ``user`` may not see (staff see all).

    The public never sees internal fields (``public=False``), nor a person's
    contact without the recorded date of that person's consent.
    """
    if user is not None and user.is_authenticated:
        return set()
    properties = properties or {}
    return {
        f.name
        for f in spec.all_fields
        if not f.public or (f.consent and not properties.get(f.consent))
    }


def shown_properties(spec: LayerSpec, feature: Feature | FeatureRow, user=None) -> dict:
    """The feature's properties that ``user`` may see: an allow-list.

    Only fields the layer declares, that apply to this feature (their ``when``) and
    that are not hidden from ``user`` leave the server; a property whose field was
    renamed or removed from the spec is never shown.
    """
    properties = feature.properties or {}
    hidden = hidden_fields(spec, properties, user)
    return {
        f.name: properties[f.name]
        for f in spec.all_fields
        if f.name in properties and f.name not in hidden and spec.applies(f, properties)
    }


def as_geojson(spec: LayerSpec, features: list[Feature], user=None) -> dict:
    """A FeatureCollection of the features with the properties ``user`` may see."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f.id,
                "geometry": f.geometry.__geo_interface__,
                "properties": {
                    **shown_properties(spec, f, user),
                    "layer": spec.key,
                    "status": f.status,
                    "version": f.version,
                    "updated_at": f.updated_at.isoformat(timespec="seconds"),
                },
            }
            for f in features
        ],
    }


def published_at(city: City, spec: LayerSpec, when: date | None = None) -> list:
    """(geometry, properties) of the features published at the end of ``when``.

    Read from the revision history; ``when`` None means now.
    """
    query = (
        select(Revision)
        .join(Feature, Feature.id == Revision.feature_id)
        .where(Feature.city == city, Feature.layer == spec.key)
        .order_by(Revision.feature_id, Revision.version)
    )
    if when is not None:
        query = query.where(Revision.at < when + timedelta(days=1))
    latest: dict[int, Revision] = {}
    for revision in db.session.scalars(query):
        latest[revision.feature_id] = revision
    return [
        (r.geometry, r.properties or {})
        for r in latest.values()
        if r.status == "published"
    ]


def _published(city: City, layer_keys):
    return select(Feature).where(
        Feature.city == city,
        Feature.layer.in_(list(layer_keys)),
        Feature.status == "published",
        Feature.moderation.is_(None) | (Feature.moderation == "accepted"),
    )


def published_rows(city: City, layer_keys, columns, where=()) -> list:
    """Chosen ``columns`` of the city's published features of these layers.

    For pages that summarise many features: only what they need is read, not
    the features' properties. ``where`` adds SQL conditions (an envelope).
    """
    query = _published(city, layer_keys).with_only_columns(*columns).where(*where)
    return list(db.session.execute(query))


def published_versions(city: City, layer_keys, ids=None) -> list[tuple]:
    """(id, version, created_at) of the city's published features of these layers.

    All of them, or those among ``ids``. Suggestions still in moderation are left
    out. Callers that cache what they derive from a feature use the version to tell
    when it changed.
    """
    if ids is not None:
        columns = (Feature.id, Feature.version, Feature.created_at, *_PUBLISHED_HERE)
        rows = db.session.execute(select(*columns).where(Feature.id.in_(list(ids))))
        return [tuple(row)[:3] for row in _published_here(rows, city, layer_keys)]
    query = _published(city, layer_keys).with_only_columns(
        Feature.id, Feature.version, Feature.created_at
    )
    return [tuple(row) for row in db.session.execute(query.order_by(Feature.id))]


#: What tells whether a feature is published in a city's layer.
_PUBLISHED_HERE = (Feature.city_id, Feature.layer, Feature.status, Feature.moderation)


def _published_here(found, city: City, layer_keys) -> list:
    """The published ones of ``found`` (features or rows) in the city's layers.

    Callers look features up by primary key and check the rest here: with the city
    and layer in the same statement, SQLite walks the layer's index instead (17 ms
    for 25 ids at 50,000).
    """
    layers = set(layer_keys)
    return [
        f
        for f in found
        if f.city_id == city.id
        and f.layer in layers
        and f.status == "published"
        and f.moderation in (None, "accepted")
    ]


def published_by_id(city: City, layer_keys, ids=None) -> list[Feature]:
    """The published features among ``ids``, or all of them when ``ids`` is None."""
    if ids is None:
        return list(db.session.scalars(_published(city, layer_keys)))
    found = db.session.scalars(select(Feature).where(Feature.id.in_(list(ids))))
    return _published_here(found, city, layer_keys)


def public_page(
    city: City,
    spec: LayerSpec,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    updated: tuple | None = None,
    equals: dict | None = None,
    limit: int = 10,
    offset: int = 0,
    texts: bool = False,
) -> tuple[list, int]:
    """One page of the layer's features the public may see (rows), and how many.

    With ``texts``, the page is the features' public items as JSON texts, read
    without their properties and geometries.

    The database chooses the city, the layer, public features outside the
    moderation queue, the time of their last change (``updated`` = (from, before)
    in naive UTC; None leaves that end open), the place (``bbox``, see
    :func:`touching`) and values of vocabulary fields, in the order of their ids.
    Other values in ``equals`` (public fields as the public sees them, see
    :func:`shown_properties`, so a hidden value never matches; a list matches when
    it holds the value) are checked here on the rows the database chose.
    """
    where = readable(city, spec, None)
    start, end = updated or (None, None)
    if start is not None:
        where.append(Feature.updated_at >= start)
    if end is not None:
        where.append(Feature.updated_at < end)
    if bbox is not None:
        where = touching(where, bbox)
    rest = {}
    for name, wanted in (equals or {}).items():
        vocabulary = spec.get_field(name).vocabulary
        if vocabulary and isinstance(wanted, str):
            token = indexing.term_token(vocabulary, wanted)
            where.append(indexing.contains(Feature.terms, token))
        else:
            rest[name] = wanted
    query = select(Feature).where(*where).order_by(Feature.id)
    if not rest and bbox is not None:
        return _counted_page(query, limit, offset, texts)
    if not rest:
        # Without a box, every public feature of the layer may match: counting
        # them in the index, apart, beats carrying each one to a window.
        count = select(db.func.count()).where(*where)
        return _rows(query, limit, offset, texts), db.session.scalar(count)
    matching = [f for f in _rows(query) if _has_values(spec, f, rest)]
    page = matching[offset : offset + limit]
    return ([f.item_text() for f in page] if texts else page), len(matching)


def _has_values(spec: LayerSpec, feature: Feature, equals: dict) -> bool:
    shown = shown_properties(spec, feature)
    return all(_holds(shown.get(name), wanted) for name, wanted in equals.items())


def _holds(value, wanted) -> bool:
    if isinstance(value, list):
        return wanted in value
    if wanted is False:
        return not value  # "no" is not stored
    return value == wanted


@dataclass(frozen=True)
class LayerStamp:
    """Aggregates of a layer's features in a city that move with every change."""

    count: int
    versions: int
    last_id: int
    #: The latest ``updated_at`` (a naive UTC datetime), None without features.
    changed_at: date | None


def layer_stamp(city: City, spec: LayerSpec) -> LayerStamp:
    """Count, sum of versions, highest id and latest change of the layer's features.

    Taken over every feature of the layer in the city, whatever its status: saving
    any of them raises its version and change time, a new one the count, so what
    any user may see cannot change without the stamp changing. One aggregate query;
    HTTP validators are built from it without reading the features.
    """
    query = select(
        db.func.count(Feature.id),
        db.func.coalesce(db.func.sum(Feature.version), 0),
        db.func.coalesce(db.func.max(Feature.id), 0),
        db.func.max(Feature.updated_at),
    ).where(Feature.city_id == city.id, Feature.layer == spec.key)
    count, versions, last_id, changed_at = db.session.execute(query).one()
    return LayerStamp(int(count), int(versions), int(last_id), changed_at)
