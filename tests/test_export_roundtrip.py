"""Export, then import into an empty city: the same features come back, every format.

Each registered layer gets features with every field filled (one per ``when`` case,
such as a need and a resource) and one with only the required fields, so empty and
typed columns, labels, lists, opening hours, members and links all travel. Links
travel by the title of the linked feature, which the empty city also has.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace

import pytest
import shapely
from shapely.geometry import Point, box

import layers
from tests.conftest import (
    BACKENDS,
    PASSWORD,
    _database_url,
    log_in,
    make_app,
    two_units,
)
from webgis.accounts import users
from webgis.core.extensions import db
from webgis.database import init_db
from webgis.features import export, importing, store, vocabularies
from webgis.features.models import Feature
from webgis.geography import cities
from webgis.geography.boundaries import metric_transformer, prepare_units

SOURCE = "rt-zrodlo"
PLANNER = "planista-rt@test.invalid"
STAFF_READER = SimpleNamespace(is_authenticated=True)
#: Unit 1 of the small city: a 1 km square in central Wrocław (EPSG:2180).
UNIT_ONE = (360_000, 360_000, 361_000, 361_000)
HOURS = "Mo 08:00-12:00,13:00-16:00; Fr 10:00-14:00"


def small_city(code: str, directory: Path):
    """A city of two 1 km units with two service areas, A1 and A2 (no features)."""
    city = cities.add_city(code, f"Miasto {code}")
    cities.replace_units(city, prepare_units(two_units()))
    assignment = directory / f"{code}.csv"
    assignment.write_text(
        "city,area_code,area_name,unit_no\n"
        f"{code},A1,Obszar pierwszy,1\n{code},A2,Obszar drugi,2\n",
        encoding="utf-8",
    )
    cities.assign_service_areas(city, assignment)
    return city


def lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:2180 metres as lon/lat."""
    return metric_transformer().transform(x, y, direction="INVERSE")


def place(number: int, polygon: bool):
    """A point or a small square in unit 1, a different one per number."""
    x, y = UNIT_ONE[0] + 100 + 60 * number, UNIT_ONE[1] + 500
    if not polygon:
        return Point(lonlat(x, y))
    corners = [lonlat(x, y), lonlat(x + 40, y + 40)]
    return box(corners[0][0], corners[0][1], corners[1][0], corners[1][1])


def _keys(spec_field, count: int) -> list[str]:
    if spec_field.choices:
        return [value for value, _label in spec_field.choices][:count]
    return [t.key for t in vocabularies.terms(spec_field.vocabulary)][:count]


def sample(spec_field, links: dict[str, int]):
    """A typical value of a field, by its kind (None for a kind this test lacks)."""
    kind = spec_field.kind
    values = {
        "text": "Tekst z ąę, przecinkiem i „cudzysłowem”",
        "textarea": "-Zaczyna się od minusa\ndruga linia; ze średnikiem",
        "int": min(12, spec_field.maximum),
        "year": 2020 if spec_field.after else 2015,
        "date": "2020-05-01",
        "bool": True,
        "url": "https://example.org/strona?x=1",
        "email": "kontakt@example.org",
        "phone": "+48 71 000 00 00",
        "service_area": "A1",
        "hours": HOURS,
    }
    if kind in values:
        return values[kind]
    if kind == "choice":
        return _keys(spec_field, 1)[0]
    if kind == "multichoice":
        return _keys(spec_field, 2)
    if kind == "members":
        first, second = _keys(spec_field, 2)
        return [
            {"name": "Fundacja Przykład, oddział", "sector": first},
            {"name": "Rada Osiedla", "sector": second},
        ]
    if kind == "links":
        return [links[spec_field.link_layer]]
    return None


def cases(spec) -> list:
    """The ``when`` cases of a layer (None when its fields have none)."""
    return sorted({f.when for f in spec.all_fields if f.when}) or [None]


def full(spec, case, title: str, links: dict[str, int]) -> dict:
    """Every field that applies in ``case`` filled."""
    properties = {}
    for spec_field in spec.all_fields:
        if spec_field.when and spec_field.when != case:
            continue
        value = sample(spec_field, links)
        if value is not None:
            properties[spec_field.name] = value
    if case:
        properties[case[0]] = case[1]
    properties[spec.title_field] = title
    properties["location_precision"] = "address"
    return properties


def minimal(spec, title: str) -> dict:
    """Only the required fields."""
    properties = {
        f.name: sample(f, {})
        for f in spec.all_fields
        if f.required and not f.when and f.kind != "links"
    }
    return {**properties, spec.title_field: title, "location_precision": "unit"}


def link_target(city, registry, layer: str):
    """The feature links point to, the same in every city (by title and place)."""
    spec = registry[layer]
    properties = {**minimal(spec, f"Cel powiązania {layer}"), "address": "ul. Celna 1"}
    polygon = spec.geometry_type == "Polygon"
    return store.create(None, city, spec, place(0, polygon), properties, "published")


def link_targets(city, registry) -> dict[str, int]:
    wanted = {
        f.link_layer for s in registry.values() for f in s.all_fields if f.link_layer
    }
    return {layer: link_target(city, registry, layer).id for layer in sorted(wanted)}


def fill_source(city, registry) -> None:
    links = link_targets(city, registry)
    for spec in registry.values():
        polygon = spec.geometry_type == "Polygon"
        for number, case in enumerate(cases(spec), start=1):
            title = f"{spec.key} pełny {number}"
            properties = full(spec, case, title, links)
            point = place(number, polygon)
            store.create(None, city, spec, point, properties, "published")
        # The last one is an area where a layer takes both (two tables in GIS files).
        title = f"{spec.key} minimalny"
        geometry = place(9, spec.geometry_type != "Point")
        store.create(None, city, spec, geometry, minimal(spec, title), "published")


@pytest.fixture(scope="module", params=BACKENDS)
def roundtrip(request, tmp_path_factory):
    """A source city full of features of every layer, and a planner."""
    directory = tmp_path_factory.mktemp("roundtrip")
    app = make_app(_database_url(request.param, directory, "roundtrip"))
    with app.app_context():
        init_db()
        users.create_user(PLANNER, "planner", "Planista", PASSWORD, [])
        db.session.commit()
        city = small_city(SOURCE, directory)
        fill_source(city, app.extensions["webgis.layers"])
        db.session.remove()
    app.config["TEST_DIRECTORY"] = directory
    yield app
    with app.app_context():
        db.engine.dispose()


def described(city, spec) -> dict:
    """Each feature by title: status, properties (links by title) and its place."""
    found = {}
    for feature in store.visible(city, spec, STAFF_READER):
        properties = dict(feature.properties)
        for spec_field in spec.all_fields:
            if spec_field.kind == "links" and spec_field.name in properties:
                linked = properties[spec_field.name]
                properties[spec_field.name] = sorted(
                    db.session.get(Feature, i).title for i in linked
                )
        geometry = shapely.normalize(feature.geometry)
        found[feature.title] = (
            feature.status,
            properties,
            shapely.to_wkt(geometry, rounding_precision=6),
        )
    return found


NUMBERS = itertools.count()


@pytest.mark.parametrize("fmt", list(export.FORMATS))
@pytest.mark.parametrize("layer", list(layers.discover()))
def test_export_then_import_into_an_empty_city_gives_the_same_features(
    roundtrip, layer, fmt, tmp_path
):
    client = roundtrip.test_client()
    assert log_in(client, PLANNER, PASSWORD).status_code == 303
    response = client.get(f"/{SOURCE}/layers/{layer}/export.{fmt}")
    assert response.status_code == 200
    path = tmp_path / f"{SOURCE}-{layer}.{fmt}"
    path.write_bytes(response.data)
    with roundtrip.test_request_context():
        registry = roundtrip.extensions["webgis.layers"]
        spec = registry[layer]
        target = small_city(f"rt-{next(NUMBERS)}", roundtrip.config["TEST_DIRECTORY"])
        link_targets(target, registry)
        source = importing.read_source(path, path.name)
        mapping = importing.propose_mapping(spec, source.columns)
        plan = importing.plan(
            None, target, spec, source, mapping, publish=True, update_duplicates=True
        )
        assert [str(p) for p in plan.problems] == []
        importing.run(None, target, spec, plan)
        before = described(cities.get_city(SOURCE), spec)
        after = described(target, spec)
        for title, (_status, properties, _place) in after.items():
            # A row without a source of its own is noted as coming from the file.
            if title in before and "data_source" not in before[title][1]:
                assert properties.pop("data_source") == f"Import: {path.name}"
        assert after == before
        db.session.remove()
