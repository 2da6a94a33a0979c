"""Exports typed by the layer's spec: every field a column, typed, labels by keys."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import openpyxl
import pyogrio
import pytest

import layers
from tests import test_export_roundtrip
from tests.conftest import PASSWORD, log_in
from tests.test_export_roundtrip import PLANNER, SOURCE
from webgis.features import export

# The round trip's source city: every layer with every field filled, and a planner.
roundtrip = test_export_roundtrip.roundtrip
LAYERS = list(layers.discover())


def get(app, layer: str, fmt: str, staff=False, **query):
    client = app.test_client()
    if staff:
        assert log_in(client, PLANNER, PASSWORD).status_code == 303
    response = client.get(f"/{SOURCE}/layers/{layer}/export.{fmt}", query_string=query)
    assert response.status_code == 200
    return response


def csv_table(data: bytes, separator=",") -> list[dict]:
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=separator))


def expected_columns(spec, staff: bool) -> list[str]:
    names = ["id", "status", "version"]
    for spec_field in spec.all_fields:
        if staff or spec_field.public:
            names.append(spec_field.name)
            if spec_field.kind in (
                "choice",
                "multichoice",
                "service_area",
                "links",
                "members",
            ):
                names.append(spec_field.name + "_label")
    return names


@pytest.mark.parametrize("staff", [False, True], ids=["public", "staff"])
@pytest.mark.parametrize("layer", LAYERS)
def test_every_declared_field_is_a_column_even_when_empty(roundtrip, layer, staff):
    spec = roundtrip.extensions["webgis.layers"][layer]
    rows = csv_table(get(roundtrip, layer, "csv", staff).data)
    assert list(rows[0]) == [*expected_columns(spec, staff), "lon", "lat", "wkt"]
    # a declared field without a value is present, empty
    declared = expected_columns(spec, staff)[3:]
    assert any(row[name] == "" for row in rows for name in declared)


def test_the_public_never_gets_internal_fields(roundtrip):
    rows = csv_table(get(roundtrip, "needs_resources", "csv").data)
    assert "data_source" not in rows[0] and "contact_consent_on" not in rows[0]
    assert "contact" in rows[0]


def test_labels_are_beside_the_keys_in_the_readers_language(roundtrip):
    polish = csv_table(get(roundtrip, "day_centres", "csv").data)
    english = csv_table(get(roundtrip, "day_centres", "csv", lang="en").data)
    full = next(r for r in polish if r["name"] == "day_centres pełny 1")
    assert full["facility_type"] == "day_support_care"
    assert full["facility_type_label"] == "Placówka wsparcia dziennego — opiekuńcza"
    assert full["operator_kind_label"] == "publiczny"
    full = next(r for r in english if r["name"] == "day_centres pełny 1")
    assert full["facility_type_label"] == "Day-support facility — care"
    assert full["operator_kind_label"] == "public"


@pytest.mark.parametrize(
    ("query", "separator"), [({}, ","), ({"sep": "semicolon"}, ";")]
)
def test_csv_separator_and_content_type(roundtrip, query, separator):
    response = get(roundtrip, "day_centres", "csv", **query)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    full = next(r for r in csv_table(response.data, separator) if r["capacity"])
    assert (full["capacity"], full["sample"], full["verified_on"]) == (
        "12",
        "true",
        "2020-05-01",
    )


def test_xlsx_cells_are_typed(roundtrip):
    response = get(roundtrip, "day_centres", "xlsx", staff=True)
    assert response.headers["Content-Type"] == export.XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    row = next(
        dict(zip(header, cells, strict=True))
        for cells in sheet.iter_rows(min_row=2)
        if cells[header.index("name")].value == "day_centres pełny 1"
    )
    assert (row["capacity"].value, row["capacity"].data_type) == (12, "n")
    assert row["sample"].value is True
    assert row["verified_on"].is_date and row["verified_on"].value.year == 2020
    assert row["target_groups"].value.count(";") == 1
    # text a spreadsheet would take for a formula stays text
    assert (
        row["description"].value.startswith("'-")
        and row["description"].data_type == "s"
    )


def test_geojson_values_keep_their_types(roundtrip):
    body = json.loads(get(roundtrip, "day_centres", "geojson").data)
    features = {f["properties"]["name"]: f["properties"] for f in body["features"]}
    full, minimal = features["day_centres pełny 1"], features["day_centres minimalny"]
    assert full["capacity"] == 12 and full["sample"] is True
    # the expression in OpenStreetMap's syntax, as stored
    assert full["opening_hours"] == "Mo 08:00-12:00,13:00-16:00; Fr 10:00-14:00"
    assert isinstance(full["target_groups"], list)
    assert minimal["capacity"] is None and minimal["sample"] is False


def test_geopackage_declares_the_geometry_and_field_types(roundtrip, tmp_path):
    path = tmp_path / "areas.gpkg"
    path.write_bytes(get(roundtrip, "pal", "gpkg").data)
    (layer,) = pyogrio.list_layers(path)
    assert list(layer) == ["pal", "MultiPolygon"]
    info = pyogrio.read_info(path)
    types = dict(zip(info["fields"], info["ogr_types"], strict=True))
    subtypes = dict(zip(info["fields"], info["ogr_subtypes"], strict=True))
    assert types["years_from"] == "OFTInteger" and types["participants"] == "OFTInteger"
    assert (types["sample"], subtypes["sample"]) == ("OFTInteger", "OFSTBoolean")
    assert types["target_groups"] == "OFTString"


def test_points_and_areas_of_one_layer_become_two_tables(roundtrip, tmp_path):
    path = tmp_path / "mixed.gpkg"
    path.write_bytes(get(roundtrip, "needs_resources", "gpkg", staff=True).data)
    assert [list(row) for row in pyogrio.list_layers(path)] == [
        ["needs_resources_points", "Point"],
        ["needs_resources_polygons", "MultiPolygon"],
    ]
    info = pyogrio.read_info(path, layer="needs_resources_points")
    types = dict(zip(info["fields"], info["ogr_types"], strict=True))
    assert types["observed_on"] == "OFTDate"


def test_shapefile_names_are_short_unique_and_listed_beside(roundtrip, tmp_path):
    response = get(roundtrip, "needs_resources", "shp.zip", staff=True)
    assert response.headers["Content-Type"] == "application/zip"
    path = tmp_path / "mixed.zip"
    path.write_bytes(response.data)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        listed = list(
            csv.DictReader(io.StringIO(archive.read("field_names.csv").decode()))
        )
    assert {"needs_resources_points.shp", "needs_resources_polygons.shp"} <= set(names)
    short = [row["shapefile"] for row in listed]
    assert all(len(s) <= 10 for s in short) and len(set(short)) == len(short)
    assert {"contact_consent_on", "contact_co"} <= {
        v for r in listed for v in r.values()
    }
    info = pyogrio.read_info(f"/vsizip/{path}/needs_resources_points.shp")
    assert set(info["fields"]) == set(short)


def test_short_names_stay_unique():
    names = ["category_label", "category_level", "Category_L", "category"]
    assert export.short_names(names) == {
        "category_label": "category_l",
        "category_level": "category_1",
        "Category_L": "Category_2",
        "category": "category",
    }
