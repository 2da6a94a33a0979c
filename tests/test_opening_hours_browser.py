"""The per-day editor of opening hours in headless Chromium: it writes the syntax."""

import json

import pytest
from playwright.sync_api import expect

from tests import test_browser as shared
from tests.conftest import NADODRZE

# The live server and its pages come from the other browser tests' fixtures.
live_app, live_url, page = (
    shared.live_app,
    shared.live_url,
    shared.page,
)

pytestmark = pytest.mark.browser


def test_the_day_editor_writes_the_syntax_which_is_saved(page, live_url):
    shared.log_in(page, live_url, "organiser_own")
    page.goto(f"{live_url}/wroclaw/layers/day_centres/new")
    page.locator("#f-name").fill("Klub Godzin Otwarcia")
    page.locator("#f-facility_type").select_option("self_help_club")
    page.locator("#f-operator").fill("Stowarzyszenie Przykładowe")
    syntax = page.locator("#f-opening_hours")
    for day in ("mon", "tue", "wed", "thu", "fri"):
        page.locator(f"input[name=opening_hours-{day}]").fill("8.00–16.00")
    expect(syntax).to_have_value("Mo-Fr 08:00-16:00")
    page.locator("input[name=opening_hours-sat]").fill("10:00-13:00")
    page.locator("input[name=opening_hours-ph]").check()
    expect(syntax).to_have_value("Mo-Fr 08:00-16:00; Sa 10:00-13:00; PH off")
    # What is typed in the syntax afterwards is what is saved.
    syntax.fill("Mo-Fr 8:00-16:00; Sa 10:00-13:00 „po umówieniu”; PH off")
    page.locator("#f-status").select_option("published")
    # The place as the map would write it (clicking the map is another test's).
    page.locator("#f-geometry").evaluate(
        "(input, value) => { input.value = value; }",
        json.dumps(NADODRZE.__geo_interface__),
    )
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_role("heading", name="Klub Godzin Otwarcia")).to_be_visible()
    expect(page.locator(".hours-syntax").first).to_have_text(
        'Mo-Fr 08:00-16:00; Sa 10:00-13:00 "po umówieniu"; PH closed'
    )
    expect(page.locator(".hours-text").first).to_have_text(
        "pon.–pt. 8:00–16:00; sob. 10:00–13:00; w święta zamknięte; po umówieniu"
    )
    assert page.errors == []
