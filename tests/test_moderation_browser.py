"""A resident's suggestion followed to its status page, moderated on a map, in Chromium.

At a desktop width and on a 360 px phone, with axe-core on every page of the way.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.accessibility import run_axe
from tests.conftest import NADODRZE, PASSWORD, STAFF, demo_database, served
from tests.test_moderation_minute import east_of, published
from webgis.core.extensions import db
from webgis.features.models import Feature

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
STATUS_LINK = re.compile(r".*/wroclaw/suggest/status/[\w-]{40,}(\?fresh=True)?$")


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The demo with staff accounts, served on a free local port."""
    app = demo_database(
        "sqlite", tmp_path_factory.mktemp("moderation"), "moderation", staff=True
    )
    app.config["WEBGIS_SUGGEST_LIMIT"] = "1000 per minute"
    with served(app) as url:
        app.config["LIVE_URL"] = url
        yield app


@pytest.fixture(scope="module")
def live_url(live_app):
    return live_app.config["LIVE_URL"]


def new_page(browser, viewport=DESKTOP):
    """A page in its own context (its own cookies) that records script errors.

    The context bypasses the pages' CSP only so axe-core can be injected inline.
    """
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and "Failed to load resource" not in msg.text
            and page.errors.append(msg.text)
        ),
    )
    return page


def log_in(page, live_url, who):
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill(STAFF[who][0])
    page.get_by_label("Hasło").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj").click()
    # Where sign-in lands is the home page's business, not this test's.
    page.wait_for_url(lambda url: "/login" not in url)


def suggest(page, live_url, title: str) -> str:
    """A resident sends the public form; returns the status link they are given."""
    page.goto(f"{live_url}/wroclaw/suggest")
    page.get_by_label("Co zgłaszasz?").select_option(label="potrzebę")
    page.get_by_label("Krótki tytuł").fill(title)
    page.get_by_label("Obszar życia").select_option(label="Kontakty z otoczeniem")
    page.get_by_label("Szerokość geograficzna").fill(str(NADODRZE.y))
    page.get_by_label("Długość geograficzna").fill(str(NADODRZE.x))
    page.get_by_role("button", name="Wyślij propozycję").click()
    expect(page).to_have_url(STATUS_LINK)
    expect(page.get_by_text("Czeka na sprawdzenie.")).to_be_visible()
    expect(page.get_by_text("Dziękujemy.")).to_be_visible()
    link = page.locator(".status-link a")
    expect(link).to_have_attribute("href", STATUS_LINK)
    return link.get_attribute("href")


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def stored(app, title: str) -> Feature:
    with app.app_context():
        found = db.session.scalar(
            db.select(Feature).where(Feature.properties["title"].as_string() == title)
        )
        db.session.expunge(found)
        return found


def drag_marker(page, dx: int, dy: int) -> None:
    """Drag the suggestion's marker by (dx, dy) pixels with the mouse."""
    marker = page.locator(".form-map .leaflet-marker-icon")
    expect(marker).to_have_count(1)
    # hover() waits until the marker stands still in view: the press lands on it
    # rather than on the map, which would pan instead.
    marker.hover()
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=8)
    page.mouse.up()


def test_a_suggestion_from_the_resident_to_accepted_and_back(
    browser, live_url, live_app
):
    title = "Samotni sąsiedzi przy Rydygiera"
    resident = new_page(browser)
    link = suggest(resident, live_url, title)
    assert run_axe(resident) == []

    moderator = new_page(browser)
    log_in(moderator, live_url, "organiser_own")
    moderator.goto(f"{live_url}/moderation/")
    item = moderator.locator("ul.suggestions li", has_text=title)
    # Labels, never keys, in the queue.
    expect(item).to_contain_text("Rodzaj: potrzeba")
    expect(item).to_contain_text("Obszar życia: Kontakty z otoczeniem")
    assert run_axe(moderator) == []
    item.get_by_role("link", name=title).click()
    expect(moderator.get_by_role("heading", name=title)).to_be_visible()
    expect(moderator.locator("path.service-area").first).to_be_attached()
    assert run_axe(moderator) == []

    latitude = moderator.get_by_label("Szerokość geograficzna")
    longitude = moderator.get_by_label("Długość geograficzna")
    before = (float(latitude.input_value()), float(longitude.input_value()))
    drag_marker(moderator, 80, -40)
    expect(longitude).not_to_have_value(str(NADODRZE.x))
    after = (float(latitude.input_value()), float(longitude.input_value()))
    assert after[0] > before[0] and after[1] > before[1]  # north-east, as dragged
    moderator.get_by_label("Obszar życia").select_option(label="Czas wolny")
    moderator.get_by_label("Pokazuj publicznie").check()
    moderator.get_by_role("button", name="Przyjmij i opublikuj").click()
    expect(moderator.get_by_text("Propozycja opublikowana.")).to_be_visible()
    accepted = stored(live_app, title)
    assert accepted.properties["category"] == "free_time" and accepted.public
    # The place is where the marker was dropped.
    assert abs(accepted.geometry.y - after[0]) < 1e-6
    assert abs(accepted.geometry.x - after[1]) < 1e-6

    resident.goto(link)
    expect(resident.get_by_text("Przyjęta.")).to_be_visible()
    resident.get_by_role("link", name="zobacz, jak ją opublikowano").click()
    expect(resident.get_by_role("heading", name=title)).to_be_visible()
    expect(resident.get_by_text("Czas wolny")).to_be_visible()
    assert resident.errors == [] and moderator.errors == []
    resident.context.close()
    moderator.context.close()


def test_a_rejected_suggestion_shows_the_reason_to_the_resident(browser, live_url):
    title = "Reklama sklepu z telefonami"
    reason = "To reklama sklepu, a nie potrzeba ani zasób sąsiedztwa."
    resident = new_page(browser)
    link = suggest(resident, live_url, title)

    moderator = new_page(browser)
    log_in(moderator, live_url, "organiser_own")
    moderator.goto(f"{live_url}/moderation/")
    moderator.get_by_role("link", name=title).click()
    moderator.get_by_label("Powód odrzucenia").fill(reason)
    moderator.get_by_role("button", name="Odrzuć").click()
    expect(moderator.get_by_text("Propozycja odrzucona.")).to_be_visible()

    resident.goto(link)
    expect(resident.get_by_text("Odrzucona.")).to_be_visible()
    expect(resident.locator("blockquote.reason")).to_have_text(reason)
    assert run_axe(resident) == []
    assert resident.errors == [] and moderator.errors == []
    resident.context.close()
    moderator.context.close()


def test_on_a_360_px_phone_nothing_scrolls_sideways(browser, live_url, live_app):
    title = "Brak ławek na podwórku przy Jedności Narodowej"
    # A record it may repeat, 100 m away: listed, and a ring on the map.
    published(live_app, east_of(NADODRZE, 100), "Ławki na podwórku Jedności Narodowej")
    resident = new_page(browser, PHONE)
    link = suggest(resident, live_url, title)
    assert page_width(resident) <= 360
    assert run_axe(resident) == []

    moderator = new_page(browser, PHONE)
    log_in(moderator, live_url, "organiser_own")
    moderator.goto(f"{live_url}/moderation/")
    assert page_width(moderator) <= 360
    moderator.get_by_role("link", name=title).click()
    expect(moderator.locator(".form-map .leaflet-marker-icon")).to_have_count(1)
    expect(moderator.locator("path.possible-duplicate")).to_have_count(1)
    expect(
        moderator.get_by_role("link", name="Ławki na podwórku Jedności Narodowej")
    ).to_be_visible()
    assert page_width(moderator) <= 360
    assert run_axe(moderator) == []
    # The map comes before the accept button, so the point can be checked first.
    map_top = moderator.locator(".form-map .folium-map").bounding_box()["y"]
    button = moderator.get_by_role("button", name="Przyjmij i opublikuj")
    assert map_top < button.bounding_box()["y"]
    drag_marker(moderator, 30, 0)
    expect(moderator.get_by_label("Długość geograficzna")).not_to_have_value(
        str(NADODRZE.x)
    )
    resident.goto(link)
    assert page_width(resident) <= 360
    # A planner's queue lists every area of both cities.
    planner = new_page(browser, PHONE)
    log_in(planner, live_url, "planner")
    planner.goto(f"{live_url}/moderation/")
    expect(planner.get_by_role("link", name=title)).to_be_visible()
    assert page_width(planner) <= 360
    assert resident.errors == [] and moderator.errors == [] and planner.errors == []
    for page in (resident, moderator, planner):
        page.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "360px"])
def test_the_feature_forms_drawing_toolbar_names_its_links(browser, live_url, viewport):
    page = new_page(browser, viewport)
    log_in(page, live_url, "organiser_own")
    page.goto(f"{live_url}/wroclaw/layers/needs_resources/new")
    tools = page.locator(".leaflet-pm-toolbar a.leaflet-buttons-control-button")
    expect(tools).to_have_count(5)
    for i in range(5):
        expect(tools.nth(i)).to_have_attribute("aria-label", re.compile(r"\w{3,}"))
    assert run_axe(page) == []
    assert page_width(page) <= viewport["width"]
    assert page.errors == []
    page.context.close()
