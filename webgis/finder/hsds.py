"""Open Referral HSDS 3.0 records of the finder's public services.

Pure functions: they take what the finder already allows the public to see
(:class:`~webgis.finder.search.Service`, whose properties are the store's allow-list),
the organisation records and the vocabularies, and build HSDS objects (organization,
service, location, service_at_location, schedule, phone, language, accessibility,
attribute, taxonomy, taxonomy_term) as plain dicts, and the tables of the tabular
data package. Nothing here reads the database.

Ids are UUIDs derived (uuid5) from the city and the record's own id, so they stay the
same from one request, and one export, to the next.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from layers import LayerSpec
from webgis.core.text import fold
from webgis.core.text import lazy_text as _l
from webgis.features import hours
from webgis.features.kinds import WEEKDAYS, Choice, kind_of
from webgis.features.organisations import Organisation, key_of
from webgis.finder.questions import LANGUAGES, VOCABULARY_FILTERS
from webgis.finder.search import Service

HSDS_VERSION = "3.0"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://mapa-zasobow.invalid/hsds")
#: The vocabulary whose terms describe a place's accessibility.
ACCESSIBILITY = VOCABULARY_FILTERS["access"]
#: iCalendar's names of the weekdays (RFC 5545 BYDAY).
ICAL_DAYS = dict(zip(WEEKDAYS, ("MO", "TU", "WE", "TH", "FR", "SA", "SU"), strict=True))
#: ISO 639 codes of the languages the finder recognises (Polish Sign Language: pso).
LANGUAGE_CODES = {
    "pl": "pl",
    "en": "en",
    "uk": "uk",
    "ru": "ru",
    "de": "de",
    "pjm": "pso",
}
#: A sign language names its spoken language too ("polski język migowy").
LANGUAGE_ORDER = ("pjm", *(code for code in LANGUAGES if code != "pjm"))
LANGUAGE_SEPARATORS = re.compile(r"[,;/\n]+|\s+(?:i|oraz|and|та|і|и)\s+", re.I)
POSTAL_CODE = re.compile(r"\b\d{2}-\d{3}\b")


def record_id(*parts: object) -> str:
    """A stable UUID for the record named by ``parts`` (kind, city, ids)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


@dataclass(frozen=True)
class Entry:
    """One public service with its city and layer."""

    city_code: str
    city_name: str
    service: Service
    spec: LayerSpec

    def id(self, kind: str, *more: object) -> str:
        """The id of this service's record of ``kind`` (service, location, …)."""
        return record_id(kind, self.city_code, self.service.id, *more)


@dataclass(frozen=True)
class Catalogue:
    """Everything the HSDS records are built from, read once per request.

    ``operators`` maps the folded operator name to its organisation record,
    ``vocabularies`` a vocabulary key to its title and terms; labels are given in
    ``lang`` (pl, en or uk).
    """

    entries: Sequence[Entry]
    operators: Mapping[str, Organisation]
    vocabularies: Mapping[str, tuple[str, Sequence]] = field(default_factory=dict)
    lang: str = "pl"

    def operator(self, entry: Entry) -> Organisation | None:
        """The organisation that runs the service, if the public sees one."""
        name = entry.service.roles.get("operator")
        return self.operators.get(key_of(str(name))) if name else None

    def term(self, vocabulary: str, key: str):
        """The vocabulary term with this key, or None."""
        _title, terms = self.vocabularies.get(vocabulary, ("", ()))
        return next((t for t in terms if t.key == key), None)

    def organisations(self) -> list[Organisation]:
        """Organisations that run at least one public service, by name."""
        found = {o.id: o for o in (self.operator(e) for e in self.entries) if o}
        return sorted(found.values(), key=lambda o: (o.normalised, o.id))


def service_vocabularies(specs: Mapping[str, LayerSpec]) -> list[str]:
    """Vocabularies the public choice fields of the services' layers take terms of."""
    found: list[str] = []
    for spec in specs.values():
        for spec_field in _term_fields(spec):
            if spec_field.vocabulary not in found:
                found.append(spec_field.vocabulary)
    return found


def _term_fields(spec: LayerSpec):
    return [
        f
        for f in spec.all_fields
        if f.vocabulary and f.public and isinstance(kind_of(f), Choice)
    ]


def terms_of(entry: Entry) -> list[tuple[str, str]]:
    """(vocabulary, key) of every term the service's public choice fields hold."""
    found = []
    for spec_field in _term_fields(entry.spec):
        value = entry.service.properties.get(spec_field.name)
        for key in value if isinstance(value, list) else [value]:
            if key and (spec_field.vocabulary, key) not in found:
                found.append((spec_field.vocabulary, str(key)))
    return found


# -- organisations --------------------------------------------------------------------


def organisation_id(organisation: Organisation) -> str:
    """The HSDS id of an organisation record."""
    return record_id("organization", organisation.id)


def organisation_record(organisation: Organisation, full: bool = False) -> dict:
    """An HSDS organization: its one-to-one fields, with its phone when ``full``."""
    record = {
        "id": organisation_id(organisation),
        "name": organisation.name,
        "description": organisation.description or "",
    }
    for key in ("email", "website"):
        if getattr(organisation, key):
            record[key] = getattr(organisation, key)
    if full:
        record["phones"] = _organisation_phones(organisation)
    return record


def _organisation_phones(organisation: Organisation) -> list[dict]:
    if not organisation.phone:
        return []
    return [
        {
            "id": record_id("phone", "organization", organisation.id),
            "organization_id": organisation_id(organisation),
            "number": organisation.phone,
            "type": "voice",
        }
    ]


def organisation_detail(
    organisation: Organisation, catalogue: Catalogue, full_services: bool = False
) -> dict:
    """A fully nested organization with the services it runs."""
    record = organisation_record(organisation, full=True)
    record["services"] = [
        service_record(entry, catalogue, full=full_services)
        for entry in catalogue.entries
        if catalogue.operator(entry) is organisation
    ]
    return record


# -- services -------------------------------------------------------------------------


def service_record(entry: Entry, catalogue: Catalogue, full: bool = True) -> dict:
    """An HSDS service: its one-to-one fields, and everything nested when ``full``."""
    service, roles = entry.service, entry.service.roles
    record = {
        "id": entry.id("service"),
        "name": service.title,
        "status": "active",
        "last_modified": timestamp(service.updated_at),
    }
    organisation = catalogue.operator(entry)
    if organisation is not None:
        record["organization_id"] = organisation_id(organisation)
    optional = {
        "description": "description",
        "url": "website",
        "email": "email",
        "assured_date": "verified_on",
    }
    record.update({k: str(roles[r]) for k, r in optional.items() if roles.get(r)})
    if not full:
        return record
    record.update(
        phones=phone_records(entry),
        schedules=schedule_records(entry),
        languages=language_records(entry),
        attributes=[
            attribute_record(entry, vocabulary, key, catalogue, "service")
            for vocabulary, key in terms_of(entry)
            if vocabulary != ACCESSIBILITY and catalogue.term(vocabulary, key)
        ],
        service_at_locations=[service_at_location_record(entry, catalogue)],
    )
    if organisation is not None:
        record["organization"] = organisation_record(organisation)
    return record


def minimal_service(entry: Entry) -> dict:
    """A service's id, name, status and last change only (``minimal`` listings).

    Name and status stay: the service schema requires them.
    """
    return {
        "id": entry.id("service"),
        "name": entry.service.title,
        "status": "active",
        "last_modified": timestamp(entry.service.updated_at),
    }


def timestamp(moment) -> str:
    """A naive UTC datetime as HSDS writes it (milliseconds, ``Z``)."""
    return moment.isoformat(timespec="milliseconds") + "Z"


def phone_records(entry: Entry) -> list[dict]:
    """The service's phone (the field with role ``phone``)."""
    number = entry.service.roles.get("phone")
    if not number:
        return []
    return [
        {
            "id": entry.id("phone"),
            "service_id": entry.id("service"),
            "number": str(number),
            "type": "voice",
        }
    ]


def opening_hours(entry: Entry) -> str:
    """The service's opening hours in OpenStreetMap's syntax (first public field)."""
    for spec_field in entry.spec.all_fields:
        value = entry.service.properties.get(spec_field.name)
        if spec_field.kind == "hours" and spec_field.public and value:
            return hours.expression(value)
    return ""


def schedule_records(entry: Entry) -> list[dict]:
    """Weekly schedules from the opening hours: one per interval, with its days.

    The intervals are those of an ordinary week; a night closes the next morning
    (``closes_at`` before ``opens_at``). Times are local (Europe/Warsaw).
    iCalendar has no 24:00, so an interval that runs to midnight closes at 23:59.
    Each schedule's ``description`` says all of the hours in words (holidays,
    dates) and ``notes`` their comments ("po wcześniejszym umówieniu").
    """
    expr = opening_hours(entry)
    if not expr:
        return []
    days_by_interval: dict[tuple[str, str], list[str]] = {}
    week = hours.merged(hours.ordinary_week(expr))
    for day, spans in zip(WEEKDAYS, week, strict=True):
        for start, end in spans:
            key = (_clock(start), _clock(end))
            days_by_interval.setdefault(key, []).append(ICAL_DAYS[day])
    words = {"description": hours.describe(expr)}
    notes = "; ".join(hours.comments_of(expr))
    if notes:
        words["notes"] = notes
    if not days_by_interval:  # hours in words only ("by appointment")
        return [
            {"id": entry.id("schedule"), "service_id": entry.id("service"), **words}
        ]
    return [
        {
            "id": entry.id("schedule", opens, closes),
            "service_id": entry.id("service"),
            "freq": "WEEKLY",
            "wkst": "MO",
            "byday": ",".join(days),
            "opens_at": _time(opens),
            "closes_at": _time(closes),
            **words,
        }
        for (opens, closes), days in sorted(days_by_interval.items())
    ]


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _time(text: str) -> str:
    return "23:59" if text == "24:00" else text


def language_code(name: str) -> str | None:
    """The ISO 639 code of a language as people write it, in pl, en or uk."""
    folded = fold(name)
    for code in LANGUAGE_ORDER:
        if any(fold(stem) in folded for stem in LANGUAGES[code][1]):
            return LANGUAGE_CODES[code]
    return None


def language_records(entry: Entry) -> list[dict]:
    """One record per language the field with role ``languages`` lists."""
    text = str(entry.service.roles.get("languages") or "")
    records, seen = [], set()
    for piece in LANGUAGE_SEPARATORS.split(text):
        name = " ".join(piece.split()).strip(" .")
        if not name or fold(name) in seen:
            continue
        seen.add(fold(name))
        record = {
            "id": entry.id("language", fold(name)),
            "service_id": entry.id("service"),
            "name": name,
        }
        code = language_code(name)
        if code:
            record["code"] = code
        records.append(record)
    return records


def attribute_record(
    entry: Entry, vocabulary: str, key: str, catalogue: Catalogue, entity: str
) -> dict:
    """A link from the service (or its location) to one of its taxonomy terms."""
    link_id = entry.id(entity)
    return {
        "id": entry.id("attribute", entity, vocabulary, key),
        "link_id": link_id,
        "link_entity": entity,
        "link_type": vocabulary,
        "taxonomy_term_id": term_id(vocabulary, key),
        "taxonomy_term": term_record(
            vocabulary, catalogue.term(vocabulary, key), catalogue
        ),
    }


# -- locations ------------------------------------------------------------------------


def location_record(entry: Entry, catalogue: Catalogue) -> dict:
    """The service's place: its point, address and accessibility."""
    service = entry.service
    record = {
        "id": entry.id("location"),
        "location_type": "physical",
        "name": service.title,
        "latitude": round(service.lat, 6),
        "longitude": round(service.lon, 6),
    }
    organisation = catalogue.operator(entry)
    if organisation is not None:
        record["organization_id"] = organisation_id(organisation)
    address = address_record(entry)
    accessible = [
        key
        for vocabulary, key in terms_of(entry)
        if vocabulary == ACCESSIBILITY and catalogue.term(vocabulary, key)
    ]
    record.update(
        addresses=[address] if address else [],
        accessibility=[
            {
                "id": entry.id("accessibility", key),
                "location_id": entry.id("location"),
                "description": _label(catalogue.term(ACCESSIBILITY, key), catalogue),
            }
            for key in accessible
        ],
        attributes=[
            attribute_record(entry, ACCESSIBILITY, key, catalogue, "location")
            for key in accessible
        ],
    )
    return record


def address_record(entry: Entry) -> dict | None:
    """The written address as an HSDS address (the postal code when it is given)."""
    text = " ".join(str(entry.service.properties.get("address") or "").split())
    if not text:
        return None
    postal = POSTAL_CODE.search(text)
    street = text[: postal.start()].strip(" ,") if postal else text
    return {
        "id": entry.id("address"),
        "location_id": entry.id("location"),
        "address_1": street or text,
        "city": entry.city_name,
        # The voivodeship is not recorded for a city.
        "state_province": "",
        "postal_code": postal.group(0) if postal else "",
        "country": "PL",
        "address_type": "physical",
    }


def service_at_location_record(
    entry: Entry, catalogue: Catalogue, full: bool = True
) -> dict:
    """The service at its place; with ``full``, the location nested."""
    record = {
        "id": entry.id("service_at_location"),
        "service_id": entry.id("service"),
        "location_id": entry.id("location"),
    }
    if full:
        record["location"] = location_record(entry, catalogue)
    return record


def service_at_location_detail(entry: Entry, catalogue: Catalogue) -> dict:
    """A service at a location with its location and its service nested."""
    record = service_at_location_record(entry, catalogue)
    record["schedules"] = schedule_records(entry)
    record["phones"] = phone_records(entry)
    record["service"] = service_record(entry, catalogue, full=False)
    return record


# -- taxonomies -----------------------------------------------------------------------


def taxonomy_id(vocabulary: str) -> str:
    """The HSDS id of one of our vocabularies."""
    return record_id("taxonomy", vocabulary)


def term_id(vocabulary: str, key: str) -> str:
    """The HSDS id of one vocabulary term."""
    return record_id("taxonomy_term", vocabulary, key)


def taxonomy_record(vocabulary: str, catalogue: Catalogue) -> dict:
    """One of our vocabularies as an HSDS taxonomy."""
    title, _terms = catalogue.vocabularies[vocabulary]
    return {
        "id": taxonomy_id(vocabulary),
        "name": str(title),
        "description": str(
            _l(
                "Słownik Mapy Zasobów „%(title)s” (%(key)s).",
                title=title,
                key=vocabulary,
            )
        ),
    }


def _label(term, catalogue: Catalogue) -> str:
    return getattr(term, f"label_{catalogue.lang}", None) or term.label_pl


def term_record(vocabulary: str, term, catalogue: Catalogue, full: bool = True) -> dict:
    """A vocabulary term in the reader's language, its three labels described."""
    record = {
        "id": term_id(vocabulary, term.key),
        "code": term.key,
        "name": _label(term, catalogue),
        "description": " | ".join(
            f"{lang}: {getattr(term, f'label_{lang}')}" for lang in ("pl", "en", "uk")
        ),
        "taxonomy": vocabulary,
        "taxonomy_id": taxonomy_id(vocabulary),
        "language": catalogue.lang,
    }
    if full:
        record["taxonomy_detail"] = taxonomy_record(vocabulary, catalogue)
    return record


def terms(catalogue: Catalogue) -> list[tuple[str, object]]:
    """(vocabulary, term) of every term of the catalogue's vocabularies, in order."""
    return [
        (vocabulary, term)
        for vocabulary, (_title, found) in catalogue.vocabularies.items()
        for term in found
    ]


# -- pages ----------------------------------------------------------------------------


def page(items: Sequence, number: int, size: int, build: Callable) -> dict:
    """One page of ``items`` as HSDS lists them; only that page's records are built."""
    chosen = items[(number - 1) * size : number * size]
    return page_of(chosen, len(items), number, size, build)


def page_of(
    chosen: Sequence, total: int, number: int, size: int, build: Callable
) -> dict:
    """Page ``number`` of ``total`` items, ``chosen`` being that page's items."""
    pages = math.ceil(total / size)
    contents = [build(item) for item in chosen]
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": number,
        "size": len(contents),
        "first_page": number == 1,
        "last_page": number >= pages,
        "empty": not contents,
        "contents": contents,
    }


def matches(words: str, *texts: object) -> bool:
    """Whether every word of a search appears in the texts (case, diacritics aside)."""
    haystack = fold(" ".join(str(t or "") for t in texts))
    return all(word in haystack for word in fold(words).split())


# -- the tabular data package ---------------------------------------------------------

UUID = {"type": "string", "format": "uuid"}
TEXT = {"type": "string"}


@dataclass(frozen=True)
class Table:
    """One CSV file of the data package: the HSDS object it holds and its columns."""

    name: str
    path: str
    columns: tuple[tuple[str, dict], ...]
    required: tuple[str, ...] = ("id",)
    #: (column, table it refers to)
    references: tuple[tuple[str, str], ...] = ()


TABLES = (
    Table(
        "organization",
        "organizations.csv",
        (
            ("id", UUID),
            ("name", TEXT),
            ("description", TEXT),
            ("email", {"type": "string", "format": "email"}),
            ("website", {"type": "string", "format": "uri"}),
        ),
        # HSDS asks for a description; the JSON gives "" when none is recorded,
        # which a CSV cannot tell from a missing value.
        ("id", "name"),
    ),
    Table(
        "service",
        "services.csv",
        (
            ("id", UUID),
            ("organization_id", UUID),
            ("name", TEXT),
            ("description", TEXT),
            ("url", {"type": "string", "format": "uri"}),
            ("email", {"type": "string", "format": "email"}),
            ("status", {"type": "string", "constraints": {"enum": ["active"]}}),
            ("assured_date", {"type": "date"}),
            ("last_modified", {"type": "datetime", "format": "%Y-%m-%dT%H:%M:%S.%fZ"}),
        ),
        ("id", "name", "status"),
        (("organization_id", "organization"),),
    ),
    Table(
        "location",
        "locations.csv",
        (
            ("id", UUID),
            ("location_type", TEXT),
            ("organization_id", UUID),
            ("name", TEXT),
            ("latitude", {"type": "number"}),
            ("longitude", {"type": "number"}),
        ),
        ("id", "location_type"),
        (("organization_id", "organization"),),
    ),
    Table(
        "service_at_location",
        "service_at_location.csv",
        (("id", UUID), ("service_id", UUID), ("location_id", UUID)),
        ("id", "service_id", "location_id"),
        (("service_id", "service"), ("location_id", "location")),
    ),
    Table(
        "address",
        "addresses.csv",
        (
            ("id", UUID),
            ("location_id", UUID),
            ("address_1", TEXT),
            ("city", TEXT),
            ("state_province", TEXT),
            ("postal_code", TEXT),
            ("country", TEXT),
            ("address_type", TEXT),
        ),
        ("id", "address_1", "city", "country", "address_type"),
        (("location_id", "location"),),
    ),
    Table(
        "phone",
        "phones.csv",
        (
            ("id", UUID),
            ("service_id", UUID),
            ("organization_id", UUID),
            ("number", TEXT),
            ("type", TEXT),
        ),
        ("id", "number"),
        (("service_id", "service"), ("organization_id", "organization")),
    ),
    Table(
        "schedule",
        "schedules.csv",
        (
            ("id", UUID),
            ("service_id", UUID),
            ("freq", TEXT),
            ("wkst", TEXT),
            ("byday", TEXT),
            ("opens_at", {"type": "time", "format": "%H:%M"}),
            ("closes_at", {"type": "time", "format": "%H:%M"}),
            ("description", TEXT),
            ("notes", TEXT),
        ),
        ("id",),
        (("service_id", "service"),),
    ),
    Table(
        "language",
        "languages.csv",
        (("id", UUID), ("service_id", UUID), ("name", TEXT), ("code", TEXT)),
        ("id",),
        (("service_id", "service"),),
    ),
    Table(
        "accessibility",
        "accessibility.csv",
        (("id", UUID), ("location_id", UUID), ("description", TEXT)),
        ("id",),
        (("location_id", "location"),),
    ),
    Table(
        "attribute",
        "attributes.csv",
        (
            ("id", UUID),
            ("link_id", UUID),
            ("taxonomy_term_id", UUID),
            ("link_type", TEXT),
            ("link_entity", TEXT),
        ),
        ("id", "link_id", "taxonomy_term_id", "link_entity"),
        (("taxonomy_term_id", "taxonomy_term"),),
    ),
    Table(
        "taxonomy",
        "taxonomies.csv",
        (("id", UUID), ("name", TEXT), ("description", TEXT)),
        ("id", "name", "description"),
    ),
    Table(
        "taxonomy_term",
        "taxonomy_terms.csv",
        (
            ("id", UUID),
            ("code", TEXT),
            ("name", TEXT),
            ("description", TEXT),
            ("taxonomy", TEXT),
            ("taxonomy_id", UUID),
            ("language", TEXT),
        ),
        ("id", "name", "description"),
        (("taxonomy_id", "taxonomy"),),
    ),
)


def table_rows(catalogue: Catalogue) -> dict[str, list[dict]]:
    """Every record of the catalogue, flattened into the data package's tables."""
    rows: dict[str, list[dict]] = {table.name: [] for table in TABLES}
    for organisation in catalogue.organisations():
        rows["organization"].append(organisation_record(organisation))
        rows["phone"] += _organisation_phones(organisation)
    for entry in catalogue.entries:
        record = service_record(entry, catalogue)
        rows["service"].append(record)
        rows["phone"] += record["phones"]
        rows["schedule"] += record["schedules"]
        rows["language"] += record["languages"]
        rows["attribute"] += record["attributes"]
        for at_location in record["service_at_locations"]:
            location = at_location["location"]
            rows["service_at_location"].append(at_location)
            rows["location"].append(location)
            rows["address"] += location["addresses"]
            rows["accessibility"] += location["accessibility"]
            rows["attribute"] += location["attributes"]
    rows["taxonomy"] = [taxonomy_record(v, catalogue) for v in catalogue.vocabularies]
    rows["taxonomy_term"] = [
        term_record(vocabulary, term, catalogue, full=False)
        for vocabulary, term in terms(catalogue)
    ]
    return rows


def _field(name: str, declared: dict, table: Table) -> dict:
    constraints = dict(declared.get("constraints", {}))
    if name in table.required:
        constraints["required"] = True
    if name == "id":
        constraints["unique"] = True
    described = {
        "name": name,
        **{k: v for k, v in declared.items() if k != "constraints"},
    }
    return {**described, "constraints": constraints} if constraints else described


def datapackage(title: str) -> dict:
    """The data package's descriptor: each CSV file with its Table Schema."""
    return {
        "profile": "tabular-data-package",
        "name": "mapa-zasobow-hsds",
        "title": title,
        "version": HSDS_VERSION,
        "resources": [
            {
                "name": table.name,
                "path": table.path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [_field(n, d, table) for n, d in table.columns],
                    "primaryKey": ["id"],
                    "foreignKeys": [
                        {
                            "fields": [column],
                            "reference": {"resource": other, "fields": ["id"]},
                        }
                        for column, other in table.references
                    ],
                },
            }
            for table in TABLES
        ],
    }


def csv_file(table: Table, records: Iterable[Mapping]) -> str:
    """One table as CSV text: its columns in order, absent values empty.

    Machine-readable data: every text is kept exactly as the JSON API gives it.
    """
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow([name for name, _declared in table.columns])
    for record in records:
        writer.writerow(
            [
                "" if record.get(n) is None else record[n]
                for n, _declared in table.columns
            ]
        )
    return output.getvalue()


def package_zip(catalogue: Catalogue, title: str) -> bytes:
    """The zipped data package: ``datapackage.json`` and one CSV per table."""
    rows = table_rows(catalogue)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "datapackage.json",
            json.dumps(datapackage(title), ensure_ascii=False, indent=2),
        )
        for table in TABLES:
            archive.writestr(table.path, csv_file(table, rows[table.name]))
    return buffer.getvalue()
