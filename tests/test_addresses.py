"""The address register: a city's file imported, addresses found offline, and used.

Every test writes the small address file it needs; no city's register is shipped.
Geocoding serves the finder's "from", the forms' address field (a typed address,
a clicked point) and the bulk import, on SQLite and on PostGIS.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import geopandas as gpd
import pytest
import sqlalchemy as sa
from shapely.geometry import Point, box

from tests.conftest import (
    BACKENDS,
    NADODRZE,
    _database_url,
    client_as,
    demo_database,
    make_app,
    new_feature,
    two_units,
    write,
)
from tests.test_import import (  # noqa: F401 (fixtures)
    city,
    imported,
    imports_app,
    planned,
    problems,
    stored,
    write_csv,
)
from webgis.core import backup
from webgis.core.extensions import db
from webgis.database import _migration, init_db, upgrade_db
from webgis.geography import address_files, addresses, cities, geocoding
from webgis.geography.addresses import AddressPoint
from webgis.geography.boundaries import metric_transformer

# -- the register the tests write: a few addresses around ul. Rydygiera, Wrocław -------

X0, Y0 = metric_transformer().transform(NADODRZE.x, NADODRZE.y)
#: As the register's CSV conversions write it (x is the easting, y the northing).
PRG_HEADER = "ulica;numer_porzadkowy;kod_pocztowy;status;x_epsg_2180;y_epsg_2180"
RYDYGIERA = {
    number: (X0 + i * 30, Y0 + i * 10)
    for i, number in enumerate(["41", "43", "43A", "45"])
}
JEDNOSCI = {
    "100": (X0, Y0 + 200),
    "102": (X0 + 50, Y0 + 200),
    "104": (X0 + 100, Y0 + 200),
}
STRZELECKI = (X0 - 150, Y0 - 100)
#: A street the register writes without its kind, and two that differ only by it.
ARMII_KRAJOWEJ = (X0 - 300, Y0 + 100)
KOSCIUSZKI = {
    "Tadeusza Kościuszki": (X0 - 300, Y0 - 200),
    "Plac Tadeusza Kościuszki": (X0 - 400, Y0 - 200),
}


def register_rows() -> list[str]:
    """Fifteen rows: twelve addresses, and three the import must leave out."""
    rows = [
        f"Ludwika Rydygiera;{n};50-249;istniejacy;{x};{y}"
        for n, (x, y) in RYDYGIERA.items()
    ]
    rows += [
        f"Jedności Narodowej;{n};50-260;;{x};{y}" for n, (x, y) in JEDNOSCI.items()
    ]
    rows.append(f"Plac Strzelecki;5;50-224;istniejacy;{STRZELECKI[0]};{STRZELECKI[1]}")
    rows.append(f"Jedności Narodowej;;50-260;;{X0};{Y0}")  # no number
    rows.append(f"ul. Ludwika Rydygiera;43;50-249;;{X0 + 900};{Y0}")  # again
    rows.append(f"Ludwika Rydygiera;47;50-249;prognozowany;{X0 + 80};{Y0 + 60}")
    rows.append(f"Armii Krajowej;1;50-541;;{ARMII_KRAJOWEJ[0]};{ARMII_KRAJOWEJ[1]}")
    rows += [f"{street};5;50-001;;{x};{y}" for street, (x, y) in KOSCIUSZKI.items()]
    return rows


def write_register(path, rows, header=PRG_HEADER, encoding="utf-8"):
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def lonlat(x: float, y: float) -> Point:
    return Point(metric_transformer().transform(x, y, direction="INVERSE"))


@pytest.fixture(scope="module", params=BACKENDS)
def register_app(request, tmp_path_factory):
    """The demo with staff, and Wrocław's register from a test file (CLI import)."""
    directory = tmp_path_factory.mktemp("register")
    app = demo_database(request.param, directory, "register", staff=True)
    path = write_register(directory / "adresy.csv", register_rows())
    result = app.test_cli_runner().invoke(
        args=["addresses", "import", "wroclaw", str(path)]
    )
    assert result.exit_code == 0, result.output
    app.config["REGISTER_OUTPUT"] = result.output
    yield app
    with app.app_context():
        db.engine.dispose()


def test_import_counts_what_it_stored_and_names_what_it_left_out(register_app):
    output = register_app.config["REGISTER_OUTPUT"]
    assert "Wrocław: zapisano punkty adresowe: 11 (ulice: 6)." in output
    assert "Pominięto wiersze: 3." in output
    assert "bez numeru: 1 — wiersz 10 (Jedności Narodowej)" in output
    assert "powtórzony adres: 1 — wiersz 11 (ul. Ludwika Rydygiera 43)" in output
    assert "stan „prognozowany” (adres nieistniejący): 1 — wiersz 12" in output


# -- geocoding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "label", "precision", "where"),
    [
        ("Rydygiera 43", "Ludwika Rydygiera 43", "address", RYDYGIERA["43"]),
        ("rydygiera 43a", "Ludwika Rydygiera 43A", "address", RYDYGIERA["43A"]),
        ("43 Rydygiera", "Ludwika Rydygiera 43", "address", RYDYGIERA["43"]),
        ("ul. Rydygiera 43", "Ludwika Rydygiera 43", "address", RYDYGIERA["43"]),
        ("RYDYGIERA 43 A", "Ludwika Rydygiera 43A", "address", RYDYGIERA["43A"]),
        ("Rydygira 43", "Ludwika Rydygiera 43", "address", RYDYGIERA["43"]),
        ("Rydygeira 45", "Ludwika Rydygiera 45", "address", RYDYGIERA["45"]),
        (
            "ul. Ludwika Rydygiera 41, 50-249 Wrocław",
            "Ludwika Rydygiera 41",
            "address",
            RYDYGIERA["41"],
        ),
        ("pl. Strzelecki 5", "Plac Strzelecki 5", "address", STRZELECKI),
        ("al. Armii Krajowej 1", "Armii Krajowej 1", "address", ARMII_KRAJOWEJ),
        (
            "pl. Kościuszki 5",
            "Plac Tadeusza Kościuszki 5",
            "address",
            KOSCIUSZKI["Plac Tadeusza Kościuszki"],
        ),
        (
            "Kościuszki 5",
            "Tadeusza Kościuszki 5",
            "address",
            KOSCIUSZKI["Tadeusza Kościuszki"],
        ),
        ("Jedności Narodowej 999", "Jedności Narodowej", "street", JEDNOSCI["102"]),
        ("jednosci narodowej", "Jedności Narodowej", "street", JEDNOSCI["102"]),
    ],
)
def test_a_typed_address_is_found_in_the_register(
    register_app, typed, label, precision, where
):
    with register_app.app_context():
        found = geocoding.geocode(cities.get_city("wroclaw"), typed)
    assert (found.label, found.precision) == (label, precision)
    assert found.point.distance(lonlat(*where)) < 1e-7  # about a centimetre


def test_a_unit_name_is_found_when_no_street_has_it(register_app):
    with register_app.app_context():
        city = cities.get_city("wroclaw")
        found = geocoding.geocode(city, "Ołbin")
        nowhere = geocoding.geocode(city, "Atlantyda 5")
    assert (found.label, found.precision) == ("Ołbin", "unit")
    assert nowhere is None


def test_two_typing_mistakes_are_not_guessed(register_app):
    with register_app.app_context():
        assert geocoding.geocode(cities.get_city("wroclaw"), "Rydgira 43") is None


def test_the_nearest_address_of_a_point(register_app):
    x, y = RYDYGIERA["43A"]
    with register_app.app_context():
        city = cities.get_city("wroclaw")
        near = geocoding.reverse(city, *lonlat(x + 3, y - 4).coords[0])
        far = geocoding.reverse(city, *lonlat(x + 2000, y).coords[0])
    assert near.label == "Ludwika Rydygiera 43A" and 4.9 < near.distance < 5.1
    assert far is None


# -- the finder's "from" ---------------------------------------------------------------


def token() -> str:
    return "zz" + uuid.uuid4().hex[:10]


def titles(page: str) -> list[str]:
    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', page)


@pytest.mark.parametrize(
    ("typed", "nearest"),
    [
        ("Rydygiera 43", "Pod 43"),
        ("rydygiera 43a", "Pod 43A"),
        ("43 Rydygiera", "Pod 43"),
        ("Rydygira 43a", "Pod 43A"),
    ],
)
def test_the_finder_measures_from_a_typed_address(register_app, typed, nearest):
    word = token()
    for number in ("43", "43A"):
        where = lonlat(*RYDYGIERA[number])
        new_feature(register_app, point=where, name=f"Pod {number} {word}")
    client = client_as(register_app, "anonymous")
    page = client.get(f"/wroclaw/services?q={word}&from={typed}").get_data(as_text=True)
    assert [t.split()[:2] for t in titles(page)][0] == nearest.split()
    assert "<strong>0 m</strong>" in page and "<strong>30 m</strong>" in page
    label = "Ludwika Rydygiera " + nearest.split()[1]
    assert f"Szukamy od: {label} (dokładność: adres)." in page


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("Jedności Narodowej 999", "Jedności Narodowej (dokładność: ulica)"),
        ("Ołbin", "Ołbin (dokładność: jednostka (osiedle, dzielnica))"),
    ],
)
def test_the_finder_falls_back_to_the_street_and_to_units(register_app, typed, said):
    client = client_as(register_app, "anonymous")
    response = client.get(f"/wroclaw/services?from={typed}")
    assert response.status_code == 200
    assert f"Szukamy od: {said}." in response.get_data(as_text=True)


def test_the_finder_names_a_place_it_cannot_find(register_app):
    client = client_as(register_app, "anonymous")
    response = client.get("/wroclaw/services?from=Atlantyda 5")
    assert response.status_code == 400
    assert "Nie znaleziono miejsca „Atlantyda 5”" in response.get_data(as_text=True)


# -- the forms' lookups ----------------------------------------------------------------


def test_the_form_finds_a_typed_address(register_app):
    client = client_as(register_app, "organiser_own")
    found = client.get("/wroclaw/addresses/geocode?q=rydygiera 43a").get_json()
    assert found["found"] is True and found["precision"] == "address"
    assert found["address"] == "Ludwika Rydygiera 43A, 50-249 Wrocław"
    assert Point(found["lon"], found["lat"]).distance(lonlat(*RYDYGIERA["43A"])) < 1e-7
    missing = client.get("/wroclaw/addresses/geocode?q=Atlantyda 5").get_json()
    assert missing["found"] is False
    assert "Nie znaleziono adresu „Atlantyda 5”" in missing["message"]


def test_a_point_clicked_on_a_form_gets_its_nearest_address(register_app):
    client = client_as(register_app, "planner")
    point = lonlat(RYDYGIERA["45"][0] + 6, RYDYGIERA["45"][1] + 8)
    near = client.get(f"/wroclaw/addresses/reverse?lat={point.y}&lon={point.x}")
    assert near.get_json()["address"] == "Ludwika Rydygiera 45, 50-249 Wrocław"
    assert (
        "Najbliższy adres: Ludwika Rydygiera 45 (10 m stąd)."
        == near.get_json()["message"]
    )
    far = lonlat(X0 + 3000, Y0)
    answer = client.get(f"/wroclaw/addresses/reverse?lat={far.y}&lon={far.x}")
    assert answer.get_json()["found"] is False


def test_the_lookups_are_for_staff_only(register_app):
    client = client_as(register_app, "anonymous")
    response = client.get("/wroclaw/addresses/geocode?q=rydygiera 43")
    assert response.status_code in (302, 401) and "Rydygiera" not in response.get_data(
        as_text=True
    )


# -- the import command's refusals -----------------------------------------------------


@pytest.fixture
def testowo(runner, tmp_path):
    """A city of two 1 km units in Wrocław with one address stored."""
    runner.invoke(args=["cities", "add", "testowo", "Testowo"])
    units = write(two_units(), tmp_path / "units.gpkg")
    assert (
        runner.invoke(args=["boundaries", "import", "testowo", str(units)]).exit_code
        == 0
    )
    good = write_register(tmp_path / "good.csv", ["Testowa;1;50-001;;360500;360500"])
    result = runner.invoke(args=["addresses", "import", "testowo", str(good)])
    assert result.exit_code == 0, result.output
    return runner


def stored_labels() -> list[str]:
    return [
        f"{p.street} {p.number}"
        for p in db.session.scalars(sa.select(AddressPoint).order_by(AddressPoint.id))
    ]


@pytest.mark.parametrize(
    ("header", "rows", "options", "message"),
    [
        (
            "ulica;x_epsg_2180;y_epsg_2180",
            ["Testowa;360500;360500"],
            [],
            "Nie znaleziono kolumny z numerem domu; wskaż ją opcją --number-field",
        ),
        (
            "ulica;numer;X;Y",
            ["Testowa;2;360500;360600"],
            [],
            "nie mówi, w jakim układzie są współrzędne X, Y; podaj go opcją --crs",
        ),
        (PRG_HEADER, [], [], "nie zawiera żadnych adresów"),
        (
            PRG_HEADER,
            ["Testowa;2;;;360600;360500", "Testowa;3;;;100;100"],
            [],
            "wiersz 3 (Testowa 3): leży poza Polską",
        ),
        (
            PRG_HEADER,
            ["Testowa;2;;;360600;360500", "Testowa;3;;;365000;360500"],
            [],
            "wiersz 3 (Testowa 3): leży poza miastem",
        ),
        (
            PRG_HEADER,
            ["Testowa;2;5O-249;;360600;360500"],
            [],
            "wiersz 2 (Testowa 2), kolumna kod_pocztowy: kod pocztowy '5O-249' "
            "nie ma postaci 00-000",
        ),
        (
            PRG_HEADER,
            ["Testowa;2;;;abc;360500"],
            [],
            "wiersz 2, kolumna x_epsg_2180: 'abc' nie jest liczbą",
        ),
        (
            "ulica;numer;X;Y",
            ["Testowa;2;360500;360600"],
            ["--crs", "EPSG:2180"],
            "Wskaż je opcjami --x-field (wschód, easting; w PRG zwykle Y)",
        ),
        (
            PRG_HEADER,
            ["Testowa;2;;;360600;360500"],
            ["--street-field", "nazwa"],
            "W pliku nie ma kolumny 'nazwa'",
        ),
        (
            PRG_HEADER,
            ["Testowa;2;;;360600;360500"],
            ["--crs", "EPSG:99999"],
            "Nieznany układ współrzędnych",
        ),
    ],
    ids=[
        "no number column",
        "no CRS",
        "empty",
        "outside Poland",
        "outside the city",
        "bad postcode",
        "coordinate not a number",
        "X and Y unclear",
        "no such column",
        "unknown CRS",
    ],
)
def test_a_bad_file_is_refused_naming_the_row_and_nothing_changes(
    testowo, tmp_path, header, rows, options, message
):
    path = write_register(tmp_path / "zly.csv", rows, header=header)
    result = testowo.invoke(
        args=["addresses", "import", "testowo", str(path), *options]
    )
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert stored_labels() == ["Testowa 1"]


def test_an_empty_file_is_refused(testowo, tmp_path):
    path = tmp_path / "pusty.csv"
    path.write_bytes(b"")
    result = testowo.invoke(args=["addresses", "import", "testowo", str(path)])
    assert result.exit_code == 1 and "jest pusty" in result.output
    assert stored_labels() == ["Testowa 1"]


def test_a_point_is_offered_only_an_address_within_250_m(testowo):
    testowo_city = cities.get_city("testowo")  # its one address: (360500, 360500)
    near = geocoding.reverse(testowo_city, *lonlat(360_650, 360_650).coords[0])
    assert near.label == "Testowa 1" and 211 < near.distance < 213
    # Within the box the index is asked for, but not within the circle.
    far = geocoding.reverse(testowo_city, *lonlat(360_700, 360_700).coords[0])
    assert far is None


def test_a_city_without_units_is_refused(runner, tmp_path):
    runner.invoke(args=["cities", "add", "pustowo", "Pustowo"])
    path = write_register(tmp_path / "a.csv", ["Testowa;1;;;360500;360500"])
    result = runner.invoke(args=["addresses", "import", "pustowo", str(path)])
    assert result.exit_code == 1 and "najpierw zaimportuj granice" in result.output


def test_a_new_file_replaces_the_city_register(testowo, tmp_path):
    path = write_register(
        tmp_path / "nowy.csv",
        ["Nowa;1;50-002;;361500;360500", "Nowa;2;50002;;361520;360500"],
    )
    result = testowo.invoke(args=["addresses", "import", "testowo", str(path)])
    assert result.exit_code == 0, result.output
    assert stored_labels() == ["Nowa 1", "Nowa 2"]
    assert [p.postcode for p in db.session.scalars(sa.select(AddressPoint))] == [
        "50-002"
    ] * 2
    testowo_city = cities.get_city("testowo")
    assert geocoding.geocode(testowo_city, "Testowa 1", units=False) is None
    assert addresses.count(testowo_city) == 2


# -- the register's other file formats -------------------------------------------------

PRG_2012 = """<?xml version="1.0" encoding="utf-8"?>
<gml:FeatureCollection xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:gml="http://www.opengis.net/gml/3.2"
 xmlns:prg-ad="urn:gugik:specyfikacje:gmlas:panstwowyRejestrGranicAdresy:1.0"
 gml:id="prg-ad"><gml:featureMembers>
 <prg-ad:PRG_PunktAdresowy gml:id="A1">
  <prg-ad:jednostkaAdmnistracyjna>Polska</prg-ad:jednostkaAdmnistracyjna>
  <prg-ad:jednostkaAdmnistracyjna>dolnośląskie</prg-ad:jednostkaAdmnistracyjna>
  <prg-ad:miejscowosc>Testowo</prg-ad:miejscowosc>
  <prg-ad:ulica>Gmlowa</prg-ad:ulica>
  <prg-ad:numerPorzadkowy>7B</prg-ad:numerPorzadkowy>
  <prg-ad:kodPocztowy>50-007</prg-ad:kodPocztowy>
  <prg-ad:status>istniejacy</prg-ad:status>
  <prg-ad:pozycja><gml:Point srsName="urn:ogc:def:crs:EPSG::2180" gml:id="G1">
   <gml:pos>360700 361300</gml:pos></gml:Point></prg-ad:pozycja>
 </prg-ad:PRG_PunktAdresowy>
 <prg-ad:PRG_MiejscowoscNazwa gml:id="M1"><prg-ad:nazwa>Testowo</prg-ad:nazwa>
  <prg-ad:pozycja><gml:Point srsName="urn:ogc:def:crs:EPSG::2180" gml:id="G2">
   <gml:pos>360500 361000</gml:pos></gml:Point></prg-ad:pozycja>
 </prg-ad:PRG_MiejscowoscNazwa>
</gml:featureMembers></gml:FeatureCollection>
"""

PRG_2021 = """<?xml version="1.0" encoding="UTF-8"?>
<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml/3.2"
 xmlns:xlink="http://www.w3.org/1999/xlink"
 xmlns:prgad="https://geoportal.gov.pl/schemas/prgad/1.0">
 <gml:featureMember><prgad:AD_PunktAdresowy gml:id="P1">
  <prgad:numerPorzadkowy>12</prgad:numerPorzadkowy>
  <prgad:georeferencja><gml:Point srsName="EPSG:2180">
   <gml:pos>361200 360400</gml:pos></gml:Point></prgad:georeferencja>
  <prgad:kodPocztowy>50-012</prgad:kodPocztowy>
  <prgad:ulica2 xlink:href="#U1" />
 </prgad:AD_PunktAdresowy></gml:featureMember>
 <gml:featureMember><prgad:AD_UlicaPlac gml:id="U1">
  <prgad:nazwaPelna>Plac Nowego Modelu</prgad:nazwaPelna>
  <prgad:adres2 xlink:href="#P1" />
 </prgad:AD_UlicaPlac></gml:featureMember>
</gml:FeatureCollection>
"""


@pytest.mark.parametrize(
    ("name", "text", "typed", "label", "where"),
    [
        ("adresy.xml", PRG_2012, "gmlowa 7b", "Gmlowa 7B", (361300, 360700)),
        (
            "NOWE_adresy.gml",
            PRG_2021,
            "pl. Nowego Modelu 12",
            "Plac Nowego Modelu 12",
            (361200, 360400),
        ),
    ],
    ids=["model 2012", "model 2021"],
)
def test_the_register_gml_is_read(testowo, tmp_path, name, text, typed, label, where):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = testowo.invoke(args=["addresses", "import", "testowo", str(path)])
    assert result.exit_code == 0, result.output
    found = geocoding.geocode(cities.get_city("testowo"), typed)
    assert found.label == label
    assert found.point.distance(lonlat(*where)) < 1e-7
    assert list(tmp_path.glob("*.gfs")) == []  # GDAL's schema stays out of the folder


def test_own_column_names_are_given_by_options(testowo, tmp_path):
    frame = gpd.GeoDataFrame(
        {"nazwa_ul": ["Własna"], "nr": ["3"], "pna": ["50-003"]},
        geometry=[Point(361000, 360200)],
        crs="EPSG:2180",
    )
    path = write(frame, tmp_path / "wlasne.gpkg")
    refused = testowo.invoke(args=["addresses", "import", "testowo", str(path)])
    assert refused.exit_code == 1
    assert (
        "Nie znaleziono kolumny z ulicą; wskaż ją opcją --street-field"
        in refused.output
    )
    options = ["--street-field", "nazwa_ul", "--postcode-field", "pna"]
    result = testowo.invoke(
        args=["addresses", "import", "testowo", str(path), *options]
    )
    assert result.exit_code == 0, result.output
    found = geocoding.geocode(cities.get_city("testowo"), "Własna 3")
    assert (found.label, found.postcode) == ("Własna 3", "50-003")


def test_x_and_y_written_the_surveyors_way_are_read_where_they_fit(runner, tmp_path):
    """Polish surveying calls the northing X; in Kraków only one order fits the city."""
    runner.invoke(args=["cities", "add", "krakowek", "Krakówek"])
    units = gpd.GeoDataFrame(
        {"unit_no": [1], "name": ["Rynek"]},
        geometry=[box(566_000, 244_000, 567_000, 245_000)],
        crs="EPSG:2180",
    )
    path = write(units, tmp_path / "krakowek.gpkg")
    assert (
        runner.invoke(args=["boundaries", "import", "krakowek", str(path)]).exit_code
        == 0
    )
    register = write_register(
        tmp_path / "k.csv",
        ["Floriańska;1;31-019;244500;566500"],
        header="ULICA;NUMER;KOD_POCZTOWY;X;Y",
    )
    result = runner.invoke(
        args=["addresses", "import", "krakowek", str(register), "--crs", "EPSG:2180"]
    )
    assert result.exit_code == 0, result.output
    assert "odwrotnej kolejności (X ↔ Y)" in result.output
    found = geocoding.geocode(cities.get_city("krakowek"), "Floriańska 1")
    assert found.point.distance(lonlat(566_500, 244_500)) < 1e-7


# -- the bulk import places rows by address --------------------------------------------


def test_the_bulk_import_places_rows_by_address(imports_app, city, tmp_path):  # noqa: F811
    with imports_app.app_context():
        place = cities.get_city(city)
        path = write_register(
            tmp_path / "r.csv",
            ["Importowa;1;50-100;;360400;360400", "Importowa;3;50-100;;360600;360400"],
        )
        found = address_files.read_address_file(path)
        prepared = address_files.prepare(found, cities.city_outline(place))
        addresses.replace_addresses(place, prepared.points, prepared.streets)
        db.session.remove()
    rows = [
        ["name", "facility_type", "operator", "address"],
        ["Pod jedynką", "ddp", "X", "ul. Importowa 1"],
        ["Na ulicy", "ddp", "X", "Importowa 99"],
        ["Nigdzie", "ddp", "X", "Atlantyda 5"],
    ]
    path = write_csv(tmp_path / "rows.csv", rows)
    plan = planned(imports_app, city, path)
    assert problems(plan) == [
        (
            4,
            "Adres",
            "Nie znaleziono adresu „Atlantyda 5” w rejestrze adresów miasta ani wśród "
            "jego obiektów i jednostek; podaj współrzędne albo jednostkę.",
        )
    ]
    path = write_csv(tmp_path / "rows.csv", rows[:3])
    imported(imports_app, city, path)
    saved = stored(imports_app, city)
    assert saved["Pod jedynką"]["location_precision"] == "address"
    assert saved["Pod jedynką"]["_geometry"].distance(lonlat(360400, 360400)) < 1e-7
    assert saved["Na ulicy"]["location_precision"] == "street"


# -- pure parts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("rydygiera", "rydygira", True),  # a letter left out
        ("rydygiera", "rydygierra", True),  # one added
        ("rydygiera", "rydygiara", True),  # one changed
        ("rydygiera", "rydygeira", True),  # two swapped
        ("rydygiera", "rydgira", False),
        ("rydygiera", "rydygiera", True),
        ("abcd", "badc", False),
    ],
)
def test_one_typing_mistake_at_most(a, b, expected):
    assert geocoding.within_one_edit(a, b) is expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Rydygiera 43", [("rydygiera", "43"), ("rydygiera 43", "")]),
        ("43 Rydygiera", [("rydygiera", "43"), ("43 rydygiera", "")]),
        ("ul. Rydygiera 43 a", [("rydygiera", "43a"), ("rydygiera 43a", "")]),
        ("3 Maja 12", [("3 maja", "12"), ("maja", "3"), ("3 maja 12", "")]),
        (
            "Al. Armii Krajowej 5, 50-541 Wrocław",
            [
                ("aleja armii krajowej", "5"),
                ("aleja armii krajowej 5", ""),
                ("armii krajowej", "5"),
                ("armii krajowej 5", ""),
            ],
        ),
        ("12", []),
    ],
)
def test_the_ways_to_read_a_typed_address(typed, expected):
    assert [(r.street, r.number) for r in geocoding.readings(typed)] == expected


def test_a_street_is_typed_by_its_last_words_and_its_kind():
    assert geocoding.street_names(geocoding.street_key("pl. Tadeusza Kościuszki")) == [
        "plac tadeusza kosciuszki",
        "tadeusza kosciuszki",
        "kosciuszki",
        "plac kosciuszki",
    ]
    assert geocoding.street_names("jana pawla ii") == ["jana pawla ii", "pawla ii"]


# -- an older backup restored over a database that has the register --------------------


@pytest.fixture
def postgis_app(tmp_path):
    """A fresh PostGIS database of its own (restores replace the whole schema)."""
    app = make_app(_database_url("postgresql", tmp_path, "register_restore"))
    with app.app_context():
        init_db()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_an_older_backup_restores_over_the_register_tables_on_postgis(
    postgis_app, tmp_path, monkeypatch
):
    """Tables newer than a backup go with the restore, in its one transaction."""
    runner = postgis_app.test_cli_runner()
    _migration("downgrade", "0004")  # as before the register existed
    older = tmp_path / "older.backup"
    assert runner.invoke(args=["backup", str(older)]).exit_code == 0
    upgrade_db()
    runner.invoke(args=["cities", "add", "testowo", "Testowo"])
    units = write(two_units(), tmp_path / "units.gpkg")
    runner.invoke(args=["boundaries", "import", "testowo", str(units)])
    register = write_register(tmp_path / "a.csv", ["Testowa;1;50-001;;360500;360500"])
    assert (
        runner.invoke(args=["addresses", "import", "testowo", str(register)]).exit_code
        == 0
    )

    # A failure at the end of the restore undoes the dropped tables too.
    real = backup._run

    def failing_at_the_end(command, url, failure):
        if Path(command[0]).name == "psql":
            command = [*command, "--command", "SELECT 1/0"]
        return real(command, url, failure)

    monkeypatch.setattr(backup, "_run", failing_at_the_end)
    refused = runner.invoke(args=["restore", str(older)])
    assert refused.exit_code == 1 and "baza nie została zmieniona" in refused.output
    assert stored_labels() == ["Testowa 1"]
    monkeypatch.undo()

    restored = runner.invoke(args=["restore", str(older)])
    assert restored.exit_code == 0, restored.output
    assert "uruchom „webgis db upgrade”" in restored.output
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert stored_labels() == [] and cities.list_cities() == []


def test_a_table_the_app_does_not_know_still_stops_a_restore_on_postgis(
    postgis_app, tmp_path
):
    runner = postgis_app.test_cli_runner()
    backup_file = tmp_path / "now.backup"
    assert runner.invoke(args=["backup", str(backup_file)]).exit_code == 0
    db.session.execute(sa.text("CREATE TABLE someone_elses (id integer)"))
    db.session.commit()
    refused = runner.invoke(args=["restore", str(backup_file)])
    assert refused.exit_code == 1
    assert "Baza ma tabele, których nie ma w kopii" in refused.output
    assert "someone_elses" in refused.output and "address_points" not in refused.output
