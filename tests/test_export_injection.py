"""Exports opened in spreadsheets never turn stored text into a formula (CSV, XLSX)."""

import csv
import io
import json

import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point

from tests.conftest import client_as, new_feature
from webgis.core.extensions import db
from webgis.features import export
from webgis.features.models import Feature

#: Every first character OWASP lists for CSV injection, each starting a real attack.
ATTACKS = {
    "equals": '=HYPERLINK("https://evil.example","x")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage_return": "\r=1+1",
}
#: Leśnica, far west of Wrocław: no demo resource answers a need placed here.
LESNICA = Point(16.8722, 51.1445)


def csv_rows(data: bytes) -> list[dict]:
    """The rows of a downloaded CSV, as a spreadsheet program reads them."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def stored(app, feature_id: int, field: str) -> str:
    """A text as the store kept it (it may trim the spaces around it)."""
    with app.app_context():
        text = db.session.get(Feature, feature_id).properties[field]
        db.session.remove()
    assert text.startswith(export.FORMULA_STARTS), "the attack must survive storing"
    return text


@pytest.fixture
def planner(staff_app):
    return client_as(staff_app, "planner")


@pytest.mark.parametrize("attack", ATTACKS)
def test_layer_csv_shows_formula_text_as_text(staff_app, attack):
    marker = f"wstrzykniecie {attack}"
    feature_id, _revision = new_feature(
        staff_app, name=ATTACKS[attack], description=f"{ATTACKS[attack]} {marker}"
    )
    url = "/wroclaw/layers/day_centres/export.csv"
    response = staff_app.test_client().get(url, query_string={"q": marker})
    rows = csv_rows(response.data)
    assert [r["name"] for r in rows] == ["'" + stored(staff_app, feature_id, "name")]
    assert rows[0]["description"] == "'" + stored(staff_app, feature_id, "description")
    # numbers stay numbers
    assert float(rows[0]["lon"]) == pytest.approx(17.0309)


@pytest.mark.parametrize("attack", ATTACKS)
def test_layer_xlsx_shows_formula_text_as_text(staff_app, attack):
    marker = f"arkusz {attack}"
    feature_id, _revision = new_feature(
        staff_app,
        name=ATTACKS[attack],
        description=f"{ATTACKS[attack]} {marker}",
        capacity="7",
    )
    url = "/wroclaw/layers/day_centres/export.xlsx"
    response = staff_app.test_client().get(url, query_string={"q": marker})
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    header = [cell.value for cell in sheet[1]]
    (row,) = sheet.iter_rows(min_row=2)
    name = row[header.index("name")]
    # XML turns "\r" into "\n"
    text = stored(staff_app, feature_id, "name").replace("\r", "\n")
    assert (name.data_type, name.value) == ("s", "'" + text)
    # numbers stay numbers
    assert row[header.index("capacity")].value == 7


def test_gis_exports_keep_the_stored_text(staff_app, tmp_path):
    new_feature(staff_app, name=ATTACKS["equals"], description="geojson nietkniety")
    url = "/wroclaw/layers/day_centres/export.geojson?q=geojson+nietkniety"
    body = json.loads(staff_app.test_client().get(url).data)
    assert [f["properties"]["name"] for f in body["features"]] == [ATTACKS["equals"]]


@pytest.mark.parametrize("attack", ATTACKS)
def test_analysis_needs_table_shows_formula_text_as_text(staff_app, planner, attack):
    title = f"{ATTACKS[attack]} potrzeba {attack}"
    feature_id, _revision = new_feature(
        staff_app, "needs_resources", LESNICA, kind="need", title=title
    )
    title = stored(staff_app, feature_id, "title")
    url = "/wroclaw/analysis/tables/needs"
    rows = csv_rows(planner.get(f"{url}.csv").data)
    assert "'" + title in [r["Tytuł"] for r in rows]
    sheet = openpyxl.load_workbook(io.BytesIO(planner.get(f"{url}.xlsx").data)).active
    # XML turns "\r" into "\n"; the row is found by the end of its title
    title_cell, _category, lon, lat = next(
        row
        for row in sheet.iter_rows(min_row=2)
        if row[0].value.endswith(f"potrzeba {attack}")
    )
    assert title_cell.data_type == "s" and title_cell.value.startswith("'")
    assert (lon.data_type, lat.data_type) == ("n", "n")
    assert lon.value == pytest.approx(16.8722)


def test_table_file_quotes_text_and_keeps_numbers():
    table = pd.DataFrame(
        {"=naglowek": ["-zmiana", "zwykły", None], "zmiana": [-0.5, 2.0, None]}
    )
    rows = csv_rows(export.table_file(table, "csv", "Arkusz"))
    assert rows == [
        {"'=naglowek": "'-zmiana", "zmiana": "-0.5"},
        {"'=naglowek": "zwykły", "zmiana": "2.0"},
        {"'=naglowek": "", "zmiana": ""},
    ]
    sheet = openpyxl.load_workbook(
        io.BytesIO(export.table_file(table, "xlsx", "Arkusz"))
    ).active
    values = [
        [(c.value, c.data_type) for c in row] for row in sheet.iter_rows(max_row=3)
    ]
    assert values == [
        [("'=naglowek", "s"), ("zmiana", "s")],
        [("'-zmiana", "s"), (-0.5, "n")],
        [("zwykły", "s"), (2, "n")],
    ]
    assert [c.value for c in sheet[4]] == [None, None]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+48 71 000", "'+48 71 000"),
        ("-", "'-"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Świetlica = dom", "Świetlica = dom"),
        ("", ""),
        (-1, -1),
        (-1.5, -1.5),
        (None, None),
    ],
)
def test_spreadsheet_text_quotes_only_text_that_starts_a_formula(value, cell):
    assert export.spreadsheet_text(value) == cell


def test_line_break_inside_a_text_cannot_start_a_new_csv_row():
    table = pd.DataFrame(
        {"nazwa": ["zwykła\r=1+1", "druga\n@SUM(1)"], "liczba": [1, 2]}
    )
    data = export.table_file(table, "csv", "Arkusz")
    assert csv_rows(data) == [
        {"nazwa": "zwykła\r=1+1", "liczba": "1"},
        {"nazwa": "druga\n@SUM(1)", "liczba": "2"},
    ]
