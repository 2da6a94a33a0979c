"""Every page a person uses fits a 360 px phone; staff pages also pass axe-core.

One row of :data:`PAGES` per page: who opens it and its address. Placeholders in
braces are filled from the demo data (a feature of each layer, an organisation, a
user, a waiting suggestion), so a new page is one more line.
"""

import pytest

from tests.accessibility import run_axe
from tests.conftest import PASSWORD, STAFF, demo_database, new_suggestion, served

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}

#: (who opens it, address). "anonymous" rows are public pages.
PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/wroclaw/"),
    ("anonymous", "/wroclaw/map"),
    ("anonymous", "/krakow/map"),
    ("anonymous", "/wroclaw/areas/ZTPS-7"),
    ("anonymous", "/wroclaw/services"),
    ("anonymous", "/wroclaw/services?from=Nadodrze&open_now=1"),
    ("anonymous", "/wroclaw/services/{day_centres}"),
    ("anonymous", "/wroclaw/suggest"),
    ("anonymous", "/wroclaw/suggest/status/{status_token}"),
    ("anonymous", "/kiosk/wroclaw"),
    ("anonymous", "/kiosk/wroclaw/services/{day_centres}"),
    ("anonymous", "/embed/wroclaw"),
    ("anonymous", "/organisations/{organisation}"),
    ("anonymous", "/login"),
    ("anonymous", "/api/"),
    ("anonymous", "/ogc/"),
    ("anonymous", "/ogc/collections"),
    ("anonymous", "/ogc/collections/wroclaw-day_centres"),
    ("anonymous", "/ogc/collections/wroclaw-day_centres/items"),
    ("anonymous", "/ogc/collections/wroclaw-day_centres/items/{day_centres}"),
    ("organiser_own", "/me"),
    ("organiser_own", "/wroclaw/areas/ZTPS-7/report"),
    ("organiser_own", "/account"),
    ("organiser_own", "/account/password"),
    ("organiser_own", "/moderation/"),
    ("organiser_own", "/moderation/{suggestion}"),
    ("organiser_own", "/wroclaw/layers/day_centres/"),
    ("organiser_own", "/wroclaw/layers/needs_resources/"),
    ("organiser_own", "/wroclaw/layers/pal/"),
    ("organiser_own", "/wroclaw/layers/partnerships/"),
    ("organiser_own", "/wroclaw/layers/day_centres/{day_centres}"),
    ("organiser_own", "/wroclaw/layers/partnerships/{partnerships}"),
    ("organiser_own", "/wroclaw/layers/day_centres/new"),
    ("organiser_own", "/wroclaw/layers/needs_resources/new"),
    ("organiser_own", "/wroclaw/layers/partnerships/new"),
    ("planner", "/wroclaw/layers/day_centres/{day_centres}/edit"),
    ("planner", "/wroclaw/layers/pal/{pal}/edit"),
    ("planner", "/wroclaw/layers/day_centres/{day_centres}/history"),
    ("planner", "/wroclaw/import/"),
    ("planner", "/wroclaw/analysis"),
    ("planner", "/me"),
    ("planner", "/wroclaw/report"),
    ("admin", "/admin/users"),
    ("admin", "/admin/users/{organiser}"),
    ("admin", "/admin/wroclaw/service-areas"),
    ("admin", "/admin/vocabularies"),
    ("admin", "/admin/audit"),
    ("admin", "/admin/embed"),
    ("admin", "/admin/organisations"),
    ("admin", "/admin/organisations/{organisation}"),
]


def _demo_ids(app) -> dict:
    """Addresses' placeholders: a Wrocław feature of each layer, and so on."""
    import sqlalchemy as sa

    from webgis.core.extensions import db

    ids = {"suggestion": new_suggestion(app), "status_token": "phone-status-token"}
    with app.app_context():
        # the resident's link, as the public form would have given it
        db.session.execute(
            sa.text("UPDATE features SET status_token = :token WHERE id = :id"),
            {"token": ids["status_token"], "id": ids["suggestion"]},
        )
        db.session.commit()
        for layer in ("day_centres", "needs_resources", "pal", "partnerships"):
            ids[layer] = db.session.execute(
                sa.text(
                    "SELECT f.id FROM features f JOIN cities c ON c.id = f.city_id"
                    " WHERE c.code = 'wroclaw' AND f.layer = :layer"
                    " AND f.status = 'published' ORDER BY f.id LIMIT 1"
                ),
                {"layer": layer},
            ).scalar_one()
        ids["organisation"] = db.session.execute(
            sa.text("SELECT min(id) FROM organizations")
        ).scalar_one()
        ids["organiser"] = db.session.execute(
            sa.text("SELECT id FROM users WHERE email = :email"),
            {"email": STAFF["organiser_own"][0]},
        ).scalar_one()
    return ids


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The demo with staff accounts, served; its address and placeholder ids."""
    app = demo_database("sqlite", tmp_path_factory.mktemp("phones"), "phones", True)
    ids = _demo_ids(app)
    with served(app) as url:
        yield url, ids


@pytest.fixture(scope="module")
def phones(browser, live):
    """Signed-in browser contexts, one per person and screen, made when first used.

    ``phones(who)`` is a 360 px phone; ``phones(who, DESKTOP)`` a desktop screen.
    """
    url, _ids = live
    contexts = {}

    def phone(who: str, viewport: dict = PHONE):
        key = (who, viewport["width"])
        if key not in contexts:
            # axe is injected inline, which the pages' CSP rightly forbids otherwise
            context = browser.new_context(viewport=viewport, bypass_csp=True)
            if who != "anonymous":
                page = context.new_page()
                page.goto(f"{url}/login")
                page.get_by_label("E-mail").fill(STAFF[who][0])
                page.get_by_label("Hasło").fill(PASSWORD)
                page.get_by_role("button", name="Zaloguj").click()
                # where sign-in lands may change; it is anywhere but the form
                page.wait_for_url(lambda address: "/login" not in address)
                page.close()
            contexts[key] = context
        return contexts[key]

    yield phone
    for context in contexts.values():
        context.close()


def _open(phones, live, who, address, viewport=PHONE):
    url, ids = live
    page = phones(who, viewport).new_page()
    response = page.goto(url + address.format(**ids))
    assert response.status == 200, (address, response.status)
    page.wait_for_load_state("load")
    return page


def _too_wide(page) -> list[str]:
    """The elements that reach past the screen's right edge (for the message)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 361
                    && !e.closest('.leaflet-container'))
            .slice(0, 8)
            .map(e => e.tagName.toLowerCase() + '.' + e.className + ' '
                      + Math.round(e.getBoundingClientRect().right))"""
    )


@pytest.mark.parametrize(("who", "address"), PAGES)
def test_page_fits_a_360_px_phone(phones, live, who, address):
    page = _open(phones, live, who, address)
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (width, _too_wide(page))
    finally:
        page.close()


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize(
    ("who", "address"), [row for row in PAGES if row[0] != "anonymous"]
)
def test_staff_page_has_no_serious_accessibility_violations(
    phones, live, who, address, screen
):
    page = _open(phones, live, who, address, screen)
    try:
        assert run_axe(page) == []
    finally:
        page.close()


def test_an_import_preview_fits_a_phone_and_passes_axe(phones, live, tmp_path):
    from tests.test_import_browser import facilities

    page = _open(phones, live, "organiser_own", "/wroclaw/import/")
    try:
        page.get_by_label("Plik", exact=True).set_input_files(
            facilities(tmp_path / "placowki.xlsx", bad=True)
        )
        page.get_by_role("button", name="Wczytaj plik").click()
        page.locator("#counts").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert run_axe(page) == []
    finally:
        page.close()


def test_on_a_phone_the_suggestion_map_comes_before_the_send_button(phones, live):
    page = _open(phones, live, "anonymous", "/wroclaw/suggest")
    try:
        button = page.get_by_role("button", name="Wyślij propozycję").bounding_box()
        frame = page.locator(".form-map .folium-map").bounding_box()
        assert frame["y"] + frame["height"] <= button["y"]
        # the button still sends the form above it
        assert (
            page.get_by_role("button", name="Wyślij propozycję").evaluate(
                "b => b.form && b.form.id"
            )
            == "suggest-form"
        )
    finally:
        page.close()


def test_the_layer_list_is_a_button_on_a_phone_and_open_on_a_desktop(
    browser, phones, live
):
    url, _ids = live
    page = _open(phones, live, "anonymous", "/wroclaw/map")
    try:
        control = page.locator(".leaflet-control-layers")
        frame = page.locator(".map-frame .folium-map").bounding_box()
        box = control.bounding_box()
        # a closed control: well under a tenth of the map, not a third
        assert box["width"] * box["height"] < frame["width"] * frame["height"] / 10
        control.hover()  # opens it, as a tap does on a touch screen
        page.get_by_label("osiedla").check()
        assert page.locator("path.unit").count() == 48
        assert run_axe(page) == []
    finally:
        page.close()
    desktop = browser.new_context(viewport={"width": 1280, "height": 800})
    wide = desktop.new_page()
    wide.goto(f"{url}/wroclaw/map")
    assert "leaflet-control-layers-expanded" in wide.locator(
        ".leaflet-control-layers"
    ).get_attribute("class")
    desktop.close()
