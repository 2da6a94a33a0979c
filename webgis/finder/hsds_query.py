"""Which public services an HSDS list shows, chosen and paged in the database.

The lists of services and of services at locations filter, count and page on the
store's query columns, as the finder does, so a page costs its own services, not
the whole catalogue. Only listed services of finder layers take part: the ones
the finder shows the public.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, or_, select

from layers import LayerSpec
from webgis.core.extensions import db
from webgis.core.text import fold
from webgis.features import indexing, store, vocabularies
from webgis.features.models import Feature, ListedTerm
from webgis.finder import hsds, search
from webgis.geography import cities
from webgis.geography.models import City


def listed(
    specs: Mapping[str, LayerSpec],
    words: str = "",
    term: str = "",
    taxonomy: str = "",
    after: datetime | None = None,
):
    """SQL: (id, city id) of the listed services that pass the filters, in order.

    Cities by name, then services by id: the order of the whole catalogue.
    ``term`` and ``taxonomy`` are HSDS ids; every word must appear in the title or
    the searchable text.
    """
    query = (
        select(Feature.id, Feature.city_id)
        .join(City, City.id == Feature.city_id)
        .where(Feature.listed.is_(True), Feature.layer.in_(list(specs)))
        .order_by(City.name, Feature.id)
    )
    for word in fold(words).split():
        query = query.where(
            or_(
                indexing.contains(Feature.title_key, word),
                indexing.contains(Feature.search_text, word),
            )
        )
    if term or taxonomy:
        tokens = _tokens(specs, term, taxonomy)
        having = select(ListedTerm.feature_id).where(ListedTerm.token.in_(tokens))
        query = query.where(Feature.id.in_(having))
    if after is not None:
        query = query.where(Feature.updated_at >= after)
    return query


def _tokens(specs: Mapping[str, LayerSpec], term: str, taxonomy: str) -> list[str]:
    """The term tokens an HSDS term id and taxonomy id stand for (both if given)."""
    return [
        indexing.term_token(vocabulary, t.key)
        for vocabulary in hsds.service_vocabularies(specs)
        if taxonomy in ("", hsds.taxonomy_id(vocabulary))
        for t in vocabularies.terms(vocabulary, True)
        if term in ("", hsds.term_id(vocabulary, t.key))
    ]


def count(query) -> int:
    """How many services the query of :func:`listed` finds."""
    return db.session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery())
    )


def entries(
    specs: Mapping[str, LayerSpec], rows: list[tuple[int, int]]
) -> list[hsds.Entry]:
    """The services of ``rows`` (id, city id), derived for HSDS, in their order."""
    found: dict[int, hsds.Entry] = {}
    for city in cities.list_cities():
        ids = [i for i, city_id in rows if city_id == city.id]
        if not ids:
            continue
        for feature in store.published_by_id(city, specs, ids):
            service = search.derive(specs[feature.layer], feature)
            found[feature.id] = hsds.Entry(
                city.code, city.name, service, specs[feature.layer]
            )
    return [found[i] for i, _city in rows if i in found]


def one(specs: Mapping[str, LayerSpec], kind: str, record_id: str) -> list:
    """The service whose HSDS record of ``kind`` has this id, as a one-item list.

    Ids are derived from the city's code and the service's id, so only those two
    are read to find it.
    """
    query = (
        select(Feature.id, City.code, City.id)
        .join(City, City.id == Feature.city_id)
        .where(Feature.listed.is_(True), Feature.layer.in_(list(specs)))
    )
    for feature_id, code, city_id in db.session.execute(query):
        if hsds.record_id(kind, code, feature_id) == record_id:
            return entries(specs, [(feature_id, city_id)])
    return []
