"""A planner's what-if with comparable maps and the district report, in Chromium."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, STAFF, demo_database, served

pytestmark = pytest.mark.browser

#: A point in Leśnica, far west, which no demo facility covers within 1 km.
LESNICA = "51.1445, 16.8722, 40"


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    """The demo with staff accounts, served on a free port by a real WSGI server."""
    app = demo_database("sqlite", tmp_path_factory.mktemp("report"), "live", staff=True)
    with served(app) as url:
        yield url


@pytest.fixture
def open_page(browser):
    """Make pages of a given width that record script errors in ``page.errors``."""
    contexts = []

    def make(width: int = 1280):
        # axe is injected inline, which the page's CSP rightly forbids to others
        context = browser.new_context(
            viewport={"width": width, "height": 800}, bypass_csp=True
        )
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()


def log_in(page, live_url, who):
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill(STAFF[who][0])
    page.get_by_label("Hasło").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj").click()
    # where sign-in lands is the home page's business; it leaves the form
    page.wait_for_url(lambda url: "/login" not in url)


def legend_lines(page, view: str) -> list[str]:
    section = page.locator(f"section:has(#map-{view}-title)")
    return [line.strip() for line in section.locator("ul.legend li").all_inner_texts()]


def test_planners_what_if_maps_share_their_legend(open_page, live_url):
    from tests.accessibility import run_axe

    page = open_page()
    log_in(page, live_url, "planner")
    page.goto(f"{live_url}/wroclaw/analysis")
    page.get_by_label("Hipotetyczne placówki").fill(LESNICA)
    page.get_by_role("button", name="Przelicz").click()
    expect(page.locator("#map-what_if-title")).to_be_visible()
    current, what_if = legend_lines(page, "current"), legend_lines(page, "what_if")
    assert len(current) >= 4
    assert current == what_if
    # the line after the zeros never repeats the zero
    assert current[0] == "0,0%" and not current[1].startswith("0,0% ")
    # the page has a left margin: the heading does not touch the window's edge
    assert page.locator("h1").bounding_box()["x"] >= 12
    assert run_axe(page) == []
    # then and now: the map of the compared day shares the current map's classes
    page.goto(f"{live_url}/wroclaw/analysis?compare_to=2016-06-30")
    expect(page.locator("#map-earlier-title")).to_be_visible()
    assert legend_lines(page, "earlier") == legend_lines(page, "current")
    assert run_axe(page) == []
    assert page.errors == []


@pytest.mark.parametrize("width", [1280, 360])
def test_district_report_fits_the_screen(open_page, live_url, width):
    from tests.accessibility import run_axe

    page = open_page(width)
    log_in(page, live_url, "organiser_own")
    page.goto(f"{live_url}/wroclaw/areas/ZTPS-7")
    page.get_by_role("link", name="Raport obszaru do druku").click()
    expect(page.get_by_role("heading", name="Raport: ZTPS 7 Nadodrze")).to_be_visible()
    expect(page.locator("svg.area-svg path.unit")).to_have_count(3)
    assert page.locator("svg.area-svg").bounding_box()["height"] > 100
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width
    assert run_axe(page) == []
    assert page.errors == []


def test_printed_report_hides_navigation(open_page, live_url):
    page = open_page()
    log_in(page, live_url, "planner")
    page.goto(f"{live_url}/wroclaw/report?since=2020-01-01")
    expect(page.locator(".site-header")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("form.report-form")).to_be_hidden()
    expect(page.locator("#report-changes")).to_be_visible()
    expect(page.locator("svg.area-svg path.unit")).to_have_count(48)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert page.errors == []
