"""Organisations: who runs a service, and who works together in programmes.

Layers keep these as text: the field with role ``operator`` (who runs it), the field
with role ``partners`` (partner organisations, one a line or separated by ``;``) and
fields of kind ``members`` (names with sectors). The store calls :func:`link` in the
transaction of every write, so each name becomes an organisation record the first
time it appears and the feature is linked to it: "every service of Fundacja X" is a
query. Names match ignoring case, diacritics and spacing (:func:`fold`).

An administrator corrects a record's details (:func:`update`). A link remembers the
name as the feature writes it, so a feature that still uses the old spelling keeps
its organisation after a rename.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from layers import LayerSpec
from webgis.core import audit
from webgis.core.errors import Invalid, NotFound
from webgis.core.extensions import db
from webgis.core.text import fold
from webgis.core.text import lazy_text as _l
from webgis.core.transaction import transaction
from webgis.features.kinds import (
    MAX_TEXT,
    MAX_TEXTAREA,
    Email,
    Members,
    Phone,
    Url,
    kind_of,
)
from webgis.features.models import Feature
from webgis.geography import cities

#: How a feature refers to an organisation, as the public page names it.
RELATIONS = {
    "operator": _l("prowadzi"),
    "member": _l("członek"),
    "partner": _l("partner"),
}
#: One name in a list of partners: lines or semicolons, bullets dropped.
SEPARATORS = re.compile(r"[\n;]+")
BULLETS = " \t\r-–•*"
#: Lists of ids go to the database in slices (SQLite takes a limited number).
CHUNK = 500


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Organisation(db.Model):
    """An organisation named by features; its details are corrected by admins."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_TEXT))
    #: The name as :func:`key_of` compares it: one record per name.
    normalised: Mapped[str] = mapped_column(String(MAX_TEXT), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(MAX_TEXT), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=_now)


class OrganisationLink(db.Model):
    """A feature naming an organisation: its operator, a member or a partner."""

    __tablename__ = "organization_links"
    __table_args__ = (UniqueConstraint("feature_id", "organisation_id", "relation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    relation: Mapped[str] = mapped_column(String(20))
    #: The name as the feature writes it (:func:`key_of`): it still finds this
    #: organisation after an administrator corrects the record's name.
    written: Mapped[str] = mapped_column(String(MAX_TEXT), index=True)


def key_of(name: str) -> str:
    """How names are compared: ignoring case, diacritics and spacing."""
    return fold(name)[:MAX_TEXT]


def split_names(text: str) -> list[str]:
    """Organisation names of a list written one a line or separated by ``;``."""
    names = (part.strip(BULLETS) for part in SEPARATORS.split(text or ""))
    return [" ".join(name.split()) for name in names if name.strip()]


def named(spec: LayerSpec, properties: Mapping) -> list[tuple[str, str]]:
    """(relation, name) of every organisation the properties name.

    Only fields that apply to this feature count (a need has no operator). A line
    longer than a name may be is not a name.
    """
    found = []
    for spec_field in spec.all_fields:
        value = properties.get(spec_field.name)
        if not value or not spec.applies(spec_field, properties):
            continue
        if spec_field.role == "operator" and isinstance(value, str):
            found.append(("operator", " ".join(value.split())))
        elif spec_field.role == "partners" and isinstance(value, str):
            found += [("partner", name) for name in split_names(value)]
        elif isinstance(kind_of(spec_field), Members) and isinstance(value, list):
            found += [
                ("member", " ".join(str(m.get("name") or "").split()))
                for m in value
                if isinstance(m, dict) and str(m.get("name") or "").strip()
            ]
    return [(r, name) for r, name in found if len(name) <= MAX_TEXT and key_of(name)]


def _chunks(items: list) -> Iterable[list]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def find_named(names: Iterable[str]) -> dict[str, Organisation]:
    """The organisations these names mean, by :func:`key_of` of each name.

    A name matches a record's own name first, then the name a feature linked to
    that record writes (so a corrected record still answers to the old spelling).
    """
    keys = sorted({key_of(n) for n in names if n and key_of(n)})
    found: dict[str, Organisation] = {}
    for part in _chunks(keys):
        query = select(Organisation).where(Organisation.normalised.in_(part))
        found.update((o.normalised, o) for o in db.session.scalars(query))
    rest = [key for key in keys if key not in found]
    for part in _chunks(rest):
        query = (
            select(OrganisationLink.written, Organisation)
            .join(Organisation, Organisation.id == OrganisationLink.organisation_id)
            .where(OrganisationLink.written.in_(part))
            .order_by(Organisation.id)
        )
        for written, organisation in db.session.execute(query):
            found.setdefault(written, organisation)
    return found


def link(feature: Feature, spec: LayerSpec) -> None:
    """Link one feature to the organisations it names (see :func:`link_many`)."""
    link_many([feature], spec)


def link_many(features: list[Feature], spec: LayerSpec) -> None:
    """Link features to the organisations they name, creating new records.

    Called by the store inside the transaction of the write, after a flush gave
    the features their ids, so the links change with the feature or not at all.
    """
    wanted = {f.id: named(spec, f.properties or {}) for f in features}
    spellings: dict[str, str] = {}
    for names in wanted.values():
        for _relation, name in names:
            spellings.setdefault(key_of(name), name)
    # Names first: the features' own links may be all that knows an old spelling.
    found = find_named(spellings.values())
    for part in _chunks(list(wanted)):
        db.session.execute(
            delete(OrganisationLink).where(OrganisationLink.feature_id.in_(part)),
            execution_options={"synchronize_session": False},
        )
    for key, name in spellings.items():
        if key not in found:
            found[key] = Organisation(name=name, normalised=key)
            db.session.add(found[key])
    db.session.flush()
    for feature_id, names in wanted.items():
        done: set[tuple[int, str]] = set()
        for relation, name in names:
            organisation = found[key_of(name)]
            if (organisation.id, relation) in done:
                continue
            done.add((organisation.id, relation))
            db.session.add(
                OrganisationLink(
                    feature_id=feature_id,
                    organisation_id=organisation.id,
                    relation=relation,
                    written=key_of(name),
                )
            )


def link_published(registry: Mapping[str, LayerSpec]) -> int:
    """Link every published feature to the organisations it names; how many.

    For a database whose features were saved before organisation records existed:
    the store links every feature it writes from then on, and a draft is linked
    when it is published. Running it again changes nothing.
    """
    from webgis.features import store

    count = 0
    with transaction():
        for city in cities.list_cities():
            for key, spec in registry.items():
                features = store.published_by_id(city, [key])
                link_many(features, spec)
                count += len(features)
    return count


def get(organisation_id: int) -> Organisation:
    """One organisation record, or :class:`NotFound`."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(_l("Nie ma takiej organizacji."))
    return organisation


def listing() -> list[tuple[Organisation, int]]:
    """Every organisation by name, with how many features name it."""
    query = (
        select(Organisation, func.count(OrganisationLink.id))
        .outerjoin(OrganisationLink)
        .group_by(Organisation.id)
        .order_by(Organisation.normalised)
    )
    return [(organisation, count) for organisation, count in db.session.execute(query)]


@dataclass(frozen=True)
class Mention:
    """A feature the public may see that names an organisation."""

    spec: LayerSpec
    feature: Feature
    relation: str
    #: Listed in the public finder (its page is the service page).
    service: bool


def public_mentions(
    organisation: Organisation, registry: Mapping[str, LayerSpec], first: bool = False
) -> list[Mention]:
    """The published features the public may see that name the organisation.

    A mention counts only when the public's own view of the feature (the store's
    allow-list) still names the organisation in a field of that relation, so a
    hidden field or an internal record never shows here. ``first`` stops at one.
    """
    # The store calls link() in its transactions, so it imports this module.
    from webgis.features import store

    links: dict[int, set[tuple[str, str]]] = {}
    query = select(OrganisationLink).where(
        OrganisationLink.organisation_id == organisation.id
    )
    for row in db.session.scalars(query):
        links.setdefault(row.feature_id, set()).add((row.relation, row.written))
    found: list[Mention] = []
    # Asked for one, it reads a few features at a time: a large operator's link
    # on every service page stays cheap.
    ids, size = sorted(links), (20 if first else CHUNK)
    for part in (ids[start : start + size] for start in range(0, len(ids), size)):
        for city in cities.list_cities():
            for feature in store.published_by_id(city, list(registry), part):
                spec = registry[feature.layer]
                if store.is_public(spec, feature):
                    shown = store.shown_properties(spec, feature)
                    found += _mentioned(spec, feature, shown, links[feature.id])
            if first and found:
                return found[:1]
    return sorted(found, key=lambda m: (m.spec.key, fold(m.feature.title_for(m.spec))))


def _mentioned(
    spec: LayerSpec, feature: Feature, shown: Mapping, links: set
) -> list[Mention]:
    """The links that the public's view of the feature (``shown``) confirms."""
    said = {(relation, key_of(name)) for relation, name in named(spec, shown)}
    return [
        Mention(spec, feature, relation, _listed(spec, shown))
        for relation in sorted({r for r, _key in links & said})
    ]


def _listed(spec: LayerSpec, shown: Mapping) -> bool:
    if not spec.finder:
        return False
    return (
        spec.finder_when is None
        or shown.get(spec.finder_when[0]) == (spec.finder_when[1])
    )


def public_page_of(name: str, registry: Mapping[str, LayerSpec]) -> int | None:
    """The id of the organisation ``name`` means, if the public has its page."""
    organisation = find_named([name]).get(key_of(name or ""))
    if organisation is None or not public_mentions(organisation, registry, True):
        return None
    return organisation.id


def update(organisation: Organisation, details: Mapping[str, str]) -> Organisation:
    """Correct an organisation's details; recorded in the audit log.

    ``details`` holds ``name``, ``description``, ``website``, ``email`` and
    ``phone``. The name must stay distinct from every other organisation's; the
    contacts must be well-formed (a website only over http or https).
    """
    cleaned = {
        key: " ".join(str(details.get(key) or "").split())
        for key in ("name", "website", "email", "phone")
    }
    cleaned["description"] = str(details.get("description") or "").strip()
    errors = _problems(organisation, cleaned)
    if errors:
        raise Invalid(errors)
    changed = [k for k, v in cleaned.items() if getattr(organisation, k) != v]
    with transaction():
        for key, value in cleaned.items():
            setattr(organisation, key, value)
        organisation.normalised = key_of(cleaned["name"])
        audit.record(
            "organisation.update",
            f"organisation:{organisation.id}",
            f"{cleaned['name']}: {', '.join(changed) or '-'}",
        )
    return organisation


def _problems(organisation: Organisation, cleaned: dict[str, str]) -> dict[str, str]:
    errors = {}
    name = cleaned["name"]
    if not key_of(name):
        errors["name"] = str(_l("Podaj nazwę organizacji."))
    elif len(name) > MAX_TEXT:
        errors["name"] = str(_l("Najwyżej %(n)s znaków.", n=MAX_TEXT))
    else:
        other = db.session.scalar(
            select(Organisation).where(
                Organisation.normalised == key_of(name),
                Organisation.id != organisation.id,
            )
        )
        if other is not None:
            errors["name"] = str(
                _l(
                    "Ta nazwa należy już do innej organizacji: %(name)s.",
                    name=other.name,
                )
            )
    # The same rules as the layers' fields of these kinds, and stored as they store
    # them (a phone as E.164, an e-mail's domain in lower case).
    rules = {
        "website": (Url, MAX_TEXT, _l("Strona internetowa")),
        "email": (Email, 254, _l("E-mail")),
        "phone": (Phone, 40, _l("Telefon")),
    }
    for key, (kind, longest, label) in rules.items():
        value = cleaned[key]
        if not value:
            continue
        if len(value) > longest:
            errors[key] = str(_l("Najwyżej %(n)s znaków.", n=longest))
            continue
        try:
            cleaned[key] = kind().normalise(value, str(label))
        except ValueError as problem:
            errors[key] = str(problem.args[0])
    if len(cleaned["description"]) > MAX_TEXTAREA:
        errors["description"] = str(_l("Najwyżej %(n)s znaków.", n=MAX_TEXTAREA))
    return errors
