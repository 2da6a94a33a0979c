"""A feature form's address field in Chromium, with the city's register and no tiles."""

import json
import re

import pytest
from playwright.sync_api import expect
from shapely.geometry import Point

from tests import test_browser
from tests.conftest import demo_database, served
from tests.test_addresses import RYDYGIERA, lonlat, register_rows, write_register

pytestmark = pytest.mark.browser

# The Chromium fixtures of the other browser tests (script errors recorded).
page = test_browser.page
MAP = "window[document.querySelector('.folium-map').id]"


@pytest.fixture(scope="module")
def register_url(tmp_path_factory):
    """The demo with staff and Wrocław's test register, served with tiles off."""
    directory = tmp_path_factory.mktemp("register-browser")
    app = demo_database("sqlite", directory, "register", staff=True)
    app.config["WEBGIS_TILES_URL"] = ""
    path = write_register(directory / "adresy.csv", register_rows())
    result = app.test_cli_runner().invoke(
        args=["addresses", "import", "wroclaw", str(path)]
    )
    assert result.exit_code == 0, result.output
    with served(app) as url:
        yield url


def click_on_map(page, point: Point) -> None:
    """A person's click on the map where ``point`` is drawn."""
    x, y = page.evaluate(
        f"([lat, lon]) => {{ const p = {MAP}.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [point.y, point.x],
    )
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_a_typed_address_sets_the_point_and_a_click_is_offered_an_address(
    page, register_url
):
    test_browser.log_in(page, register_url, "organiser_own")
    page.goto(f"{register_url}/wroclaw/layers/day_centres/new")
    address = page.locator("#f-address")
    address.fill("rydygiera 43a")
    address.press("Tab")  # the field changes: its address is looked up
    status = page.locator(".address-status")
    expect(status).to_have_text(
        "Znaleziono: Ludwika Rydygiera 43A (dokładność: adres)."
    )
    geometry = json.loads(page.locator("#f-geometry").input_value())
    # Leaflet writes six decimals: a tenth of a metre.
    assert Point(geometry["coordinates"]).distance(lonlat(*RYDYGIERA["43A"])) < 2e-6
    expect(page.locator("#f-location_precision")).to_have_value("address")
    expect(page.locator(".folium-map .leaflet-marker-icon")).to_have_count(1)
    page.wait_for_function(f"() => {MAP}.getZoom() >= 17")

    x, y = RYDYGIERA["45"]
    click_on_map(page, lonlat(x + 2, y - 2))
    offer = page.locator(".address-offer")
    expect(offer).to_have_text(
        re.compile(r"^Najbliższy adres: Ludwika Rydygiera 45 \(\d m stąd\)\.$")
    )
    page.get_by_role("button", name="Wpisz ten adres").click()
    expect(address).to_have_value("Ludwika Rydygiera 45, 50-249 Wrocław")
    expect(page.locator(".address-proposal")).to_be_hidden()
    assert page.errors == []
