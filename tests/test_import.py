"""Bulk import: files read, columns matched, rows checked like forms, all or nothing.

Each test imports into a small city of its own (two 1 km units in Wrocław, service
areas A1 and A2), so what one test stores cannot make another's rows duplicates.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import zipfile

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import Point, box

from tests.conftest import BACKENDS, PASSWORD, _database_url, make_app
from tests.test_export_roundtrip import STAFF_READER, lonlat, small_city
from webgis.accounts import users
from webgis.core.errors import ImportRefused
from webgis.core.extensions import db
from webgis.database import init_db
from webgis.features import importing, store
from webgis.features.models import Revision
from webgis.geography import cities

#: The middle of unit 1 (Północ, area A1) and of unit 2 (Południe, area A2).
NORTH = Point(lonlat(360_500, 360_500))
SOUTH = Point(lonlat(361_500, 360_500))
KRAKOW = Point(19.94, 50.06)
CODES = itertools.count()


@pytest.fixture(scope="module", params=BACKENDS)
def imports_app(request, tmp_path_factory):
    """An empty database with a planner; each test adds a city of its own."""
    directory = tmp_path_factory.mktemp("imports")
    app = make_app(_database_url(request.param, directory, "imports"))
    with app.app_context():
        init_db()
        users.create_user("planista-imp@test.invalid", "planner", "P", PASSWORD, [])
        db.session.commit()
        db.session.remove()
    app.config["TEST_DIRECTORY"] = directory
    # Uploads kept between the wizard's steps go to this test's own folder.
    app.instance_path = str(directory / "instance")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def city(imports_app) -> str:
    """The code of a new, empty small city."""
    code = f"imp-{next(CODES)}"
    with imports_app.app_context():
        small_city(code, imports_app.config["TEST_DIRECTORY"])
        db.session.remove()
    return code


def organiser_of(app, code: str) -> str:
    """An organiser working in area A1 of the city; returns the e-mail."""
    email = f"org-{code}@test.invalid"
    with app.app_context():
        users.create_user(
            email, "organiser", "O", PASSWORD, users.find_areas([f"{code}:A1"])
        )
        db.session.commit()
        db.session.remove()
    return email


def write_csv(path, rows, separator=",", encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, sheets: dict[str, list[list]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


CENTRE = ["name", "facility_type", "operator", "lon", "lat"]


def centre(name="Świetlica Północ", kind="ddp", point=NORTH, operator="Fundacja X"):
    return [name, kind, operator, point.x, point.y]


def planned(app, code, path, layer="day_centres", user=None, mapping=None, **options):
    """The plan of importing ``path`` into the city (proposed mapping by default)."""
    with app.test_request_context():
        source = importing.read_source(path, path.name)
        spec = app.extensions["webgis.layers"][layer]
        chosen = importing.propose_mapping(spec, source.columns)
        person = users.get_user_by_email(user) if user else None
        city = cities.get_city(code)
        plan = importing.plan(person, city, spec, source, mapping or chosen, **options)
        db.session.remove()
        return plan


def imported(app, code, path, layer="day_centres", user=None, **options) -> list[int]:
    """Import ``path``; returns the ids of the saved features."""
    with app.test_request_context():
        source = importing.read_source(path, path.name)
        spec = app.extensions["webgis.layers"][layer]
        mapping = importing.propose_mapping(spec, source.columns)
        person = users.get_user_by_email(user) if user else None
        city = cities.get_city(code)
        plan = importing.plan(person, city, spec, source, mapping, **options)
        ids = [f.id for f in importing.run(person, city, spec, plan)]
        db.session.remove()
        return ids


def stored(app, code, layer="day_centres") -> dict[str, dict]:
    """The city's features of the layer by title: properties, status, geometry."""
    with app.app_context():
        spec = app.extensions["webgis.layers"][layer]
        found = {
            f.title: {**f.properties, "_status": f.status, "_geometry": f.geometry}
            for f in store.visible(cities.get_city(code), spec, STAFF_READER)
        }
        db.session.remove()
        return found


def problems(plan) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.message) for p in plan.problems]


# -- files ----------------------------------------------------------------------------


def test_semicolon_csv_in_windows_1250_keeps_polish_letters(
    imports_app, city, tmp_path
):
    path = write_csv(
        tmp_path / "placówki.csv",
        [CENTRE, centre("Świetlica Żółta Łąka")],
        separator=";",
        encoding="cp1250",
    )
    imported(imports_app, city, path)
    assert "Świetlica Żółta Łąka" in stored(imports_app, city)


def test_comma_csv_with_a_byte_order_mark_is_read(imports_app, city, tmp_path):
    path = tmp_path / "bom.csv"
    write_csv(path, [CENTRE, centre("Klub ąę")])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    imported(imports_app, city, path)
    assert "Klub ąę" in stored(imports_app, city)


def test_the_chosen_sheet_of_a_workbook_is_read(imports_app, city, tmp_path):
    path = write_xlsx(
        tmp_path / "arkusz.xlsx",
        {"Inne": [["x"], ["y"]], "Placówki": [CENTRE, centre("Z arkusza")]},
    )
    with imports_app.test_request_context():
        source = importing.read_source(path, path.name, sheet="Placówki")
    assert source.parts == ["Inne", "Placówki"] and source.rows[0][0] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "jest pusty"),
        (b"name,operator\r\n", "nie zawiera żadnych wierszy"),
        (b"\r\n\r\n", "nie zawiera żadnych danych"),
    ],
    ids=["empty", "header only", "blank lines"],
)
def test_a_file_without_data_is_refused(imports_app, tmp_path, content, message):
    path = tmp_path / "pusty.csv"
    path.write_bytes(content)
    with imports_app.test_request_context(), pytest.raises(ImportRefused) as refused:
        importing.read_source(path, path.name)
    assert message in str(refused.value) and "pusty.csv" in str(refused.value)


def test_a_sheet_the_workbook_lacks_is_refused_naming_the_sheets(imports_app, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"Dane": [CENTRE], "Opis": [["x"]]})
    with imports_app.test_request_context(), pytest.raises(ImportRefused) as refused:
        importing.read_source(path, path.name, sheet="Placówki")
    assert "„Placówki”" in str(refused.value) and "Dane, Opis" in str(refused.value)


def test_a_zip_without_a_shapefile_is_refused(imports_app, tmp_path):
    path = tmp_path / "warstwa.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("czytaj.txt", "nic")
    with imports_app.test_request_context(), pytest.raises(ImportRefused) as refused:
        importing.read_source(path, path.name)
    assert "nie zawiera pliku .shp" in str(refused.value)


@pytest.mark.parametrize("name", ["dane.xls", "dane.ods", "dane.shp"])
def test_a_format_we_do_not_read_is_refused(imports_app, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"not empty")
    with imports_app.test_request_context(), pytest.raises(ImportRefused) as refused:
        importing.read_source(path, name)
    assert "przyjmujemy CSV, XLSX" in str(refused.value)


def test_a_file_over_the_limit_is_refused(imports_app, tmp_path):
    path = write_csv(tmp_path / "duzy.csv", [CENTRE] + [centre()] * 100)
    with imports_app.test_request_context(), pytest.raises(ImportRefused) as refused:
        importing.read_source(path, path.name, max_bytes=1000)
    assert "można wczytać najwyżej" in str(refused.value)


def test_a_damaged_workbook_is_refused(imports_app, tmp_path):
    path = tmp_path / "zepsuty.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with imports_app.test_request_context(), pytest.raises(ImportRefused) as refused:
        importing.read_source(path, path.name)
    assert "jako arkusza XLSX" in str(refused.value)


@pytest.mark.parametrize("name", ["zepsuty.gpkg", "zepsuty.geojson"])
def test_a_damaged_gis_file_is_refused_without_the_servers_paths(
    imports_app, tmp_path, name
):
    path = tmp_path / name
    path.write_bytes(b"to nie jest plik GIS")
    with imports_app.test_request_context(), pytest.raises(ImportRefused) as refused:
        importing.read_source(path, name)
    assert f"Nie można odczytać pliku {name}." in str(refused.value)
    assert str(tmp_path) not in str(refused.value)


def test_a_geojson_in_cs92_metres_is_reprojected(imports_app, city, tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["Metryczna"], "facility_type": ["ddp"], "operator": ["X"]},
        geometry=[Point(360_500, 360_500)],
        crs="EPSG:2180",
    )
    path = tmp_path / "metry.gpkg"
    frame.to_file(path, engine="pyogrio")
    imported(imports_app, city, path)
    geometry = stored(imports_app, city)["Metryczna"]["_geometry"]
    assert geometry.distance(NORTH) < 1e-6


def test_a_shapefile_without_a_crs_is_refused(imports_app, tmp_path):
    frame = gpd.GeoDataFrame({"name": ["X"]}, geometry=[NORTH], crs="EPSG:4326")
    frame.to_file(tmp_path / "bez.shp", engine="pyogrio")
    (tmp_path / "bez.prj").unlink()
    path = tmp_path / "bez.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in ("shp", "shx", "dbf"):
            archive.write(tmp_path / f"bez.{part}", f"bez.{part}")
    with imports_app.test_request_context(), pytest.raises(ImportRefused) as refused:
        importing.read_source(path, path.name)
    assert "nie określa układu współrzędnych" in str(refused.value)


def test_a_geopackage_layer_is_chosen_from_several(imports_app, city, tmp_path):
    path = tmp_path / "warstwy.gpkg"
    centres = gpd.GeoDataFrame(
        {"name": ["Z warstwy"], "facility_type": ["ddp"], "operator": ["X"]},
        geometry=[NORTH],
        crs="EPSG:4326",
    )
    centres.to_file(path, layer="placowki", engine="pyogrio")
    other = gpd.GeoDataFrame({"opis": ["inna"]}, geometry=[SOUTH], crs="EPSG:4326")
    other.to_file(path, layer="inne", engine="pyogrio")
    with imports_app.test_request_context():
        first = importing.read_source(path, path.name)
        chosen = importing.read_source(path, path.name, layer="inne")
        with pytest.raises(ImportRefused) as refused:
            importing.read_source(path, path.name, layer="brak")
    assert (first.parts, first.part, first.columns) == (
        ["placowki", "inne"],
        "placowki",
        ["name", "facility_type", "operator"],
    )
    assert chosen.columns == ["opis"]
    assert "„brak”" in str(refused.value)


# -- columns and values -------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        ["Nazwa *", "Typ placówki", "Prowadzący", "lon", "lat"],
        ["Name", "Facility type", "Operator", "longitude", "latitude"],
        ["Назва", "Тип закладу", "Оператор", "dlugosc", "szerokosc"],
    ],
    ids=["pl", "en", "uk"],
)
def test_columns_are_matched_by_labels_in_each_language(imports_app, tmp_path, header):
    with imports_app.test_request_context():
        spec = imports_app.extensions["webgis.layers"]["day_centres"]
        mapping = importing.propose_mapping(spec, header)
    assert mapping == {
        0: "name",
        1: "facility_type",
        2: "operator",
        3: "place:lon",
        4: "place:lat",
    }


def test_vocabulary_values_may_be_keys_or_labels_in_any_language(
    imports_app, city, tmp_path
):
    names = ["klucz", "polska", "angielska", "ukraińska"]
    kinds = [
        "ddp",
        "Dzienny Dom Pomocy (DDP)",
        "day care home (ddp)",
        "Центр денного перебування (DDP)",
    ]
    rows = [
        centre(n, k, Point(NORTH.x + i * 0.001, NORTH.y))
        for i, (n, k) in enumerate(zip(names, kinds, strict=True))
    ]
    imported(imports_app, city, write_csv(tmp_path / "slownik.csv", [CENTRE, *rows]))
    found = stored(imports_app, city)
    assert {found[n]["facility_type"] for n in names} == {"ddp"}


def test_an_unknown_category_is_named_by_row_and_column(imports_app, city, tmp_path):
    path = write_csv(
        tmp_path / "zle.csv", [CENTRE, centre(), centre("Druga", "nieznany typ")]
    )
    plan = planned(imports_app, city, path)
    assert problems(plan) == [(3, "facility_type", "Nieznane wartości: nieznany typ.")]


def test_dates_in_iso_or_polish_form_are_read(imports_app, city, tmp_path):
    header = [*CENTRE, "verified_on"]
    rows = [
        [*centre("ISO"), "2013-05-01"],
        [*centre("Polska", point=SOUTH), "01.05.2013"],
    ]
    imported(imports_app, city, write_csv(tmp_path / "daty.csv", [header, *rows]))
    found = stored(imports_app, city)
    assert found["ISO"]["verified_on"] == found["Polska"]["verified_on"] == "2013-05-01"


@pytest.mark.parametrize("value", ["2099-01-01", "31.02.2013", "wczoraj"])
def test_a_date_in_the_future_or_unreadable_is_a_problem(
    imports_app, city, tmp_path, value
):
    header = [*CENTRE, "verified_on"]
    path = write_csv(tmp_path / "daty.csv", [header, [*centre(), value]])
    ((row, column, _message),) = problems(planned(imports_app, city, path))
    assert (row, column) == (2, "verified_on")


def test_lists_are_split_on_semicolons_or_commas(imports_app, city, tmp_path):
    header = [*CENTRE, "target_groups"]
    rows = [
        [*centre("Średniki"), "seniors; families_with_children"],
        [
            *centre("Przecinki", point=SOUTH),
            "Osoby starsze (seniorzy), families_with_children",
        ],
    ]
    imported(imports_app, city, write_csv(tmp_path / "listy.csv", [header, *rows]))
    found = stored(imports_app, city)
    assert found["Średniki"]["target_groups"] == ["seniors", "families_with_children"]
    assert found["Przecinki"]["target_groups"] == ["seniors", "families_with_children"]


def test_a_number_out_of_range_is_a_problem(imports_app, city, tmp_path):
    header = [*CENTRE, "capacity"]
    path = write_csv(tmp_path / "miejsca.csv", [header, [*centre(), "20000"]])
    assert [c for _r, c, _m in problems(planned(imports_app, city, path))] == [
        "capacity"
    ]


def test_a_missing_required_field_is_named(imports_app, city, tmp_path):
    path = write_csv(tmp_path / "brak.csv", [CENTRE, centre(operator="")])
    assert problems(planned(imports_app, city, path)) == [
        (2, "operator", "To pole jest wymagane.")
    ]


# -- where features are ---------------------------------------------------------------


def test_x_and_y_in_cs92_place_a_point_whichever_way_round(imports_app, city, tmp_path):
    header = ["name", "facility_type", "operator", "x", "y"]
    rows = [
        ["Wschód-północ", "ddp", "X", "360500", "360500,0"],
        ["Odwrotnie", "ddp", "X", 360_400, 361_500],
    ]
    imported(imports_app, city, write_csv(tmp_path / "xy.csv", [header, *rows]))
    found = stored(imports_app, city)
    assert found["Wschód-północ"]["_geometry"].distance(NORTH) < 1e-6
    expected = Point(lonlat(361_500, 360_400))
    assert found["Odwrotnie"]["_geometry"].distance(expected) < 1e-6


def test_wkt_places_an_area(imports_app, city, tmp_path):
    area = box(NORTH.x - 0.001, NORTH.y - 0.001, NORTH.x + 0.001, NORTH.y + 0.001)
    header = ["name", "formal", "partnership_status", "wkt"]
    path = write_csv(
        tmp_path / "wkt.csv", [header, ["Partnerstwo", "formalne", "działa", area.wkt]]
    )
    imported(imports_app, city, path, layer="partnerships")
    found = stored(imports_app, city, "partnerships")["Partnerstwo"]
    assert found["_geometry"].equals(area) and found["formal"] == "formal"


def test_a_unit_places_a_point_at_its_middle_with_unit_precision(
    imports_app, city, tmp_path
):
    header = ["name", "facility_type", "operator", "jednostka"]
    rows = [["Po nazwie", "ddp", "X", "Północ"], ["Po numerze", "ddp", "X", 2]]
    imported(imports_app, city, write_csv(tmp_path / "j.csv", [header, *rows]))
    found = stored(imports_app, city)
    assert found["Po nazwie"]["location_precision"] == "unit"
    assert found["Po nazwie"]["_geometry"].distance(NORTH) < 1e-3
    assert found["Po numerze"]["_geometry"].distance(SOUTH) < 1e-3


def test_a_unit_is_the_area_of_an_area_layer(imports_app, city, tmp_path):
    header = ["name", "service_area", "years_from", "unit"]
    path = write_csv(tmp_path / "pal.csv", [header, ["Program", "A1", "2015", "1; 2"]])
    imported(imports_app, city, path, layer="pal")
    area = stored(imports_app, city, "pal")["Program"]["_geometry"]
    assert area.covers(NORTH) and area.covers(SOUTH)


def test_a_known_address_places_with_address_precision(imports_app, city, tmp_path):
    header = [*CENTRE, "address"]
    known = [*centre("Znany"), "ul. Rydygiera 43"]
    imported(imports_app, city, write_csv(tmp_path / "a.csv", [header, known]))
    header = ["name", "facility_type", "operator", "address"]
    path = write_csv(
        tmp_path / "b.csv",
        [header, ["Pod tym adresem", "ddp", "Y", "UL. RYDYGIERA 43"]],
    )
    imported(imports_app, city, path)
    found = stored(imports_app, city)["Pod tym adresem"]
    assert found["location_precision"] == "address"
    assert found["_geometry"].distance(NORTH) < 1e-9


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (["Bez miejsca", "ddp", "X", "", ""], "miejsce", "Brak miejsca"),
        (["Kraków", "ddp", "X", KRAKOW.x, KRAKOW.y], "lon, lat", "poza granicami"),
        (["Zły", "ddp", "X", "17,a", "51"], "lon, lat", "Niepoprawne współrzędne"),
    ],
    ids=["no place", "outside the city", "not a number"],
)
def test_a_row_without_a_place_in_the_city_is_a_problem(
    imports_app, city, tmp_path, row, column, message
):
    path = write_csv(tmp_path / "m.csv", [CENTRE, row])
    ((number, found_column, found),) = problems(planned(imports_app, city, path))
    assert (number, found_column) == (2, column) and message in found


def test_an_organiser_imports_only_into_their_areas(imports_app, city, tmp_path):
    email = organiser_of(imports_app, city)
    path = write_csv(
        tmp_path / "obszary.csv",
        [CENTRE, centre("U siebie"), centre("U sąsiada", point=SOUTH)],
    )
    plan = planned(imports_app, city, path, user=email)
    assert problems(plan) == [(3, "lon, lat", "Poza Twoimi obszarami.")]
    with pytest.raises(ImportRefused):
        imported(imports_app, city, path, user=email)
    assert stored(imports_app, city) == {}


# -- what is written -------------------------------------------------------------


def test_rows_become_drafts_with_an_import_revision_and_the_file_as_source(
    imports_app, city, tmp_path
):
    path = write_csv(tmp_path / "zrodlo.csv", [CENTRE, centre()])
    (feature_id,) = imported(imports_app, city, path)
    found = stored(imports_app, city)["Świetlica Północ"]
    assert found["_status"] == "draft"
    assert found["data_source"] == "Import: zrodlo.csv"
    with imports_app.app_context():
        revisions = db.session.query(Revision).filter_by(feature_id=feature_id).all()
        assert [(r.action, r.version) for r in revisions] == [("import", 1)]
        db.session.remove()


def test_publish_on_request(imports_app, city, tmp_path):
    path = write_csv(tmp_path / "pub.csv", [CENTRE, centre()])
    imported(imports_app, city, path, publish=True)
    assert stored(imports_app, city)["Świetlica Północ"]["_status"] == "published"


def test_a_duplicate_is_skipped_unless_updating_is_asked(imports_app, city, tmp_path):
    first = write_csv(tmp_path / "1.csv", [CENTRE, centre(operator="Stary")])
    imported(imports_app, city, first)
    near = Point(NORTH.x + 0.0003, NORTH.y)  # about 20 m east
    far = Point(NORTH.x + 0.003, NORTH.y)  # about 200 m east
    again = write_csv(
        tmp_path / "2.csv",
        [
            CENTRE,
            centre("ŚWIETLICA PÓŁNOC", point=near, operator="Nowy"),
            centre("Inna", point=far),
        ],
    )
    plan = planned(imports_app, city, again)
    assert [(p.number, round(p.distance)) for p in plan.duplicates] == [(2, 21)]
    assert imported(imports_app, city, again) and len(stored(imports_app, city)) == 2
    imported(imports_app, city, again, update_duplicates=True)
    found = stored(imports_app, city)
    assert len(found) == 2 and found["ŚWIETLICA PÓŁNOC"]["operator"] == "Nowy"


def test_one_bad_row_of_ten_thousand_is_named_and_nothing_is_written(
    imports_app, city, tmp_path
):
    rows = [
        centre(
            f"Placówka {i}",
            point=Point(NORTH.x + (i % 100) * 1e-5, NORTH.y + (i // 100) * 1e-5),
        )
        for i in range(10_000)
    ]
    rows[7_776][1] = "nieznany"
    path = write_csv(tmp_path / "duzo.csv", [CENTRE, *rows])
    with pytest.raises(ImportRefused) as refused:
        imported(imports_app, city, path)
    assert [str(p) for p in refused.value.problems] == [
        "wiersz 7778, facility_type: Nieznane wartości: nieznany."
    ]
    assert stored(imports_app, city) == {}


# -- the template ----------------------------------------------------------------


def test_the_template_marks_required_columns_and_offers_lists(imports_app, city):
    with imports_app.test_request_context():
        spec = imports_app.extensions["webgis.layers"]["day_centres"]
        data = importing.template(cities.get_city(city), spec, None)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Nazwa *", "Typ placówki *", "Prowadzący *"]
    assert sheet["B1"].comment.text == "Klucz: facility_type"
    assert headers[-3:] == [
        "Długość geograficzna (lon)",
        "Szerokość geograficzna (lat)",
        "Jednostka (nazwa lub numer)",
    ]
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    # the facility types (16 in the demo vocabulary), chosen from a list
    assert lists["B2:B2000"] == "'Listy'!$B$1:$B$16"
    choices = [c.value for c in book["Listy"]["B"] if c.value]
    assert "Dzienny Dom Pomocy (DDP)" in choices
    assert book["Objaśnienia"]["A1"].value == "Kolumna"


def test_a_filled_template_imports(imports_app, city, tmp_path):
    with imports_app.test_request_context():
        spec = imports_app.extensions["webgis.layers"]["day_centres"]
        data = importing.template(cities.get_city(city), spec, None)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    row = {
        "Nazwa *": "Z szablonu",
        "Typ placówki *": "Dzienny Dom Pomocy (DDP)",
        "Prowadzący *": "Fundacja",
        "Liczba miejsc": 15,
        "Godziny otwarcia": "poniedziałek 08:00-16:00; piątek 10:00-12:00",
        "Przykład (dane nieprawdziwe)": "tak",
        "Jednostka (nazwa lub numer)": "Północ",
    }
    sheet.append([row.get(h) for h in headers])
    path = tmp_path / "szablon.xlsx"
    book.save(path)
    imported(imports_app, city, path)
    found = stored(imports_app, city)["Z szablonu"]
    assert found["capacity"] == 15 and found["sample"] is True
    # days named one by one become OpenStreetMap's syntax
    assert found["opening_hours"] == "Mo 08:00-16:00; Fr 10:00-12:00"


# -- the command line ---------------------------------------------------------------


def test_the_command_line_checks_with_dry_run_then_imports(imports_app, city, tmp_path):
    path = write_csv(tmp_path / "cli.csv", [CENTRE, centre()])
    runner = imports_app.test_cli_runner()
    dry = runner.invoke(
        args=["features", "import", city, "day_centres", str(path), "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "nic nie zapisano" in dry.output and stored(imports_app, city) == {}
    done = runner.invoke(
        args=["features", "import", city, "day_centres", str(path), "--publish"]
    )
    assert done.exit_code == 0, done.output
    assert stored(imports_app, city)["Świetlica Północ"]["_status"] == "published"


def test_the_command_line_refuses_a_bad_file_naming_the_row(
    imports_app, city, tmp_path
):
    path = write_csv(tmp_path / "zly.csv", [CENTRE, centre(kind="nieznany")])
    result = imports_app.test_cli_runner().invoke(
        args=["features", "import", city, "day_centres", str(path)]
    )
    assert result.exit_code == 1
    assert "wiersz 2, facility_type: Nieznane wartości: nieznany." in result.output
    assert stored(imports_app, city) == {}


def test_the_command_line_refuses_an_unknown_layer(imports_app, city, tmp_path):
    path = write_csv(tmp_path / "x.csv", [CENTRE, centre()])
    result = imports_app.test_cli_runner().invoke(
        args=["features", "import", city, "benches", str(path)]
    )
    assert result.exit_code == 1 and "benches" in result.output


def test_geojson_lists_and_objects_are_read(imports_app, city, tmp_path):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [NORTH.x, NORTH.y]},
                "properties": {
                    "name": "Z GeoJSON",
                    "facility_type": "ddp",
                    "operator": "X",
                    "target_groups": ["seniors"],
                    "opening_hours": {"tue": [["09:00", "11:00"]]},
                },
            }
        ],
    }
    path = tmp_path / "dane.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    imported(imports_app, city, path)
    found = stored(imports_app, city)["Z GeoJSON"]
    assert found["target_groups"] == ["seniors"]
    assert found["opening_hours"] == "Tu 09:00-11:00"  # an object of days, converted
