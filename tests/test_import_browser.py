"""An organiser imports 200 facilities from a workbook in headless Chromium.

The first file has one bad row: the preview names it and offers no import. The
organiser fixes the file, loads it again, imports, and the layer list shows the
new features.
"""

from __future__ import annotations

import openpyxl
import pytest
from playwright.sync_api import expect

from tests import test_browser
from tests.conftest import NADODRZE

pytestmark = pytest.mark.browser

# The demo served by a real server, Chromium and its pages (see test_browser.py).
live_app = test_browser.live_app
live_url = test_browser.live_url
page = test_browser.page


@pytest.fixture(autouse=True)
def own_instance(live_app, tmp_path):
    """Uploads kept between the wizard's steps go to this test's own folder."""
    live_app.instance_path = str(tmp_path / "instance")


HEADER = ["Nazwa", "Typ placówki", "Prowadzący", "Liczba miejsc", "lon", "lat"]
BAD_ROW = 57


def facilities(path, bad: bool):
    """200 day-care homes in Nadodrze (ZTPS 7); with ``bad``, one of unknown type."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Placówki"
    sheet.append(HEADER)
    for i in range(200):
        kind = "nieznany typ" if bad and i == BAD_ROW else "Dzienny Dom Pomocy (DDP)"
        lon = NADODRZE.x + (i % 20 - 10) * 0.00008
        lat = NADODRZE.y + (i // 20 - 5) * 0.00008
        sheet.append([f"Dom testowy {i + 1:03d}", kind, "Fundacja Test", 10, lon, lat])
    book.save(path)
    return path


def test_an_organiser_imports_facilities_after_fixing_the_bad_row(
    page, live_url, tmp_path
):
    bad = facilities(tmp_path / "placowki.xlsx", bad=True)
    fixed = facilities(tmp_path / "placowki-poprawione.xlsx", bad=False)
    test_browser.log_in(page, live_url, "organiser_own")
    page.goto(f"{live_url}/wroclaw/layers/day_centres/")
    page.get_by_role("link", name="Importuj z pliku").click()
    page.get_by_label("Plik", exact=True).set_input_files(bad)
    page.get_by_role("button", name="Wczytaj plik").click()

    expect(page.locator("#counts")).to_contain_text("Wierszy w pliku: 200")
    problem = page.locator("#problems tbody tr")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text(f"{BAD_ROW + 2}")
    expect(problem).to_contain_text("Nieznane wartości: nieznany typ.")
    expect(page.get_by_role("button", name="Importuj")).to_have_count(0)

    page.get_by_role("link", name="Wczytaj poprawiony plik").click()
    page.get_by_label("Plik", exact=True).set_input_files(fixed)
    page.get_by_role("button", name="Wczytaj plik").click()
    expect(page.locator("#counts")).to_contain_text("do zapisania: 200")
    expect(page.locator("#counts")).to_contain_text("problemy: 0")
    expect(page.locator("#preview")).to_contain_text("Dzienny Dom Pomocy (DDP)")
    page.get_by_role("button", name="Importuj").click()

    page.wait_for_url("**/wroclaw/layers/day_centres/")
    expect(
        page.get_by_text("Zaimportowano z pliku placowki-poprawione.xlsx")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Dom testowy 001")).to_be_visible()
    # The list shows 100 a page; all 200 drafts are found by their name.
    page.get_by_label("Szukaj").fill("Dom testowy")
    page.get_by_role("button", name="Pokaż").click()
    expect(page.get_by_role("status").first).to_contain_text("Wyników: 200")
    page.get_by_role("link", name="następne »").click()
    expect(page.get_by_role("link", name="Dom testowy 200")).to_be_visible()
    assert page.errors == []
