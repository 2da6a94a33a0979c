"""No URL, however strange, makes the app answer with a server error.

Hypothesis fills every GET route of the URL map with real values from the demo data
(cities, layers, areas, features, users) and with hostile ones (unknown values, path
tricks, unicode digits, NaN, huge numbers), adds random and hostile query parameters
the views read, and sends them as each role. A 5xx, or an exception escaping a view,
is a bug: a resident sees a crash page and an attacker learns where to push.

The runs are repeatable (``derandomize``, on demo data of their own) and bounded
(``max_examples``) so CI stays fast; a failure prints the URL that broke. Beside the
random search, sweeps send each of a few breaking values to every route at once (in
every query parameter, then in each URL variable), which finds a fragile parser
whatever the random draw.
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from itertools import chain
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BACKENDS, client_as, demo_database
from webgis.accounts.users import User
from webgis.analysis import coverage
from webgis.analysis.tables import TABLE_TITLES, VIEW_TITLES
from webgis.core.extensions import db
from webgis.features import export, organisations
from webgis.features.kinds import WEEKDAYS
from webgis.features.models import STATUSES, Feature
from webgis.features.vocabularies import VocabularyTerm
from webgis.finder import questions
from webgis.geography.models import City, ServiceArea, Unit
from webgis.web.forms import SCHEME_LABELS

#: A variable in a rule, e.g. ``<int:feature_id>``: its name is the group.
VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
ROLES = ("anonymous", "organiser_own", "planner", "admin")
#: Random requests per role and backend: 5 to 15 s each on a quiet machine.
EXAMPLES = 150
#: Values that broke, or could break, a parser somewhere (see the module docstring).
HOSTILE = (
    "²",
    "9" * 5000,
    "٣",
    "１２",
    "-1",
    "0",
    "-0",
    "1e308",
    "-1e308",
    "1e-400",
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "9" * 30,
    "[" * 10_000,
    "%00",
    "\x00",
    "'",
    '"',
    "<script>alert(1)</script>",
    "{{7*7}}",
    "%(name)s",
    "..",
    "../..",
    "%2F",
    "/",
    "\\",
    " ",
    "",
    "ZTPS-",
    "unit-",
    "unit-²",
    "unit-9999999999999999999999",
    "2026-02-31",
    "0001-01-01",
    "9999-12-31",
    "25:61",
    "24:00",
    "51.11, 17.03, 30",
    "51.11, 17.03, nan",
    "nan, nan, nan",
    "1e308, 1e308, 1e308",
)
#: The values most likely to break a parser, sent under every name to every route.
BREAKERS = ("²", "9" * 5000, "nan", "1e308", "-1", "[" * 100)
#: Path parts sent as typed, not percent-encoded: the router must cope with them too.
RAW_PATH_PARTS = ("..", "%2F", "%00", "%2e%2e", "%252F")
#: URL variables most likely to break a view, sent in place of each variable in turn.
PATH_BREAKERS = ("²", "٣", "-1", "0", "..", "%2F", "%2e%2e", "x" * 3000, "<b>")
#: Ids no table holds: beyond PostgreSQL's integer and SQLite's 64 bits.
HUGE_IDS = (str(2**31), str(2**63), "9" * 30)
#: Query parameters of OGC API – Features (and ``lang``, ``page`` of every page).
OGC_QUERY_NAMES = ("limit", "offset", "bbox", "datetime", "f")
#: Query parameters of the Open Referral HSDS API.
HSDS_QUERY_NAMES = (
    "per_page",
    "format",
    "full",
    "minimal",
    "full_service",
    "search",
    "organization_id",
    "taxonomy_id",
    "taxonomy_term_id",
    "modified_after",
    "top_only",
    "parent_id",
)
#: Query parameters the views read (finder, lists, analysis, admin, language).
QUERY_NAMES = (
    "page",
    "idle",
    "q",
    "type",
    "category",
    "group",
    "access",
    "area",
    "lang_spoken",
    "open",
    "day",
    "time",
    "lat",
    "lon",
    "from",
    "sort",
    "order",
    "status",
    "layer",
    "radius",
    "when",
    "compare_to",
    "indicator",
    "scheme",
    "classes",
    "hypothetical",
    "view",
    "action",
    "lang",
    "next",
    # the import wizard's preview
    "part",
    "mapped",
    "map-0",
    "publish",
    "duplicates",
    *OGC_QUERY_NAMES,
    *HSDS_QUERY_NAMES,
)
#: The HSDS lists whose records the ``record_id`` of each HSDS route names.
HSDS_RECORDS = {
    "hsds.service": "services",
    "hsds.organization": "organizations",
    "hsds.taxonomy": "taxonomies",
    "hsds.taxonomy_term": "taxonomy_terms",
    "hsds.service_at_location": "service_at_locations",
}
#: Text without lone surrogates, which no browser can send.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
NUMBERS = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


def hsds_ids(app) -> dict[str, list[str]]:
    """The ids of every HSDS record, by list, read through the API as a client would."""
    client = app.test_client()
    return {
        name: [
            record["id"]
            for record in client.get(f"/hsds/{name}?per_page=1000").get_json()[
                "contents"
            ]
        ]
        for name in HSDS_RECORDS.values()
    }


def fill(place: dict, name: str, rule) -> str:
    """The place's value of a URL variable; an HSDS id depends on the route."""
    value = place[name]
    return value[rule.endpoint] if isinstance(value, dict) else value


def demo_places(app) -> list[dict]:
    """URL variables that belong together: a feature with its city, layer and area.

    One set per stored feature (drafts and suggestions too), so a detail, history,
    edit or moderation page is reached with an id the city and layer really hold;
    the OGC collection is the feature's layer, or the city's units or service
    areas with one of theirs. Organisations and HSDS records take turns.
    """
    registry = app.extensions["webgis.layers"]
    formats = (*export.FORMATS, *export.TABLE_FORMATS, "png")
    with app.app_context():
        features = db.session.execute(
            sa.select(Feature.id, Feature.layer, City.code, Feature.status)
            .join(City, City.id == Feature.city_id)
            .order_by(Feature.id)
        ).all()
        areas = db.session.execute(
            sa.select(City.code, ServiceArea.code)
            .join(ServiceArea, ServiceArea.city_id == City.id)
            .order_by(ServiceArea.id)
        ).all()
        users = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
        units = db.session.execute(
            sa.select(City.code, Unit.number)
            .join(Unit, Unit.city_id == City.id)
            .order_by(Unit.id)
        ).all()
        organisation_ids = [o.id for o, _count in organisations.listing()]
        records = hsds_ids(app)
        db.session.remove()
    services = {
        city: id_
        for id_, layer, city, status in features
        if registry[layer].finder and status == "published"
    }
    places = []
    for n, (id_, layer, city, status) in enumerate(features):
        city_areas = [area for code, area in areas if code == city]
        city_units = [str(number) for code, number in units if code == city]
        public_service = registry[layer].finder and status == "published"
        collection, item = (
            (f"{city}-{layer}", str(id_)),
            (f"{city}-units", city_units[n % len(city_units)]),
            (f"{city}-service-areas", city_areas[n % len(city_areas)]),
        )[n % 3]
        places.append(
            {
                "city_code": city,
                "layer_key": layer,
                "feature_id": str(id_),
                "service_id": str(id_ if public_service else services.get(city, 1)),
                "area_code": city_areas[n % len(city_areas)],
                "user_id": str(users[n % len(users)]),
                "name": list(TABLE_TITLES)[n % len(TABLE_TITLES)],
                "fmt": formats[n % len(formats)],
                "collection_id": collection,
                "item_id": item,
                "organisation_id": str(organisation_ids[n % len(organisation_ids)]),
                "record_id": {
                    endpoint: records[name][n % len(records[name])]
                    for endpoint, name in HSDS_RECORDS.items()
                },
                # The form of an upload's token; no upload has it.
                "token": "A" * 32,
            }
        )
    return places


def query_values(app) -> tuple[str, ...]:
    """Real values for query parameters: codes, keys and names the views accept."""
    with app.app_context():
        areas = db.session.scalars(
            sa.select(ServiceArea.code).order_by(ServiceArea.id)
        ).all()
        units = db.session.scalars(
            sa.select(Unit.number).order_by(Unit.id).limit(20)
        ).all()
        terms = db.session.scalars(
            sa.select(VocabularyTerm.key).order_by(VocabularyTerm.id).limit(60)
        ).all()
        db.session.remove()
    today = date.today()
    return (
        *app.extensions["webgis.layers"],
        *chain.from_iterable(hsds_ids(app).values()),
        *areas,
        *(f"unit-{n}" for n in units),
        *terms,
        *STATUSES,
        *WEEKDAYS,
        *questions.LANGUAGES,
        *coverage.INDICATORS,
        *SCHEME_LABELS,
        *VIEW_TITLES,
        "pl",
        "en",
        "uk",
        "now",
        "desc",
        "asc",
        "name",
        "14:30",
        "51.11",
        "17.03",
        "50",
        "20000",
        "2",
        "7",
        today.isoformat(),
        (today - timedelta(days=1)).isoformat(),
        "51.1445, 16.8722, 40",
        "/account",
        "//evil.example",
        "html",
        "json",
        "true",
        "false",
        "1",
        "0",
        "1000",
        "16.8,51.0,17.2,51.2",
        "19.9,50.0,20.1,50.1,0,100",
        f"{today.isoformat()}T00:00:00Z",
        f"../{today.isoformat()}",
        f"{(today - timedelta(days=30)).isoformat()}T12:00:00+02:00/..",
        "update",
        "skip",
        "y",
    )


def get_routes(app) -> list:
    """Every rule a browser can GET, except static files."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint != "static"
        ),
        key=lambda rule: rule.rule,
    )


#: A URL variable that is not real: hostile, random text, or a path trick.
NOT_REAL = st.one_of(
    st.sampled_from(HOSTILE).map(lambda v: quote(v, safe="")),
    TEXT.filter(bool).map(lambda v: quote(v, safe="")),
    st.sampled_from(RAW_PATH_PARTS),
)


@st.composite
def requests(draw, routes, places, values):
    """A path of one GET route and a list of query parameters."""
    rule = draw(st.sampled_from(routes))
    place = draw(st.sampled_from(places))
    # split() alternates the fixed text and the variables' names
    parts = VARIABLE.split(rule.rule)
    for index in range(1, len(parts), 2):
        # Mostly real, so the views' own checks run; shrinking leads to real too.
        real = draw(st.integers(0, 4)) < 4
        parts[index] = fill(place, parts[index], rule) if real else draw(NOT_REAL)
    # One hostile value under many names at once tests many parsers per request.
    shared = draw(st.one_of(st.sampled_from(HOSTILE), TEXT, NUMBERS))
    value = st.one_of(
        st.just(shared), st.sampled_from(values), st.sampled_from(HOSTILE)
    )
    names = draw(st.lists(st.sampled_from(QUERY_NAMES), unique=True))
    query = [(name, draw(value)) for name in names]
    return "".join(parts), query


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_app(request, tmp_path_factory):
    """Demo data and staff accounts of its own, untouched by other tests.

    The same data every run makes the same requests every run (``derandomize``).
    """
    directory = tmp_path_factory.mktemp("fuzz")
    app = demo_database(request.param, directory, "fuzz", staff=True)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def fuzz_inputs(fuzz_app):
    """The routes, the real URL variables and query values, read once per backend."""
    return get_routes(fuzz_app), demo_places(fuzz_app), query_values(fuzz_app)


@pytest.mark.parametrize("role", ROLES)
def test_no_get_request_answers_with_a_server_error(fuzz_app, fuzz_inputs, role):
    client = client_as(fuzz_app, role)
    started = time.monotonic()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(requests(*fuzz_inputs))
    def answers_without_server_error(request):
        path, query = request
        response = client.get(path, query_string=query)
        assert response.status_code < 500, (
            f"{response.status_code} for {path}?{query}: "
            f"{response.get_data(as_text=True)[-500:]}"
        )

    answers_without_server_error()
    # Still signed in: no request threw the session away (and with it the coverage).
    if role != "anonymous":
        assert client.get("/account").status_code == 200
    assert time.monotonic() - started < 60


def assert_no_server_error(client, urls) -> None:
    """Send every URL of ``urls``; list those that answer 5xx or raise, and how."""
    failures = []
    for path, query in urls:
        try:
            status = client.get(path, query_string=query).status_code
        except Exception as error:  # every crash is listed, not only the first
            status = f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"
        if not isinstance(status, int) or status >= 500:
            names = ",".join(name for name, _value in query[:3])
            shown = f"?{names}…={query[0][1][:20]!r}" if query else ""
            failures.append(f"{path[:120]}{shown}: {status}")
    assert not failures, "\n".join(failures)


def urls_with(routes, place, replace=None, query=()):
    """Every route filled in from ``place``, each with ``query``.

    With ``replace``, one URL per variable instead: ``replace("<int:feature_id>")``
    gives the value put in its place (None leaves that variable out).
    """
    for rule in routes:
        if replace is None:
            path = VARIABLE.sub(lambda m, r=rule: fill(place, m.group(1), r), rule.rule)
            yield path, list(query)
            continue
        for variable in VARIABLE.finditer(rule.rule):
            value = replace(variable.group(0))
            if value is None:
                continue
            path = VARIABLE.sub(
                lambda m, v=variable, value=value, r=rule: (
                    value if m.start() == v.start() else fill(place, m.group(1), r)
                ),
                rule.rule,
            )
            yield path, list(query)


@pytest.fixture(scope="module")
def sweep(fuzz_app, fuzz_inputs):
    """The routes, a published service's URL variables and an admin's client."""
    routes, places, _values = fuzz_inputs
    # an admin may open every page of a published service, its OGC item and the
    # public page of an organisation
    place = next(p for p in places if p["feature_id"] == p["service_id"])
    client = client_as(fuzz_app, "admin")
    public = next(
        p["organisation_id"]
        for p in places
        if client.get(f"/organisations/{p['organisation_id']}").status_code == 200
    )
    place = {
        **place,
        "collection_id": f"{place['city_code']}-{place['layer_key']}",
        "item_id": place["feature_id"],
        "organisation_id": public,
    }
    return routes, place, client


def test_every_route_survives_a_breaker_in_every_query_parameter(sweep):
    routes, place, client = sweep
    urls = [
        url
        for breaker in BREAKERS
        for url in urls_with(routes, place, query=[(n, breaker) for n in QUERY_NAMES])
    ]
    assert_no_server_error(client, urls)


def test_each_api_parameter_alone_survives_a_breaker(sweep):
    """The OGC and HSDS APIs stop at the first bad parameter: each is sent alone.

    Sent all at once, the first one checked would hide the others' parsers; the
    OGC items are filtered by their collection's queryables too.
    """
    routes, place, client = sweep
    queryables = client.get(
        f"/ogc/collections/{place['collection_id']}/queryables?f=json"
    ).get_json()["properties"]
    urls = [
        url
        for rule in routes
        for name in api_parameters(rule, queryables)
        for breaker in BREAKERS
        for url in urls_with([rule], place, query=[(name, breaker)])
    ]
    assert len(urls) > 500
    assert_no_server_error(client, urls)


def api_parameters(rule, queryables) -> tuple[str, ...]:
    """The query parameters an OGC or HSDS route reads (none for other routes)."""
    if rule.endpoint == "ogc.items":
        return (*OGC_QUERY_NAMES, "lang", *queryables)
    if rule.endpoint.startswith("ogc."):
        return ("f", "lang")
    if rule.endpoint.startswith("hsds."):
        # a list reads paging and filters, one record its nesting only
        return (
            ("full", "full_service")
            if "<" in rule.rule
            else (*HSDS_QUERY_NAMES, "page")
        )
    return ()


@pytest.mark.parametrize("breaker", PATH_BREAKERS)
def test_every_url_variable_survives_a_breaker(sweep, breaker):
    routes, place, client = sweep
    urls = urls_with(routes, place, lambda _variable: quote(breaker, safe="%"))
    assert_no_server_error(client, urls)


# -- server errors these tests found once, kept as regressions -----------------------


def test_ids_no_table_can_hold_are_not_found(sweep):
    routes, place, client = sweep
    urls = [
        url
        for huge in HUGE_IDS
        for url in urls_with(
            [rule for rule in routes if "<int:" in rule.rule],
            place,
            lambda variable, huge=huge: huge if variable.startswith("<int:") else None,
        )
    ]
    assert_no_server_error(client, urls)


def test_nul_bytes_in_the_url_do_not_reach_the_database(sweep):
    routes, place, client = sweep
    urls = [
        *urls_with(routes, place, lambda _variable: "%00"),
        *urls_with(routes, place, query=[(name, "\x00") for name in QUERY_NAMES]),
    ]
    assert_no_server_error(client, urls)


@pytest.mark.parametrize("name", ["when", "compare_to"])
def test_the_analysis_refuses_the_last_day_of_the_calendar(sweep, name):
    routes, place, client = sweep
    analysis = [rule for rule in routes if rule.endpoint.startswith("analysis.")]
    urls = urls_with(
        analysis, {**place, "name": "units", "fmt": "csv"}, query=[(name, "9999-12-31")]
    )
    assert_no_server_error(client, urls)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("/wroclaw/services?page=²", "<main"),
        ("/wroclaw/services?page=٣", "<main"),
        ("/wroclaw/services?page=" + "9" * 5000, "<main"),
        ("/kiosk/wroclaw?idle=²", 'data-idle-seconds="120"'),
        ("/kiosk/wroclaw?idle=٣", 'data-idle-seconds="120"'),
        ("/kiosk/wroclaw?idle=" + "9" * 5000, 'data-idle-seconds="120"'),
        ("/kiosk/wroclaw?idle=0090", 'data-idle-seconds="90"'),
    ],
)
def test_unicode_and_huge_numbers_in_the_finder_url_are_ignored(fuzz_app, url, shown):
    response = fuzz_app.test_client().get(url)
    assert response.status_code == 200
    assert shown in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1", 1),
        ("3600", 3600),
        ("0042", 42),
        ("3601", None),
        ("0", None),
        ("", None),
        ("-1", None),
        ("²", None),
        ("٣", None),
        ("１", None),
        (" 1", None),
        ("1.0", None),
        ("9" * 5000, None),
    ],
)
def test_positive_number_takes_ascii_digits_only(text, number):
    assert questions.positive_number(text, 3600) == number
