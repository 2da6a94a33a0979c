"""The public service finder: filters, search, distances, published data only."""

import re
import uuid
from datetime import datetime

import pytest
from shapely.geometry import Point

from tests.conftest import (
    NADODRZE,
    OLBIN,
    STAFF,
    client_as,
    new_feature,
    new_suggestion,
)
from webgis.finder import questions, search
from webgis.geography.boundaries import metric_transformer

#: About 1 km east and 2 km east of Nadodrze's point, still in Wrocław.
EAST_1KM = Point(NADODRZE.x + 0.0143, NADODRZE.y)
EAST_2KM = Point(NADODRZE.x + 0.0286, NADODRZE.y)
HOURS = "Mo 08:00-12:00,14:00-18:00; Sa 10:00-13:00"


def token() -> str:
    """A word no other service has, so each test finds only its own features."""
    return "zz" + uuid.uuid4().hex[:10]


def titles(client, url) -> list[str]:
    page = client.get(url).get_data(as_text=True)
    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', page)


# -- pure functions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "time", "expected"),
    [
        ("mon", "08:00", True),
        ("mon", "11:59", True),
        ("mon", "12:00", False),  # closing time is closed
        ("mon", "13:00", False),  # the lunch break
        ("mon", "17:30", True),
        ("sat", "", True),  # some time that day
        ("sun", "", False),
        ("tue", "10:00", False),
    ],
)
def test_is_open_reads_the_expression(day, time, expected):
    from webgis.features import hours

    moment = search.present((day, time or "00:00"))
    if time:
        assert search.is_open(HOURS, moment) is expected
    else:
        assert hours.open_on(HOURS, moment.date()) is expected


def test_no_hours_means_not_known_to_be_open():
    assert search.is_open(None, search.present(("mon", "10:00"))) is False
    assert search.is_open("", search.present(("mon", "10:00"))) is False


PLACES = {
    "lesnica": Point(1, 1),
    "stare miasto": Point(2, 2),
    "ul rydygiera 25": Point(3, 3),
}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Leśnica", Point(1, 1)),
        ("LESNICA", Point(1, 1)),
        ("stare", Point(2, 2)),
        ("Rydygiera", Point(3, 3)),
        ("Gdańsk", None),
        ("  ", None),
    ],
)
def test_a_typed_place_is_found_ignoring_case_and_diacritics(typed, expected):
    assert questions.find_place(typed, PLACES) == expected


@pytest.mark.parametrize(
    ("languages", "wanted", "expected"),
    [
        ("polski, ukraiński", "uk", True),
        ("Polish, English", "en", True),
        ("польська, українська", "uk", True),
        ("polski", "uk", False),
        ("", "pl", True),  # nothing listed: Polish
        ("", "en", False),
        ("polski język migowy (PJM)", "pjm", True),
    ],
)
def test_languages_are_found_in_free_text(languages, wanted, expected):
    assert search.speaks({"languages": languages}, wanted) is expected


def test_distances_are_in_metres():
    service = Service(EAST_1KM)
    [metres] = search.distances_from((NADODRZE.y, NADODRZE.x), [service])
    assert 980 < metres < 1020


class Service:
    """Just the coordinates :func:`finder.distances_from` reads."""

    def __init__(self, point):
        self.x, self.y = metric_transformer().transform(point.x, point.y)


# -- through the web ------------------------------------------------------------------


def test_search_ignores_case_and_polish_diacritics(staff_app):
    word = token()
    new_feature(staff_app, name=f"Klub Seniora Leśnica {word}")
    new_feature(staff_app, name=f"Świetlica Żak {word}")
    client = client_as(staff_app, "anonymous")
    assert titles(client, f"/wroclaw/services?q=lesnica+{word}") == [
        f"Klub Seniora Leśnica {word}"
    ]
    assert titles(client, f"/wroclaw/services?q=LEŚNICA+{word}") == [
        f"Klub Seniora Leśnica {word}"
    ]
    assert titles(client, f"/wroclaw/services?q=swietlica+zak+{word}") == [
        f"Świetlica Żak {word}"
    ]
    assert titles(client, f"/wroclaw/services?q=gdansk+{word}") == []


def test_search_looks_in_operator_address_and_description(staff_app):
    word = token()
    new_feature(
        staff_app,
        name=f"A {word}",
        operator="Fundacja Łączy Nas",
        address="ul. Źródlana 3",
        description="Zajęcia dla młodzieży",
    )
    client = client_as(staff_app, "anonymous")
    for q in ("laczy", "zrodlana", "mlodziezy"):
        assert titles(client, f"/wroclaw/services?q={q}+{word}") == [f"A {word}"]


def test_nearest_service_comes_first_with_its_distance(staff_app):
    word = token()
    new_feature(staff_app, point=EAST_2KM, name=f"Daleko {word}")
    new_feature(staff_app, point=NADODRZE, name=f"Blisko {word}")
    new_feature(staff_app, point=EAST_1KM, name=f"Średnio {word}")
    client = client_as(staff_app, "anonymous")
    url = f"/wroclaw/services?q={word}&lat={NADODRZE.y}&lon={NADODRZE.x}"
    assert titles(client, url) == [
        f"Blisko {word}",
        f"Średnio {word}",
        f"Daleko {word}",
    ]
    page = client.get(url).get_data(as_text=True)
    assert "<strong>0 m</strong>" in page
    assert "<strong>1 km</strong>" in page or "<strong>1,0 km</strong>" in page
    assert "<strong>2 km</strong>" in page or "<strong>2,0 km</strong>" in page


def test_near_a_unit_typed_by_name(staff_app):
    word = token()
    new_feature(staff_app, point=OLBIN, name=f"Na Ołbinie {word}")
    new_feature(staff_app, point=NADODRZE, name=f"Na Nadodrzu {word}")
    client = client_as(staff_app, "anonymous")
    assert titles(client, f"/wroclaw/services?q={word}&from=olbin") == [
        f"Na Ołbinie {word}",
        f"Na Nadodrzu {word}",
    ]
    assert titles(client, f"/wroclaw/services?q={word}&from=Nadodrze") == [
        f"Na Nadodrzu {word}",
        f"Na Ołbinie {word}",
    ]


def test_filters_by_type_group_accessibility_language_and_area(staff_app):
    word = token()
    new_feature(
        staff_app,
        name=f"Pasuje {word}",
        facility_type="self_help_club",
        target_groups=["seniors"],
        accessibility=["step_free_entrance", "induction_loop"],
        languages="polski, ukraiński",
    )
    new_feature(
        staff_app,
        point=OLBIN,
        name=f"Inny {word}",
        facility_type="day_support_care",
        target_groups=["children_and_youth"],
        accessibility=["step_free_entrance"],
    )
    client = client_as(staff_app, "anonymous")
    base = f"/wroclaw/services?q={word}"
    both = [f"Inny {word}", f"Pasuje {word}"]
    assert titles(client, base) == both
    for query in (
        "type=self_help_club",
        "group=seniors",
        "access=step_free_entrance&access=induction_loop",
        "lang_spoken=uk",
        "area=ZTPS-7",
        "area=unit-4",
    ):
        assert titles(client, f"{base}&{query}") == [f"Pasuje {word}"], query
    assert titles(client, f"{base}&access=step_free_entrance") == both
    assert titles(client, f"{base}&lang_spoken=pl") == both
    # a service has one type: two chosen types mean either of them
    two_types = "type=self_help_club&type=day_support_care"
    assert titles(client, f"{base}&{two_types}") == both
    # but every chosen accessibility feature must be there
    assert (
        titles(client, f"{base}&access=induction_loop&group=children_and_youth") == []
    )


def test_open_at_a_chosen_day_and_hour(staff_app):
    word = token()
    new_feature(staff_app, name=f"Rano {word}", opening_hours="Mo 08:00-12:00")
    new_feature(staff_app, name=f"Weekend {word}", opening_hours=HOURS)
    new_feature(staff_app, name=f"Bez godzin {word}")
    client = client_as(staff_app, "anonymous")
    base = f"/wroclaw/services?q={word}"
    assert titles(client, f"{base}&day=mon&time=09:15") == [
        f"Rano {word}",
        f"Weekend {word}",
    ]
    assert titles(client, f"{base}&day=mon&time=13:00") == []
    assert titles(client, f"{base}&day=sat") == [f"Weekend {word}"]
    assert titles(client, f"{base}&day=mon&time=9:15") == titles(
        client, f"{base}&day=mon&time=09:15"
    )


def test_open_for_part_of_an_hour_is_exact_to_the_minute(staff_app):
    word = token()
    new_feature(
        staff_app,
        name=f"Pół godziny {word}",
        opening_hours="Tu 14:30-15:10",
    )
    client = client_as(staff_app, "anonymous")
    base = f"/wroclaw/services?q={word}&day=tue"
    expected = {"14:15": [], "14:30": [word], "15:09": [word], "15:10": []}
    for time, found in expected.items():
        assert [t.split()[-1] for t in titles(client, f"{base}&time={time}")] == (
            found
        ), time


def test_open_now_uses_the_time_given(staff_app):
    word = token()
    new_feature(staff_app, name=f"Teraz {word}", opening_hours=HOURS)
    with staff_app.test_request_context():
        from webgis.core.registry import layer_registry
        from webgis.features import vocabularies
        from webgis.geography import cities

        city = cities.get_city("wroclaw")
        keys = {
            v: {t.key for t in vocabularies.terms(v)}
            for v in questions.VOCABULARY_FILTERS.values()
        }
        args = {"q": word, "open": "now"}
        saturday = datetime(2026, 3, 14, 11, 0)  # an ordinary Saturday
        for now, expected in [(saturday, 1), (saturday.replace(hour=14), 0)]:
            result = search.find(city, layer_registry(), args, keys, now=now)
            assert len(result.hits) == result.total == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("lat=abc&lon=17", "jako liczby"),
        ("lat=51.1", "jako liczby"),
        ("lat=17.03&lon=51.11", "poza Polską"),
        ("time=25:99", "Podaj godzinę jak 14:30."),
        ("day=someday", "„someday”"),
        ("type=spaceship", "„spaceship”"),
        ("access=wings", "„wings”"),
        ("area=ZTPS-99", "„ZTPS-99”"),
        ("lang_spoken=klingon", "„klingon”"),
        ("from=Atlantyda", "Nie znaleziono miejsca „Atlantyda”"),
    ],
)
def test_bad_input_is_explained_not_a_server_error(client, query, message):
    response = client.get(f"/wroclaw/services?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="error-summary"' in page
    assert "Znaleziono:" in page  # the rest of the query still shows results


def test_a_bad_page_number_shows_the_first_page(client):
    for page in ("abc", "-1", "0", "99999999"):
        assert client.get(f"/wroclaw/services?page={page}").status_code == 200


def test_unknown_city_is_not_found(client):
    assert client.get("/gdansk/services").status_code == 404
    assert client.get("/kiosk/gdansk").status_code == 404
    assert client.get("/embed/gdansk").status_code == 404


def test_only_published_public_services_are_listed(staff_app):
    word = token()
    published, _ = new_feature(staff_app, name=f"Opublikowana {word}")
    draft, _ = new_feature(staff_app, name=f"Szkic {word}", status="draft")
    need, _ = new_feature(
        staff_app, layer="needs_resources", title=f"Potrzeba {word}", kind="need"
    )
    public_need, _ = new_feature(
        staff_app,
        layer="needs_resources",
        title=f"Publiczna potrzeba {word}",
        kind="need",
        public=True,
    )
    resource, _ = new_feature(
        staff_app, layer="needs_resources", title=f"Zasób {word}", kind="resource"
    )
    new_suggestion(staff_app, title=f"Propozycja {word}")
    programme, _ = new_feature(staff_app, layer="pal", name=f"Program {word}")
    for who in ("anonymous", "planner"):  # staff see no drafts here either
        client = client_as(staff_app, who)
        assert titles(client, f"/wroclaw/services?q={word}") == [
            f"Opublikowana {word}",
            f"Zasób {word}",
        ]
    client = client_as(staff_app, "anonymous")
    assert client.get(f"/wroclaw/services/{published}").status_code == 200
    assert client.get(f"/wroclaw/services/{resource}").status_code == 200
    for hidden in (draft, need, public_need, programme):
        assert client.get(f"/wroclaw/services/{hidden}").status_code == 404
        assert client.get(f"/kiosk/wroclaw/services/{hidden}").status_code == 404
    # a service of another city is not found under this one
    assert client.get(f"/krakow/services/{published}").status_code == 404


def test_service_page_shows_the_facts_and_structured_data(staff_app):
    service, _ = new_feature(
        staff_app,
        name="Klub </script><b>Rydygiera</b>",
        address="ul. Rydygiera 25",
        phone="71 123 45 67",
        email="klub@example.org",
        website="https://example.org/klub",
        opening_hours=HOURS,
        target_groups=["seniors"],
        accessibility=["induction_loop"],
        languages="polski, ukraiński",
        data_source="notatka wewnętrzna źródła",
    )
    page = client_as(staff_app, "anonymous").get(f"/wroclaw/services/{service}")
    html = page.get_data(as_text=True)
    # labels as stored now (other tests may rename terms of the shared app)
    with staff_app.app_context():
        seniors = label("target_group", "seniors")
        loop = label("accessibility", "induction_loop")
    for text in (
        "ul. Rydygiera 25",
        'href="tel:+48711234567"',  # E.164
        'href="mailto:klub@example.org"',
        "https://example.org/klub",
        "pon. 8:00–12:00, 14:00–18:00; sob. 10:00–13:00",
        seniors,
        loop,
        "polski, ukraiński",
        "Ostatnia aktualizacja",
        'class="folium-map"',
    ):
        assert text in html, text
    assert "notatka wewnętrzna" not in html
    assert "<b>Rydygiera</b>" not in html  # escaped in the page and in JSON-LD
    match = re.search(
        r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S
    )
    import json

    data = json.loads(match.group(1))
    assert data["@type"] == "LocalBusiness"
    assert data["name"] == "Klub </script><b>Rydygiera</b>"
    assert data["telephone"] == "+48711234567"  # E.164, as stored
    assert data["openingHoursSpecification"][0] == {
        "@type": "OpeningHoursSpecification",
        "dayOfWeek": "https://schema.org/Monday",
        "opens": "08:00",
        "closes": "12:00",
    }
    # schema.org's openingHours takes the syntax (of an ordinary week)
    assert data["openingHours"] == [
        "Mo 08:00-12:00",
        "Sa 10:00-13:00",
        "Mo 14:00-18:00",
    ]


def label(vocabulary: str, key: str) -> str:
    """The Polish label of a vocabulary term as stored (needs an app context)."""
    from webgis.features import vocabularies

    return next(t.label_pl for t in vocabularies.terms(vocabulary) if t.key == key)


def test_filters_travel_in_the_url_and_survive_a_language_switch(client):
    page = client.get("/wroclaw/services?q=klub&type=pasz").get_data(as_text=True)
    assert 'value="klub"' in page
    assert '<option value="pasz" selected>' in page
    assert "/wroclaw/services?q=klub&amp;type=pasz&amp;lang=en" in page


def test_every_page_of_results_is_reachable(client):
    page = client.get("/wroclaw/services").get_data(as_text=True)
    total = int(re.search(r"Znaleziono: (\d+)", page).group(1))
    seen = []
    for number in range(1, total // search.PAGE_SIZE + 2):
        seen += titles(client, f"/wroclaw/services?page={number}")
    assert len(seen) == total


def test_text_from_features_is_escaped_in_the_list_and_the_map(staff_app):
    word = token()
    new_feature(
        staff_app,
        name=f"<img src=x onerror=alert(1)> {word}",
        address="`${alert(2)}` </script><script>alert(3)</script>",
    )
    page = client_as(staff_app, "anonymous").get(f"/wroclaw/services?q={word}")
    html = page.get_data(as_text=True)
    assert "<img src=x" not in html
    assert "<script>alert(3)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown as text in the list
    assert "\\u003cimg src=x" in html  # and in the map's pin data


def test_each_server_thread_transforms_with_its_own_transformer():
    """Pyproj transformers are not thread-safe: sharing one crashed the server."""
    import threading

    seen = []
    threads = [
        threading.Thread(target=lambda: seen.append(metric_transformer()))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(t) for t in seen}) == 4  # (kept alive, so ids are distinct)
    assert metric_transformer() is metric_transformer()  # reused within a thread


def test_boundaries_of_areas_and_places_load_only_when_a_query_uses_them():
    loads = []
    areas = search.OnDemand(["ZTPS-7"], lambda: loads.append(1) or {"ZTPS-7": "x"})
    assert "ZTPS-7" in areas and list(areas) == ["ZTPS-7"] and len(areas) == 1
    assert "ZTPS-9" not in areas and loads == []
    assert areas["ZTPS-7"] == "x" and areas.get("ZTPS-7") == "x" and loads == [1]
    with pytest.raises(KeyError):
        areas["ZTPS-9"]
    assert loads == [1]


def found(client, url) -> int:
    page = client.get(url).get_data(as_text=True)
    return int(re.search(r"Znaleziono: (\d+)", page).group(1))


def test_a_type_or_words_alone_count_only_listed_services_after_every_change(
    staff_app,
):
    from webgis.accounts import users
    from webgis.core.extensions import db
    from webgis.features import store
    from webgis.features.models import Feature

    client = client_as(staff_app, "anonymous")
    clubs, care = "/wroclaw/services?type=self_help_club", "?type=day_support_care"
    care = f"/wroclaw/services{care}"
    before_clubs, before_care = found(client, clubs), found(client, care)
    word = token()
    feature_id, _ = new_feature(
        staff_app, name=f"Klub {word}", facility_type="self_help_club"
    )
    new_feature(
        staff_app, name=f"Szkic {word}", facility_type="self_help_club", status="draft"
    )
    new_feature(staff_app, name="Inny klub", facility_type="self_help_club")
    before_clubs += 1
    assert found(client, clubs) == before_clubs + 1
    assert found(client, f"{clubs}&q={word}") == 1  # the words count too
    assert found(client, f"/wroclaw/services?q={word}") == 1  # not the draft
    with staff_app.app_context():
        planner = users.get_user_by_email(STAFF["planner"][0])
        feature = db.session.get(Feature, feature_id)
        changed = {**feature.properties, "facility_type": "day_support_care"}
        store.update(planner, feature, feature.version, None, changed, "published")
    assert (found(client, clubs), found(client, care)) == (
        before_clubs,
        before_care + 1,
    )
    with staff_app.app_context():
        planner = users.get_user_by_email(STAFF["planner"][0])
        feature = db.session.get(Feature, feature_id)
        store.update(
            planner, feature, feature.version, None, feature.properties, "archived"
        )
    assert found(client, care) == before_care
    assert found(client, f"/wroclaw/services?q={word}") == 0


def test_words_inside_words_are_found_after_every_change(staff_app):
    # On SQLite words of three characters or more are looked up in a trigram
    # index kept by triggers, shorter ones with LIKE; PostgreSQL uses LIKE (with
    # its trigram index). Each must follow every edit of the text.
    from webgis.accounts import users
    from webgis.core.extensions import db
    from webgis.features import store
    from webgis.features.models import Feature

    word = token()
    feature_id, _ = new_feature(
        staff_app, name=f"Klub „Pod Dębem” {word}", description="Warsztaty ceramiki"
    )
    client = client_as(staff_app, "anonymous")
    everywhere = f"/wroclaw/services?q={word}"
    assert found(client, f"/wroclaw/services?q={word[3:9]}") == 1  # inside a word
    assert found(client, f"{everywhere}+ERAMIK") == 1
    assert found(client, f"{everywhere}+ce") == 1  # two letters: no trigram
    assert found(client, f"{everywhere}+pod+debem") == 1
    assert found(client, f"{everywhere}+malarstw") == 0

    def edit(change: dict, status="published"):
        with staff_app.app_context():
            planner = users.get_user_by_email(STAFF["planner"][0])
            feature = db.session.get(Feature, feature_id)
            properties = {**feature.properties, **change}
            store.update(planner, feature, feature.version, None, properties, status)

    edit({"description": "Warsztaty malarstwa"})
    assert found(client, f"{everywhere}+ceramik") == 0  # the old text is forgotten
    assert found(client, f"{everywhere}+malarstw") == 1
    edit({}, "archived")
    assert found(client, everywhere) == 0
    assert found(client, f"/wroclaw/services?q={word[3:9]}") == 0
    edit({}, "published")
    assert titles(client, f"{everywhere}+malarstw") == [f"Klub „Pod Dębem” {word}"]


@pytest.mark.parametrize(
    "typed", ['"', 'ab"c', "NEAR(a b)", "x* OR y", "AND", "^zz", "a:b", "'; --"]
)
def test_text_that_looks_like_query_syntax_is_searched_as_text(staff_app, typed):
    word = token()
    new_feature(staff_app, name=f"Znak {typed} {word}")
    client = client_as(staff_app, "anonymous")
    response = client.get("/wroclaw/services", query_string={"q": f"{typed} {word}"})
    assert response.status_code == 200
    assert "Znaleziono: 1" in response.text
    response = client.get("/wroclaw/services", query_string={"q": f"{typed}qq {word}"})
    assert response.status_code == 200 and "Znaleziono: 0" in response.text


def test_nearest_first_pages_continue_one_another(demo_app):
    from dataclasses import replace

    from werkzeug.datastructures import MultiDict

    from webgis.core.registry import layer_registry
    from webgis.geography import cities

    with demo_app.app_context():
        city = cities.get_city("wroclaw")
        specs = search.finder_layers(layer_registry())
        vocabularies = {v: set() for v in questions.VOCABULARY_FILTERS.values()}
        choices = search.city_choices(city, vocabularies)
        where = MultiDict({"lat": "51.11", "lon": "17.03"})
        query, errors = questions.parse_query(where, choices)
        first, total, _page, _last = search.search(city, query, choices, specs, size=6)
        second = search.search(city, replace(query, page=2), choices, specs, size=3)[0]
    assert not errors and total >= 6
    assert [h.service.id for h in second] == [h.service.id for h in first[3:6]]
    distances = [h.distance for h in first]
    assert distances == sorted(distances)


def test_within_a_radius_keeps_exactly_what_lies_inside_it(staff_app):
    """The spatial index's candidates (R*Tree, GiST) lose none inside the circle."""
    import sqlalchemy as sa

    from webgis.core.extensions import db
    from webgis.features import store
    from webgis.features.models import Feature
    from webgis.geography.boundaries import geographic_transformer

    x0, y0 = metric_transformer().transform(NADODRZE.x, NADODRZE.y)
    names = {}
    for distance in (990, 1010):
        for dx, dy in ((1, 0), (0, 1), (-1, 0), (0, -1), (0.7071, 0.7071)):
            lon, lat = geographic_transformer().transform(
                x0 + dx * distance, y0 + dy * distance
            )
            name = f"{distance} {token()}"
            feature_id, _ = new_feature(staff_app, point=Point(lon, lat), name=name)
            names[feature_id] = distance
    with staff_app.app_context():
        query = sa.select(Feature.id).where(
            Feature.id.in_(names), *store.within_metres(x0, y0, 1000.0)
        )
        inside = set(db.session.scalars(query))
        ordered = sa.select(Feature.id).where(Feature.id.in_(names))
        nearest = list(db.session.scalars(ordered.order_by(*store.by_distance(x0, y0))))
    assert inside == {i for i, d in names.items() if d == 990}
    assert [names[i] for i in nearest] == [990] * 5 + [1010] * 5


def test_services_at_one_address_are_paged_nearest_first_without_repeats(staff_app):
    """Equal distances at a page's edge: each service on exactly one page."""
    from dataclasses import replace

    from werkzeug.datastructures import MultiDict

    from webgis.core.registry import layer_registry
    from webgis.geography import cities

    word = token()
    made = {
        new_feature(staff_app, point=EAST_1KM, name=f"{i} {word}")[0] for i in range(5)
    }
    made.add(new_feature(staff_app, point=NADODRZE, name=f"Blisko {word}")[0])
    with staff_app.app_context():
        city = cities.get_city("wroclaw")
        specs = search.finder_layers(layer_registry())
        vocabularies = {v: set() for v in questions.VOCABULARY_FILTERS.values()}
        choices = search.city_choices(city, vocabularies)
        asked = MultiDict({"q": word, "lat": str(NADODRZE.y), "lon": str(NADODRZE.x)})
        query, errors = questions.parse_query(asked, choices)
        pages = [
            search.search(city, replace(query, page=n), choices, specs, size=2)[0]
            for n in (1, 2, 3)
        ]
    shown = [hit.service.id for page in pages for hit in page]
    assert not errors and sorted(shown) == sorted(made)
    assert [round(hit.distance, -2) for page in pages for hit in page] == [0] + [
        1000
    ] * 5
