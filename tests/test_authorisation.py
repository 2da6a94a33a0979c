"""Every role against every route: what the server allows, whatever the buttons show."""

import itertools
import json

import pytest

from tests.conftest import NADODRZE, client_as, csrf_token, new_feature, new_suggestion
from webgis import accounts, geography, vocabularies
from webgis.extensions import db

ROLES = ["anonymous", "organiser_own", "organiser_other", "planner", "admin"]
LOGIN, OK, DONE, FORBIDDEN, NOT_FOUND = "login", 200, 303, 403, 404


def everyone(code):
    return dict.fromkeys(ROLES, code)


def staff(code):
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], code)}


def in_own_area(code):
    """Allowed to the organiser of ZTPS 7 and to planners and admins, not to F6's."""
    return {**staff(code), "organiser_other": FORBIDDEN}


def admins(code):
    return {**staff(FORBIDDEN), "admin": code}


def planners(code):
    """Analyses: planners and admins; organisers work in their areas only."""
    return {**staff(FORBIDDEN), "planner": code, "admin": code}


#: A valid new day-support centre in Nadodrze (ZTPS 7).
CENTRE = {
    "name": "Świetlica",
    "facility_type": "day_support_care",
    "operator": "MOPS Wrocław",
    "location_precision": "address",
    "status": "published",
    "geometry": json.dumps(NADODRZE.__geo_interface__),
}
ACCEPT = {
    "accept-title": "Świetlica",
    "accept-description": "",
    "accept-latitude": str(NADODRZE.y),
    "accept-longitude": str(NADODRZE.x),
}

# (name, method, url, form data, expected status per role). {suggestion}, {user} and
# {term} are filled with ids made afresh for every case.
CASES = [
    ("home", "GET", "/", {}, everyone(OK)),
    ("city map", "GET", "/wroclaw/map", {}, everyone(OK)),
    ("area page", "GET", "/wroclaw/areas/ZTPS-7", {}, everyone(OK)),
    ("api units", "GET", "/api/wroclaw/units", {}, everyone(OK)),
    ("api areas", "GET", "/api/krakow/service-areas", {}, everyone(OK)),
    ("account", "GET", "/account", {}, staff(OK)),
    ("own password", "GET", "/account/password", {}, staff(OK)),
    ("queue", "GET", "/moderation/", {}, staff(OK)),
    ("suggestion", "GET", "/moderation/{suggestion}", {}, in_own_area(OK)),
    ("accept", "POST", "/moderation/{suggestion}/accept", ACCEPT, in_own_area(DONE)),
    (
        "reject",
        "POST",
        "/moderation/{suggestion}/reject",
        {"reject-reason": "Duplikat"},
        in_own_area(DONE),
    ),
    ("users", "GET", "/admin/users", {}, admins(OK)),
    ("user", "GET", "/admin/users/{user}", {}, admins(OK)),
    (
        "create user",
        "POST",
        "/admin/users",
        {"email": "new-{user}@test.invalid", "role": "planner", "display_name": "N"},
        admins(DONE),
    ),
    ("reset password", "POST", "/admin/users/{user}/password", {}, admins(DONE)),
    ("assignment", "GET", "/admin/wroclaw/service-areas", {}, admins(OK)),
    (
        "reassign",
        "POST",
        "/admin/wroclaw/service-areas",
        {"unit-4": "ZTPS-7"},
        admins(DONE),
    ),
    (
        "add area",
        "POST",
        "/admin/krakow/service-areas/new",
        {"new-code": "N{user}", "new-name": "Nowa filia {user}"},
        admins(DONE),
    ),
    (
        "remove area",
        "POST",
        "/admin/krakow/service-areas/{area}/delete",
        {},
        admins(DONE),
    ),
    ("vocabularies", "GET", "/admin/vocabularies", {}, admins(OK)),
    (
        "edit term",
        "POST",
        "/admin/vocabularies",
        {
            "term_id": "{term}",
            "label_pl": "Zdrowie",
            "label_en": "Health",
            "label_uk": "Здоров’я",
            "active": "y",
        },
        admins(DONE),
    ),
    ("audit", "GET", "/admin/audit", {}, admins(OK)),
    ("embed snippets", "GET", "/admin/embed", {}, admins(OK)),
    ("finder", "GET", "/wroclaw/services", {}, everyone(OK)),
    ("service", "GET", "/wroclaw/services/{feature}", {}, everyone(OK)),
    # the finder is public: staff see no drafts there either
    ("draft service", "GET", "/wroclaw/services/{draft}", {}, everyone(NOT_FOUND)),
    ("suggest form", "GET", "/wroclaw/suggest", {}, everyone(OK)),
    ("layer list", "GET", "/wroclaw/layers/day_centres/", {}, everyone(OK)),
    ("layer api", "GET", "/api/wroclaw/layers/day_centres", {}, everyone(OK)),
    ("layer export", "GET", "/wroclaw/layers/day_centres/export.csv", {}, everyone(OK)),
    ("feature", "GET", "/wroclaw/layers/day_centres/{feature}", {}, everyone(OK)),
    (
        "draft",
        "GET",
        "/wroclaw/layers/day_centres/{draft}",
        {},
        {**staff(OK), "anonymous": NOT_FOUND},
    ),
    ("new form", "GET", "/wroclaw/layers/day_centres/new", {}, staff(OK)),
    (
        "create",
        "POST",
        "/wroclaw/layers/day_centres/new",
        lambda ids: CENTRE,
        in_own_area(DONE),
    ),
    (
        "edit form",
        "GET",
        "/wroclaw/layers/day_centres/{feature}/edit",
        {},
        in_own_area(OK),
    ),
    (
        "edit",
        "POST",
        "/wroclaw/layers/day_centres/{feature}/edit",
        lambda ids: {**CENTRE, "version": "1"},
        in_own_area(DONE),
    ),
    (
        "archive",
        "POST",
        "/wroclaw/layers/day_centres/{feature}/status",
        {"status": "archived"},
        in_own_area(DONE),
    ),
    ("history", "GET", "/wroclaw/layers/day_centres/{feature}/history", {}, staff(OK)),
    (
        "restore version",
        "POST",
        "/wroclaw/layers/day_centres/{feature}/history/{revision}",
        {},
        in_own_area(DONE),
    ),
    ("analysis", "GET", "/wroclaw/analysis", {}, planners(OK)),
    (
        "analysis export",
        "GET",
        "/wroclaw/analysis/tables/units.xlsx?radius=800",
        {},
        planners(OK),
    ),
    ("analysis png", "GET", "/wroclaw/analysis/map.png", {}, planners(OK)),
]
MATRIX = [
    pytest.param(role, case, id=f"{case[0]}-{role}")
    for case, role in itertools.product(CASES, ROLES)
]


def fresh_ids(app) -> dict[str, int]:
    with app.app_context():
        user, _ = accounts.create_user(
            f"t{accounts.generate_password()[:8].lower()}@test.invalid", "planner"
        )
        db.session.commit()
        term = vocabularies.terms("category")[-1]
        empty = geography.add_service_area(
            geography.get_city("krakow"), f"E{user.id}", f"Pusta {user.id}"
        )
        ids = {"user": user.id, "term": term.id, "area": empty.code}
    feature, revision = new_feature(app)
    draft, _ = new_feature(app, status="draft")
    return {
        **ids,
        "suggestion": new_suggestion(app),
        "feature": feature,
        "revision": revision,
        "draft": draft,
    }


def fill(value: str, ids: dict) -> str:
    return value.format(**ids)


@pytest.mark.parametrize(("role", "case"), MATRIX)
def test_authorisation_matrix(staff_app, role, case):
    name, method, url, data, expected = case
    ids = fresh_ids(staff_app)
    client = client_as(staff_app, role)
    url = fill(url, ids)
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client, "/account" if role != "anonymous" else "/login")
        form = (
            data(ids) if callable(data) else {k: fill(v, ids) for k, v in data.items()}
        )
        response = client.post(url, data={"csrf_token": token, **form})
    want = expected[role]
    if want == LOGIN:
        assert response.status_code == 302, name
        assert "/login" in response.location, name
    else:
        assert response.status_code == want, (name, response.get_data(as_text=True))


def test_matrix_covers_every_staff_route(staff_app):
    adapter = staff_app.url_map.bind("localhost")
    ids = {
        "suggestion": 1,
        "user": 1,
        "term": 1,
        "area": "X",
        "feature": 1,
        "revision": 1,
        "draft": 1,
    }
    covered = {
        adapter.match(fill(url, ids).split("?")[0], method=method)[0]
        for _name, method, url, _data, _expected in CASES
    }
    protected = {
        rule.endpoint
        for rule in staff_app.url_map.iter_rules()
        if rule.endpoint.split(".")[0]
        in ("admin", "moderation", "auth", "features", "analysis")
    }
    # signing in and out have their own tests (test_accounts.py)
    assert protected - covered == {"auth.login", "auth.logout"}
