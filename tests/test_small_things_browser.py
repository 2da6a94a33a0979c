"""Small things seen in Chromium: checkbox size, the embed in its frame, pins apart."""

import pytest

from tests.conftest import demo_database, served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    """The demo served on a free port."""
    app = demo_database("sqlite", tmp_path_factory.mktemp("small"), "small")
    with served(app) as url:
        yield url


def _page(browser, width: int, height: int):
    return browser.new_context(viewport={"width": width, "height": height}).new_page()


@pytest.mark.parametrize("width", [360, 1280])
def test_the_finder_s_checkboxes_are_the_size_of_the_text(browser, live_url, width):
    page = _page(browser, width, 800)
    page.goto(f"{live_url}/wroclaw/services")
    sizes = page.locator(".finder-filters input[type=checkbox]").evaluate_all(
        "boxes => boxes.map(b => [b.name, b.getBoundingClientRect().width,"
        " b.getBoundingClientRect().height])"
    )
    assert any(name == "open" for name, _w, _h in sizes)
    for name, w, h in sizes:
        assert 14 <= w <= 32 and 14 <= h <= 32, (name, w, h)
    page.context.close()


@pytest.mark.parametrize("width", [360, 900])
def test_the_embed_shows_its_map_and_pins_inside_a_720_px_frame(
    browser, live_url, width
):
    # the page's own viewport is what an iframe of that size gives it
    page = _page(browser, width, 720)
    page.goto(f"{live_url}/embed/wroclaw")
    page.locator(".pin-icon").first.wait_for()
    frame = page.locator(".finder-map").bounding_box()
    assert frame["y"] >= 0 and frame["y"] + frame["height"] <= 720
    assert frame["height"] >= 180
    visible = page.locator(".pin-icon").evaluate_all(
        "pins => pins.filter(p => { const r = p.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= 720; }).length"
    )
    assert visible >= 1
    page.context.close()


@pytest.mark.parametrize(
    ("address", "width", "height"),
    [("/wroclaw/services", 1280, 800), ("/embed/wroclaw", 900, 720)],
)
def test_pins_near_one_another_do_not_hide_each_other(
    browser, live_url, address, width, height
):
    page = _page(browser, width, height)
    page.goto(live_url + address)
    page.locator(".pin-icon .pin").first.wait_for()
    boxes = page.locator(".pin-icon .pin").evaluate_all(
        "pins => pins.map(p => { const r = p.getBoundingClientRect();"
        " return [p.textContent, r.x + r.width / 2, r.y + r.height / 2]; })"
    )
    assert len(boxes) >= 5
    for i, (a, ax, ay) in enumerate(boxes):
        for b, bx, by in boxes[i + 1 :]:
            # centres at least a pin's width apart: each number can be read
            assert (ax - bx) ** 2 + (ay - by) ** 2 >= 26**2, (a, b)
    page.context.close()
