"""An organiser's morning in headless Chromium, at desktop and phone widths.

Sign in, land on the home page, confirm a record "still valid", read its history,
then settle an edit conflict field by field. Every page fits the screen and axe-core
finds nothing serious on it.
"""

import pytest
from playwright.sync_api import expect

from tests.accessibility import run_axe
from tests.conftest import PASSWORD, STAFF, demo_database, new_feature, served
from webgis.core.extensions import db
from webgis.features import store
from webgis.features.models import Feature

pytestmark = pytest.mark.browser

WIDTHS = [1280, 360]


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The demo, with staff accounts, served on a free port by a real WSGI server."""
    app = demo_database("sqlite", tmp_path_factory.mktemp("home"), "home", staff=True)
    with served(app) as url:
        app.config["LIVE_URL"] = url
        yield app


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def page(request, browser):
    """A fresh page of the given width that records script errors in ``errors``."""
    width = request.param
    # axe-core is injected as an inline script, which the page policy forbids.
    context = browser.new_context(
        viewport={"width": width, "height": 800}, bypass_csp=True
    )
    page = context.new_page()
    page.width, page.errors = width, []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
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


def fits_and_passes_axe(page) -> None:
    """No sideways scrolling at the page's width; no serious axe violation."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.width, f"{page.url} is {width}px wide"
    assert run_axe(page) == [], page.url


def planner_renames(app, feature_id: int, name: str, phone: str) -> None:
    """Someone else saves a change while the organiser is editing."""
    from webgis.accounts import users

    with app.app_context():
        feature = db.session.get(Feature, feature_id)
        planner = users.get_user_by_email(STAFF["planner"][0])
        properties = {**feature.properties, "name": name, "phone": phone}
        store.update(
            planner, feature, feature.version, None, properties, feature.status
        )


def test_an_organisers_morning(page, live_app):
    url, width = live_app.config["LIVE_URL"], page.width
    record, _ = new_feature(live_app, name=f"Świetlica poranna {width}")
    draft, _ = new_feature(live_app, status="draft", name=f"Szkic poranny {width}")

    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(STAFF["organiser_own"][0])
    page.get_by_label("Hasło").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj").click()
    page.wait_for_url(f"{url}/me")
    expect(page.get_by_role("heading", name="Mój pulpit: Wrocław")).to_be_visible()
    expect(page.locator("path.service-area")).to_have_count(1)
    drafts = page.locator("#drafts")
    expect(drafts.get_by_role("link", name=f"Szkic poranny {width}")).to_be_visible()
    to_verify = page.locator("#to-verify")
    title = f"Świetlica poranna {width}"
    expect(to_verify.get_by_text(title)).to_be_visible()
    fits_and_passes_axe(page)

    to_verify.get_by_role("button", name=f"Nadal aktualne: {title}").click()
    page.wait_for_url(f"{url}/me?city=wroclaw")
    expect(page.get_by_text(f"Potwierdzono aktualność: {title}.")).to_be_visible()
    expect(page.locator("#to-verify").get_by_text(title)).to_have_count(0)

    page.goto(f"{url}/wroclaw/layers/day_centres/{record}/history")
    expect(page.get_by_role("heading", name="Wersja 2 · potwierdzono")).to_be_visible()
    expect(page.get_by_role("cell", name="Dane sprawdzone dnia")).to_be_visible()
    fits_and_passes_axe(page)

    page.goto(f"{url}/wroclaw/layers/day_centres/{record}/edit")
    page.locator("#f-name").fill(f"Nazwa organizatora {width}")
    page.locator("#f-capacity").fill("30")
    planner_renames(live_app, record, f"Nazwa planisty {width}", "71 222 33 44")
    page.get_by_role("button", name="Zapisz", exact=True).click()
    expect(page.get_by_role("heading", name="Ktoś zmienił ten obiekt")).to_be_visible()
    choice = page.get_by_role("group", name="Nazwa")
    expect(choice).to_be_visible()
    expect(page.locator('input[type="radio"]')).to_have_count(2)
    fits_and_passes_axe(page)
    choice.get_by_label("Twoja wersja").check()
    page.get_by_role("button", name="Zapisz połączoną wersję").click()
    page.wait_for_url(f"{url}/wroclaw/layers/day_centres/{record}")
    expect(
        page.get_by_role("heading", name=f"Nazwa organizatora {width}")
    ).to_be_visible()
    with live_app.app_context():
        saved = db.session.get(Feature, record)
        assert saved.properties["capacity"] == 30  # mine
        assert saved.properties["phone"] == "+48712223344"  # theirs
        assert saved.version == 4
    assert page.errors == []
    assert draft
