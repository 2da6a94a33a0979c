"""Cities, units and service areas in the database, through the CLI a person uses."""

import csv
import json

import pytest
import shapely
from shapely.geometry import box

from tests.conftest import BOUNDARIES_DIR, client_as, post_form, two_units, write
from webgis.core.errors import WebgisError
from webgis.core.extensions import db
from webgis.geography import cities
from webgis.geography.boundaries import METRIC_CRS
from webgis.geography.models import City, ServiceArea, Unit
from webgis.geography.service_areas import is_area_code

SHARED_CSV = BOUNDARIES_DIR / "service-areas.csv"


def city_state(code):
    """What a user would see of a city: units with their areas, and area geometries."""
    db.session.expire_all()
    city = cities.get_city(code)
    units = {
        u.number: (
            u.name,
            u.population,
            u.service_area.code if u.service_area else None,
        )
        for u in city.units
    }
    areas = {a.code: round(a.geometry.area, 12) for a in city.service_areas}
    return units, areas


def metric_area(geometries):
    from geopandas import GeoSeries

    return GeoSeries(geometries, crs="EPSG:4326").to_crs(METRIC_CRS).area.sum()


def test_demo_builds_ten_ztps_and_nine_filie(demo_app):
    with demo_app.app_context():
        wroclaw, krakow = cities.get_city("wroclaw"), cities.get_city("krakow")
        assert len(wroclaw.units) == 48 and len(wroclaw.service_areas) == 10
        assert len(krakow.units) == 18 and len(krakow.service_areas) == 9
        assert all(u.service_area is not None for u in wroclaw.units + krakow.units)
        f6 = cities.get_service_area(krakow, "F6")
        assert [u.name for u in f6.units] == ["Stare Miasto", "Grzegórzki"]


def test_union_of_service_areas_equals_union_of_units(demo_app):
    with demo_app.app_context():
        for code in ("wroclaw", "krakow"):
            city = cities.get_city(code)
            units = metric_area([shapely.union_all([u.geometry for u in city.units])])
            areas = metric_area(
                [shapely.union_all([a.geometry for a in city.service_areas])]
            )
            assert abs(areas - units) / units < 0.001, code


def test_service_area_population_sums_its_units(demo_app):
    with demo_app.app_context():
        krakow = cities.get_city("krakow")
        f6 = cities.get_service_area(krakow, "F6")
        assert f6.population == sum(u.population for u in f6.units) > 0


def test_unknown_population_stays_unknown_not_zero(demo_app):
    with demo_app.app_context():
        units = cities.units_frame(cities.get_city("wroclaw"))
        oltaszyn = units[units["name"] == "Ołtaszyn"].iloc[0]
        assert oltaszyn["population"] is None


def test_cli_builds_a_third_city_without_code_changes(runner, tmp_path):
    result = runner.invoke(
        args=[
            "cities",
            "add",
            "olawa",
            "Oława",
            "--unit-kind",
            "osiedla",
            "--area-kind",
            "rejony",
        ]
    )
    assert result.exit_code == 0, result.output
    path = write(two_units(), tmp_path / "olawa.gpkg")
    result = runner.invoke(
        args=[
            "boundaries",
            "import",
            "olawa",
            str(path),
            "--population-field",
            "population",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "zapisano 2 jednostek" in result.output
    csv = tmp_path / "rejony.csv"
    csv.write_text(
        "city,area_code,area_name,unit_no,unit_name,mapping_status\n"
        "olawa,R1,Rejon 1,1,Północ,confirmed\n"
        "olawa,R1,Rejon 1,2,Południe,confirmed\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["service-areas", "import", "olawa", str(csv)])
    assert result.exit_code == 0, result.output
    area = cities.get_service_area(cities.get_city("olawa"), "R1")
    assert area.population == 4000
    assert metric_area([area.geometry]) == pytest_approx(2_000_000, rel=1e-3)


def pytest_approx(value, rel):
    import pytest

    return pytest.approx(value, rel=rel)


def test_city_code_must_be_a_slug(runner):
    result = runner.invoke(args=["cities", "add", "Wrocław City", "Wrocław"])
    assert result.exit_code == 1
    assert "Kod miasta" in result.output
    assert db.session.query(City).count() == 0


def test_city_code_may_not_hide_an_app_page(runner):
    result = runner.invoke(args=["cities", "add", "admin", "Adminowo"])
    assert result.exit_code == 1 and "zarezerwowany" in result.output
    assert db.session.query(City).count() == 0


def import_city(runner, tmp_path, frame=None):
    runner.invoke(args=["cities", "add", "testowo", "Testowo"])
    path = write(frame if frame is not None else two_units(), tmp_path / "t.gpkg")
    result = runner.invoke(args=["boundaries", "import", "testowo", str(path)])
    assert result.exit_code == 0, result.output
    return path


def assign(runner, tmp_path, rows):
    csv = tmp_path / "areas.csv"
    csv.write_text(
        "city,area_code,area_name,unit_no\n"
        + "".join(f"testowo,{code},{name},{number}\n" for code, name, number in rows),
        encoding="utf-8",
    )
    return runner.invoke(args=["service-areas", "import", "testowo", str(csv)])


def test_failed_import_leaves_previous_units_intact(runner, tmp_path, point_file):
    import_city(runner, tmp_path)
    assign(runner, tmp_path, [("A", "Obszar A", 1), ("A", "Obszar A", 2)])
    before = city_state("testowo")
    result = runner.invoke(args=["boundaries", "import", "testowo", str(point_file)])
    assert result.exit_code == 1
    assert "Point" in result.output
    assert city_state("testowo") == before


def test_overlap_found_late_still_changes_nothing(runner, tmp_path):
    import_city(runner, tmp_path)
    before = city_state("testowo")
    frame = two_units()
    frame.loc[1, "geometry"] = frame.geometry.iloc[0].buffer(10)
    path = write(frame, tmp_path / "overlap.gpkg")
    result = runner.invoke(args=["boundaries", "import", "testowo", str(path)])
    assert result.exit_code == 1 and "nakładają się" in result.output
    assert city_state("testowo") == before


def test_reimport_replaces_units_and_keeps_assignments(runner, tmp_path):
    import_city(runner, tmp_path)
    assign(runner, tmp_path, [("A", "Obszar A", 1), ("B", "Obszar B", 2)])
    frame = two_units()
    frame["name"] = ["Północ Nowa", "Południe"]
    frame["population"] = [1500, 3000]
    x0, y0, x1, y1 = frame.geometry.iloc[0].bounds
    frame.loc[0, "geometry"] = box(x0, y0, x1, y1 + 500)  # the unit grew northwards
    path = write(frame, tmp_path / "v2.gpkg")
    result = runner.invoke(args=["boundaries", "import", "testowo", str(path)])
    assert result.exit_code == 0, result.output
    units, _ = city_state("testowo")
    assert units == {1: ("Północ Nowa", 1500, "A"), 2: ("Południe", 3000, "B")}
    area_a = cities.get_service_area(cities.get_city("testowo"), "A")
    assert metric_area([area_a.geometry]) == pytest_approx(1_500_000, rel=1e-3)


def test_reimport_with_fewer_units_removes_the_missing_one(runner, tmp_path):
    import_city(runner, tmp_path)
    path = write(two_units().iloc[[0]], tmp_path / "one.gpkg")
    result = runner.invoke(args=["boundaries", "import", "testowo", str(path)])
    assert result.exit_code == 0
    assert "Usunięto jednostki: 2 (Południe)" in result.output
    assert db.session.query(Unit).count() == 1


def test_moving_a_unit_to_another_area_moves_the_geometry(runner, tmp_path):
    import_city(runner, tmp_path)
    assign(runner, tmp_path, [("A", "Obszar A", 1), ("A", "Obszar A", 2)])
    result = assign(runner, tmp_path, [("A", "Obszar A", 1), ("B", "Obszar B", 2)])
    assert result.exit_code == 0, result.output
    city = cities.get_city("testowo")
    sizes = {a.code: metric_area([a.geometry]) for a in city.service_areas}
    assert sizes == {"A": pytest_approx(1e6, 1e-3), "B": pytest_approx(1e6, 1e-3)}


def test_unit_assigned_twice_is_refused_and_nothing_changes(runner, tmp_path):
    import_city(runner, tmp_path)
    assign(runner, tmp_path, [("A", "Obszar A", 1), ("A", "Obszar A", 2)])
    before = city_state("testowo")
    result = assign(runner, tmp_path, [("A", "Obszar A", 1), ("B", "Obszar B", 1)])
    assert result.exit_code == 1
    assert "jednostka 1 (Północ) przypisana dwa razy" in result.output
    assert "wiersz 2" in result.output and "wiersz 3" in result.output
    assert city_state("testowo") == before


def test_unassigned_unit_is_reported(runner, tmp_path):
    import_city(runner, tmp_path)
    result = assign(runner, tmp_path, [("A", "Obszar A", 1)])
    assert result.exit_code == 0
    assert "Jednostki bez obszaru: 2 (Południe)" in result.output


def test_unknown_unit_in_assignment_is_refused(runner, tmp_path):
    import_city(runner, tmp_path)
    result = assign(runner, tmp_path, [("A", "Obszar A", 1), ("A", "Obszar A", 99)])
    assert result.exit_code == 1
    assert "wiersz 3: miasto nie ma jednostki nr '99'" in result.output
    assert db.session.query(ServiceArea).count() == 0


def test_assignment_csv_without_required_columns_is_refused(runner, tmp_path):
    import_city(runner, tmp_path)
    csv = tmp_path / "bad.csv"
    csv.write_text("miasto,kod\ntestowo,A\n", encoding="utf-8")
    result = runner.invoke(args=["service-areas", "import", "testowo", str(csv)])
    assert result.exit_code == 1
    assert "brakuje kolumn: city, area_code, area_name, unit_no" in result.output


def test_assignment_before_boundaries_is_refused(runner):
    runner.invoke(args=["cities", "add", "pusto", "Pusto"])
    result = runner.invoke(args=["service-areas", "import", "pusto", str(SHARED_CSV)])
    assert result.exit_code == 1 and "najpierw zaimportuj granice" in result.output


def test_import_into_unknown_city_is_refused(runner, two_units_file):
    result = runner.invoke(
        args=["boundaries", "import", "atlantyda", str(two_units_file)]
    )
    assert result.exit_code == 1 and "Nie ma miasta „atlantyda”" in result.output


def test_demo_twice_is_harmless(runner):
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    assert db.session.query(City).count() == 2
    assert db.session.query(Unit).count() == 48 + 18
    assert db.session.query(ServiceArea).count() == 10 + 9


def test_db_init_is_idempotent(runner):
    for _ in range(2):
        result = runner.invoke(args=["db", "init"])
        assert result.exit_code == 0 and "Baza gotowa" in result.output


# -- broken files are refused through the command, and change nothing ----------------


def test_cli_refuses_nan_coordinates_naming_the_unit_and_changes_nothing(
    runner, tmp_path
):
    import_city(runner, tmp_path)
    assign(runner, tmp_path, [("A", "Obszar A", 1), ("A", "Obszar A", 2)])
    before = city_state("testowo")
    data = json.loads(two_units("EPSG:4326").to_json(drop_id=True))
    data["features"][1]["geometry"]["coordinates"][0][2] = "NAN"
    path = tmp_path / "nan.geojson"
    path.write_text(json.dumps(data).replace('"NAN"', "[17.0, NaN]"))
    result = runner.invoke(args=["boundaries", "import", "testowo", str(path)])
    assert result.exit_code == 1
    assert "obiekt 2 (Południe): współrzędne nie są skończonymi" in result.output
    assert "Traceback" not in result.output
    assert city_state("testowo") == before


def test_cli_refuses_a_damaged_dbf_naming_the_file_and_changes_nothing(
    runner, tmp_path
):
    import_city(runner, tmp_path)
    before = city_state("testowo")
    shp = write(two_units(), tmp_path / "osiedla.shp")
    shp.with_suffix(".dbf").write_bytes(b"\x03garbage" * 40)
    result = runner.invoke(args=["boundaries", "import", "testowo", str(shp)])
    assert result.exit_code == 1
    assert "Nie można odczytać pliku osiedla.dbf" in result.output
    assert "--name-field" not in result.output
    assert city_state("testowo") == before


def write_csv(tmp_path, content: bytes):
    path = tmp_path / "obszary.csv"
    path.write_bytes(content)
    return path


HEADER = "city,area_code,area_name,unit_no\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "brakuje kolumn: city, area_code, area_name, unit_no."),
        (HEADER.encode(), "plik nie zawiera wierszy dla miasta 'testowo'"),
        (
            (HEADER + "testowo,A,Śródmieście,1\n").encode("cp1250"),
            "obszary.csv nie jest zapisany w UTF-8",
        ),
        (
            (HEADER + "testowo,A,Obszar A,1\n").encode("utf-16"),
            "obszary.csv nie jest zapisany w UTF-8",
        ),
        (
            HEADER.replace(",", ";").encode() + b"testowo;A;Obszar A;1\n",
            "(kolumny mają być rozdzielone przecinkami)",
        ),
        (
            HEADER.encode() + b'testowo,A,"' + b"x" * 200_000 + b'",1\n',
            "Nie można odczytać pliku obszary.csv jako CSV",
        ),
        (
            (HEADER + "testowo,A," + "x" * 201 + ",1\n").encode(),
            "wiersz 2: nazwa obszaru dłuższa niż 200 znaków",
        ),
        (
            b"city,area_code,area_name,unit_no,mapping_status\n"
            b"testowo,A,Obszar A,1," + b"s" * 41 + b"\n",
            "wiersz 2: mapping_status dłuższy niż 40 znaków",
        ),
    ],
    ids=[
        "empty",
        "header-only",
        "cp1250",
        "utf-16",
        "semicolons",
        "huge-field",
        "long-name",
        "long-status",
    ],
)
def test_unreadable_assignment_csv_is_refused_and_changes_nothing(
    runner, tmp_path, content, message
):
    import_city(runner, tmp_path)
    assign(runner, tmp_path, [("A", "Obszar A", 1), ("B", "Obszar B", 2)])
    before = city_state("testowo")
    path = write_csv(tmp_path, content)
    result = runner.invoke(args=["service-areas", "import", "testowo", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert city_state("testowo") == before


# -- service-area codes become page addresses: /<city>/areas/<code> -----------------

UNREACHABLE_CODES = [
    "a/b",
    "..",
    ".",
    ".hidden",
    "-A",
    "a b",
    "a?b",
    "a#b",
    "50%",
    "a\\b",
    "Śródmieście",
    "unit-3",
    "A" * 41,
]


def test_every_code_of_the_shared_assignment_file_is_allowed():
    with SHARED_CSV.open(encoding="utf-8") as handle:
        codes = {row["area_code"] for row in csv.DictReader(handle)}
    assert len(codes) == 19
    assert all(is_area_code(code) for code in codes), codes


@pytest.mark.parametrize("code", ["ZTPS-7", "F6", "R1", "a.b_c-9", "A" * 40])
def test_ordinary_codes_are_allowed(code):
    assert is_area_code(code)


@pytest.mark.parametrize("code", UNREACHABLE_CODES)
def test_assignment_with_an_unreachable_area_code_is_refused_naming_code_and_row(
    runner, tmp_path, code
):
    import_city(runner, tmp_path)
    path = tmp_path / "areas.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        rows = csv.writer(handle)
        rows.writerow(["city", "area_code", "area_name", "unit_no"])
        rows.writerow(["testowo", "A", "Obszar A", 1])
        rows.writerow(["testowo", code, "Obszar zły", 2])
    result = runner.invoke(args=["service-areas", "import", "testowo", str(path)])
    assert result.exit_code == 1
    assert f"wiersz 3: niedozwolony kod obszaru {code!r}" in result.output
    assert db.session.query(ServiceArea).count() == 0


@pytest.mark.parametrize("code", UNREACHABLE_CODES)
def test_admin_cannot_add_an_area_with_an_unreachable_code(runner, tmp_path, code):
    import_city(runner, tmp_path)
    city = cities.get_city("testowo")
    with pytest.raises(WebgisError) as excinfo:
        cities.add_service_area(city, code, "Obszar zły")
    assert f"Niedozwolony kod obszaru „{code}”" in str(excinfo.value)
    assert db.session.query(ServiceArea).count() == 0


def test_admin_page_refuses_an_unreachable_code_and_keeps_ordinary_ones(staff_app):
    admin = client_as(staff_app, "admin")
    url = "/admin/krakow/service-areas/new"
    form = "/admin/krakow/service-areas"
    response = post_form(admin, url, {"new-code": "a/b", "new-name": "Zły"}, form)
    assert response.status_code == 303
    page = admin.get(form).get_data(as_text=True)
    assert "Niedozwolony kod obszaru „a/b”" in page
    response = post_form(admin, url, {"new-code": "F-10.b", "new-name": "Nowa"}, form)
    assert response.status_code == 303
    with staff_app.app_context():
        krakow = cities.get_city("krakow")
        codes = [a.code for a in krakow.service_areas]
        # Other tests on this shared app expect every area of Kraków to have units.
        cities.remove_service_area(krakow, "F-10.b")
    assert "F-10.b" in codes and "a/b" not in codes


def test_every_allowed_code_routes_back_to_its_area_page(demo_app):
    with SHARED_CSV.open(encoding="utf-8") as handle:
        codes = {row["area_code"] for row in csv.DictReader(handle)}
    urls = demo_app.url_map.bind("localhost")
    for code in [*codes, "a.b_c-9", "F-10.b", "A" * 40]:
        address = {"city_code": "wroclaw", "area_code": code}
        url = urls.build("main.service_area", address)
        assert urls.match(url) == ("main.service_area", address), url


def drawn(code):
    """What a page draws of the city: area names, unit names, extent, area shapes."""
    db.session.expire_all()
    outline = cities.outline(cities.get_city(code))
    shapes = (
        json.loads(outline.area_geojson)["geometries"] if outline.area_geojson else []
    )
    return outline.areas, outline.units, outline.extent, len(shapes)


def test_what_pages_draw_of_a_city_follows_every_change_of_its_boundaries(
    runner, tmp_path, point_file
):
    # The outline is cached per version of the boundaries: each way of changing
    # them must give the city a new version, or pages would draw the old ones.
    runner.invoke(args=["cities", "add", "testowo", "Testowo"])
    assert drawn("testowo") == ((), (), None, 0)
    import_city(runner, tmp_path)
    _areas, units, extent, _shapes = drawn("testowo")
    assert units == ((2, "Południe"), (1, "Północ"))  # by name
    assign(runner, tmp_path, [("A", "Obszar A", 1), ("B", "Obszar B", 2)])
    assert drawn("testowo")[0] == (("A", "Obszar A"), ("B", "Obszar B"))
    assert drawn("testowo")[3] == 2

    grown = two_units()
    x0, y0, x1, y1 = grown.geometry.iloc[0].bounds
    grown.loc[0, "geometry"] = box(x0, y0, x1, y1 + 500)
    grown["name"] = ["Północ Nowa", "Południe"]
    import_city(runner, tmp_path, grown)
    _areas, units, wider, _shapes = drawn("testowo")
    assert "Północ Nowa" in dict(units).values() and wider[3] > extent[3]

    city = cities.get_city("testowo")
    cities.reassign_units(city, {2: "A"})
    assert drawn("testowo")[3] == 1  # B has no units left, so no outline
    cities.add_service_area(cities.get_city("testowo"), "C", "Obszar C")
    assert ("C", "Obszar C") in drawn("testowo")[0]
    cities.remove_service_area(cities.get_city("testowo"), "B")
    assert [code for code, _name in drawn("testowo")[0]] == ["A", "C"]

    before = (cities.get_city("testowo").boundaries_version, drawn("testowo"))
    result = runner.invoke(args=["boundaries", "import", "testowo", str(point_file)])
    assert result.exit_code == 1  # refused: nothing changed, nor the version
    assert (cities.get_city("testowo").boundaries_version, drawn("testowo")) == before


def test_the_finder_and_the_map_show_an_area_added_a_moment_ago(staff_app):
    # Another request (or process) changed the areas: the next page shows them,
    # though both pages keep what they draw of the boundaries.
    client = client_as(staff_app, "anonymous")
    pages = ["/wroclaw/services", "/wroclaw/map"]
    assert all("Obszar dodany przed chwilą" not in client.get(p).text for p in pages)
    with staff_app.app_context():
        area = cities.add_service_area(
            cities.get_city("wroclaw"), "ZTPS-NEW", "Obszar dodany przed chwilą"
        )
        assert area.code == "ZTPS-NEW"
    try:
        assert all("Obszar dodany przed chwilą" in client.get(p).text for p in pages)
    finally:
        with staff_app.app_context():
            cities.remove_service_area(cities.get_city("wroclaw"), "ZTPS-NEW")
    assert all("Obszar dodany przed chwilą" not in client.get(p).text for p in pages)
