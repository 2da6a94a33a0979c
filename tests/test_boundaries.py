"""Reading and checking boundary files: pure functions, no database."""

import json
import math
import zipfile

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from tests.conftest import BOUNDARIES_DIR, WROCLAW_X, WROCLAW_Y, two_units, write
from webgis.core.errors import ImportRefused
from webgis.geography.boundaries import clean_name, prepare_units, read_boundary_file


def load(path, crs=None, **fields):
    return prepare_units(read_boundary_file(path, crs=crs), **fields)


def problems_of(excinfo) -> str:
    return str(excinfo.value)


def test_wroclaw_osiedla_import_with_populations():
    result = load(
        BOUNDARIES_DIR / "wroclaw-osiedla.geojson", population_field="population_approx"
    )
    units = result.units
    assert len(units) == 48
    assert units.crs == "EPSG:4326"
    assert set(units.geom_type) == {"MultiPolygon"}
    assert units.loc[units["number"] == 34, "name"].item() == "Leśnica"
    missing = units.loc[units["population"].isna(), "name"].tolist()
    assert sorted(missing) == ["Ołtaszyn", "Wojszyce"]
    assert any("Ołtaszyn" in note for note in result.notes)
    assert 280 < units["area_km2"].sum() < 300  # Wrocław is 293 km²


def test_krakow_self_intersection_is_repaired_and_reported():
    result = load(
        BOUNDARIES_DIR / "krakow-dzielnice.geojson", population_field="population_2019"
    )
    assert len(result.units) == 18
    assert result.units.is_valid.all()
    repairs = [n for n in result.notes if "naprawiono" in n]
    assert len(repairs) == 1 and "Podgórze" in repairs[0]
    assert "Self-intersection" in repairs[0]


def test_projected_file_is_reprojected_to_the_right_place(two_units_file):
    units = load(two_units_file).units
    expected = two_units().to_crs("EPSG:4326")
    for got, want in zip(units.geometry, expected.geometry, strict=True):
        assert got.centroid.distance(want.centroid) < 1e-5  # about a metre
    # Central Wrocław, not somewhere else
    lon, lat = units.geometry.iloc[0].centroid.coords[0]
    assert 16.8 < lon < 17.2 and 51.0 < lat < 51.2
    assert units["area_km2"].tolist() == [1.0, 1.0]


def test_shapefile_without_crs_is_refused_unless_crs_given(tmp_path):
    path = write(two_units(), tmp_path / "units.shp")
    path.with_suffix(".prj").unlink()
    with pytest.raises(ImportRefused, match="--crs"):
        read_boundary_file(path)
    units = load(path, crs="EPSG:2180").units
    assert len(units) == 2


def test_crs_option_overrides_a_geojson_that_hides_its_projection(tmp_path):
    # GeoJSON is WGS 84 by definition; a file written in CS92 without saying so
    # looks like metres far outside Poland and must be refused with a hint.
    data = json.loads(two_units().to_json(drop_id=True))
    data.pop("crs", None)
    path = tmp_path / "metres.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ImportRefused) as excinfo:
        load(path)
    assert "poza Polską" in problems_of(excinfo)
    assert "--crs" in problems_of(excinfo)
    assert len(load(path, crs="EPSG:2180").units) == 2


def test_unknown_crs_is_refused(two_units_file):
    with pytest.raises(ImportRefused, match="Nieznany układ"):
        read_boundary_file(two_units_file, crs="EPSG:999999")


def test_self_intersecting_polygon_is_repaired_and_reported(tmp_path):
    x, y = WROCLAW_X, WROCLAW_Y
    bowtie = Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000)])
    frame = gpd.GeoDataFrame(
        {"unit_no": [7], "name": ["Kokarda"]}, geometry=[bowtie], crs="EPSG:2180"
    )
    result = load(write(frame, tmp_path / "bowtie.gpkg"))
    assert result.units.is_valid.all()
    assert result.units["area_km2"].item() == pytest.approx(0.5, abs=0.001)
    assert any("Kokarda" in n and "Self-intersection" in n for n in result.notes)


def test_points_are_refused_naming_the_feature(point_file):
    with pytest.raises(ImportRefused) as excinfo:
        load(point_file)
    assert "obiekt 1 (Punkt)" in problems_of(excinfo)
    assert "Point" in problems_of(excinfo)


def test_file_outside_poland_is_refused(tmp_path):
    paris = gpd.GeoDataFrame(
        {"unit_no": [1], "name": ["Paryż"]},
        geometry=[box(2.3, 48.8, 2.4, 48.9)],
        crs="EPSG:4326",
    )
    with pytest.raises(ImportRefused) as excinfo:
        load(write(paris, tmp_path / "paris.geojson"))
    assert "Paryż" in problems_of(excinfo) and "poza Polską" in problems_of(excinfo)


def test_empty_feature_collection_is_refused(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(ImportRefused, match="nie zawiera żadnych obiektów"):
        read_boundary_file(path)


def test_zero_byte_file_is_refused(tmp_path):
    path = tmp_path / "nothing.geojson"
    path.write_bytes(b"")
    with pytest.raises(ImportRefused, match="nothing.geojson"):
        read_boundary_file(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ImportRefused, match="Nie ma pliku"):
        read_boundary_file(tmp_path / "nope.gpkg")


def test_zip_without_shapefile_is_refused(tmp_path):
    path = tmp_path / "granice.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("czytaj.txt", "granice osiedli")
    with pytest.raises(ImportRefused) as excinfo:
        read_boundary_file(path)
    assert ".shp" in problems_of(excinfo) and "czytaj.txt" in problems_of(excinfo)


def test_broken_zip_is_refused(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(ImportRefused, match="zip"):
        read_boundary_file(path)


def test_zipped_shapefile_is_read(tmp_path):
    shp = write(two_units(), tmp_path / "osiedla.shp")
    path = tmp_path / "osiedla.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in tmp_path.glob("osiedla.*"):
            if part.suffix != ".zip":
                archive.write(part, f"dane/{part.name}")
    assert shp.exists()
    units = load(path).units
    assert sorted(units["name"]) == ["Południe", "Północ"]


def test_duplicate_unit_numbers_are_refused(tmp_path):
    frame = two_units()
    frame["unit_no"] = [5, 5]
    with pytest.raises(ImportRefused) as excinfo:
        load(write(frame, tmp_path / "dup.gpkg"))
    assert "numer 5 powtarza się" in problems_of(excinfo)


def test_missing_names_are_refused(tmp_path):
    frame = two_units()
    frame["name"] = ["Północ", None]
    with pytest.raises(ImportRefused) as excinfo:
        load(write(frame, tmp_path / "noname.gpkg"))
    assert "obiekt 2: brak nazwy" in problems_of(excinfo)


def test_missing_name_field_lists_available_fields(tmp_path):
    frame = two_units().rename(columns={"name": "NAZWA_OSIEDLA"})
    path = write(frame, tmp_path / "fields.gpkg")
    with pytest.raises(ImportRefused) as excinfo:
        load(path)
    assert "--name-field" in problems_of(excinfo)
    assert "NAZWA_OSIEDLA" in problems_of(excinfo)
    assert len(load(path, name_field="NAZWA_OSIEDLA").units) == 2


def test_non_integer_unit_number_is_refused(tmp_path):
    frame = two_units()
    frame["unit_no"] = ["1", "dwa"]
    with pytest.raises(ImportRefused, match="'dwa' nie jest liczbą całkowitą"):
        load(write(frame, tmp_path / "num.gpkg"))


def test_negative_population_is_refused(tmp_path):
    frame = two_units()
    frame["population"] = [100, -5]
    with pytest.raises(ImportRefused, match="niepoprawna liczba mieszkańców"):
        load(write(frame, tmp_path / "pop.gpkg"))


def test_overlapping_units_are_refused(tmp_path):
    x, y = WROCLAW_X, WROCLAW_Y
    frame = gpd.GeoDataFrame(
        {"unit_no": [1, 2], "name": ["A", "B"]},
        geometry=[box(x, y, x + 1000, y + 1000), box(x + 500, y, x + 1500, y + 1000)],
        crs="EPSG:2180",
    )
    with pytest.raises(ImportRefused) as excinfo:
        load(write(frame, tmp_path / "overlap.gpkg"))
    assert "obiekt 1 (A) i obiekt 2 (B) nakładają się" in problems_of(excinfo)


def test_a_sliver_overlap_is_accepted(tmp_path):
    x, y = WROCLAW_X, WROCLAW_Y
    frame = gpd.GeoDataFrame(
        {"unit_no": [1, 2], "name": ["A", "B"]},
        # 0.2 m of overlap along a 1 km edge: digitising noise, not an error
        geometry=[box(x, y, x + 1000, y + 1000), box(x + 999.8, y, x + 2000, y + 1000)],
        crs="EPSG:2180",
    )
    assert len(load(write(frame, tmp_path / "sliver.gpkg")).units) == 2


def test_every_problem_is_listed_at_once(tmp_path):
    frame = two_units()
    frame["name"] = [None, None]
    frame["unit_no"] = [3, 3]
    with pytest.raises(ImportRefused) as excinfo:
        load(write(frame, tmp_path / "many.gpkg"))
    assert len(excinfo.value.problems) == 3


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Jerzmanowo - Jarnołtów", "Jerzmanowo-Jarnołtów"),
        ("  Stare   Miasto ", "Stare Miasto"),
        ("Pilczyce -Kozanów", "Pilczyce-Kozanów"),
        ("Les\u0301nica", "Leśnica"),  # decomposed accent becomes one character
    ],
)
def test_unit_names_are_normalised(raw, clean):
    assert clean_name(raw) == clean


def test_prepare_units_refuses_a_plain_dataframe():
    with pytest.raises(TypeError, match="GeoDataFrame"):
        prepare_units(two_units().drop(columns="geometry"))


# -- files that used to crash the import -----------------------------------------------


def geojson_text(vertex: int, point: str) -> str:
    """Two units in WGS 84, the first with ``point`` as its vertex no. ``vertex``."""
    data = json.loads(two_units("EPSG:4326").to_json(drop_id=True))
    ring = data["features"][0]["geometry"]["coordinates"][0]
    ring[vertex] = "POINT"
    if vertex == 0:
        ring[-1] = "POINT"  # the ring closes on the same point
    return json.dumps(data).replace('"POINT"', point)


@pytest.mark.parametrize(
    "point", ["[17.0, NaN]", "[Infinity, 51.1]", "[17.0, -Infinity]", "[NaN, NaN]"]
)
def test_geojson_with_nan_or_infinite_coordinates_is_refused_naming_the_unit(
    tmp_path, point
):
    path = tmp_path / "nan.geojson"
    path.write_text(geojson_text(2, point), encoding="utf-8")
    with pytest.raises(ImportRefused) as excinfo:
        load(path)
    assert excinfo.value.problems == [
        "obiekt 1 (Północ): współrzędne nie są skończonymi liczbami (NaN lub Infinity)"
    ]


def test_nan_that_keeps_a_ring_from_closing_is_refused_naming_the_unit(tmp_path):
    path = tmp_path / "nan.geojson"
    path.write_text(geojson_text(0, "[NaN, 51.1]"), encoding="utf-8")
    with pytest.raises(ImportRefused) as excinfo:
        load(path)
    assert "Nie można odczytać geometrii z pliku nan.geojson" in problems_of(excinfo)
    [problem] = excinfo.value.problems
    assert problem.startswith("obiekt 1 (Północ): geometrii nie da się odczytać")
    assert "NaN" in problem


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_geopackage_with_non_finite_coordinates_is_refused_naming_the_unit(
    tmp_path, bad
):
    frame = two_units()
    x, y = WROCLAW_X, WROCLAW_Y
    with np.errstate(invalid="ignore"):  # numpy would warn about the NaN
        frame.loc[1, "geometry"] = Polygon(
            [(x + 1000, y), (bad, y), (x + 2000, y + 1000), (x + 1000, y)]
        )
    with pytest.raises(ImportRefused) as excinfo:
        load(write(frame, tmp_path / "nan.gpkg"))
    assert "obiekt 2 (Południe): współrzędne nie są skończonymi" in problems_of(excinfo)
    assert "Północ" not in problems_of(excinfo)


def test_coordinates_the_declared_crs_cannot_reproject_are_refused(tmp_path):
    frame = two_units()
    frame.loc[0, "geometry"] = box(1e12, 1e12, 1e12 + 1000, 1e12 + 1000)
    with pytest.raises(ImportRefused) as excinfo:
        load(write(frame, tmp_path / "far.gpkg"))
    assert "obiekt 1 (Północ): współrzędnych nie da się przeliczyć" in problems_of(
        excinfo
    )
    assert "--crs" in problems_of(excinfo)


def test_ring_that_is_not_closed_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "open.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"unit_no": 1, "name": "Otwarte"}, "geometry": '
        '{"type": "Polygon", "coordinates": [[[17.0, 51.1], [17.1, 51.1]]]}}]}',
        encoding="utf-8",
    )
    with pytest.raises(ImportRefused) as excinfo:
        read_boundary_file(path)
    assert "Nie można odczytać geometrii z pliku open.geojson" in problems_of(excinfo)
    assert "obiekt 1 (Otwarte): geometrii nie da się odczytać" in problems_of(excinfo)


def damage_dbf(dbf, how: str) -> None:
    data = bytearray(dbf.read_bytes())
    if how == "truncated header":
        dbf.write_bytes(data[:40])
    elif how == "truncated records":
        dbf.write_bytes(data[:-30])
    elif how == "garbage":
        dbf.write_bytes(bytes(range(256)) * 2)
    elif how == "count":
        data[4:8] = (1).to_bytes(4, "little")  # says one record, holds two
        dbf.write_bytes(bytes(data))
    else:
        dbf.write_bytes(b"")


DAMAGE = ["truncated header", "truncated records", "garbage", "empty", "count"]


@pytest.mark.parametrize("how", DAMAGE)
def test_damaged_dbf_is_reported_as_unreadable_not_as_a_missing_field(tmp_path, how):
    shp = write(two_units(), tmp_path / "osiedla.shp")
    damage_dbf(shp.with_suffix(".dbf"), how)
    with pytest.raises(ImportRefused) as excinfo:
        read_boundary_file(shp)
    assert "Nie można odczytać pliku osiedla.dbf" in problems_of(excinfo)
    assert "--name-field" not in problems_of(excinfo)


def test_damaged_dbf_inside_a_zip_is_reported_as_unreadable(tmp_path):
    shp = write(two_units(), tmp_path / "osiedla.shp")
    damage_dbf(shp.with_suffix(".dbf"), "garbage")
    path = tmp_path / "osiedla.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in tmp_path.glob("osiedla.*"):
            if part.suffix != ".zip":
                archive.write(part, f"dane/{part.name}")
    with pytest.raises(ImportRefused, match="Nie można odczytać pliku osiedla.dbf"):
        read_boundary_file(path)


def test_shapefile_without_its_dbf_is_refused(tmp_path):
    shp = write(two_units(), tmp_path / "osiedla.shp")
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(ImportRefused, match="Brak pliku .dbf .* obok osiedla.shp"):
        read_boundary_file(shp)


def test_geojson_not_in_utf8_is_refused(tmp_path):
    text = two_units("EPSG:4326").to_json(drop_id=True, ensure_ascii=False)
    path = tmp_path / "cp1250.geojson"
    path.write_bytes(text.encode("cp1250"))
    with pytest.raises(ImportRefused, match="cp1250.geojson: napisy nie są w"):
        read_boundary_file(path)


def test_shapefile_names_read_in_the_wrong_encoding_are_refused(tmp_path):
    # Windows-1250 without a .cpg: GDAL reads "Północ" as "Pó³noc".
    shp = write(two_units(), tmp_path / "osiedla.shp", encoding="cp1250")
    shp.with_suffix(".cpg").unlink()
    with pytest.raises(ImportRefused) as excinfo:
        load(shp)
    assert "nazwa wygląda na źle odczytaną" in problems_of(excinfo)
    assert ".cpg" in problems_of(excinfo)
    shp.with_suffix(".cpg").write_text("1250")
    assert sorted(load(shp).units["name"]) == ["Południe", "Północ"]


def test_table_without_geometry_is_refused(tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text("city,area_code\nwroclaw,ZTPS-1\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="areas.csv nie zawiera geometrii"):
        read_boundary_file(path)


def test_zip_holding_only_a_directory_is_refused(tmp_path):
    path = tmp_path / "granice.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("osiedla.shp/", "")
    with pytest.raises(ImportRefused, match="nie zawiera pliku .shp"):
        read_boundary_file(path)


def test_zip_made_on_a_mac_is_read_despite_its_resource_forks(tmp_path):
    write(two_units(), tmp_path / "osiedla.shp")
    path = tmp_path / "osiedla.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in tmp_path.glob("osiedla.*"):
            if part.suffix != ".zip":
                archive.write(part, f"dane/{part.name}")
                archive.writestr(f"__MACOSX/dane/._{part.name}", b"\0\5\26\7 Mac")
    assert sorted(load(path).units["name"]) == ["Południe", "Północ"]


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("unit_no", 1e30, "numer 1e+30 jest zbyt duży"),
        ("population", math.inf, "niepoprawna liczba mieszkańców inf"),
        ("population", 1e30, "niepoprawna liczba mieszkańców 1e+30"),
        ("name", "x" * 201, "nazwa dłuższa niż 200 znaków"),
    ],
)
def test_values_the_database_cannot_hold_are_refused(tmp_path, column, value, problem):
    frame = two_units()
    frame[column] = frame[column].astype(object if isinstance(value, str) else float)
    frame.loc[0, column] = value
    with pytest.raises(ImportRefused) as excinfo:
        load(write(frame, tmp_path / "big.gpkg"))
    assert problem in problems_of(excinfo)


# -- what a repair did, and gaps between units -----------------------------------------


def units_file(tmp_path, geometries, names=None) -> object:
    """A GeoPackage in EPSG:2180 of units numbered 1, 2, … with the given shapes."""
    names = names or [f"J{i + 1}" for i in range(len(geometries))]
    frame = gpd.GeoDataFrame(
        {"unit_no": list(range(1, len(geometries) + 1)), "name": names},
        geometry=geometries,
        crs="EPSG:2180",
    )
    return write(frame, tmp_path / "units.gpkg")


def test_a_repair_that_changes_the_area_reports_both_areas(tmp_path):
    x, y = WROCLAW_X, WROCLAW_Y
    # A bow-tie: its halves are drawn in opposite directions and cancel out in the
    # file's own area; the repair keeps both triangles, half of the square.
    bowtie = Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000)])
    result = load(units_file(tmp_path, [bowtie], ["Kokarda"]))
    assert result.warnings == [
        "jednostka 1 (Kokarda): naprawa geometrii zmieniła jej powierzchnię, "
        "z 0 m² do 0,500 km²; sprawdź jej granicę w pliku"
    ]


def test_a_repair_that_merges_parts_drawn_twice_reports_the_share(tmp_path):
    x, y = WROCLAW_X, WROCLAW_Y
    # Two parts of one unit overlapping by half: the file counts the overlap twice,
    # and the repair (even-odd) keeps only what is covered once.
    twice = MultiPolygon(
        [box(x, y, x + 1000, y + 1000), box(x + 500, y, x + 1500, y + 1000)]
    )
    result = load(units_file(tmp_path, [twice], ["Dwa razy"]))
    assert result.units["area_km2"].item() == pytest.approx(1.0)
    assert result.warnings == [
        "jednostka 1 (Dwa razy): naprawa geometrii zmniejszyła jej powierzchnię o "
        "50,0 %, z 2,000 km² do 1,000 km²; sprawdź jej granicę w pliku"
    ]


def test_a_repair_that_keeps_the_area_is_a_note_not_a_warning(tmp_path):
    x, y = WROCLAW_X, WROCLAW_Y
    # A 1 km square whose top edge crosses itself in a 10 m bow-tie (50 m²).
    twisted = Polygon(
        [
            (x, y),
            (x + 1000, y),
            (x + 1000, y + 1000),
            (x + 505, y + 1000),
            (x + 495, y + 1010),
            (x + 505, y + 1010),
            (x + 495, y + 1000),
            (x, y + 1000),
        ]
    )
    assert not twisted.is_valid
    result = load(units_file(tmp_path, [twisted], ["Supeł"]))
    assert any("Supeł" in n and "naprawiono" in n for n in result.notes)
    assert result.warnings == []


def notched(x, y, side: str, depth: float) -> Polygon:
    """A 1 km square with a 200 m notch ``depth`` deep in its left or right side."""
    square = box(x, y, x + 1000, y + 1000)
    if side == "right":
        return square.difference(box(x + 1000 - depth, y + 400, x + 1000, y + 600))
    return square.difference(box(x, y + 400, x + depth, y + 600))


def test_a_gap_between_units_is_a_warning_with_its_size_and_place(tmp_path):
    x, y = WROCLAW_X, WROCLAW_Y
    # Notches facing each other leave a 200 x 200 m hole between the units.
    left, right = notched(x, y, "right", 100), notched(x + 1000, y, "left", 100)
    result = load(units_file(tmp_path, [left, right], ["Zachód", "Wschód"]))
    assert len(result.units) == 2
    assert result.warnings == [
        "luka między jednostkami: jednostka 1 (Zachód), jednostka 2 (Wschód) — "
        "0,040 km² (4,1 % najmniejszej z nich), np. w punkcie 51.09441, 17.01437"
    ]


def test_a_sliver_gap_is_not_a_warning(tmp_path):
    x, y = WROCLAW_X, WROCLAW_Y
    # 0.2 m of gap along 200 m: 40 m², digitising noise (the units are 0.98 km²).
    left, right = notched(x, y, "right", 0.1), notched(x + 1000, y, "left", 0.1)
    assert load(units_file(tmp_path, [left, right])).warnings == []


def test_a_hole_of_one_unit_is_not_a_gap_between_units(tmp_path):
    x, y = WROCLAW_X, WROCLAW_Y
    # An enclave of another municipality: a hole only one unit borders.
    holed = box(x, y, x + 1000, y + 1000).difference(
        box(x + 400, y + 400, x + 600, y + 600)
    )
    neighbour = box(x + 1000, y, x + 2000, y + 1000)
    assert load(units_file(tmp_path, [holed, neighbour])).warnings == []


def test_a_unit_touching_a_gap_at_one_point_is_not_named_as_around_it(tmp_path):
    x, y = WROCLAW_X, WROCLAW_Y
    # A diamond between west and east, whose top corner touches north's border.
    west = Polygon(
        [(x, y), (x + 1000, y), (x + 1000, y + 800), (x + 900, y + 900)]
        + [(x + 1000, y + 1000), (x, y + 1000)]
    )
    east = Polygon(
        [(x + 1000, y), (x + 2000, y), (x + 2000, y + 1000), (x + 1000, y + 1000)]
        + [(x + 1100, y + 900), (x + 1000, y + 800)]
    )
    north = box(x, y + 1000, x + 2000, y + 2000)
    path = units_file(tmp_path, [west, east, north], ["Zachód", "Wschód", "Północ"])
    [warning] = load(path).warnings
    assert warning.startswith(
        "luka między jednostkami: jednostka 1 (Zachód), jednostka 2 (Wschód) — "
        "0,020 km² (2,0 % najmniejszej z nich)"
    )
    assert "Północ" not in warning


def test_the_import_command_prints_the_warnings_and_stores_the_units(runner, tmp_path):
    x, y = WROCLAW_X, WROCLAW_Y
    bowtie = Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000)])
    left, right = notched(x + 2000, y, "right", 100), notched(x + 3000, y, "left", 100)
    path = units_file(tmp_path, [bowtie, left, right], ["Kokarda", "Zachód", "Wschód"])
    runner.invoke(args=["cities", "add", "testowo", "Testowo"])
    result = runner.invoke(args=["boundaries", "import", "testowo", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Testowo: zapisano 3 jednostek."
    warnings = [line for line in lines if line.startswith("Uwaga: ")]
    assert [w.split(":")[1] for w in warnings] == [
        " jednostka 1 (Kokarda)",
        " luka między jednostkami",
    ]
    assert "z 0 m² do 0,500 km²" in warnings[0]
    assert "jednostka 2 (Zachód), jednostka 3 (Wschód) — 0,040 km²" in warnings[1]
