"""Hostile text in every writable field never becomes markup on any page.

A city of its own ("the payload city") is filled, through the same code paths people
and importers use, with hostile text: every text field of every registered layer,
suggestions, a user's name, vocabulary labels in three languages, unit and area names
from the importers, the city's own names. Then every page each role can open is
rendered and parsed: no payload may become an element or an attribute. The layers
come from the registry, so a new layer is covered without editing this test.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import threading

import pytest
from shapely.geometry import box
from werkzeug.serving import make_server

from tests.conftest import (
    BACKENDS,
    PASSWORD,
    WROCLAW_X,
    WROCLAW_Y,
    _database_url,
    log_in,
    make_app,
    two_units,
)
from tests.payloads import (
    EMAIL_PAYLOAD,
    HUGE,
    PAYLOADS,
    URL_PAYLOAD,
    injections,
)
from webgis.accounts import users
from webgis.core.errors import Invalid
from webgis.core.extensions import db
from webgis.database import init_db
from webgis.features import moderation, store, vocabularies
from webgis.geography import cities
from webgis.geography.boundaries import prepare_units

CITY = "testowo"
ROLES = ("anonymous", "organiser", "planner", "admin")
EMAILS = {
    "organiser": "payload-org@test.invalid",
    "planner": "payload-planner@test.invalid",
    "admin": "payload-admin@test.invalid",
}
#: Pages that answer files or JSON, not HTML: nothing there is parsed as markup.
NOT_HTML = {
    "static",
    "main.city",  # a redirect to the map
    "analysis.map_png",
    "analysis.table_export",
    "features.export",
    "features.api_layer",
    "features.api_schema",
    "api.units",
    "api.service_areas",
    "api.cities",
}
#: Query parameters the pages read, each set to a payload in one extra request.
QUERY = (
    "q",
    "from",
    "area",
    "type",
    "category",
    "group",
    "access",
    "lang_spoken",
    "day",
    "time",
    "status",
    "sort",
    "order",
    "action",
    "hypothetical",
    "when",
)


def _rotating():
    return itertools.cycle(PAYLOADS)


def _square(dx: float, size: float = 200.0):
    """A square inside the payload city's first unit, in EPSG:4326."""
    import geopandas as gpd

    x, y = WROCLAW_X + 300 + dx, WROCLAW_Y + 300
    frame = gpd.GeoSeries([box(x, y, x + size, y + size)], crs="EPSG:2180")
    return frame.to_crs("EPSG:4326").iloc[0]


def _city():
    """The payload city, its units and service areas through the importers."""
    city = cities.add_city(CITY, "Testowo " + PAYLOADS[2], PAYLOADS[5], PAYLOADS[3])
    units = two_units(name=[PAYLOADS[0], PAYLOADS[4]])
    cities.replace_units(city, prepare_units(units))
    csv = io.StringIO()
    csv.write("city,area_code,area_name,unit_no\n")
    csv.write(f'{CITY},A1,"{PAYLOADS[1].replace(chr(34), chr(34) * 2)}",1\n')
    csv.write(f'{CITY},A2,"{PAYLOADS[6]}",2\n')
    return city, csv.getvalue()


def _users(city) -> None:
    areas = [a for a in city.service_areas if a.code == "A1"]
    for role, email in EMAILS.items():
        users.create_user(
            email,
            role,
            PAYLOADS[len(email) % len(PAYLOADS)],
            PASSWORD,
            areas if role == "organiser" else [],
        )
    db.session.commit()


def _vocabulary_labels() -> None:
    payloads = _rotating()
    for vocabulary in vocabularies.VOCABULARIES:
        for term in vocabularies.terms(vocabulary)[:2]:
            labels = {lang: next(payloads)[:200] for lang in vocabularies.LANGUAGES}
            vocabularies.update_term(term.id, labels, True)


def _value(spec_field, payloads, linkable: dict[str, list[int]]):
    """A valid value for one field, hostile wherever the field takes free text."""
    kind = spec_field.kind
    if kind in ("text", "textarea"):
        return next(payloads)
    if kind == "url":
        return URL_PAYLOAD
    if kind == "email":
        return EMAIL_PAYLOAD
    if kind == "members":
        sector = vocabularies.terms("partner_sector")[0].key
        return [{"name": next(payloads), "sector": sector}]
    if kind == "links":
        return linkable.get(spec_field.link_layer, [])
    if kind == "service_area":
        return "A1"
    if kind in ("choice", "multichoice"):
        if spec_field.choices:
            value = spec_field.choices[0][0]
        else:
            value = vocabularies.terms(spec_field.vocabulary)[0].key
        return [value] if kind == "multichoice" else value
    return {"int": "12", "year": "2013", "date": "2020-05-01", "bool": True}.get(kind)


def _features(city, planner, registry) -> dict[str, list[int]]:
    """Enough features of every layer to carry every payload in its text fields."""
    created: dict[str, list[int]] = {}
    payloads = _rotating()
    # Layers that link to others come after them, so there is something to link to.
    ordered = sorted(registry.items(), key=lambda item: _links_elsewhere(*item))
    for key, spec in ordered:
        texts = [f for f in spec.all_fields if f.kind in ("text", "textarea")]
        count = max(2, math.ceil(len(PAYLOADS) / max(1, len(texts))))
        for number in range(count):
            properties = {}
            for spec_field in spec.all_fields:
                properties[spec_field.name] = _value(spec_field, payloads, created)
            properties["location_precision"] = "address"
            # Both sides of fields that apply to one kind only (needs, resources).
            for spec_field in spec.all_fields:
                if spec_field.choices and spec_field.name in {
                    f.when[0] for f in spec.all_fields if f.when
                }:
                    options = [v for v, _label in spec_field.choices]
                    properties[spec_field.name] = options[number % len(options)]
            if spec.public_when:
                properties[spec.public_when[0]] = spec.public_when[1]
            geometry = (
                _square(number * 250)
                if spec.geometry_type == "Polygon"
                else (_square(number * 250).centroid)
            )
            feature = store.create(
                planner, city, spec, geometry, properties, "published"
            )
            created.setdefault(key, []).append(feature.id)
    return created


def _links_elsewhere(key, spec) -> bool:
    return any(f.kind == "links" and f.link_layer != key for f in spec.all_fields)


def _history(planner, registry, created) -> None:
    """One edit each, so history pages show hostile text before and after."""
    for key, ids in created.items():
        feature = db.session.get(store.Feature, ids[0])
        spec = registry[key]
        properties = dict(feature.properties)
        properties[spec.title_field] = PAYLOADS[-1]
        store.update(planner, feature, feature.version, None, properties, "published")


def _suggestions(city) -> list[int]:
    ids = []
    for title, description in zip(PAYLOADS[:3], PAYLOADS[3:6], strict=True):
        suggestion = moderation.PublicSuggestion(
            kind="need",
            title=title,
            category=vocabularies.terms("category")[0].key,
            description=description,
            unit=1,
        )
        ids.append(moderation.submit_public(city, suggestion).id)
    return ids


@pytest.fixture(scope="module", params=BACKENDS)
def payload_app(request, tmp_path_factory):
    """An app whose only city is full of hostile text; ids of what it holds."""
    app = make_app(_database_url(request.param, tmp_path_factory.mktemp("p"), "pwn"))
    with app.app_context():
        init_db()
        city, csv = _city()
        path = tmp_path_factory.mktemp("areas") / "areas.csv"
        path.write_text(csv, encoding="utf-8")
        cities.assign_service_areas(city, path)
        _users(city)
        _vocabulary_labels()
        planner = users.get_user_by_email(EMAILS["planner"])
        registry = app.extensions["webgis.layers"]
        created = _features(city, planner, registry)
        _history(planner, registry, created)
        app.config["PAYLOAD_IDS"] = {
            "features": created,
            "suggestions": _suggestions(city),
            "user": users.get_user_by_email(EMAILS["organiser"]).id,
        }
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def _client(app, role):
    client = app.test_client()
    if role != "anonymous":
        assert log_in(client, EMAILS[role], PASSWORD).status_code == 303
    return client


def _urls(app, rule) -> list[str]:
    """The rule's URLs for every value its variables can take in the payload city."""
    ids = app.config["PAYLOAD_IDS"]
    registry = app.extensions["webgis.layers"]
    features = [(k, i) for k, found in ids["features"].items() for i in found]
    services = [
        i for k, found in ids["features"].items() for i in found if registry[k].finder
    ]
    if rule.endpoint.startswith("moderation."):
        features = [("needs_resources", i) for i in ids["suggestions"]]
    values = {
        "city_code": [CITY],
        "area_code": ["A1", "A2"],
        "service_id": services,
        "user_id": [ids["user"]],
    }
    urls = []
    if "feature_id" in rule.arguments:
        pairs = [
            {"layer_key": key, "feature_id": i}
            if "layer_key" in rule.arguments
            else {"feature_id": i}
            for key, i in features
        ]
    elif "layer_key" in rule.arguments:
        pairs = [{"layer_key": key} for key in registry]
    else:
        pairs = [{}]
    others = [a for a in rule.arguments if a not in ("layer_key", "feature_id")]
    for pair in pairs:
        for combo in itertools.product(*(values[a] for a in others)):
            args = {**pair, **dict(zip(others, combo, strict=True))}
            urls.append(rule.build(args, append_unknown=False)[1])
    return urls


def _get_rules(app):
    return [
        r
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and r.endpoint not in NOT_HTML
    ]


def test_the_store_refuses_a_megabyte_in_any_text_field(payload_app):
    with payload_app.app_context():
        city = cities.get_city(CITY)
        planner = users.get_user_by_email(EMAILS["planner"])
        before = db.session.query(store.Feature).count()
        for spec in payload_app.extensions["webgis.layers"].values():
            for spec_field in spec.all_fields:
                if spec_field.kind not in ("text", "textarea"):
                    continue
                with pytest.raises(Invalid) as refused:
                    store.create(
                        planner,
                        city,
                        spec,
                        _square(0).centroid,
                        {
                            spec_field.name: HUGE,
                            "location_precision": "address",
                            **dict([spec_field.when] if spec_field.when else []),
                        },
                        "draft",
                    )
                assert spec_field.name in refused.value.errors
        assert db.session.query(store.Feature).count() == before


@pytest.mark.parametrize("role", ROLES)
def test_no_payload_becomes_markup_on_any_page(payload_app, role):
    client = _client(payload_app, role)
    rendered, found = set(), []
    for rule in _get_rules(payload_app):
        for url in _urls(payload_app, rule):
            for query in ("", _hostile_query(url)):
                response = client.get(url + query)
                assert response.status_code < 500, url + query
                if response.mimetype != "text/html":
                    continue
                if response.status_code == 200:
                    rendered.add(rule.endpoint)
                found += [
                    f"{url}{query[:20]}: {hit}"
                    for hit in injections(response.get_data(as_text=True))
                ]
    assert found == []
    # Every page this role may open was rendered with the payloads on it.
    assert rendered >= EXPECTED_PAGES[role], EXPECTED_PAGES[role] - rendered


def _hostile_query(url: str) -> str:
    payload = PAYLOADS[len(url) % len(PAYLOADS)]
    return "?" + "&".join(f"{name}={_quote(payload)}" for name in QUERY)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


PUBLIC_PAGES = {
    "main.index",
    "main.city_map",
    "main.service_area",
    "features.listing",
    "features.detail",
    "finder.index",
    "finder.service",
    "finder.kiosk",
    "finder.kiosk_service",
    "finder.embed",
    "finder.suggest",
    "auth.login",
}
STAFF_PAGES = PUBLIC_PAGES | {
    "features.new",
    "features.edit",
    "features.history",
    "auth.account",
    "auth.change_password",
    "moderation.queue",
    "moderation.suggestion",
}
EXPECTED_PAGES = {
    "anonymous": PUBLIC_PAGES,
    "organiser": STAFF_PAGES,
    "planner": STAFF_PAGES | {"analysis.page"},
    "admin": STAFF_PAGES
    | {
        "analysis.page",
        "admin.users",
        "admin.user",
        "admin.assignment",
        "admin.vocabulary_list",
        "admin.audit_log",
        "admin.embed_snippets",
    },
}


def test_every_html_page_is_in_the_payload_check(payload_app):
    """A new page must be added to the expected pages of the roles that see it."""
    everything = set().union(*EXPECTED_PAGES.values())
    assert {r.endpoint for r in _get_rules(payload_app)} == everything


# -- the same pages in Chromium, with the CSP switched off ---------------------------


@pytest.fixture(scope="module")
def live_payloads(payload_app):
    if payload_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the browser check runs once, on SQLite")
    server = make_server("127.0.0.1", 0, payload_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.mark.browser
def test_no_payload_runs_or_becomes_an_element_in_chromium(payload_app, live_payloads):
    from playwright.sync_api import sync_playwright

    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    ids = payload_app.config["PAYLOAD_IDS"]
    resource = ids["features"]["needs_resources"][1]
    centre = ids["features"]["day_centres"][0]
    pages = [
        (None, f"/{CITY}/map"),
        (None, f"/{CITY}/services"),
        (None, f"/{CITY}/services/{centre}"),
        (None, f"/{CITY}/layers/needs_resources/{resource}"),
        (None, f"/kiosk/{CITY}"),
        (None, f"/embed/{CITY}"),
        (None, f"/{CITY}/areas/A1"),
        ("organiser", f"/{CITY}/layers/needs_resources/new"),
        ("organiser", f"/moderation/{ids['suggestions'][0]}"),
        ("planner", f"/{CITY}/analysis"),
        ("admin", "/admin/users"),
    ]
    dialogs, found = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        for role, path in pages:
            context = browser.new_context(bypass_csp=True)
            page = context.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            if role:
                page.goto(f"{live_payloads}/login")
                page.fill("input[name=email]", EMAILS[role])
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
            page.goto(f"{live_payloads}{path}")
            page.wait_for_load_state("load")
            # Open every popup and tooltip the map builds, as a visitor would.
            page.evaluate(
                "() => document.querySelectorAll('.leaflet-interactive,"
                " .leaflet-marker-icon').forEach(e => e.dispatchEvent("
                "new MouseEvent('click', {bubbles: true})))"
            )
            page.wait_for_timeout(200)
            count = page.evaluate(
                "() => document.querySelectorAll('[data-pwn]').length"
            )
            if count:
                found.append((path, count))
            context.close()
        browser.close()
    assert dialogs == [] and found == []


def test_payload_city_data_was_really_hostile(payload_app):
    """The check is only as good as its data: the payloads are stored as typed."""
    with payload_app.app_context():
        city = cities.get_city(CITY)
        assert PAYLOADS[0] in {u.name for u in city.units}
        assert PAYLOADS[1] in {a.name for a in city.service_areas}
        stored = json.dumps(
            [f.properties for f in db.session.query(store.Feature)],
            ensure_ascii=False,
        )
        for payload in PAYLOADS:
            assert json.dumps(payload, ensure_ascii=False)[1:-1] in stored
