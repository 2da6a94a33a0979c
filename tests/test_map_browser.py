"""The city map in Chromium with many features and no background tiles at all."""

import pytest
from playwright.sync_api import expect
from shapely.geometry import Point

from tests import test_browser
from tests.conftest import NADODRZE, demo_database, served, valid_form

pytestmark = pytest.mark.browser

# The Chromium fixtures of the other browser tests (script errors recorded).
page = test_browser.page

#: More than the map sends one by one (webgis.web.views.main.SINGLE_FEATURES).
CROWD = 400


@pytest.fixture(scope="module")
def crowded_url(tmp_path_factory):
    """The demo plus a crowd of centres around Nadodrze, served with tiles off."""
    from webgis.features import store
    from webgis.geography import cities

    app = demo_database("sqlite", tmp_path_factory.mktemp("crowd"), "crowd")
    app.config["WEBGIS_TILES_URL"] = ""  # documented as "empty for none"
    with app.app_context():
        spec = app.extensions["webgis.layers"]["day_centres"]
        rows = []
        for number in range(CROWD):
            point = Point(
                NADODRZE.x + (number % 20) * 0.0015, NADODRZE.y + (number // 20) * 0.001
            )
            values = {**valid_form(spec, point), "name": f"Tłum {number}"}
            values = {
                f.name: values[f.name] for f in spec.all_fields if f.name in values
            }
            rows.append(store.Row(point, values, "published"))
        store.save_many(None, cities.get_city("wroclaw"), spec, rows)
    with served(app) as url:
        yield url


def zoom(page) -> int:
    return page.evaluate(
        "() => window[document.querySelector('.folium-map').id].getZoom()"
    )


def test_without_tiles_the_map_frames_the_city_and_groups_the_crowd(page, crowded_url):
    response = page.goto(f"{crowded_url}/wroclaw/map")
    assert len(response.body()) < 300_000
    expect(page.locator("path.service-area")).to_have_count(10)
    assert zoom(page) >= 10  # framed on the city, not left at the world's zoom 1
    # Without a tile layer to say how far one may zoom, the map says it itself.
    assert (
        page.evaluate(
            "() => window[document.querySelector('.folium-map').id].getMaxZoom()"
        )
        == 19
    )
    # More centres in view than are sent one by one: they come as groups.
    groups = page.locator(".feature-group.feature-day_centres")
    expect(groups.first).to_be_visible()
    counts = [int(text) for text in groups.all_inner_texts()]
    assert sum(counts) <= CROWD + 20 and max(counts) > 1
    before = zoom(page)
    biggest = groups.nth(counts.index(max(counts)))
    biggest.dispatch_event("click")  # a group zooms to its features
    page.wait_for_function(
        f"() => window[document.querySelector('.folium-map').id].getZoom() > {before}"
    )
    assert page.errors == []


def test_zoomed_in_the_features_come_one_by_one_with_their_popups(page, crowded_url):
    page.goto(f"{crowded_url}/wroclaw/map")
    expect(page.locator("path.service-area")).to_have_count(10)
    page.evaluate(
        "([lat, lon]) => window[document.querySelector('.folium-map').id]"
        ".setView([lat, lon], 18)",
        [NADODRZE.y, NADODRZE.x],
    )
    marker = page.locator('.leaflet-marker-icon[title="Tłum 0"]')
    expect(marker).to_have_count(1)
    expect(page.locator(".feature-group.feature-day_centres")).to_have_count(0)
    marker.dispatch_event("click")
    expect(page.locator(".leaflet-popup-content")).to_contain_text("Tłum 0")
    # Switched off, the layer asks for nothing and shows nothing.
    page.get_by_label("Placówki wsparcia").uncheck()
    expect(page.locator('.leaflet-marker-icon[title="Tłum 0"]')).to_have_count(0)
    assert page.errors == []


def test_the_map_asks_only_for_the_city_it_shows(page, crowded_url):
    # The layers used to ask for the whole world before the map was framed on the
    # city, and then again for the city: twice the server's work for each layer.
    asked = []
    page.on(
        "request",
        lambda request: (
            asked.append(request.url) if "/map/layers/" in request.url else None
        ),
    )
    page.goto(f"{crowded_url}/wroclaw/map")
    expect(page.locator(".feature-group.feature-day_centres").first).to_be_visible()
    boxes = [url.split("bbox=")[1].split("&")[0].split(",") for url in asked]
    assert boxes and all(16.5 < float(west) < 17.2 for west, *_rest in boxes)
    assert len([url for url in asked if "/day_centres?" in url]) == 1
    assert page.errors == []
