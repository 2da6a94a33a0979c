"""OGC API – Features under /ogc/: what GIS clients (GDAL, OWSLib, QGIS) read.

The city gets, besides the demo, a draft, an internal need, a suggestion waiting in
the queue, a contact without consent, staff notes (``data_source``), a feature last
changed in 2020 and, in every layer, a published feature full of hostile text. The
API must give every public feature once, and nothing else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from itertools import cycle
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import sqlalchemy as sa
from shapely.geometry import box, shape

from tests.conftest import (
    BACKENDS,
    demo_database,
    new_feature,
    new_suggestion,
    served,
)
from tests.payloads import EMAIL_PAYLOAD, PAYLOADS, URL_PAYLOAD, injections
from webgis.core.extensions import db
from webgis.features import store
from webgis.features.models import Feature
from webgis.geography import cities

GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SECRETS = ("SECRET-SOURCE-OGC", "SECRET-CONTACT-OGC", "SZKIC-OGC", "WEWNETRZNA-OGC")
#: A box around Nadodrze, where the test features lie (CRS84).
NEAR_NADODRZE = (17.02, 51.11, 17.04, 51.13)
OLD = datetime(2020, 6, 15, 12, 0, 0)


def _layers(app) -> dict:
    return app.extensions["webgis.layers"]


def _hostile(spec) -> dict:
    """Every text field of the layer holding hostile text, the switch on."""
    texts = cycle(PAYLOADS)
    values = {}
    for field in spec.fields:
        if field.kind in ("text", "textarea") and not field.consent:
            values[field.name] = next(texts)
        elif field.kind == "url":
            values[field.name] = URL_PAYLOAD
        elif field.kind == "email":
            values[field.name] = EMAIL_PAYLOAD
    values["data_source"] = "SECRET-SOURCE-OGC"
    return {**values, **_switched_on(spec)}


def _switched_on(spec) -> dict:
    if spec.public_when is None:
        return {}
    name, wanted = spec.public_when
    rule = spec.get_field(name).when
    return {name: wanted, **({rule[0]: rule[1]} if rule else {})}


def _add_cases(app) -> dict:
    """The features the tests look for, by what they are."""
    cases = {"hostile": {}, "drafts": [], "hidden": []}
    for key, spec in _layers(app).items():
        hostile, _revision = new_feature(app, key, **_hostile(spec))
        cases["hostile"][key] = hostile
        draft, _revision = new_feature(
            app, key, status="draft", **{spec.title_field: "SZKIC-OGC"}
        )
        cases["drafts"].append((key, draft))
        if spec.public_when is not None:
            name, _wanted = spec.public_when
            rule = spec.get_field(name).when
            internal, _revision = new_feature(
                app,
                key,
                **{spec.title_field: "WEWNETRZNA-OGC"},
                **({rule[0]: rule[1]} if rule else {}),
            )
            cases["hidden"].append((key, internal))
        for field in spec.fields:
            if field.consent:
                values = {field.name: "SECRET-CONTACT-OGC"}
                if field.when:
                    values[field.when[0]] = field.when[1]
                contact, _revision = new_feature(app, key, **values)
                cases["contact"] = (key, field.name, contact)
    key = next(iter(_layers(app)))
    old, _revision = new_feature(app, key, **{_layers(app)[key].title_field: "STARY"})
    with app.app_context():
        db.session.execute(
            sa.update(Feature).where(Feature.id == old).values(updated_at=OLD)
        )
        db.session.commit()
    cases["old"] = (key, old)
    cases["suggestion"] = new_suggestion(app, title="PROPOZYCJA-OGC")
    return cases


@pytest.fixture(scope="module", params=BACKENDS)
def ogc_app(request, tmp_path_factory):
    """The demo with staff and the test cases, on each backend."""
    app = demo_database(
        request.param, tmp_path_factory.mktemp("ogc"), "ogc", staff=True
    )
    app.config["OGC_CASES"] = _add_cases(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(ogc_app):
    """A visitor without an account."""
    return ogc_app.test_client()


def _collection_ids(app) -> list[str]:
    with app.app_context():
        codes = [c.code for c in cities.list_cities()]
    return [
        f"{code}-{kind}"
        for code in codes
        for kind in ("units", "service-areas", *_layers(app))
    ]


def _json(response, media_type="application/json") -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.content_type.startswith(media_type), response.content_type
    return response.get_json(force=True)


def _html(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.content_type.startswith("text/html")
    page = response.get_data(as_text=True)
    assert 'class="site-header"' in page  # the site's own page, not a bare dump
    return page


def _rels(document: dict) -> dict[str, dict]:
    return {(link["rel"], link["type"]): link["href"] for link in document["links"]}


def _path(href: str) -> str:
    """The path and query of an absolute link, as the test client takes them."""
    parts = urlsplit(href)
    assert parts.scheme == "http" and parts.netloc == "localhost", href
    return parts.path + ("?" + parts.query if parts.query else "")


# -- the resources, in JSON and HTML ----------------------------------------------


def test_landing_page_links_to_the_definition_conformance_and_data(client):
    landing = _json(client.get("/ogc/"))
    links = _rels(landing)
    assert links[("service-desc", OPENAPI)] == "http://localhost/ogc/api"
    assert links[("conformance", "application/json")].endswith("/ogc/conformance")
    assert links[("data", "application/json")].endswith("/ogc/collections")
    assert ("self", "application/json") in links
    page = _html(client.get("/ogc/?f=html"))
    assert '<html lang="pl">' in page and "Kolekcje" in page
    assert "OAPIF:http://localhost/ogc/" in page


def test_a_browser_gets_pages_and_a_gis_client_json_from_the_same_address(client):
    browser = client.get("/ogc/collections", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.content_type.startswith("text/html")
    gis = client.get("/ogc/collections", headers={"Accept": "application/json"})
    assert gis.content_type == "application/json"
    assert client.get("/ogc/collections").content_type == "application/json"
    asked = client.get("/ogc/collections?f=json", headers={"Accept": "text/html"})
    assert asked.content_type == "application/json"
    assert "Accept" in browser.headers["Vary"]


def test_conformance_declares_core_geojson_html_and_openapi(client):
    declared = set(_json(client.get("/ogc/conformance"))["conformsTo"])
    base = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
    assert {base + c for c in ("core", "geojson", "html", "oas30")} <= declared
    page = _html(client.get("/ogc/conformance?f=html"))
    assert base + "core" in page


def test_every_city_offers_units_service_areas_and_every_registered_layer(
    client, ogc_app
):
    document = _json(client.get("/ogc/collections"))
    found = {c["id"]: c for c in document["collections"]}
    assert sorted(found) == sorted(_collection_ids(ogc_app))
    crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    for collection in found.values():
        assert collection["crs"] == [crs84]
        west, south, east, north = collection["extent"]["spatial"]["bbox"][0]
        assert 14 < west < east < 25 and 49 < south < north < 55  # Poland
    page = _html(client.get("/ogc/collections?f=html"))
    assert all(collection_id in page for collection_id in found)


def test_every_resource_of_every_collection_answers_in_json_and_html(client, ogc_app):
    for collection_id in _collection_ids(ogc_app):
        base = f"/ogc/collections/{collection_id}"
        described = _json(client.get(base))
        assert described["id"] == collection_id
        links = _rels(described)
        assert links[("items", GEOJSON)] == f"http://localhost{base}/items?f=json"
        queryables = _json(client.get(base + "/queryables"), "application/schema+json")
        assert queryables["type"] == "object"
        schema = _json(client.get(base + "/schema"), "application/schema+json")
        typed = schema["properties"]["properties"]["properties"]
        items = _json(client.get(base + "/items"), GEOJSON)
        assert items["type"] == "FeatureCollection"
        for resource in ("", "/queryables", "/schema", "/items"):
            _html(client.get(f"{base}{resource}?f=html"))
        if items["features"]:
            first = items["features"][0]
            assert set(first["properties"]) == set(typed)
            one = _json(client.get(f"{base}/items/{first['id']}"), GEOJSON)
            assert one["id"] == first["id"]
            assert one["properties"] == first["properties"]
            _html(client.get(f"{base}/items/{first['id']}?f=html"))


def test_units_and_service_areas_give_the_facts_of_the_city_api(client, ogc_app):
    for city in ("wroclaw", "krakow"):
        for kind, key in (("units", "number"), ("service-areas", "code")):
            api = client.get(f"/api/{city}/{kind}").get_json()
            ogc = _json(
                client.get(f"/ogc/collections/{city}-{kind}/items?limit=10000"),
                GEOJSON,
            )
            assert [f["properties"] for f in ogc["features"]] == [
                f["properties"] for f in api["features"]
            ]
            assert [f["id"] for f in ogc["features"]] == [
                f["properties"][key] for f in api["features"]
            ]


# -- paging -------------------------------------------------------------------------


def _public_ids(app, collection_id: str) -> list:
    """What the public may see, asked of the store's public listing."""
    code, _sep, rest = collection_id.partition("-")
    with app.app_context():
        city = cities.get_city(code)
        if rest == "units":
            return [u.number for u in city.units]
        if rest == "service-areas":
            return [a.code for a in city.service_areas]
        return [f.id for f in store.visible(city, _layers(app)[rest], None)]


def _follow(client, url: str) -> tuple[list, list[dict]]:
    """Every item reached by following ``next`` links, and the pages."""
    ids, pages = [], []
    while url:
        page = _json(client.get(url), GEOJSON)
        pages.append(page)
        ids += [f["id"] for f in page["features"]]
        following = _rels(page).get(("next", GEOJSON))
        url = _path(following) if following else None
    return ids, pages


def test_following_next_links_gives_every_public_feature_once(client, ogc_app):
    for collection_id in _collection_ids(ogc_app):
        ids, pages = _follow(client, f"/ogc/collections/{collection_id}/items?limit=4")
        expected = _public_ids(ogc_app, collection_id)
        assert sorted(ids, key=str) == sorted(expected, key=str), collection_id
        assert all(p["numberMatched"] == len(expected) for p in pages)
        assert all(p["numberReturned"] == len(p["features"]) for p in pages)
        assert all(p["numberReturned"] <= 4 for p in pages)
        if len(pages) > 1:
            back = _rels(pages[-1])[("prev", GEOJSON)]
            assert parse_qs(urlsplit(back).query)["offset"] == [
                str(4 * (len(pages) - 2))
            ]


def test_paging_links_keep_the_filters(client):
    bbox = ",".join(map(str, NEAR_NADODRZE))
    url = f"/ogc/collections/wroclaw-units/items?limit=1&bbox={bbox}"
    ids, pages = _follow(client, url)
    assert len(pages) == len(ids) > 1
    every = _json(
        client.get(f"/ogc/collections/wroclaw-units/items?bbox={bbox}"), GEOJSON
    )
    assert ids == [f["id"] for f in every["features"]]


def test_ten_items_by_default_and_at_most_ten_thousand(client):
    first = _json(client.get("/ogc/collections/wroclaw-units/items"), GEOJSON)
    assert first["numberReturned"] == 10 < first["numberMatched"]
    nxt = parse_qs(urlsplit(_rels(first)[("next", GEOJSON)]).query)
    assert nxt["limit"] == ["10"] and nxt["offset"] == ["10"]
    most = client.get("/ogc/collections/wroclaw-units/items?limit=10000")
    assert _json(most, GEOJSON)["numberReturned"] == first["numberMatched"]
    assert (
        client.get("/ogc/collections/wroclaw-units/items?limit=10001").status_code
        == 400
    )


def test_an_offset_past_the_end_is_an_empty_page_without_next(client):
    page = _json(client.get("/ogc/collections/wroclaw-units/items?offset=500"), GEOJSON)
    assert page["features"] == [] and page["numberMatched"] == 48
    assert ("next", GEOJSON) not in _rels(page)
    assert ("prev", GEOJSON) in _rels(page)


def test_a_layer_page_past_the_end_still_says_how_many_match(client):
    items = "/ogc/collections/wroclaw-day_centres/items?f=json"
    first = _json(client.get(items), GEOJSON)
    past = _json(client.get(f"{items}&offset={first['numberMatched'] + 5}"), GEOJSON)
    assert past["features"] == []
    assert past["numberMatched"] == first["numberMatched"] > 0


# -- filters ------------------------------------------------------------------------


def test_bbox_gives_exactly_the_items_that_touch_the_box(client, ogc_app):
    area = box(*NEAR_NADODRZE)
    bbox = ",".join(map(str, NEAR_NADODRZE))
    for collection_id in _collection_ids(ogc_app):
        if not collection_id.startswith("wroclaw-"):
            continue
        url = f"/ogc/collections/{collection_id}/items?limit=10000"
        every = _json(client.get(url), GEOJSON)["features"]
        inside = _json(client.get(f"{url}&bbox={bbox}"), GEOJSON)
        expected = [
            f["id"]
            for f in every
            if f["geometry"] and shape(f["geometry"]).intersects(area)
        ]
        assert [f["id"] for f in inside["features"]] == expected, collection_id
        assert inside["numberMatched"] == len(expected)
        if collection_id.endswith("-units"):
            assert 0 < len(expected) < len(every)


def test_datetime_filters_by_the_last_change(client, ogc_app):
    key, old = ogc_app.config["OGC_CASES"]["old"]
    url = f"/ogc/collections/wroclaw-{key}/items?limit=10000&datetime="

    def ids(when: str) -> set:
        page = client.get(url + quote(when, safe="/."))
        return {f["id"] for f in _json(page, GEOJSON)["features"]}

    every = ids("../2999-01-01")
    assert old in every
    assert ids("2020-06-15") == {old}
    assert ids("2020-06-15T12:00:00Z") == {old}
    assert ids("2020-06-15T14:00:00+02:00") == {old}
    assert ids("2020-06-15T12:00:01Z") == set()
    assert ids("2020-01-01/2020-12-31") == {old}
    assert ids("../2020-12-31") == {old}
    assert ids("2021-01-01/..") == every - {old}
    item = _json(client.get(f"/ogc/collections/wroclaw-{key}/items/{old}"), GEOJSON)
    assert item["properties"]["updated_at"] == "2020-06-15T12:00:00Z"


def test_property_filters_match_the_public_values(client, ogc_app):
    checked = 0
    for key, spec in _layers(ogc_app).items():
        url = f"/ogc/collections/wroclaw-{key}/items?limit=10000"
        every = _json(client.get(url), GEOJSON)["features"]
        queryables = _json(
            client.get(f"/ogc/collections/wroclaw-{key}/queryables"),
            "application/schema+json",
        )["properties"]
        assert "data_source" not in queryables and "updated_at" not in queryables
        name = spec.category_field
        if name is None or not every:
            continue
        value = next(f["properties"][name] for f in every if f["properties"][name])
        value = value[0] if isinstance(value, list) else value
        found = _json(client.get(f"{url}&{name}={value}"), GEOJSON)["features"]
        expected = [
            f["id"]
            for f in every
            if f["properties"][name] == value
            or (
                isinstance(f["properties"][name], list)
                and value in f["properties"][name]
            )
        ]
        assert [f["id"] for f in found] == expected and expected, key
        checked += 1
    assert checked


def test_filters_on_numbers_and_yes_or_no_are_typed(client):
    units = "/ogc/collections/wroclaw-units/items"
    found = _json(client.get(f"{units}?number=4"), GEOJSON)["features"]
    assert [f["properties"]["name"] for f in found] == ["Nadodrze"]
    assert client.get(f"{units}?number=four").status_code == 400
    areas = _json(
        client.get("/ogc/collections/wroclaw-service-areas/items?code=ZTPS-7"), GEOJSON
    )
    assert [f["id"] for f in areas["features"]] == ["ZTPS-7"]


def test_a_hidden_value_is_never_matched_by_a_filter(client, ogc_app):
    key, name, contact = ogc_app.config["OGC_CASES"]["contact"]
    url = f"/ogc/collections/wroclaw-{key}/items?{name}=SECRET-CONTACT-OGC"
    assert _json(client.get(url), GEOJSON)["numberMatched"] == 0
    item = _json(client.get(f"/ogc/collections/wroclaw-{key}/items/{contact}"), GEOJSON)
    assert item["properties"][name] is None


# -- only public data ---------------------------------------------------------------


def _everything(client, ogc_app) -> list[str]:
    """Every JSON document and page the API serves, as text."""
    bodies = []
    for collection_id in _collection_ids(ogc_app):
        base = f"/ogc/collections/{collection_id}"
        for url in (f"{base}/items?limit=10000", f"{base}/items?limit=10000&f=html"):
            response = client.get(url)
            assert response.status_code == 200
            bodies.append(response.get_data(as_text=True))
    return bodies


def test_drafts_internal_needs_suggestions_and_staff_notes_never_appear(
    client, ogc_app
):
    for body in _everything(client, ogc_app):
        assert not any(secret in body for secret in SECRETS)
        assert "PROPOZYCJA-OGC" not in body
        assert '"data_source"' not in body
    cases = ogc_app.config["OGC_CASES"]
    hidden = [*cases["drafts"], *cases["hidden"]]
    hidden.append(
        (
            next(k for k, s in _layers(ogc_app).items() if s.suggestions),
            cases["suggestion"],
        )
    )
    for key, feature_id in hidden:
        response = client.get(f"/ogc/collections/wroclaw-{key}/items/{feature_id}")
        assert response.status_code == 404
        assert response.get_json()["code"] == "NotFound"


def test_staff_signed_in_see_only_what_the_public_sees(ogc_app):
    from tests.conftest import client_as

    staff = client_as(ogc_app, "planner")
    for key, feature_id in ogc_app.config["OGC_CASES"]["drafts"]:
        url = f"/ogc/collections/wroclaw-{key}/items/{feature_id}"
        assert staff.get(url).status_code == 404
    key, name, contact = ogc_app.config["OGC_CASES"]["contact"]
    item = staff.get(f"/ogc/collections/wroclaw-{key}/items/{contact}").get_json()
    assert item["properties"][name] is None


# -- refused requests ---------------------------------------------------------------

BAD = [
    ("bbox", "17,51,17.1"),
    ("bbox", "17,51,17.1,51.1,0,10"),
    ("bbox", "a,b,c,d"),
    ("bbox", "17.1,51,17,51.1"),
    ("bbox", "17,51,17.1,95"),
    ("bbox", "nan,51,17.1,51.1"),
    ("bbox", ""),
    ("limit", "0"),
    ("limit", "-1"),
    ("limit", "10001"),
    ("limit", "ten"),
    ("limit", "1.5"),
    ("offset", "-1"),
    ("offset", "x"),
    ("datetime", "yesterday"),
    ("datetime", "2024-13-01"),
    ("datetime", "2024-02-01/2024-01-01"),
    ("datetime", "../.."),
    ("datetime", "2024-01-01/2024-02-01/2024-03-01"),
    ("datetime", "2024-01-01T25:00:00Z"),
    ("f", "xml"),
    ("sample", "maybe"),
]


@pytest.mark.parametrize(("name", "value"), BAD, ids=[f"{n}={v}" for n, v in BAD])
def test_a_bad_value_is_refused_with_an_exception(client, name, value):
    key = "wroclaw-" + next(iter(client.application.extensions["webgis.layers"]))
    response = client.get(f"/ogc/collections/{key}/items", query_string={name: value})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue" and body["description"]


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/?foo=1",
        "/ogc/conformance?service=WFS",
        "/ogc/collections?limit=5",
        "/ogc/collections/wroclaw-units?bbox=1,2,3,4",
        "/ogc/collections/wroclaw-units/queryables?x=1",
        "/ogc/collections/wroclaw-units/items?foo=bar",
        "/ogc/collections/wroclaw-units/items?population=1000",
        "/ogc/collections/wroclaw-units/items?limit=5&limit=6",
        "/ogc/collections/wroclaw-units/items?datetime=2024-01-01",
        "/ogc/collections/wroclaw-units/items/4?limit=1",
        "/ogc/api?debug=1",
    ],
)
def test_unknown_parameters_are_refused(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.get_json()["code"] == "InvalidParameterValue"


def test_a_field_the_public_never_sees_is_not_a_filter(client, ogc_app):
    for key in _layers(ogc_app):
        url = f"/ogc/collections/wroclaw-{key}/items?data_source=SECRET-SOURCE-OGC"
        assert client.get(url).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/nowhere",
        "/ogc/collections/nowhere/items",
        "/ogc/collections/nowhere-units/items",
        "/ogc/collections/wroclaw-units/items/999",
        "/ogc/collections/wroclaw-units/items/abc",
        "/ogc/collections/wroclaw-service-areas/items/ZTPS-99",
    ],
)
def test_unknown_collections_and_items_are_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json()["code"] == "NotFound"
    page = client.get(url + "?f=html")
    assert page.status_code == 404 and "text/html" in page.content_type


def test_an_unknown_feature_id_of_a_layer_is_not_found(client, ogc_app):
    for key in _layers(ogc_app):
        for item in ("99999999", "1e3", "-1", "9" * 30):
            response = client.get(f"/ogc/collections/wroclaw-{key}/items/{item}")
            assert response.status_code == 404, (key, item)


# -- hostile text -------------------------------------------------------------------


def test_hostile_text_stays_text_on_every_page(client, ogc_app):
    hostile = ogc_app.config["OGC_CASES"]["hostile"]
    pages = []
    for key, feature_id in hostile.items():
        base = f"/ogc/collections/wroclaw-{key}"
        listed = _html(client.get(f"{base}/items?f=html&limit=10000"))
        assert PAYLOADS[0].replace("<", "&lt;").replace(">", "&gt;")[:20] in listed
        pages += [listed, _html(client.get(f"{base}/items/{feature_id}?f=html"))]
    hostile_query = {"f": "html", "<script data-pwn>x</script>": "1"}
    refused = client.get(
        "/ogc/collections/wroclaw-units/items", query_string=hostile_query
    )
    assert refused.status_code == 400
    pages.append(refused.get_data(as_text=True))
    for page in pages:
        assert injections(page) == []
    # In JSON the text is kept as stored, for the client to escape.
    key, feature_id = next(iter(hostile.items()))
    item = _json(
        client.get(f"/ogc/collections/wroclaw-{key}/items/{feature_id}"), GEOJSON
    )
    assert any(v in PAYLOADS for v in item["properties"].values())


# -- the API definition -------------------------------------------------------------


def test_the_openapi_document_describes_every_route_and_collection(client, ogc_app):
    response = client.get("/ogc/api")
    assert response.content_type == OPENAPI
    document = response.get_json(force=True)
    assert document["openapi"].startswith("3.0")
    assert document["servers"] == [{"url": "http://localhost/ogc"}]
    items = document["paths"]["/collections/{collectionId}/items"]["get"]
    limit = next(p for p in items["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 10_000 and limit["schema"]["default"] == 10
    for collection_id in _collection_ids(ogc_app):
        path = document["paths"][f"/collections/{collection_id}/items"]["get"]
        queryables = _json(
            client.get(f"/ogc/collections/{collection_id}/queryables"),
            "application/schema+json",
        )["properties"]
        names = {p["name"] for p in path["parameters"]}
        assert set(queryables) <= names
    _html(client.get("/ogc/api?f=html"))


def test_every_route_is_in_the_paths_given_to_the_app_wide_document(ogc_app):
    from webgis.web.views.ogc import openapi_paths

    with ogc_app.test_request_context():
        documented = set(openapi_paths())
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + _camel(m.group(1)) + "}", r.rule)
        for r in ogc_app.url_map.iter_rules()
        if r.endpoint.startswith("ogc.")
    }
    assert routes == documented


def _camel(name: str) -> str:
    return {"collection_id": "collectionId", "item_id": "featureId"}[name]


# -- GIS clients against a live server ---------------------------------------------


@pytest.fixture(scope="module")
def live_ogc(tmp_path_factory):
    """The demo served by a real WSGI server: its /ogc/ address."""
    app = demo_database("sqlite", tmp_path_factory.mktemp("ogclive"), "ogclive")
    with served(app) as url:
        yield app, f"{url}/ogc/"
    with app.app_context():
        db.engine.dispose()


def _ogrinfo(*args: str) -> str:
    assert shutil.which("ogrinfo"), (
        "ogrinfo is missing: install gdal-bin (scripts/test.sh does)"
    )
    done = subprocess.run(
        ["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr, done.stderr
    return done.stdout


def _matched(app, collection_id: str, query: str = "") -> int:
    with app.test_client() as client:
        page = client.get(f"/ogc/collections/{collection_id}/items?limit=1{query}")
        return page.get_json(force=True)["numberMatched"]


def test_gdal_lists_every_collection_with_its_feature_count(live_ogc):
    app, url = live_ogc
    summary = _ogrinfo("-al", "-so", f"OAPIF:{url}")
    counts = dict(
        re.findall(r"Layer name: (\S+)\n(?:.*\n)*?Feature Count: (\d+)", summary)
    )
    assert sorted(counts) == sorted(_collection_ids(app))
    for collection_id, count in counts.items():
        assert int(count) == _matched(app, collection_id), collection_id


def test_gdal_reads_every_layer_page_by_page(live_ogc):
    app, url = live_ogc
    for collection_id in _collection_ids(app):
        if not collection_id.startswith("wroclaw-"):
            continue
        listed = _ogrinfo("-oo", "PAGE_SIZE=3", f"OAPIF:{url}", collection_id)
        expected = _matched(app, collection_id)
        assert listed.count("\nOGRFeature(") == expected, collection_id
    assert _matched(app, "wroclaw-units") > 3  # more than one page was read


def test_gdal_reads_only_the_box_it_asks_for(live_ogc):
    app, url = live_ogc
    bbox = ",".join(map(str, NEAR_NADODRZE))
    for collection_id in _collection_ids(app):
        if not collection_id.startswith("wroclaw-"):
            continue
        listed = _ogrinfo(
            "-oo",
            "PAGE_SIZE=2",
            "-spat",
            *map(str, NEAR_NADODRZE),
            f"OAPIF:{url}",
            collection_id,
        )
        # GDAL also filters what it gets, so a server ignoring the box shows here.
        expected = _matched(app, collection_id, f"&bbox={bbox}")
        assert listed.count("\nOGRFeature(") == expected, collection_id
    names = re.findall(
        r"  name \(String\) = (.+)",
        _ogrinfo("-spat", *map(str, NEAR_NADODRZE), f"OAPIF:{url}", "wroclaw-units"),
    )
    assert "Nadodrze" in names and len(names) < _matched(app, "wroclaw-units")


def test_owslib_reads_collections_and_items(live_ogc):
    from owslib.ogcapi.features import Features

    app, url = live_ogc
    api = Features(url)
    assert sorted(api.feature_collections()) == sorted(_collection_ids(app))
    assert api.collection("wroclaw-units")["id"] == "wroclaw-units"
    page = api.collection_items("wroclaw-units", limit=5, offset=5)
    assert page["numberReturned"] == 5 and page["features"][0]["id"] == 6
    assert "next" in {link["rel"] for link in page["links"]}
    inside = api.collection_items("wroclaw-units", bbox=list(NEAR_NADODRZE))
    assert inside["numberMatched"] == _matched(
        app, "wroclaw-units", "&bbox=" + ",".join(map(str, NEAR_NADODRZE))
    )
    assert api.collection_item("wroclaw-service-areas", "ZTPS-7")["id"] == "ZTPS-7"
    assert "name" in api.collection_queryables("wroclaw-units")["properties"]
    assert api.api()["openapi"].startswith("3.0")
