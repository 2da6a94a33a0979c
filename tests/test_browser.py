"""What a person sees in headless Chromium, offline: maps drawn, no script errors."""

import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import BOUNDARIES_DIR, make_app
from webgis.demo import load_demo
from webgis.extensions import db

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    """The demo served on a free local port by a real WSGI server."""
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite'}")
    with app.app_context():
        load_demo(BOUNDARIES_DIR)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page that records uncaught script errors in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def test_wroclaw_map_draws_ten_service_areas_offline(page, live_url):
    page.goto(f"{live_url}/wroclaw/map")
    expect(page.locator("path.service-area")).to_have_count(10)
    expect(page.locator(".area-label", has_text="ZTPS-7")).to_have_count(1)
    expect(page.locator(".legend li")).to_have_count(10)
    assert page.errors == []


def test_units_layer_can_be_switched_on(page, live_url):
    page.goto(f"{live_url}/wroclaw/map")
    page.locator("path.service-area").first.wait_for()
    assert page.locator("path.unit").count() == 0
    page.get_by_label("osiedla").check()
    expect(page.locator("path.unit")).to_have_count(48)
    page.get_by_label("ZTPS").uncheck()
    expect(page.locator("path.service-area")).to_have_count(0)
    assert page.errors == []


def test_hovering_an_area_shows_its_name_and_residents(page, live_url):
    page.goto(f"{live_url}/krakow/map")
    expect(page.locator("path.service-area")).to_have_count(9)
    page.locator(".area-label", has_text="F6").wait_for(state="attached")
    box = page.locator(".area-label", has_text="F6").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] + 12)
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_contain_text("Filia nr 6")
    expect(tooltip).to_contain_text("Mieszkańcy: 60\u00a0350")
    assert page.errors == []


def test_from_home_to_an_area_page(page, live_url):
    page.goto(live_url)
    page.get_by_role("link", name="Kraków").click()
    page.get_by_role("link", name="Filia nr 4").click()
    page.wait_for_url("**/krakow/areas/F4")
    expect(page.get_by_role("heading", name="Filia nr 4")).to_be_visible()
    expect(page.get_by_role("cell", name="Nowa Huta")).to_be_visible()
    expect(page.locator("path.service-area")).to_have_count(1)
    expect(page.locator("path.unit")).to_have_count(1)
    assert page.errors == []


def test_language_switch_in_the_browser(page, live_url):
    page.goto(f"{live_url}/wroclaw/map")
    page.get_by_role("link", name="Українська").click()
    expect(page.get_by_role("heading", name="Легенда")).to_be_visible()
    expect(page.locator("path.service-area")).to_have_count(10)
    assert page.errors == []


def test_not_found_page_in_the_browser(page, live_url):
    response = page.goto(f"{live_url}/gdansk/map")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Nie znaleziono")).to_be_visible()
    expect(page.get_by_text("Nie ma miasta „gdansk”.")).to_be_visible()
