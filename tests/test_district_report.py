"""The district report: figures on the demo data, the "since" date, who may read it."""

import re
from datetime import date, timedelta

import pytest
from markupsafe import escape

from tests.conftest import client_as
from webgis.analysis import coverage, district
from webgis.core.registry import layer_registry
from webgis.features import store
from webgis.geography import cities

AREA = "/wroclaw/areas/ZTPS-7/report"


@pytest.fixture
def planner(staff_app):
    return client_as(staff_app, "planner")


def text_of(html: str, element_id: str) -> str:
    """The visible text of the element with this id, spaces collapsed."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2))).strip()


def in_area(app, area_code: str, layer: str) -> list:
    """Published features of ``layer`` in the area, found without the report."""
    with app.app_context():
        city = cities.get_city("wroclaw")
        area = cities.get_service_area(city, area_code)
        spec = layer_registry()[layer]
        return [
            (spec.value_of("title", f.properties), dict(f.properties))
            for f in store.published_by_id(city, [layer])
            if area in cities.areas_of(city, f.geometry)
        ]


def test_area_report_figures_on_the_demo(staff_app, planner):
    response = planner.get(AREA)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    with staff_app.app_context():
        city = cities.get_city("wroclaw")
        area = cities.get_service_area(city, "ZTPS-7")
        residents = sum(u.population or 0 for u in area.units)
        names = [u.name for u in area.units]
        result = coverage.run(city, coverage.AnalysisQuery())
    assert names == ["Nadodrze", "Kleczków", "Osobowice-Rędzin"]
    assert re.sub(r"\D", "", text_of(html, "report-population")) == str(residents)
    # coverage figures: the analysis's row of this area
    row = result.areas.set_index("area").loc["ZTPS-7"]
    share = f"{row['coverage_share'] * 100:.1f}%".replace(".", ",")
    assert share in text_of(html, "report-coverage")
    # each unit's share beside its residents
    units = result.units.set_index("unit")
    nadodrze = f"{units.loc[4, 'coverage_share'] * 100:.1f}%".replace(".", ",")
    assert re.search(
        rf"<td>Nadodrze</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>{nadodrze}", html
    )
    # lists of the layers in the area, each with its count
    for layer in ("day_centres", "partnerships", "pal"):
        titles = [title for title, _props in in_area(staff_app, "ZTPS-7", layer)]
        assert titles, layer
        listed = text_of(html, f"report-{layer}")
        # the first of them by title (the list is bounded; other tests add more)
        shown = sorted(titles)[: district.LIST_LIMIT]
        assert [t for t in shown if escape(t) not in listed] == [], listed
        assert f"({len(titles)})" in html
    assert "Nadodrzańskie Centrum Wsparcia" in text_of(html, "report-day_centres")
    # needs against resources by area of life
    needs = in_area(staff_app, "ZTPS-7", "needs_resources")
    kinds = [p["kind"] for _title, p in needs if "education" in str(p["category"])]
    assert kinds
    table = text_of(html, "report-needs")
    assert f"Oświata {kinds.count('need')} {kinds.count('resource')}" in table
    # the map is drawn inline: no tiles, no script
    assert html.count('<path class="unit"') == 3
    assert '<path class="outline"' in html


def test_area_map_draws_a_dot_where_the_areas_features_are(staff_app, planner):
    html = planner.get(AREA).get_data(as_text=True)
    with staff_app.app_context():
        registry = layer_registry()
    found = {key: in_area(staff_app, "ZTPS-7", key) for key in registry}
    dots = re.findall(r'<circle class="feature"[^>]*fill="([^"]+)"', html)
    # Features at one place share their layer's dot; no layer there is left out.
    assert 0 < len(dots) <= sum(len(features) for features in found.values())
    assert set(dots) == {registry[key].colour for key, f in found.items() if f}


def test_features_at_one_place_share_a_dot_so_a_big_city_stays_small(staff_app):
    from shapely.geometry import Point

    with staff_app.app_context():
        city = cities.get_city("wroclaw")
        units = list(city.units)
        here, there = Point(17.03, 51.11), Point(17.10, 51.10)
        points = [(here, "#111111")] * 5_000 + [(here, "#222222"), (there, "#111111")]
        svg = district.area_svg(city, None, units, points)
    assert svg.count('<circle class="feature"') == 3
    assert svg.count('fill="#111111"') == 2 and svg.count('fill="#222222"') == 1


def test_city_report_for_planners(planner):
    response = planner.get("/wroclaw/report")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Raport: całe miasto" in html
    assert html.count('<path class="unit"') == 48
    assert re.sub(r"\D", "", text_of(html, "report-population")) == "587500"


def test_changes_since_a_date(planner):
    # Kraków's facility documents are dated 2017; the samples were added today.
    old = planner.get("/krakow/report?since=2005-01-01").get_data(as_text=True)
    recent = planner.get("/krakow/report?since=2020-01-01").get_data(as_text=True)
    assert "Ośrodek Interwencji Kryzysowej (Kraków)" in text_of(old, "report-changes")
    assert "Ośrodek Interwencji Kryzysowej" not in text_of(recent, "report-changes")
    assert "Co się zmieniło od 2020-01-01" in recent


def test_default_since_is_one_year_ago(planner):
    html = planner.get(AREA).get_data(as_text=True)
    year_ago = (date.today() - timedelta(days=365)).isoformat()
    assert f'value="{year_ago}"' in html


@pytest.mark.parametrize(
    "since", ["garbage", "2026-13-40", "1500-01-01", "2999-01-01", "<b>x</b>"]
)
def test_bad_since_gives_a_message_and_the_report(planner, since):
    response = planner.get(AREA, query_string={"since": since})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="since-problem"' in html and 'aria-invalid="true"' in html
    assert "<b>x</b>" not in html
    year_ago = (date.today() - timedelta(days=365)).isoformat()
    assert f"Co się zmieniło od {year_ago}" in html
    assert 'id="report-population"' in html


def test_organiser_reads_the_report_of_own_area_only(staff_app):
    own = client_as(staff_app, "organiser_own")
    assert own.get(AREA).status_code == 200
    assert own.get("/wroclaw/areas/ZTPS-8/report").status_code == 403
    assert own.get("/wroclaw/report").status_code == 403
    other = client_as(staff_app, "organiser_other")
    assert other.get(AREA).status_code == 403


def test_residents_are_sent_to_sign_in(staff_app):
    visitor = client_as(staff_app, "anonymous")
    for url in (AREA, "/wroclaw/report"):
        response = visitor.get(url)
        assert response.status_code in (302, 303)
        assert "/login" in response.headers["Location"]


def test_area_page_links_to_the_report_for_its_staff(staff_app, planner):
    link = 'href="/wroclaw/areas/ZTPS-7/report"'
    assert link in planner.get("/wroclaw/areas/ZTPS-7").get_data(as_text=True)
    own = client_as(staff_app, "organiser_own")
    assert link in own.get("/wroclaw/areas/ZTPS-7").get_data(as_text=True)
    visitor = client_as(staff_app, "anonymous")
    assert link not in visitor.get("/wroclaw/areas/ZTPS-7").get_data(as_text=True)
    analysis = planner.get("/wroclaw/analysis").get_data(as_text=True)
    assert 'href="/wroclaw/report"' in analysis


def test_unknown_area_is_not_found(planner):
    assert planner.get("/wroclaw/areas/NOPE/report").status_code == 404
