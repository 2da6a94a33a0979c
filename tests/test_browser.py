"""What a person sees in headless Chromium, offline: maps drawn, no script errors."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import NADODRZE, PASSWORD, STAFF, demo_database, served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The demo, with staff accounts, served on a free port by a real WSGI server."""
    app = demo_database("sqlite", tmp_path_factory.mktemp("live"), "live", staff=True)
    with served(app) as url:
        app.config["LIVE_URL"] = url
        yield app


@pytest.fixture
def live_url(live_app):
    """The address of the live demo server."""
    return live_app.config["LIVE_URL"]


@pytest.fixture
def page(browser):
    """A fresh page that records uncaught script errors in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    # Console errors include Content-Security-Policy violations; failed tile loads
    # (no internet here) are expected and not the page's fault.
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and "Failed to load resource" not in msg.text
            and page.errors.append(msg.text)
        ),
    )
    yield page
    context.close()


def test_wroclaw_map_draws_ten_service_areas_offline(page, live_url):
    page.goto(f"{live_url}/wroclaw/map")
    expect(page.locator("path.service-area")).to_have_count(10)
    expect(page.locator(".area-label", has_text="ZTPS-7")).to_have_count(1)
    expect(page.locator('ul[aria-labelledby="legend-title"] li')).to_have_count(10)
    expect(page.locator('ul[aria-labelledby="layers-title"] li')).to_have_count(4)
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
    for layer in (
        "Placówki wsparcia",
        "Zasoby i potrzeby",
        "Programy aktywności lokalnej",
        "Partnerstwa lokalne",
    ):
        page.get_by_label(layer).uncheck()
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


def log_in(page, live_url, who):
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill(STAFF[who][0])
    page.get_by_label("Hasło").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj").click()
    page.wait_for_url("**/me")


def test_organiser_logs_in_through_the_form_and_sees_own_area(page, live_url):
    log_in(page, live_url, "organiser_own")
    expect(page.get_by_role("link", name="ZTPS 7 Nadodrze")).to_be_visible()
    expect(page.get_by_role("link", name="Filia nr 6")).to_have_count(0)
    expect(page.get_by_role("link", name="Administracja")).to_have_count(0)
    page.get_by_role("link", name="ZTPS 7 Nadodrze").click()
    expect(page.get_by_role("cell", name="Nadodrze przybliżone")).to_be_visible()
    assert page.errors == []


def test_wrong_password_keeps_the_email_and_says_why(page, live_url):
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill(STAFF["planner"][0])
    page.get_by_label("Hasło").fill("not the password")
    page.get_by_role("button", name="Zaloguj").click()
    expect(page.get_by_text("Nieprawidłowy e-mail lub hasło")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_value(STAFF["planner"][0])
    assert page.errors == []


def test_admin_moves_a_unit_and_the_map_follows(page, live_url):
    _admin_moves_bienczyce_to_f4_and_back(page, live_url)
    assert page.errors == []


def test_admin_moves_a_unit_on_a_phone(browser, live_url):
    """The same task on a 360 px phone: no sideways scroll, no serious axe finding."""
    from tests.accessibility import run_axe

    context = browser.new_context(
        viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    page = context.new_page()
    try:
        _admin_moves_bienczyce_to_f4_and_back(page, live_url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert run_axe(page) == []
    finally:
        context.close()


def _admin_moves_bienczyce_to_f4_and_back(page, live_url):
    log_in(page, live_url, "admin")
    page.get_by_role("link", name="Administracja").click()
    page.get_by_role("link", name="Obszary: Kraków").click()
    page.get_by_label("Bieńczyce").select_option("F4")
    page.get_by_role("button", name="Zapisz przypisanie").click()
    expect(page.get_by_text("Przeniesiono jednostek: 1.")).to_be_visible()
    page.goto(f"{live_url}/krakow/areas/F4")
    expect(page.get_by_role("cell", name="Bieńczyce")).to_be_visible()
    expect(page.locator("path.unit")).to_have_count(2)
    page.goto(f"{live_url}/admin/krakow/service-areas")
    page.get_by_label("Bieńczyce").select_option("F9")
    page.get_by_role("button", name="Zapisz przypisanie").click()
    expect(page.get_by_text("Przeniesiono jednostek: 1.")).to_be_visible()


def test_admin_pages_render_without_errors(page, live_url):
    log_in(page, live_url, "admin")
    for path, heading, content in [
        ("/admin/users", "Użytkownicy", "org7@test.invalid"),
        ("/admin/vocabularies", "Słowniki", "mental_health"),
        ("/admin/audit", "Dziennik zdarzeń", "login.success"),
        ("/moderation/", "Propozycje mieszkańców", "Filia nr 6"),
    ]:
        page.goto(live_url + path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(page.get_by_role("cell", name=content).first).to_be_visible()
    assert page.errors == []


def test_organiser_accepts_a_suggestion_from_the_queue(page, live_url, request):
    from webgis.features import moderation
    from webgis.geography import cities

    app = request.getfixturevalue("live_app")
    with app.app_context():
        moderation.submit_suggestion(
            cities.get_city("wroclaw"),
            "needs_resources",
            NADODRZE,
            {
                "title": "Ławki przy Rydygiera",
                "kind": "need",
                "category": "free_time",
                "location_precision": "street",
            },
        )
    log_in(page, live_url, "organiser_own")
    page.get_by_role("link", name="Propozycje", exact=True).click()
    page.get_by_role("link", name="Ławki przy Rydygiera").click()
    page.get_by_label("Tytuł").fill("Ławki przy ul. Rydygiera")
    page.get_by_label("Obszar życia").select_option("community_contacts")
    page.get_by_label("Pokazuj publicznie").check()
    page.get_by_role("button", name="Przyjmij i opublikuj").click()
    expect(page.get_by_text("Propozycja opublikowana.")).to_be_visible()
    expect(page.get_by_role("link", name="Ławki przy ul. Rydygiera")).to_have_count(0)
    assert page.errors == []
    # The need was shown publicly, so a resident finds it in the layer's list.
    context = page.context.browser.new_context()
    public = context.new_page()
    public.goto(f"{live_url}/wroclaw/layers/needs_resources/?q=Rydygiera")
    expect(public.get_by_text("Ławki przy ul. Rydygiera")).to_be_visible()
    context.close()


def test_organiser_creates_a_centre_by_clicking_the_map_and_the_public_finds_it(
    page, live_url, browser
):
    log_in(page, live_url, "organiser_own")
    page.goto(f"{live_url}/wroclaw/layers/day_centres/new")
    page.locator("#f-name").fill("Klub Sąsiedzki Rydygiera")
    page.locator("#f-facility_type").select_option("self_help_club")
    page.locator("#f-operator").fill("Stowarzyszenie Przykładowe")
    page.locator("#f-address").fill("ul. Rydygiera 25")
    page.locator("input[name=opening_hours-mon]").fill("10:00-14:00, 16:00-18:00")
    page.locator("#f-status").select_option("published")
    # Click the map where Nadodrze is, then drag the marker a little to correct it.
    page.locator(".form-map .folium-map").scroll_into_view_if_needed()
    map_box = page.locator(".form-map .folium-map").bounding_box()
    point = page.evaluate(
        """([lat, lon]) => {
            const el = document.querySelector('.form-map .folium-map');
            const p = window[el.id].latLngToContainerPoint([lat, lon]);
            return [p.x, p.y];
        }""",
        [NADODRZE.y, NADODRZE.x],
    )
    page.mouse.click(map_box["x"] + point[0], map_box["y"] + point[1])
    marker = page.locator(".leaflet-marker-icon")
    expect(marker).to_have_count(1)
    marker_box = marker.bounding_box()
    page.mouse.move(marker_box["x"] + 12, marker_box["y"] + 35)
    page.mouse.down()
    page.mouse.move(marker_box["x"] + 18, marker_box["y"] + 38, steps=5)
    page.mouse.up()
    assert '"Point"' in page.locator("#f-geometry").input_value()
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_role("heading", name="Klub Sąsiedzki Rydygiera")).to_be_visible()
    expect(page.get_by_text("10:00–14:00, 16:00–18:00")).to_be_visible()
    assert page.errors == []

    visitor = browser.new_page()
    visitor.goto(f"{live_url}/wroclaw/map")
    expect(visitor.locator("path.service-area")).to_have_count(10)
    # The page carries no features: the layer asks for those in view, and the
    # popup is fetched when the marker is clicked.
    marker = visitor.locator('.leaflet-marker-icon[title="Klub Sąsiedzki Rydygiera"]')
    expect(marker).to_have_count(1)
    marker.dispatch_event("click")
    expect(visitor.locator(".leaflet-popup-content")).to_contain_text(
        "Klub Sąsiedzki Rydygiera"
    )
    visitor.locator(".leaflet-popup-content").get_by_role("link").click()
    expect(
        visitor.get_by_role("heading", name="Klub Sąsiedzki Rydygiera")
    ).to_be_visible()
    visitor.close()


def test_organiser_draws_a_partnership_area_with_the_polygon_tool(page, live_url):
    log_in(page, live_url, "organiser_own")
    page.goto(f"{live_url}/wroclaw/layers/partnerships/new")
    page.locator("#f-name").fill("Partnerstwo Podwórek Nadodrza")
    page.locator("#f-formal").select_option("informal")
    page.locator("#f-partnership_status").select_option("active")
    corners = page.evaluate(
        """(pts) => {
            const el = document.querySelector('.form-map .folium-map');
            const map = window[el.id];
            map.setView([51.1202, 17.0309], 16);
            return pts.map(([lat, lon]) => {
              const p = map.latLngToContainerPoint([lat, lon]); return [p.x, p.y];
            });
        }""",
        [
            [51.1195, 17.0300],
            [51.1195, 17.0318],
            [51.1209, 17.0318],
            [51.1209, 17.0300],
        ],
    )
    page.locator(".form-map .folium-map").scroll_into_view_if_needed()
    page.locator(".leaflet-pm-icon-polygon").click()
    box = page.locator(".form-map .folium-map").bounding_box()
    for x, y in [*corners, corners[0]]:
        page.mouse.click(box["x"] + x, box["y"] + y)
    expect(page.locator("#f-geometry")).to_have_value(re.compile('"Polygon"'))
    page.get_by_role("button", name="Zapisz").click()
    expect(
        page.get_by_role("heading", name="Partnerstwo Podwórek Nadodrza")
    ).to_be_visible()
    expect(page.locator("path.feature")).to_have_count(1)
    assert page.errors == []


def test_layer_list_and_history_pages_in_the_browser(page, live_url):
    log_in(page, live_url, "planner")
    page.goto(f"{live_url}/wroclaw/layers/partnerships/")
    expect(page.get_by_role("link", name="Partnerstwo Polanka")).to_be_visible()
    page.get_by_role("link", name="Partnerstwo Polanka").click()
    page.get_by_role("link", name="Historia zmian").click()
    expect(page.get_by_role("heading", name="Historia zmian")).to_be_visible()
    expect(page.get_by_text("Wersja 1")).to_be_visible()
    assert page.errors == []


def test_planner_adds_a_hypothetical_centre_by_clicking_the_analysis_map(
    page, live_url
):
    log_in(page, live_url, "planner")
    page.goto(f"{live_url}/wroclaw/map")
    page.get_by_role("link", name="Analiza pokrycia").click()
    expect(page.locator("path.choropleth-unit")).to_have_count(48)
    expect(page.locator("#table-units tbody tr")).to_have_count(48)
    page.get_by_label("Liczba miejsc punktu dodanego kliknięciem").fill("35")
    map_box = page.locator("#map-current-title ~ .map-with-legend .folium-map")
    map_box.scroll_into_view_if_needed()
    box = map_box.bounding_box()
    # a click on the map (the city fills its middle) adds a line to the form
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    field = page.get_by_label("Hipotetyczne placówki")
    expect(field).to_have_value(re.compile(r"^51\.\d+, 1[67]\.\d+, 35$"))
    page.get_by_role("button", name="Przelicz").click()
    expect(page.locator("#map-what_if-title")).to_be_visible()
    expect(page.locator("path.choropleth-unit")).to_have_count(96)
    expect(page.locator("#table-what_if tbody tr")).to_have_count(48)
    # the added centre is a ring on the what-if map; existing ones are dots
    expect(page.locator("path.what-if")).to_have_count(1)
    assert page.locator("path.facility").count() > 0
    assert page.errors == []


def test_analysis_page_has_no_serious_accessibility_violations(browser, live_url):
    from tests.accessibility import run_axe

    # axe is injected inline, which the page's CSP rightly forbids to other scripts
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, bypass_csp=True
    )
    page = context.new_page()
    log_in(page, live_url, "planner")
    page.goto(f"{live_url}/wroclaw/analysis?compare_to=2020-01-01")
    page.locator("path.choropleth-unit").first.wait_for()
    assert run_axe(page) == []
    context.close()
