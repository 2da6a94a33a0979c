"""A fifth layer is one module in a package of its own, added through the environment.

The package is written here, outside the project, with its own translations. The
layer then works everywhere the built-in ones do: forms, list, detail, API, export,
finder, analysis, permissions and "to verify" badges, in Polish and in English.
"""

import json
import sys

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from tests.conftest import (
    BOUNDARIES_DIR,
    NADODRZE,
    PASSWORD,
    STAFF,
    add_staff,
    csrf_token,
    log_in,
)
from webgis import create_app
from webgis.analysis import coverage
from webgis.core.extensions import db
from webgis.demo import load_demo
from webgis.geography import cities

LAYER_MODULE = '''
"""Meeting places a neighbourhood can use (a test layer from outside the project)."""
from layers import N_, FieldSpec, LayerSpec

LAYER = LayerSpec(
    key="meeting_places",
    title=N_("Miejsca spotkań"),
    geometry_type="Point",
    finder=True,
    fields=(
        FieldSpec("label", N_("Nazwa miejsca"), required=True, listed=True,
                  searchable=True, role="title"),
        FieldSpec("space_type", N_("Rodzaj miejsca"), "choice", required=True,
                  listed=True, role="category",
                  choices=(("room", N_("sala")), ("garden", N_("ogród")))),
        FieldSpec("seats", N_("Miejsca siedzące"), "int", maximum=500,
                  role="capacity"),
        FieldSpec("checked_on", N_("Sprawdzone"), "date", role="verified_on"),
        FieldSpec("phone", N_("Telefon"), "phone", role="phone"),
    ),
)
'''
ENGLISH = {
    "Miejsca spotkań": "Meeting places",
    "Nazwa miejsca": "Name of the place",
    "Rodzaj miejsca": "Kind of place",
    "sala": "room",
    "ogród": "garden",
    "Miejsca siedzące": "Seats",
    "Sprawdzone": "Checked on",
}
PLACE = {
    "label": "Sala sąsiedzka przy Rydygiera",
    "space_type": "room",
    "seats": "40",
    "phone": "+48 71 000 00 00",
    "location_precision": "address",
    "status": "published",
    "geometry": json.dumps(NADODRZE.__geo_interface__),
}


def write_package(root):
    """The layer package, with an English catalogue of its own labels."""
    package = root / "city_layers"
    (package / "translations" / "en" / "LC_MESSAGES").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "meeting_places.py").write_text(LAYER_MODULE)
    catalogue = Catalog(locale="en")
    for source, english in ENGLISH.items():
        catalogue.add(source, english)
    with open(package / "translations/en/LC_MESSAGES/messages.mo", "wb") as handle:
        write_mo(handle, catalogue)


@pytest.fixture(scope="module")
def fifth(tmp_path_factory):
    """The demo with the layer package named only in the environment."""
    root = tmp_path_factory.mktemp("outside")
    write_package(root)
    patch = pytest.MonkeyPatch()
    patch.syspath_prepend(str(root))
    patch.setenv("WEBGIS_LAYER_PACKAGES", "layers, city_layers")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'fifth.sqlite'}",
            "WEBGIS_BOUNDARIES_DIR": BOUNDARIES_DIR,
            "SECRET_KEY": "test",
            "WEBGIS_LOGIN_LIMIT": "1000 per minute",
            "WEBGIS_LOGIN_ADDRESS_LIMIT": "1000 per minute",
        }
    )
    with app.app_context():
        load_demo(BOUNDARIES_DIR)
        add_staff()
        db.session.remove()
    organiser = app.test_client()
    log_in(organiser, STAFF["organiser_own"][0], PASSWORD)
    token = csrf_token(organiser, "/wroclaw/layers/meeting_places/new")
    created = organiser.post(
        "/wroclaw/layers/meeting_places/new", data={**PLACE, "csrf_token": token}
    )
    assert created.status_code == 303, created.get_data(as_text=True)[-2000:]
    app.config["PLACE_URL"] = created.headers["Location"]
    yield app
    patch.undo()
    for name in [m for m in sys.modules if m.startswith("city_layers")]:
        del sys.modules[name]


def client(app, who="anonymous"):
    browser = app.test_client()
    if who != "anonymous":
        log_in(browser, STAFF[who][0], PASSWORD)
    return browser


def place_id(app) -> int:
    return int(app.config["PLACE_URL"].rsplit("/", 1)[1])


def test_the_layer_comes_from_the_environment(fifth):
    assert "meeting_places" in fifth.extensions["webgis.layers"]
    assert fifth.config["WEBGIS_LAYER_PACKAGES"] == ("layers", "city_layers")


def test_its_list_detail_and_map_show_it(fifth):
    public = client(fifth)
    listing = public.get("/wroclaw/layers/meeting_places/").get_data(as_text=True)
    assert "Sala sąsiedzka przy Rydygiera" in listing and "sala" in listing
    detail = public.get(fifth.config["PLACE_URL"]).get_data(as_text=True)
    assert "Miejsca siedzące" in detail and "40" in detail
    assert "Miejsca spotkań" in public.get("/wroclaw/map").get_data(as_text=True)


def test_its_api_and_export_carry_its_fields(fifth):
    api = client(fifth).get("/api/wroclaw/layers/meeting_places").get_json(force=True)
    (feature,) = api["features"]
    assert feature["properties"]["seats"] == 40
    csv = client(fifth).get("/wroclaw/layers/meeting_places/export.csv")
    assert "seats" in csv.get_data(as_text=True).splitlines()[0]


def test_the_finder_finds_it(fifth):
    found = client(fifth).get("/wroclaw/services?q=rydygiera")
    assert "Sala sąsiedzka przy Rydygiera" in found.get_data(as_text=True)
    page = client(fifth).get(f"/wroclaw/services/{place_id(fifth)}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "71 000 00 00" in text


def test_the_analysis_counts_its_places(fifth):
    with fifth.app_context():
        frame = coverage.facilities_frame(cities.get_city("wroclaw"), "meeting_places")
        assert frame["capacity"].sum() == 40
    page = client(fifth, "planner").get("/wroclaw/analysis?layer=meeting_places")
    assert page.status_code == 200 and "Miejsca spotkań" in page.get_data(True)


def test_staff_see_it_needs_verifying(fifth):
    detail = client(fifth, "planner").get(fifth.config["PLACE_URL"])
    assert "do weryfikacji" in detail.get_data(as_text=True)


def test_organisers_of_other_areas_cannot_edit_it(fifth):
    other = client(fifth, "organiser_other")
    assert other.get(f"{fifth.config['PLACE_URL']}/edit").status_code == 403
    own = client(fifth, "organiser_own")
    assert own.get(f"{fifth.config['PLACE_URL']}/edit").status_code == 200


def test_its_labels_come_from_its_own_catalogue(fifth):
    page = client(fifth).get("/wroclaw/layers/meeting_places/?lang=en")
    text = page.get_data(as_text=True)
    assert "Meeting places" in text and "Name of the place" in text
    assert "room" in text
