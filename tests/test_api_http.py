"""The public API over HTTP, as other programs and sites meet it.

Other sites may read it, it travels compressed, a client's cached version is
answered with 304, and search engines get a map of the public pages.
"""

from __future__ import annotations

import gzip
import itertools
import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import brotli
import pytest
from flask import Response, stream_with_context
from werkzeug.http import parse_date

from tests.conftest import (
    BACKENDS,
    NADODRZE,
    STAFF,
    _database_url,
    client_as,
    demo_database,
    make_app,
    new_feature,
    served,
    two_units,
)
from webgis.accounts import users
from webgis.core.extensions import db
from webgis.database import init_db
from webgis.features import store
from webgis.features.models import Feature
from webgis.finder import search
from webgis.geography import cities
from webgis.geography.boundaries import prepare_units
from webgis.web.views import api, site

OTHER_SITE = "https://other-site.example"
FINDER_LAYER = "day_centres"


def _from_other_site(client, url, method="GET", **headers):
    return client.open(url, method=method, headers={"Origin": OTHER_SITE, **headers})


def _preflight(client, url, method="GET"):
    return _from_other_site(
        client,
        url,
        "OPTIONS",
        **{
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )


# -- CORS: public reads only -----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/cities",
        "/api/wroclaw/units",
        "/api/wroclaw/service-areas",
        f"/api/wroclaw/layers/{FINDER_LAYER}",
        "/api/openapi.json",
        f"/wroclaw/layers/{FINDER_LAYER}/export.geojson",
    ],
)
def test_another_site_may_read_the_public_data(client, url):
    response = _from_other_site(client, url)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    # Not a safelisted header: scripts of other sites may read it only when exposed.
    assert "ETag" in response.headers.get("Access-Control-Expose-Headers", "")
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_preflight_for_reading_the_api_is_allowed(client):
    response = _preflight(client, "/api/wroclaw/units")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    allowed = response.headers["Access-Control-Allow-Methods"]
    assert "GET" in allowed and "POST" not in allowed
    assert "if-none-match" in response.headers["Access-Control-Allow-Headers"].lower()


def test_ogc_and_hsds_routes_are_shared_too(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'cors.sqlite'}")
    for prefix in ("ogc", "hsds"):
        app.add_url_rule(
            f"/{prefix}/cors-probe", f"{prefix}_probe", lambda: {"ok": True}
        )
    client = app.test_client()
    for prefix in ("ogc", "hsds"):
        response = _from_other_site(client, f"/{prefix}/cors-probe")
        assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "url", ["/admin/users", "/login", "/account", "/moderation/", "/wroclaw/map"]
)
def test_staff_pages_and_forms_are_not_shared_with_other_sites(client, url):
    for response in (_from_other_site(client, url), _preflight(client, url)):
        assert not any(h.startswith("Access-Control-") for h in response.headers.keys())


@pytest.mark.parametrize("url", ["/login", "/api/cities", "/api/wroclaw/units"])
def test_no_post_is_shared_with_other_sites(client, url):
    posted = _from_other_site(client, url, "POST", **{"Content-Type": "text/plain"})
    preflight = _preflight(client, url, "POST")
    for response in (posted, preflight):
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Allow-Methods" not in response.headers


# -- compression -----------------------------------------------------------------------


def test_units_travel_gzipped_and_much_smaller(client):
    plain = client.get("/api/wroclaw/units")
    zipped = client.get("/api/wroclaw/units", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    print(f"/api/wroclaw/units: {len(plain.data)} bytes, gzip {len(zipped.data)}")
    assert len(zipped.data) < len(plain.data) / 3


def test_browsers_that_accept_brotli_get_brotli(client):
    accept = {"Accept-Encoding": "gzip, deflate, br"}
    response = client.get("/api/wroclaw/units", headers=accept)
    assert response.headers["Content-Encoding"] == "br"
    plain = client.get("/api/wroclaw/units").data
    assert brotli.decompress(response.data) == plain
    print(f"/api/wroclaw/units: {len(plain)} bytes, brotli {len(response.data)}")


def test_answers_below_the_minimum_size_are_sent_as_they_are(client):
    response = client.get("/api/cities", headers={"Accept-Encoding": "gzip"})
    assert len(response.data) < 1024
    assert "Content-Encoding" not in response.headers


def _nonce(response) -> str:
    return re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]


def test_a_compressed_page_keeps_its_own_csp_nonce(client):
    nonces = []
    for _ in range(2):
        response = client.get("/wroclaw/services", headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip"
        page = gzip.decompress(response.data).decode()
        nonce = _nonce(response)
        scripts = re.findall(r'<script[^>]* nonce="([^"]+)"', page)
        assert scripts and set(scripts) == {nonce}
        nonces.append(nonce)
    # Nothing compressed is kept and served again: each page has a fresh nonce.
    assert nonces[0] != nonces[1]


@pytest.mark.parametrize(
    "path", ["/wroclaw/map", "/krakow/map", "/wroclaw/suggest", "/wroclaw/areas/ZTPS-1"]
)
def test_a_map_kept_between_pages_gets_each_page_its_own_nonce(client, path):
    # These maps are drawn once per version of the boundaries and kept; only the
    # nonce is the page's own, or the policy would block the map (or let a
    # script of another page's run).
    nonces = []
    for _ in range(2):
        response = client.get(path)
        nonce = _nonce(response)
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text)
        assert len(inline) >= 2
        assert all(f'nonce="{nonce}"' in attributes for attributes in inline)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_a_kept_city_map_speaks_the_readers_language(client):
    names = {
        "pl": "Plac\\u00f3wki wsparcia",
        "en": "Support facilities",
    }
    for lang, name in [*names.items(), *names.items()]:
        page = client.get(f"/wroclaw/map?lang={lang}").text
        assert name in page
        assert all(other not in page for other in names.values() if other != name)


def test_a_streamed_download_is_sent_as_it_is(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'stream.sqlite'}")
    chunks = [b'{"features": [', b"0" * 4000, b"]}"]

    @app.get("/stream-probe")
    def stream_probe():
        return Response(stream_with_context(iter(chunks)), mimetype="application/json")

    response = app.test_client().get(
        "/stream-probe", headers={"Accept-Encoding": "gzip, br"}
    )
    assert "Content-Encoding" not in response.headers
    assert response.data == b"".join(chunks)


def test_an_export_download_stays_a_readable_file(client):
    response = client.get(
        f"/wroclaw/layers/{FINDER_LAYER}/export.csv",
        headers={"Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.headers["Content-Disposition"].startswith("attachment")


# -- conditional GET -------------------------------------------------------------------

GEOJSON_URLS = [
    "/api/wroclaw/units",
    "/api/wroclaw/service-areas",
    f"/api/wroclaw/layers/{FINDER_LAYER}",
]


@pytest.fixture
def settled_at_once(monkeypatch):
    """Send Last-Modified even for changes made a moment ago (the fixtures' data)."""
    monkeypatch.setattr(api, "SETTLED_AFTER", timedelta(0))


@pytest.mark.parametrize("url", GEOJSON_URLS)
def test_an_unchanged_geojson_answers_304_to_its_etag(client, url):
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    # The same version compressed has the same (weak) tag.
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["ETag"] == etag


@pytest.mark.parametrize("url", GEOJSON_URLS)
def test_an_unchanged_geojson_answers_304_to_its_date(client, url, settled_at_once):
    last_modified = client.get(url).headers["Last-Modified"]
    again = client.get(url, headers={"If-Modified-Since": last_modified})
    assert again.status_code == 304


@pytest.mark.parametrize("url", GEOJSON_URLS)
def test_a_stale_etag_or_an_old_date_gets_the_whole_answer(client, url):
    old_date = "Sat, 01 Jan 2000 00:00:00 GMT"
    for headers in ({"If-None-Match": 'W/"stale"'}, {"If-Modified-Since": old_date}):
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert response.get_json(force=True)["type"] == "FeatureCollection"


def _etag(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.headers["ETag"]


def _retitle(app, feature_id: int, title: str) -> None:
    with app.app_context():
        feature = db.session.get(Feature, feature_id)
        spec = app.extensions["webgis.layers"][feature.layer]
        planner = users.get_user_by_email(STAFF["planner"][0])
        properties = {**feature.properties, spec.title_field: title}
        store.update(
            planner, feature, feature.version, None, properties, feature.status
        )


def test_changing_a_feature_changes_the_etag_of_its_layer_only(staff_app):
    client = staff_app.test_client()
    feature_id, _revision = new_feature(staff_app, FINDER_LAYER)
    mine = f"/api/wroclaw/layers/{FINDER_LAYER}"
    others = [
        f"/api/wroclaw/layers/{key}"
        for key in staff_app.extensions["webgis.layers"]
        if key != FINDER_LAYER
    ]
    before, others_before = _etag(client, mine), [_etag(client, u) for u in others]
    _retitle(staff_app, feature_id, "Przemianowana placówka")
    after = _etag(client, mine)
    assert after != before
    assert [_etag(client, u) for u in others] == others_before
    # A client holding the old version gets the new one, with the new title.
    response = client.get(mine, headers={"If-None-Match": before})
    assert response.status_code == 200
    title = staff_app.extensions["webgis.layers"][FINDER_LAYER].title_field
    changed = next(f for f in response.get_json()["features"] if f["id"] == feature_id)
    assert changed["properties"][title] == "Przemianowana placówka"


def test_a_new_draft_changes_the_staff_etag(staff_app):
    staff = client_as(staff_app, "planner")
    url = f"/api/wroclaw/layers/{FINDER_LAYER}"
    before = _etag(staff, url)
    feature_id, _revision = new_feature(staff_app, FINDER_LAYER, status="draft")
    response = staff.get(url, headers={"If-None-Match": before})
    assert response.status_code == 200
    assert feature_id in [f["id"] for f in response.get_json()["features"]]


def test_staff_and_the_public_hold_different_versions(staff_app):
    url = f"/api/wroclaw/layers/{FINDER_LAYER}"
    public = staff_app.test_client().get(url)
    staff = client_as(staff_app, "planner").get(url)
    assert public.headers["ETag"] != staff.headers["ETag"]
    # Staff see drafts: no shared cache may keep their answer.
    assert "private" in staff.headers["Cache-Control"]
    assert "public" in public.headers["Cache-Control"]
    assert "Cookie" in staff.headers["Vary"]
    # The public's tag does not open the staff's version, nor the other way round.
    again = client_as(staff_app, "planner").get(
        url, headers={"If-None-Match": public.headers["ETag"]}
    )
    assert again.status_code == 200


def test_a_304_for_a_layer_is_decided_without_reading_its_features(client, monkeypatch):
    url = f"/api/wroclaw/layers/{FINDER_LAYER}"
    etag = client.get(url).headers["ETag"]

    def no_reading(*_args, **_kwargs):
        raise AssertionError("the features were read for a 304")

    monkeypatch.setattr(store, "visible", no_reading)
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


NOW = datetime(2024, 5, 1, 12, 0, 0)


@pytest.mark.parametrize(
    ("changed_at", "expected"),
    [
        (None, False),
        (NOW.date(), False),  # a day is not a time
        (NOW - timedelta(seconds=0.5), False),  # another change may follow this second
        (NOW + timedelta(seconds=5), False),  # a clock ahead of this one
        (NOW - timedelta(seconds=1), True),
        (NOW - timedelta(days=30), True),
    ],
)
def test_only_settled_changes_are_sent_as_last_modified(changed_at, expected):
    assert api.settled(changed_at, NOW) is expected


@pytest.fixture
def ticking_clock(monkeypatch):
    """A clock that moves ten seconds each time the API reads it."""
    ticks = itertools.count()
    start = datetime(2024, 5, 1, 12, 0, 0)
    monkeypatch.setattr(api, "_utc_now", lambda: start + 10 * next(ticks) * SECOND)


SECOND = timedelta(seconds=1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_units_etag_and_date_follow_a_new_boundary_import(
    backend, tmp_path, ticking_clock
):
    app = make_app(_database_url(backend, tmp_path, "units_etag"))
    with app.app_context():
        init_db()
        city = cities.add_city("testowo", "Testowo", "osiedla", "ZTPS")
        cities.replace_units(city, prepare_units(two_units()))
        db.session.remove()
    client = app.test_client()
    first = client.get("/api/testowo/units")
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    unchanged = client.get("/api/testowo/units", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    same_date = client.get(
        "/api/testowo/units", headers={"If-Modified-Since": last_modified}
    )
    assert same_date.status_code == 304
    with app.app_context():
        city = cities.get_city("testowo")
        cities.replace_units(city, prepare_units(two_units(population=[1500, 3000])))
        db.session.remove()
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": last_modified}):
        changed = client.get("/api/testowo/units", headers=headers)
        assert changed.status_code == 200
        assert changed.headers["ETag"] != etag
        assert parse_date(changed.headers["Last-Modified"]) > parse_date(last_modified)
        features = changed.get_json()["features"]
        assert [f["properties"]["population"] for f in features] == [1500, 3000]
    with app.app_context():
        db.engine.dispose()


def test_unknown_city_is_still_a_json_404(client):
    response = client.get("/api/atlantyda/units", headers={"If-None-Match": "*"})
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


# -- robots.txt and the sitemap --------------------------------------------------------


def test_robots_txt_keeps_crawlers_out_of_staff_pages_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines
    for path in ("/admin/", "/moderation/", "/account", "/login", "/*status=draft"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    # Public pages stay open: nothing disallows a city's pages or the API.
    assert "Disallow: /" not in lines
    assert not [line for line in lines if line.startswith("Disallow: /api")]


def _sitemap(client, path="/sitemap.xml") -> dict[str, str | None]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.fromstring(response.data)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    return {
        url.findtext("s:loc", namespaces=ns): url.findtext("s:lastmod", namespaces=ns)
        for url in root.findall("s:url", ns)
    }


def test_sitemap_lists_every_public_service_with_its_last_change(demo_app):
    entries = _sitemap(demo_app.test_client())
    with demo_app.app_context():
        registry = demo_app.extensions["webgis.layers"]
        for code in ("wroclaw", "krakow"):
            services = search.services(cities.get_city(code), registry)
            assert services
            for service in services:
                url = f"http://localhost/{code}/services/{service.id}"
                assert entries[url] == service.updated_at.date().isoformat()
            assert f"http://localhost/{code}/map" in entries
            assert f"http://localhost/{code}/services" in entries
    services_in_map = [u for u in entries if "/services/" in u]
    assert len(services_in_map) == len(set(services_in_map))


def test_sitemap_leaves_out_drafts(staff_app):
    draft_id, _revision = new_feature(staff_app, FINDER_LAYER, status="draft")
    published_id, _revision = new_feature(staff_app, FINDER_LAYER, point=NADODRZE)
    entries = _sitemap(staff_app.test_client())
    assert f"http://localhost/wroclaw/services/{published_id}" in entries
    assert f"http://localhost/wroclaw/services/{draft_id}" not in entries


def test_a_sitemap_past_the_protocols_limit_becomes_an_index_of_pages(
    demo_app, monkeypatch
):
    client = demo_app.test_client()
    everything = _sitemap(client)
    monkeypatch.setattr(site, "MOST_URLS", 4)
    root = ElementTree.fromstring(client.get("/sitemap.xml").data)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    pages = [loc.text for loc in root.findall("s:sitemap/s:loc", ns)]
    assert len(pages) == -(-len(everything) // 4)
    found = {}
    for page in pages:
        entries = _sitemap(client, page.removeprefix("http://localhost"))
        assert 1 <= len(entries) <= 4
        found |= entries
    assert found == everything
    assert client.get(f"/sitemap.xml?page={len(pages) + 1}").status_code == 404
    assert client.get("/sitemap.xml?page=0").status_code == 404
    assert client.get("/sitemap.xml?page=%C2%B2").status_code == 404


# -- in a browser: another site's page reads the API -----------------------------------


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    """The demo served on a free port by a real WSGI server."""
    app = demo_database("sqlite", tmp_path_factory.mktemp("cors"), "cors")
    with served(app) as url:
        yield url


READ = """async (url) => {
  try {
    const response = await fetch(url, {headers: {"If-None-Match": "W/\\"x\\""}});
    return {status: response.status, etag: response.headers.get("ETag")};
  } catch (error) {
    return {error: String(error)};
  }
}"""


def _blank_page(_environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html")])
    return [b"<!doctype html><title>elsewhere</title>"]


@pytest.fixture(scope="module")
def other_site():
    """Another origin on this machine (another port) serving an empty page."""
    with served(_blank_page) as url:
        yield url


@pytest.mark.browser
def test_a_page_of_another_site_reads_the_api_but_not_staff_pages(
    browser, live_url, other_site
):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{other_site}/")
    units = page.evaluate(READ, f"{live_url}/api/wroclaw/units")
    assert units.get("status") == 200, units
    assert units["etag"].startswith('W/"')
    admin = page.evaluate(READ, f"{live_url}/admin/users")
    assert "error" in admin
    context.close()


@pytest.mark.browser
def test_api_page_in_the_browser_leads_to_the_openapi_document(browser, live_url):
    from tests.accessibility import run_axe

    # axe is injected inline, which the page's CSP rightly forbids to other scripts.
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_url}/api/")
    assert page.locator("h1").inner_text() == "Publiczne API"
    # On a phone the longest path still fits: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert run_axe(page) == []
    page.get_by_role("link", name="Dokument OpenAPI 3.0 (JSON)").click()
    page.wait_for_url("**/api/openapi.json")
    assert '"openapi"' in page.content()
    assert errors == []
    context.close()


def test_now_is_utc_for_settled_changes():
    """Feature times are naive UTC; a change two seconds ago has settled."""
    changed = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=2)
    assert api.settled(changed)
