"""Hostile text in every writable field never becomes markup on any page.

A city of its own ("the payload city") is filled, through the same code paths people
and importers use, with hostile text: every text field of every registered layer,
suggestions, a user's name, vocabulary labels in three languages, unit and area names
from the importers, the city's own names. Then every page each role can open is
rendered and parsed: no payload may become an element or an attribute. The layers
come from the registry, so a new layer is covered without editing this test.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from urllib.parse import quote

import openpyxl
import pytest
import sqlalchemy as sa
from markupsafe import escape
from shapely.geometry import box

from tests.conftest import (
    BACKENDS,
    PASSWORD,
    WROCLAW_X,
    WROCLAW_Y,
    _database_url,
    csrf_token,
    log_in,
    make_app,
    served,
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
from webgis.features import moderation, organisations, store, vocabularies
from webgis.geography import cities
from webgis.geography.boundaries import prepare_units

CITY = "testowo"
#: The layer the hostile files are imported into.
IMPORTED = "day_centres"
#: A hostile file name as a browser sends it: no quotes (they become %22), no folders.
FILE_NAME = "<img src=x onerror=alert(1) data-pwn>"
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
    "features.api_item",
    "features.api_schema",
    # The city map's features in view (GeoJSON); their popups are HTML, checked.
    "main.layer_in_view",
    "api.units",
    "api.service_areas",
    "api.cities",
    "api.openapi_document",
    "site.robots",
    "site.sitemap",
    "imports.template",
    # Open Referral HSDS answers JSON, and its data package is a zip of CSV files.
    "hsds.about",
    "hsds.services",
    "hsds.service",
    "hsds.organization_list",
    "hsds.organization",
    "hsds.taxonomy_list",
    "hsds.taxonomy",
    "hsds.taxonomy_term_list",
    "hsds.taxonomy_term",
    "hsds.service_at_location_list",
    "hsds.service_at_location",
    "hsds.datapackage",
    # Health checks answer JSON (and read no query).
    "health.healthz",
    "health.readyz",
    # The forms' address lookups answer JSON (staff only).
    "addresses.geocode",
    "addresses.reverse",
}
#: What a browser asks for: the OGC API answers it with pages instead of JSON.
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
#: The OGC API's own parameters; it refuses any other, so each is sent on its own.
OGC_QUERY = ("limit", "offset", "bbox", "datetime")
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
    "layer",
    "part",
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


def _status_tokens() -> list[str]:
    """The residents' links to their suggestions' status pages."""
    found = db.session.scalars(
        sa.select(store.Feature.status_token).where(
            store.Feature.status_token.is_not(None)
        )
    )
    return list(found)


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
    # The last one rejected with a hostile reason, which its status page shows.
    admin = users.get_user_by_email(EMAILS["admin"])
    moderation.reject(admin, db.session.get(store.Feature, ids[-1]), PAYLOADS[6])
    return ids


def _public_organisations(registry) -> list[int]:
    """The organisations the features name that have a public page."""
    return [
        organisation.id
        for organisation, _count in organisations.listing()
        if organisations.public_mentions(organisation, registry, first=True)
    ]


def _collections(app) -> dict[str, dict[str, list]]:
    """Each OGC collection: a few of its item ids and the text properties it filters.

    Read through the API itself, as a GIS client would.
    """
    client = app.test_client()
    found = {}
    for collection in client.get("/ogc/collections?f=json").get_json()["collections"]:
        url = f"/ogc/collections/{collection['id']}"
        items = client.get(f"{url}/items?f=json&limit=3").get_json()["features"]
        queryables = client.get(f"{url}/queryables?f=json").get_json()["properties"]
        found[collection["id"]] = {
            "items": [item["id"] for item in items],
            "texts": [n for n, s in queryables.items() if s.get("type") == "string"],
        }
    return found


def _duplicate(registry, created) -> tuple[str, float, float]:
    """Title and place of a stored day centre: a row like it is a duplicate."""
    spec = registry[IMPORTED]
    feature = db.session.get(store.Feature, created[IMPORTED][0])
    return feature.title_for(spec), feature.geometry.x, feature.geometry.y


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
            "status_tokens": _status_tokens(),
            "user": users.get_user_by_email(EMAILS["organiser"]).id,
            "organisations": _public_organisations(registry),
            "duplicate": _duplicate(registry, created),
        }
        app.config["PAYLOAD_IDS"]["collections"] = _collections(app)
        db.session.remove()
    # Files uploaded to the import wizard wait in a folder of this test's own.
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    yield app
    with app.app_context():
        db.engine.dispose()


def _client(app, role):
    client = app.test_client()
    if role != "anonymous":
        assert log_in(client, EMAILS[role], PASSWORD).status_code == 303
    return client


def _uploads(app, client) -> tuple[list[str], list[str]]:
    """Hostile files uploaded by the client's person: tokens, and payloads that hit.

    A CSV and an XLSX go on to the preview (their tokens are returned): the file
    name, the column names, the sheet names and the cells are payloads; the rows
    are a duplicate of a stored centre (its hostile title is listed), a new centre
    (shown as it will be saved) and one whose type is a payload (the problem names
    it). A file of a kind nobody reads is refused, naming it on the upload page.
    """
    title, x, y = app.config["PAYLOAD_IDS"]["duplicate"]
    rows = [
        ["name", "facility_type", "operator", "lon", "lat", *PAYLOADS],
        [title, "ddp", PAYLOADS[3], x, y, *PAYLOADS],
        [PAYLOADS[0], "ddp", PAYLOADS[2], x, y, *PAYLOADS[::-1]],
        [PAYLOADS[9], PAYLOADS[1], PAYLOADS[4], x, y, *PAYLOADS],
    ]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    book = openpyxl.Workbook()
    book.remove(book.active)
    # Sheet names are short and may not hold a slash, ?, *, : or brackets.
    for name in (PAYLOADS[5], PAYLOADS[6], PAYLOADS[7]):
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook = io.BytesIO()
    book.save(workbook)
    files = [
        (text.getvalue().encode(), ".csv", 303),
        (workbook.getvalue(), ".xlsx", 303),
        (b"x", ".doc", 422),
    ]
    tokens, found = [], []
    for data, suffix, status in files:
        url = f"/{CITY}/import/"
        sent = client.post(
            url,
            data={
                "csrf_token": csrf_token(client, url),
                "layer": IMPORTED,
                "file": (io.BytesIO(data), FILE_NAME + suffix),
            },
        )
        assert sent.status_code == status, sent.get_data(as_text=True)
        if status == 303:
            tokens.append(sent.location.rstrip("/").rsplit("/", 1)[1])
        found += [
            f"upload {suffix}: {hit}" for hit in injections(sent.get_data(as_text=True))
        ]
    return tokens, found


def _urls(app, rule, tokens=()) -> list[str]:
    """The rule's URLs for every value its variables can take in the payload city.

    ``tokens`` are the uploads the signed-in person may preview.
    """
    ids = app.config["PAYLOAD_IDS"]
    collections = ids["collections"]
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
        "organisation_id": ids["organisations"],
        # Someone else's or no upload: the person is sent away before it matters.
        "token": list(tokens) or ["0" * 32],
        "collection_id": list(collections),
    }
    if rule.endpoint == "finder.suggestion_status":
        values["token"] = ids["status_tokens"]  # the residents' links
    urls = []
    if "item_id" in rule.arguments:
        pairs = [
            {"collection_id": collection, "item_id": item}
            for collection, found in collections.items()
            for item in found["items"]
        ]
    elif "feature_id" in rule.arguments:
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
    paired = ("layer_key", "feature_id", "item_id") + (
        ("collection_id",) if "item_id" in rule.arguments else ()
    )
    others = [a for a in rule.arguments if a not in paired]
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
    tokens, found = _uploads(payload_app, client) if role != "anonymous" else ([], [])
    rendered = set()
    for rule in _get_rules(payload_app):
        for url in _urls(payload_app, rule, tokens):
            for query in ("", *_hostile_queries(payload_app, rule, url)):
                response = client.get(url + query, headers=BROWSER)
                assert response.status_code < 500, url + query
                if response.mimetype != "text/html":
                    continue
                if response.status_code == 200:
                    rendered.add(rule.endpoint)
                found += [
                    f"{url}{query[:20]}: {hit}"
                    for hit in injections(response.get_data(as_text=True))
                ]
    assert found == [], "\n".join(found)
    # Every page this role may open was rendered with the payloads on it.
    assert rendered >= EXPECTED_PAGES[role], EXPECTED_PAGES[role] - rendered


def _hostile_queries(app, rule, url: str) -> list[str]:
    """Query strings full of payloads: the names the pages read, or the OGC API's.

    The OGC API refuses a parameter it does not know, naming it, so its pages get a
    payload as a name, and each of its own parameters alone.
    """
    payload = _quote(PAYLOADS[len(url) % len(PAYLOADS)])
    if not rule.endpoint.startswith("ogc."):
        return ["?" + "&".join(f"{name}={payload}" for name in QUERY)]
    queries = [f"?f=html&{payload}=1"]
    if rule.endpoint == "ogc.items":
        collection = app.config["PAYLOAD_IDS"]["collections"][
            url.split("/collections/")[1].split("/")[0]
        ]
        # Filtered by the payloads it holds, one to a page: links to the next one.
        texts = [f"&{name}={payload}" for name in collection["texts"]]
        queries.append("?f=html&limit=1" + "".join(texts))
        queries += [f"?f=html&{name}={payload}" for name in OGC_QUERY]
    return queries


def _quote(text: str) -> str:
    return quote(text, safe="")


PUBLIC_PAGES = {
    "main.index",
    "main.city_map",
    "main.map_popup",
    "main.service_area",
    "features.listing",
    "features.detail",
    "finder.index",
    "finder.service",
    "finder.kiosk",
    "finder.kiosk_service",
    "finder.embed",
    "finder.suggest",
    "finder.suggestion_status",
    "auth.login",
    "api.index",
    "organisations.page",
    "ogc.landing",
    "ogc.api",
    "ogc.conformance",
    "ogc.collections",
    "ogc.collection",
    "ogc.queryables",
    "ogc.schema",
    "ogc.items",
    "ogc.item",
}
STAFF_PAGES = PUBLIC_PAGES | {
    "imports.upload",
    "imports.preview",
    "features.new",
    "features.edit",
    "features.history",
    "auth.account",
    "auth.change_password",
    "moderation.queue",
    "moderation.suggestion",
    "home.home",
    "report.area_report",
}
EXPECTED_PAGES = {
    "anonymous": PUBLIC_PAGES,
    "organiser": STAFF_PAGES,
    "planner": STAFF_PAGES | {"analysis.page", "report.city_report"},
    "admin": STAFF_PAGES
    | {
        "analysis.page",
        "report.city_report",
        "admin.users",
        "admin.user",
        "admin.assignment",
        "admin.vocabulary_list",
        "admin.audit_log",
        "admin.embed_snippets",
        "organisations.admin_list",
        "organisations.admin_edit",
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
    with served(payload_app) as url:
        yield url


@pytest.mark.browser
def test_no_payload_runs_or_becomes_an_element_in_chromium(payload_app, live_payloads):
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

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


def test_the_import_preview_really_shows_the_hostile_files(payload_app):
    """The preview check is only as good as its files: their payloads are on it."""
    client = _client(payload_app, "planner")
    (csv_token, xlsx_token), _found = _uploads(payload_app, client)
    title = payload_app.config["PAYLOAD_IDS"]["duplicate"][0]
    pages = {
        token: client.get(f"/{CITY}/import/{token}").get_data(as_text=True)
        for token in (csv_token, xlsx_token)
    }
    for page in pages.values():
        for shown in (FILE_NAME, title, *PAYLOADS):
            assert str(escape(shown)) in page, shown
    # The sheets to choose from, each an option of the list.
    for sheet in PAYLOADS[5:8]:
        assert f'<option value="{escape(sheet)}"' in pages[xlsx_token]


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
