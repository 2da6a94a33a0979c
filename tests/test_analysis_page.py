"""The planners' analysis page, its exports and its PNG maps, on the demo cities."""

import io
from datetime import date

import openpyxl
import pytest
from PIL import Image

from tests.conftest import NADODRZE, client_as, new_feature
from webgis.analysis import coverage
from webgis.features.models import Feature, Revision
from webgis.geography import cities

#: A point in Leśnica, far west, which no demo facility covers within 1 km.
LESNICA = (51.1445, 16.8722)
#: Before the first of the demo documents' dates (see data/demo_features.toml).
BEFORE_DEMO = "2005-12-31"


@pytest.fixture
def planner(staff_app):
    return client_as(staff_app, "planner")


def analyse(app, **query):
    with app.app_context():
        return coverage.run(cities.get_city("wroclaw"), coverage.AnalysisQuery(**query))


def saved_rows(app) -> tuple[int, int]:
    from webgis.core.extensions import db

    with app.app_context():
        return db.session.query(Feature).count(), db.session.query(Revision).count()


def test_first_visit_shows_the_default_analysis(staff_app, planner):
    response = planner.get("/wroclaw/analysis")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    expected = analyse(staff_app)
    share = f"{expected.summary['coverage_share'] * 100:.1f}".replace(".", ",")
    assert f"{share}%" in html
    for table in ("units", "areas", "gaps", "needs"):
        assert f'id="table-{table}"' in html or f"table-{table}-title" in html
    assert 'id="table-change"' not in html and "map-what_if-title" not in html
    # the two osiedla without population data: reported, and grey on the map
    assert "Ołtaszyn, Wojszyce" in html
    assert '#bdbdbd" aria-hidden="true"></span>brak danych' in html


def test_change_between_two_dates_from_history(staff_app, planner):
    # The demo's facts are dated by their documents (2013 and later): in 2005
    # nothing was published yet.
    response = planner.get(f"/wroclaw/analysis?compare_to={BEFORE_DEMO}&radius=1000")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="table-change"' in html and "map-change-title" in html
    result = analyse(staff_app, compare_to=date.fromisoformat(BEFORE_DEMO))
    assert result.earlier_summary["facilities"] == 0
    change = result.tables["change"]
    assert change["coverage_share_before"].fillna(0).eq(0).all()
    assert (change["coverage_share_change"].dropna() >= 0).all()
    assert change["coverage_share_change"].max() > 0


def test_what_if_recomputes_next_to_current_and_saves_nothing(staff_app, planner):
    before = saved_rows(staff_app)
    line = f"{LESNICA[0]}, {LESNICA[1]}, 40"
    response = planner.get("/wroclaw/analysis", query_string={"hypothetical": line})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "map-what_if-title" in html and 'id="table-what_if"' in html
    assert saved_rows(staff_app) == before
    hypothetical = (coverage.Hypothetical(*LESNICA, 40),)
    result = analyse(staff_app, hypothetical=hypothetical)
    assert result.what_if_summary["covered"] > result.summary["covered"]
    assert result.what_if_summary["places"] == result.summary["places"] + 40
    assert result.what_if_summary["unserved_units"] < result.summary["unserved_units"]


@pytest.mark.parametrize(
    ("query", "message", "kept"),
    [
        ({"radius": "-5"}, "Liczba musi", 'value="-5"'),
        ({"radius": "daleko"}, "Nieprawidłowa liczba", 'value="daleko"'),
        ({"hypothetical": "tu i tam"}, "Nie rozumiem wiersza 1", "tu i tam"),
        (
            {"hypothetical": "51.11, 17.03, 5\n50.06, 19.94, 10"},
            "Punkt w wierszu 2 leży poza miastem",
            "50.06, 19.94, 10",
        ),
        ({"hypothetical": "51.11, 17.03, -3"}, "Nie rozumiem wiersza 1", "-3"),
        ({"category": "casino"}, "Nieznana kategoria", ""),
        (
            {"when": "2026-01-01", "compare_to": "2026-01-01"},
            "Wybierz inny dzień",
            'value="2026-01-01"',
        ),
        ({"when": "2026-02-31"}, "Nieprawidłowa data", 'value="2026-02-31"'),
        ({"layer": "casinos"}, "Nieprawidłowy wybór", ""),
        ({"classes": "12"}, "Liczba musi", 'value="12"'),
    ],
)
def test_bad_parameters_say_what_is_wrong_and_keep_the_input(
    staff_app, planner, query, message, kept
):
    before = saved_rows(staff_app)
    response = planner.get("/wroclaw/analysis", query_string=query)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and kept in html
    assert "nic nie zostało przeliczone" in html
    assert saved_rows(staff_app) == before


def test_unit_table_as_csv_with_translated_headings(planner):
    response = planner.get("/wroclaw/analysis/tables/units.csv?radius=800")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeffNr,Nazwa,Obszar,Mieszkańcy,Liczba placówek")
    assert len(text.strip().splitlines()) == 1 + 48
    english = planner.get("/wroclaw/analysis/tables/units.csv?lang=en")
    assert english.get_data().decode("utf-8").startswith("\ufeffNo.,Name,Area")


def test_change_table_as_xlsx(planner):
    response = planner.get(
        f"/wroclaw/analysis/tables/change.xlsx?compare_to={BEFORE_DEMO}"
    )
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = book.active
    assert sheet.title == "Zmiana między datami"
    headings = [cell.value for cell in sheet[1]]
    assert headings[:4] == [
        "Nr",
        "Nazwa",
        "Udział mieszkańców w zasięgu (przed)",
        "Udział mieszkańców w zasięgu (po)",
    ]
    assert sheet.max_row == 1 + 48


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/wroclaw/analysis/tables/change.csv", 404, "nie ma tabeli change"),
        ("/wroclaw/analysis/tables/units.pdf", 404, "Nieznany format pdf"),
        ("/wroclaw/analysis/tables/units.csv?radius=0", 400, "Promień zasięgu R"),
        ("/wroclaw/analysis/map.png?view=what_if", 404, "Tej mapy nie ma"),
        ("/wroclaw/analysis/map.png?view=satellite", 404, "Tej mapy nie ma"),
        ("/narnia/analysis", 404, "narnia"),
    ],
)
def test_bad_export_requests(planner, url, status, message):
    response = planner.get(url)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_map_as_png_for_a_report(planner):
    response = planner.get("/wroclaw/analysis/map.png?indicator=coverage_share")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.get_data()))
    assert image.format == "PNG" and image.width > 600 and image.height > 600
    # the what-if map exists once hypothetical facilities are given
    line = f"{LESNICA[0]}, {LESNICA[1]}, 40"
    what_if = planner.get(
        "/wroclaw/analysis/map.png",
        query_string={
            "indicator": "coverage_share",
            "view": "what_if",
            "hypothetical": line,
        },
    )
    assert what_if.status_code == 200 and what_if.get_data() != response.get_data()


def test_unmet_need_titles_are_escaped(staff_app, planner):
    title = '<script>alert("x")</script> brak opieki wytchnieniowej'
    new_feature(
        staff_app,
        "needs_resources",
        NADODRZE,
        kind="need",
        title=title,
        category="health",
    )
    html = planner.get("/wroclaw/analysis?radius=50").get_data(as_text=True)
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; brak opieki" in html


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("planner", True),
        ("admin", True),
        ("organiser_own", False),
        ("anonymous", False),
    ],
)
def test_city_map_links_to_the_analysis_for_planners_only(staff_app, role, shown):
    html = client_as(staff_app, role).get("/wroclaw/map").get_data(as_text=True)
    assert ('href="/wroclaw/analysis"' in html) is shown


# -- stored or typed numbers can never take the page down ---------------------------


def test_an_absurd_capacity_is_refused_in_the_form(staff_app):
    from tests.conftest import post_form, valid_form

    spec = staff_app.extensions["webgis.layers"]["day_centres"]
    client = client_as(staff_app, "organiser_own")
    before = saved_rows(staff_app)
    response = post_form(
        client,
        "/wroclaw/layers/day_centres/new",
        valid_form(spec, capacity=str(10**30)),
    )
    assert response.status_code == 422
    assert "od 0 do 10" in response.get_data(as_text=True)
    assert saved_rows(staff_app) == before


def test_an_absurd_capacity_already_stored_does_not_break_the_analysis(
    staff_app, planner
):
    from webgis.core.extensions import db

    # a day-support facility: the analysis counts only those by default
    feature_id, revision_id = new_feature(
        staff_app, "day_centres", capacity="12", facility_type="day_support_care"
    )
    try:
        with staff_app.app_context():
            # As if stored before capacities had a range.
            for row in (
                db.session.get(Feature, feature_id),
                db.session.get(Revision, revision_id),
            ):
                row.properties = {**row.properties, "capacity": 10**30}
            db.session.commit()
        for query in ("", "?indicator=places_per_1k", "?indicator=access_2sfca_per_1k"):
            assert planner.get(f"/wroclaw/analysis{query}").status_code == 200, query
        png = planner.get("/wroclaw/analysis/map.png?indicator=coverage_share")
        assert png.status_code == 200 and png.mimetype == "image/png"
        # the absurd number is no place count: a map of the other places, or none
        # when no facility has places (other tests share this demo), never an error
        places = planner.get("/wroclaw/analysis/map.png?indicator=places_per_1k")
        assert places.status_code in (200, 404)
        assert planner.get("/wroclaw/analysis/tables/units.xlsx").status_code == 200
    finally:
        with staff_app.app_context():
            db.session.delete(db.session.get(Feature, feature_id))
            db.session.commit()


@pytest.mark.parametrize(
    "line", ["51.1, 17.0, 1e308", "51.1, 17.0, 100001", "51.1, 17.0, nan"]
)
def test_an_absurd_what_if_capacity_is_refused_with_a_message(planner, line):
    response = planner.get("/wroclaw/analysis", query_string={"hypothetical": line})
    assert response.status_code == 400
    assert "Nie rozumiem wiersza 1" in response.get_data(as_text=True)


# -- one analysis per query and data: downloads reuse the page's ---------------------


@pytest.fixture
def counted(staff_app, monkeypatch):
    """Calls of the analysis itself and of the population grid, from a cold cache."""
    from webgis.analysis import methods

    staff_app.extensions.pop("webgis.analysis_cache", None)
    calls = {"analysis": 0, "grid": 0}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(coverage, "compute", counting("analysis", coverage.compute))
    grid = counting("grid", methods.population_grid)
    monkeypatch.setattr(methods, "population_grid", grid)
    return calls


def test_downloads_after_the_page_reuse_its_analysis(planner, counted):
    query = "radius=1234&compare_to=" + BEFORE_DEMO
    assert planner.get(f"/wroclaw/analysis?{query}").status_code == 200
    assert counted == {"analysis": 1, "grid": 1}
    downloads = [
        f"/wroclaw/analysis/tables/units.csv?{query}",
        f"/wroclaw/analysis/tables/change.xlsx?{query}",
        f"/wroclaw/analysis/map.png?{query}&indicator=per_10k&view=change",
    ]
    for url in downloads:
        assert planner.get(url).status_code == 200, url
    assert counted == {"analysis": 1, "grid": 1}
    # Another radius is another analysis, on the same grid.
    assert planner.get("/wroclaw/analysis/tables/units.csv?radius=800").status_code
    assert counted == {"analysis": 2, "grid": 1}


def test_a_facility_saved_after_the_page_is_in_the_download(
    staff_app, planner, counted
):
    from webgis.core.extensions import db

    url = "/wroclaw/analysis/tables/units.csv?radius=1500"
    before = planner.get(url).get_data(as_text=True)
    feature_id, _revision = new_feature(staff_app, name="Nowa placówka", capacity=77)
    try:
        after = planner.get(url).get_data(as_text=True)
        assert counted["analysis"] == 2 and after != before
        nadodrze = analyse(staff_app, radius=1500).units.set_index("name")
        assert nadodrze.loc["Nadodrze", "places"] >= 77
    finally:
        with staff_app.app_context():
            db.session.delete(db.session.get(Feature, feature_id))
            db.session.commit()
    # Deleting it is a change too: the first figures are back.
    assert planner.get(url).get_data(as_text=True) == before


def test_reimported_boundaries_rebuild_the_population_grid(staff_app, counted):
    from tests.conftest import BOUNDARIES_DIR
    from webgis.demo import demo_cities
    from webgis.geography.boundaries import prepare_units, read_boundary_file

    spec = next(c for c in demo_cities() if c["code"] == "wroclaw")

    def reimport(extra_residents: int):
        prepared = prepare_units(
            read_boundary_file(BOUNDARIES_DIR / spec["boundaries"]),
            name_field=spec["name_field"],
            number_field=spec["number_field"],
            population_field=spec["population_field"],
        )
        prepared.units["population"] += extra_residents
        with staff_app.app_context():
            cities.replace_units(cities.get_city("wroclaw"), prepared)

    first = analyse(staff_app).summary["residents"]
    reimport(0)  # the same boundaries again: nothing to rebuild
    assert analyse(staff_app).summary["residents"] == first
    assert counted == {"analysis": 1, "grid": 1}
    try:
        reimport(10)
        assert analyse(staff_app).summary["residents"] == first + 10 * 46
        assert counted == {"analysis": 2, "grid": 2}
    finally:
        reimport(0)
    assert analyse(staff_app).summary["residents"] == first


def test_many_facilities_are_drawn_as_groups_that_keep_their_count():
    from shapely.geometry import Point

    from webgis.web.maps.choropleth import point_groups

    points = [Point(17.0 + i * 1e-4, 51.1) for i in range(30)] + [Point(17.2, 51.2)]
    assert len(point_groups(points, 0)) == 31  # few: one by one
    grouped = point_groups(points, 0.005)
    assert sorted(n for _x, _y, n in grouped) == [1, 30]
    (x, y, _n) = max(grouped, key=lambda g: g[2])
    assert abs(x - (17.0 + 14.5e-4)) < 1e-9 and abs(y - 51.1) < 1e-9
