"""Public suggestions: drafts owned by no one, accepted or rejected by staff."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, utils
from shapely.affinity import translate
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select

from layers import LayerSpec
from webgis.accounts import permissions
from webgis.core.errors import NotFound, WebgisError
from webgis.core.extensions import db
from webgis.core.registry import layer_registry
from webgis.core.text import lazy_text as _l
from webgis.features import store
from webgis.features.models import Feature
from webgis.geography import cities
from webgis.geography.models import City, ServiceArea


def submit_suggestion(
    city: City, layer: str, geometry: BaseGeometry, properties: dict
) -> Feature:
    """Store a suggestion in the queue of the service area that contains it.

    It goes through the feature store like every change (checked like a form, with a
    revision), as a draft owned by no one. Raises :class:`WebgisError` for a place
    outside every service area of the city.
    """
    area = cities.area_containing(city, geometry)
    if area is None:
        raise WebgisError(_l("To miejsce leży poza miastem %(city)s.", city=city.name))
    spec = layer_registry()[layer]
    return store.create(
        None,
        city,
        spec,
        geometry,
        properties,
        "draft",
        origin="public",
        queue_area=area,
    )


@dataclass(frozen=True)
class PublicSuggestion:
    """What a resident's form says: a need or a resource, and where.

    The place is a point (clicked on the map) or a unit (its middle is used, and
    the location is marked as known only to the unit).
    """

    kind: str
    title: str
    category: str
    description: str = ""
    unit: int | None = None
    latitude: float | None = None
    longitude: float | None = None


def suggestion_layer() -> LayerSpec:
    """The layer residents suggest features of (``LayerSpec.suggestions``)."""
    spec = next((s for s in layer_registry().values() if s.suggestions), None)
    if spec is None:
        raise NotFound(_l("Ta instalacja nie przyjmuje propozycji mieszkańców."))
    return spec


def submit_public(city: City, suggestion: PublicSuggestion) -> Feature:
    """Queue a resident's suggestion of a need or a resource for moderation."""
    spec = suggestion_layer()
    if suggestion.latitude is not None and suggestion.longitude is not None:
        geometry, precision = Point(suggestion.longitude, suggestion.latitude), "street"
    else:
        unit = next((u for u in city.units if u.number == suggestion.unit), None)
        if unit is None:
            raise WebgisError(_l("Wskaż miejsce na mapie albo wybierz osiedle."))
        geometry, precision = unit.geometry.representative_point(), "unit"
    source_field, source = spec.suggestions
    properties = {source_field: source, "location_precision": precision}
    for role, value in (
        ("title", suggestion.title.strip()),
        ("category", suggestion.category),
        ("description", suggestion.description.strip()),
    ):
        if spec.field_for(role) is not None:
            properties[spec.field_for(role).name] = value
    if spec.needs is not None:
        properties[spec.needs.field] = suggestion.kind
    return submit_suggestion(city, spec.key, geometry, properties)


@dataclass(frozen=True)
class SuggestionStatus:
    """What a resident may know of their suggestion: its state and no more.

    ``state`` is "waiting", "accepted" or "rejected"; ``public_id`` the feature's
    id when it was accepted and the public sees it; ``reason`` the moderator's
    reason for a rejection.
    """

    state: str
    submitted_at: datetime
    layer: str
    public_id: int | None = None
    reason: str = ""


def suggestion_status(city: City, token: str) -> SuggestionStatus:
    """The status of the suggestion a resident's link names; 404 for any other."""
    feature = None
    if token and len(token) <= 64:
        feature = db.session.scalar(
            select(Feature).where(
                Feature.status_token == token, Feature.city_id == city.id
            )
        )
    if feature is None:
        raise NotFound(_l("Nie ma takiej propozycji."))
    if feature.moderation == "accepted":
        shown = feature.public and feature.status == "published"
        return SuggestionStatus(
            "accepted", feature.created_at, feature.layer, feature.id if shown else None
        )
    if feature.moderation == "rejected":
        return SuggestionStatus(
            "rejected",
            feature.created_at,
            feature.layer,
            reason=feature.moderation_note,
        )
    return SuggestionStatus("waiting", feature.created_at, feature.layer)


def _pending():
    return select(Feature).where(Feature.moderation == "pending")


def queue(
    user, area: ServiceArea | None = None, limit: int | None = None, offset: int = 0
) -> list[Feature]:
    """Suggestions waiting for this user (their areas; everything for planners).

    Oldest first; ``limit`` and ``offset`` take one page of them.
    """
    query = _waiting_for(user, area).order_by(Feature.created_at, Feature.id)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(db.session.scalars(query))


def queue_length(user, area: ServiceArea | None = None) -> int:
    """How many suggestions :func:`queue` holds for this user."""
    waiting = _waiting_for(user, area).with_only_columns(Feature.id).subquery()
    return db.session.scalar(select(func.count()).select_from(waiting))


def _waiting_for(user, area: ServiceArea | None = None):
    query = _pending()
    if area is not None:
        permissions.check_area(user, area)
        return query.where(Feature.queue_area_id == area.id)
    if not user.sees_everything:
        query = query.where(Feature.queue_area_id.in_([a.id for a in user.areas]))
    return query


def queue_counts(user) -> list[tuple[ServiceArea, int]]:
    """How many suggestions wait in each area the user works in (counted in SQL)."""
    counts = dict(
        db.session.execute(
            select(Feature.queue_area_id, func.count())
            .where(Feature.moderation == "pending")
            .group_by(Feature.queue_area_id)
        ).all()
    )
    if user.sees_everything:
        areas = db.session.scalars(select(ServiceArea).order_by(ServiceArea.sort_key))
    else:
        areas = user.areas
    return [(a, counts.get(a.id, 0)) for a in areas]


def get_suggestion(user, feature_id: int) -> Feature:
    """A pending suggestion the user may moderate, or 404/403."""
    feature = db.session.get(Feature, feature_id)
    if feature is None or feature.moderation != "pending":
        raise NotFound(_l("Nie ma takiej propozycji w kolejce."))
    permissions.check_area(user, feature.queue_area)
    return feature


def moved_geometry(feature: Feature, longitude: float, latitude: float):
    """The feature's geometry shifted so its marker is at the given place.

    None when the place is where the marker already is (within about a centimetre);
    an area keeps its shape and is moved as a whole.
    """
    anchor = feature.geometry.representative_point()
    dx, dy = longitude - anchor.x, latitude - anchor.y
    if abs(dx) < 1e-7 and abs(dy) < 1e-7:
        return None
    return translate(feature.geometry, dx, dy)


def accept(
    user,
    feature: Feature,
    properties: dict | None = None,
    location: tuple[float, float] | None = None,
) -> Feature:
    """Publish a suggestion, optionally corrected first.

    ``properties`` replace the suggested ones field by field; ``location``
    (longitude, latitude) moves its marker. The result is checked like a form and
    the new place must belong to one of the user's areas.
    """
    permissions.check_area(user, feature.queue_area)
    geometry = moved_geometry(feature, *location) if location else None
    return store.update(
        user,
        feature,
        feature.version,
        geometry,
        {**(feature.properties or {}), **(properties or {})},
        "published",
        action="accept",
        moderation=("accepted", ""),
    )


def reject(user, feature: Feature, reason: str) -> Feature:
    """Turn a suggestion down with a reason; it stays archived, never public."""
    permissions.check_area(user, feature.queue_area)
    reason = (reason or "").strip()
    if not reason:
        raise WebgisError(_l("Podaj powód odrzucenia."))
    return store.update(
        user,
        feature,
        feature.version,
        None,
        feature.properties,
        "archived",
        action="reject",
        moderation=("rejected", reason),
    )


#: Possible duplicates lie this close to a suggestion (metres) ...
DUPLICATE_RADIUS = 200
#: ... and have a title this similar (rapidfuzz, 0 to 100; word order ignored).
DUPLICATE_SIMILARITY = 70
#: The nearest this many features are compared: a bounded query on a busy street.
DUPLICATE_CANDIDATES = 200


@dataclass(frozen=True)
class PossibleDuplicate:
    """A feature that may describe what a suggestion does, and how near it lies."""

    feature: Feature
    metres: float
    similarity: float

    @property
    def in_queue(self) -> bool:
        """Another suggestion still waiting (it has a moderation page, no record)."""
        return self.feature.moderation == "pending"


def possible_duplicates(feature: Feature) -> list[PossibleDuplicate]:
    """Features the suggestion may repeat, nearest first.

    Drafts and published features (other suggestions waiting too) of its layer
    and city with a similar title within :data:`DUPLICATE_RADIUS` metres.
    """
    if feature.x is None or feature.y is None:
        return []
    spec = layer_registry()[feature.layer]
    title = utils.default_process(feature.title_for(spec))
    nearby = db.session.scalars(
        select(Feature)
        .where(
            Feature.city_id == feature.city_id,
            Feature.layer == feature.layer,
            Feature.status.in_(("draft", "published")),
            Feature.id != feature.id,
            *store.within_metres(feature.x, feature.y, DUPLICATE_RADIUS),
        )
        .order_by(*store.by_distance(feature.x, feature.y))
        .limit(DUPLICATE_CANDIDATES)
    )
    found = []
    for other in nearby:
        similarity = fuzz.token_set_ratio(
            title, utils.default_process(other.title_for(spec))
        )
        if title and similarity >= DUPLICATE_SIMILARITY:
            metres = math.hypot(other.x - feature.x, other.y - feature.y)
            found.append(PossibleDuplicate(other, metres, similarity))
    return found
