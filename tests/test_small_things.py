"""Small things a person notices: plurals, a new city's words, examples, pins."""

import json
import re
from types import SimpleNamespace

import pytest
from markupsafe import Markup

from tests.conftest import PROJECT_ROOT, two_units, write
from webgis.web.maps.finder import Pin, at_one_place, finder_map

POLISH_CATALOGUE = PROJECT_ROOT / "webgis" / "translations" / "pl"


@pytest.fixture
def testowo(app, runner, tmp_path):
    """A third city added as an admin would: no words of its own for units or areas."""
    assert runner.invoke(args=["cities", "add", "testowo", "Testowo"]).exit_code == 0
    units = write(two_units(), tmp_path / "units.gpkg")
    result = runner.invoke(args=["boundaries", "import", "testowo", str(units)])
    assert result.exit_code == 0, result.output
    return app.test_client()


def test_a_new_city_reads_well_on_its_map_and_in_the_city_list(testowo):
    page = testowo.get("/testowo/map").get_data(as_text=True)
    heading = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert heading == "Testowo: obszary"
    listed = testowo.get("/").get_data(as_text=True)
    # no "(jednostki)" after "jednostek": the default word adds nothing
    assert re.search(r"2 jednost\w+, 0 obszarów</span>", listed), listed


def test_the_demo_cities_keep_their_own_words(client):
    page = client.get("/wroclaw/map").get_data(as_text=True)
    assert "<h1>Wrocław: obszary ZTPS</h1>" in page
    listed = client.get("/").get_data(as_text=True)
    assert "48 jednostek (osiedla), 10 obszarów (ZTPS)" in listed


def test_a_city_word_typed_by_an_admin_is_escaped(app, runner):
    runner.invoke(
        args=["cities", "add", "rejonowo", "Rejonowo", "--area-kind", "<b>rejony</b>"]
    )
    page = app.test_client().get("/rejonowo/map").get_data(as_text=True)
    assert "<b>rejony</b>" not in page
    assert "Rejonowo: obszary &lt;b&gt;rejony&lt;/b&gt;" in page


@pytest.mark.skipif(
    not POLISH_CATALOGUE.is_dir(),
    reason="Polish plural forms come from the pl catalogue, which is not made yet",
)
@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "1 obszar"), (2, "2 obszary"), (5, "5 obszarów"), (22, "22 obszary")],
)
def test_counts_of_areas_use_polish_plurals(demo_app, count, expected):
    from webgis.web.kinds import city_counts

    city = SimpleNamespace(
        units=[], service_areas=[None] * count, unit_kind="", area_kind=""
    )
    with demo_app.test_request_context("/"):
        assert city_counts(city).endswith(expected)


def test_analysis_examples_use_the_city_s_own_coordinates(staff_app):
    from tests.conftest import client_as

    planner = client_as(staff_app, "planner")
    krakow = planner.get("/krakow/analysis").get_data(as_text=True)
    assert "51.11, 17.03" not in krakow
    assert re.search(r"np\. 50\.\d\d, (19|20)\.\d\d, 30", krakow), "no Kraków example"
    wroclaw = planner.get("/wroclaw/analysis").get_data(as_text=True)
    assert re.search(r"np\. 51\.\d\d, (16|17)\.\d\d, 30", wroclaw)


def test_the_finder_and_the_import_template_give_examples_in_the_city(staff_app):
    """A Kraków reader is not told to type Wrocław's coordinates."""
    import io

    import openpyxl

    from tests.conftest import client_as

    page = client_as(staff_app, "anonymous").get("/krakow/services?lat=x&lon=19.9")
    message = page.get_data(as_text=True)
    assert page.status_code == 400
    assert re.search(r"np\. 50\.\d\d i (19|20)\.\d\d\.", message), "no Kraków example"
    planner = client_as(staff_app, "planner")
    sheet = planner.get("/krakow/import/template/day_centres.xlsx")
    guide = openpyxl.load_workbook(io.BytesIO(sheet.data))["Objaśnienia"]
    hints = " ".join(str(row[3]) for row in guide.iter_rows(values_only=True))
    assert re.search(r"np\. 50\.\d\d", hints) and re.search(r"np\. (19|20)\.", hints)
    assert "17.03" not in hints and "51.1" not in hints


def _markers(fmap) -> list[dict]:
    html = fmap.get_root().render()
    found = re.search(r"var markers = (\[.*?\])\.map\(", html, re.S)
    return json.loads(found.group(1))


def _pin(number, lat=51.12, lon=17.03):
    return Pin(lat, lon, str(number), f"Usługa {number}", Markup(f"<b>{number}</b>"))


def test_pins_at_one_address_become_one_marker_listing_them_all(demo_app):
    from webgis.web.map_pages import map_assets

    pins = [_pin(1), _pin(2, lat=51.10), _pin(3)]
    assert [[p.label for p in g] for g in at_one_place(pins)] == [["1", "3"], ["2"]]
    with demo_app.test_request_context("/"):
        markers = _markers(finder_map(pins, map_assets(), (17, 51, 17.1, 51.2)))
    assert len(markers) == 2
    shared = markers[0]
    assert shared["title"] == "1. Usługa 1; 3. Usługa 3"
    assert "<b>1</b>" in shared["popup"] and "<b>3</b>" in shared["popup"]
    assert ">1, 3</span>" in shared["icon"]
