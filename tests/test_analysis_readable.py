"""Analysis a planner can read: comparable maps, honest 2SFCA, counted facilities."""

import re

import pandas as pd
import pytest

from layers.day_centres import DAY_SUPPORT_TYPES
from tests.conftest import client_as, demo_database
from webgis.analysis import choropleth, coverage
from webgis.geography import cities

#: A point in Leśnica, far west, which no demo facility covers within 1 km.
LESNICA = "51.1445, 16.8722, 40"


@pytest.fixture
def planner(staff_app):
    return client_as(staff_app, "planner")


@pytest.fixture(scope="module")
def untouched_app(tmp_path_factory):
    """The demo as loaded: other tests add facilities (with places) to staff_app."""
    return demo_database("sqlite", tmp_path_factory.mktemp("readable"), "demo", True)


def legends(html: str) -> dict[str, list[str]]:
    """Each map's legend lines, by the map's view (current, what_if, change)."""
    found = {}
    for view, body in re.findall(
        r'id="map-(\w+)-title".*?<ul class="legend"[^>]*>(.*?)</ul>', html, re.S
    ):
        lines = re.findall(r"</span>([^<]*)</li>", body)
        found[view] = [line.strip() for line in lines]
    return found


def test_current_and_what_if_maps_share_their_classes(planner):
    html = planner.get(
        "/wroclaw/analysis", query_string={"hypothetical": LESNICA}
    ).get_data(as_text=True)
    shown = legends(html)
    assert set(shown) == {"current", "what_if"}
    # The same colour stands for the same range on both maps.
    assert shown["current"] == shown["what_if"]
    assert len(shown["current"]) >= 4
    assert 'id="shared-classes"' in html


def test_then_and_now_maps_share_their_classes_the_change_map_has_its_own(planner):
    query = {"compare_to": "2016-06-30", "indicator": "uncovered"}
    html = planner.get("/wroclaw/analysis", query_string=query).get_data(as_text=True)
    shown = legends(html)
    assert set(shown) == {"current", "earlier", "change"}
    assert shown["earlier"] == shown["current"]
    assert shown["change"] != shown["current"]
    assert "w porównywanym dniu (" in html and 'id="shared-classes"' in html
    png = planner.get(
        "/wroclaw/analysis/map.png", query_string={**query, "view": "earlier"}
    )
    assert png.status_code == 200
    assert (
        "wroclaw-uncovered-earlier-2016-06-30.png"
        in (png.headers["Content-Disposition"])
    )


def test_shared_classes_come_from_the_union_of_both_maps():
    now = pd.Series([0.0, 1.0, 2.0, 3.0, float("nan")])
    what_if = pd.Series([0.0, 5.0, 6.0, 9.0, float("nan")])
    union = pd.concat([now, what_if])
    first = choropleth.classify(now, "equal_interval", 4, union)
    second = choropleth.classify(what_if, "equal_interval", 4, union)
    assert first.upper == second.upper and first.upper[-1] == 9.0
    # zeros keep their own class, the missing value stays "no data"
    assert list(first.of_value) == [0, 1, 1, 1, -1]
    assert list(second.of_value) == [0, 2, 2, 3, -1]


def test_no_legend_line_reads_like_the_class_of_zeros():
    values = pd.Series([0.0, 0.0, 0.0004, 0.2, 0.5, 0.9])
    classes = choropleth.classify(values, "quantiles", 4)
    labels = choropleth.legend_labels(classes, lambda v: f"{v:.1%}")
    assert labels[0] == "0.0%"
    assert labels[1].startswith("> 0.0%")
    assert not any(label.startswith("0.0% ") for label in labels[1:])


def test_legend_on_the_page_has_no_second_zero(planner):
    html = planner.get("/wroclaw/analysis").get_data(as_text=True)
    current = legends(html)["current"]
    assert current[0] == "0,0%"
    assert not any(line.startswith("0,0% –") for line in current[1:])


def test_without_places_the_page_says_2sfca_cannot_be_computed(untouched_app):
    # No demo facility has its places filled in.
    planner = client_as(untouched_app, "planner")
    with untouched_app.app_context():
        result = coverage.run(cities.get_city("wroclaw"), coverage.AnalysisQuery())
    assert result.facilities["capacity"].isna().all()
    assert pd.isna(result.summary["access_2sfca_per_1k"])
    assert result.units["access_2sfca_per_1k"].isna().all()
    html = planner.get("/wroclaw/analysis").get_data(as_text=True)
    assert 'id="no-places"' in html and "nie da się policzyć" in html
    row = re.search(r"Dostępność 2SFCA[^<]*</th>\s*<td[^>]*>([^<]*)", html)
    assert row.group(1) == "brak danych"
    mapped = planner.get("/wroclaw/analysis?indicator=access_2sfca_per_1k")
    page = mapped.get_data(as_text=True)
    assert 'id="no-places-map"' in page and "map-current-title" not in page


def test_known_places_keep_the_2sfca_figures():
    table = pd.DataFrame({"places_per_1k": [1.0], "access_2sfca_per_1k": [2.0]})
    with_places = pd.DataFrame({"capacity": [20.0, None]})
    without = pd.DataFrame({"capacity": [None, None]})
    assert coverage.without_places(table, with_places).equals(table)
    assert coverage.without_places(table, without).isna().all().all()


def test_only_the_types_the_layer_declares_count_as_facilities(staff_app, planner):
    with staff_app.app_context():
        city = cities.get_city("wroclaw")
        counted = coverage.facilities_frame(city)
        pasz = coverage.facilities_frame(city, category="pasz")
        offices = coverage.facilities_frame(city, category="mops_office")
    kinds = {kind for kinds in counted["category"] for kind in kinds}
    assert kinds and kinds <= set(DAY_SUPPORT_TYPES)
    assert "mops_office" not in DAY_SUPPORT_TYPES and "pasz" not in DAY_SUPPORT_TYPES
    # asked for by name, the other types still count
    assert len(pasz) == 5 and len(offices) == 1
    html = planner.get("/wroclaw/analysis").get_data(as_text=True)
    assert 'id="counted-types"' in html and "Ośrodek wsparcia" in html


def test_downloads_reuse_the_pages_result(staff_app, planner, monkeypatch):
    query = {"hypothetical": "51.11, 17.03, 10", "radius": "900"}
    assert planner.get("/wroclaw/analysis", query_string=query).status_code == 200
    computed = []
    original = coverage.compute
    monkeypatch.setattr(
        coverage, "compute", lambda *a, **k: computed.append(1) or original(*a, **k)
    )
    for path in ("tables/units.csv", "tables/what_if.xlsx", "map.png"):
        response = planner.get(f"/wroclaw/analysis/{path}", query_string=query)
        assert response.status_code == 200
    assert computed == []
    # another question is computed once
    other = {**query, "radius": "800"}
    assert (
        planner.get("/wroclaw/analysis/map.png", query_string=other).status_code == 200
    )
    assert computed == [1]


def test_png_file_name_says_what_it_shows(planner):
    response = planner.get(
        "/wroclaw/analysis/map.png",
        query_string={
            "indicator": "uncovered",
            "view": "current",
            "when": "2024-05-01",
        },
    )
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        'attachment; filename="wroclaw-uncovered-current-2024-05-01.png"'
    )
