"""The finder in headless Chromium: keyboard, map, phone, kiosk, embed, axe-core."""

import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests import test_browser as shared
from tests.accessibility import run_axe

# The live server and its pages come from the other browser tests' fixtures.
live_app, live_url, page = (
    shared.live_app,
    shared.live_url,
    shared.page,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def axe_page(browser):
    """A page whose context ignores CSP, so axe-core can be injected inline."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, bypass_csp=True
    )
    yield context.new_page()
    context.close()


def test_axe_check_can_fail(axe_page):
    axe_page.set_content(
        '<html><body><main><img src="x.png"><a href="#"></a>'
        '<p style="color:#ccc;background:#fff">faint</p></main></body></html>'
    )
    found = {v["id"] for v in run_axe(axe_page)}
    assert {"image-alt", "link-name", "color-contrast"} <= found


def first_service_id(live_url, page) -> str:
    page.goto(f"{live_url}/wroclaw/services?q=siedziba")
    href = page.locator(".results a").first.get_attribute("href")
    return re.search(r"/services/(\d+)", href).group(1)


@pytest.mark.parametrize(
    "path",
    [
        "/wroclaw/services",
        "/wroclaw/services?from=Nadodrze&type=zzz",  # with distances and an error
        "/wroclaw/services?lang=uk",
        "/kiosk/wroclaw",
        "/embed/krakow",
        "/wroclaw/suggest",
        "SERVICE",
        "KIOSK_SERVICE",
    ],
)
def test_axe_finds_no_serious_violations(axe_page, live_url, path):
    if path in ("SERVICE", "KIOSK_SERVICE"):
        service = first_service_id(live_url, axe_page)
        prefix = "/kiosk" if path == "KIOSK_SERVICE" else ""
        path = f"{prefix}/wroclaw/services/{service}"
    axe_page.goto(live_url + path)
    axe_page.locator(".folium-map .leaflet-pane").first.wait_for(state="attached")
    assert run_axe(axe_page) == []


def test_filters_and_list_work_with_the_keyboard(page, live_url):
    page.goto(f"{live_url}/wroclaw/services")
    page.get_by_label("Czego szukasz?").focus()
    page.keyboard.type("punkt aktywizacji")
    page.keyboard.press("Enter")
    page.wait_for_url("**/wroclaw/services?q=punkt+aktywizacji*")
    status = page.get_by_role("status").first.inner_text()
    found = int(re.search(r"Znaleziono: (\d+)", status).group(1))
    assert 0 < found < 25
    expect(page.locator(".results > li")).to_have_count(found)
    # the map shows exactly what the list shows, numbered alike
    expect(page.locator(".pin-icon")).to_have_count(found)
    assert page.locator(".pin-icon").all_inner_texts() == [
        str(n) for n in range(1, found + 1)
    ]
    page.get_by_label("Typ placówki").select_option("mops_office")
    page.get_by_role("button", name="Szukaj").press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("Znaleziono: 0")
    page.get_by_role("link", name="Wyczyść filtry").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/wroclaw/services")
    # tabbing from the search box reaches the first result's link
    first_result = page.locator(".results a").first
    first_result.focus()
    expect(first_result).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/wroclaw/services/*")
    expect(page.locator("h1")).to_be_visible()
    assert page.errors == []


def test_clicking_the_map_orders_by_distance(page, live_url):
    page.goto(f"{live_url}/wroclaw/services")
    frame = page.locator(".finder-map .folium-map")
    frame.locator(".leaflet-pane").first.wait_for(state="attached")
    box = frame.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r".*lat=[\d.]+&lon=[\d.]+.*"))
    expect(page.locator(".distance").first).to_contain_text("w linii prostej")
    distances = page.locator(".distance strong").all_inner_texts()

    def metres(text):
        number = float(text.split()[0].replace(",", ".").replace("\u00a0", ""))
        return number * (1000 if text.endswith("km") else 1)

    values = [metres(t) for t in distances]
    assert values == sorted(values) and len(values) > 1
    expect(page.locator("path.origin")).to_have_count(1)
    assert page.errors == []


def test_on_a_phone_the_list_and_map_are_stacked(browser, live_url):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{live_url}/wroclaw/services?from=Nadodrze")
    panel = page.locator(".finder-panel").bounding_box()
    frame = page.locator(".finder-map").bounding_box()
    assert frame["y"] >= panel["y"] + panel["height"] - 1
    assert panel["width"] <= 360 and frame["width"] <= 360
    # nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_the_printed_list_leaves_out_the_map_and_filters(page, live_url):
    page.goto(f"{live_url}/wroclaw/services")
    page.emulate_media(media="print")
    expect(page.locator(".finder-map")).to_be_hidden()
    expect(page.locator("#finder-form")).to_be_hidden()
    expect(page.locator(".results > li").first).to_be_visible()


def test_kiosk_returns_to_the_start_when_idle(page, live_url):
    page.goto(f"{live_url}/kiosk/wroclaw?q=punkt&idle=2")
    expect(page.locator(".results > li").first).to_be_visible()
    page.wait_for_url(f"{live_url}/kiosk/wroclaw", timeout=8000)
    expect(page.get_by_label("Czego szukasz?")).to_have_value("")
    assert page.errors == []


def test_kiosk_touches_keep_it_awake_and_no_link_leaves_the_site(page, live_url):
    page.goto(f"{live_url}/kiosk/wroclaw?q=punkt&idle=3")
    page.locator(".folium-map .leaflet-control-attribution").wait_for()
    for _ in range(4):  # 4 s of activity, longer than the idle time
        page.wait_for_timeout(1000)
        page.get_by_label("Czego szukasz?").press("End")
    assert "q=punkt" in page.url
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert hrefs and all(h.startswith(live_url) for h in hrefs), hrefs
    # large touch targets: every button and link at least 44 px high
    heights = page.eval_on_selector_all(
        "main a[href], main button, main select, main input:not([type=checkbox])",
        "els => els.filter(e => e.offsetParent)"
        ".map(e => e.getBoundingClientRect().height)",
    )
    assert min(heights) >= 44, heights


def test_other_sites_may_frame_the_embed_only(page, live_url):
    host = (
        f'<iframe id="embed" src="{live_url}/embed/wroclaw" width="800" height="600">'
        f'</iframe><iframe id="full" src="{live_url}/wroclaw/services"></iframe>'
    )
    with other_site(host) as address:
        page.goto(address)
        embed = page.frame_locator("#embed")
        heading = embed.get_by_role("heading", name="Znajdź pomoc: Wrocław")
        expect(heading).to_be_visible()
        link = embed.locator(".results a").first
        assert link.get_attribute("target") == "_blank"
        # the full finder refuses to be framed: Chromium shows its error page
        full = page.locator("#full").element_handle().content_frame()
        full.wait_for_load_state()
        assert full.url.startswith("chrome-error://"), full.url


@contextmanager
def other_site(html: str):
    """Another origin (a second local server) whose page is ``html``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server convention)
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_resident_suggests_a_resource_by_clicking_the_map(page, live_url, live_app):
    from webgis.features import moderation

    page.goto(f"{live_url}/wroclaw/suggest")
    page.get_by_label("Co zgłaszasz?").select_option("resource")
    page.get_by_label("Krótki tytuł").fill("Darmowa pralnia w piwnicy parafii")
    page.get_by_label("Obszar życia").select_option("housing")
    map_frame = page.locator(".form-map .folium-map")
    map_frame.locator(".leaflet-pane").first.wait_for(state="attached")
    box = map_frame.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_label("Szerokość geograficzna")).not_to_have_value("")
    page.get_by_role("button", name="Wyślij propozycję").click()
    expect(page.get_by_text("Dziękujemy.")).to_be_visible()
    with live_app.app_context():
        from webgis.accounts import users

        planner = users.get_user_by_email("planner@test.invalid")
        titles = [f.title for f in moderation.queue(planner)]
    assert "Darmowa pralnia w piwnicy parafii" in titles
    assert page.errors == []


def test_the_language_switch_keeps_the_filters(page, live_url):
    page.goto(f"{live_url}/wroclaw/services?q=punkt")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Find help: Wrocław")).to_be_visible()
    expect(page.get_by_label("What are you looking for?")).to_have_value("punkt")
    page.get_by_role("link", name="Polski").click()
    expect(page.get_by_label("Czego szukasz?")).to_have_value("punkt")


def test_the_finder_works_without_javascript(browser, live_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_url}/wroclaw/services")
    page.get_by_label("Czego szukasz?").fill("siedziba")
    page.get_by_label("Osiedle, dzielnica lub ulica").fill("Nadodrze")
    page.get_by_role("button", name="Szukaj").click()
    page.wait_for_url("**q=siedziba**")
    expect(page.get_by_role("status").first).to_contain_text("Znaleziono: 1")
    expect(page.locator(".distance")).to_contain_text("w linii prostej")
    page.locator(".results a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("siedziba")
    context.close()


def test_service_areas_give_the_pins_a_place_when_tiles_fail(page, live_url):
    # No tiles offline: without the outlines the pins would float on grey.
    page.goto(f"{live_url}/wroclaw/services")
    expect(page.locator("path.outline")).to_have_count(10)
    expect(page.locator(".pin-icon").first).to_be_attached()
    assert page.errors == []
