"""Every role against every route: what the server allows, whatever the buttons show."""

import itertools
import json

import pytest

import layers
from tests.conftest import (
    NADODRZE,
    client_as,
    csrf_token,
    new_feature,
    new_suggestion,
    valid_form,
)
from tests.test_csrf import import_file, uploaded
from webgis.accounts import users
from webgis.core.extensions import db
from webgis.features import vocabularies
from webgis.geography import cities

ROLES = ["anonymous", "organiser_own", "organiser_other", "planner", "admin"]
LOGIN, OK, DONE, FORBIDDEN, NOT_FOUND = "login", 200, 303, 403, 404
#: A form shown again with what is wrong (an import with problems).
REFUSED = 422


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


SERVICES = "day_centres"


def new_form(ids) -> dict:
    """A valid new feature of the case's layer in Nadodrze (ZTPS 7)."""
    return valid_form(ids["spec"])


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
    ("staff home", "GET", "/me", {}, staff(OK)),
    (
        "still valid",
        "POST",
        "/me/verify/wroclaw/day_centres/{feature}",
        {"version": "1"},
        in_own_area(DONE),
    ),
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
    ("analysis", "GET", "/wroclaw/analysis", {}, planners(OK)),
    (
        "analysis export",
        "GET",
        "/wroclaw/analysis/tables/units.xlsx?radius=800",
        {},
        planners(OK),
    ),
    ("analysis png", "GET", "/wroclaw/analysis/map.png", {}, planners(OK)),
    # Organisation 1 of the demo: a member of published partnerships.
    ("organisation page", "GET", "/organisations/1", {}, everyone(OK)),
    ("organisations", "GET", "/admin/organisations", {}, admins(OK)),
    ("organisation", "GET", "/admin/organisations/1", {}, admins(OK)),
    (
        "correct organisation",
        "POST",
        "/admin/organisations/1",
        {"name": "Miejski Ośrodek Pomocy Społecznej we Wrocławiu"},
        admins(DONE),
    ),
    ("hsds services", "GET", "/hsds/services", {}, everyone(OK)),
    ("hsds package", "GET", "/hsds/datapackage.zip", {}, everyone(OK)),
    # Import on the web: organisers, planners and admins; {upload} is a file the
    # same person uploaded, {admins_upload} one the admin did.
    ("import form", "GET", "/wroclaw/import/", {}, staff(OK)),
    (
        "import template",
        "GET",
        "/wroclaw/import/template/day_centres.xlsx",
        {},
        staff(OK),
    ),
    ("upload", "POST", "/wroclaw/import/", lambda _ids: import_file(), staff(DONE)),
    ("import preview", "GET", "/wroclaw/import/{upload}", {}, staff(OK)),
    (
        "someone else's upload",
        "GET",
        "/wroclaw/import/{admins_upload}",
        {},
        {**staff(NOT_FOUND), "admin": OK},
    ),
    (
        "import",
        "POST",
        "/wroclaw/import/{upload}",
        {"publish": "y"},
        # the centre lies in ZTPS 7: outside the other organiser's areas
        {**staff(DONE), "organiser_other": REFUSED},
    ),
    (
        "import someone else's upload",
        "POST",
        "/wroclaw/import/{admins_upload}",
        {"publish": "y"},
        {**staff(NOT_FOUND), "admin": DONE},
    ),
]
#: The routes of a layer, checked for every registered layer ({layer}).
LAYER_CASES = [
    ("layer list", "GET", "/wroclaw/layers/{layer}/", {}, everyone(OK)),
    ("layer api", "GET", "/api/wroclaw/layers/{layer}", {}, everyone(OK)),
    ("api item", "GET", "/api/wroclaw/layers/{layer}/{feature}", {}, everyone(OK)),
    (
        "api draft",
        "GET",
        "/api/wroclaw/layers/{layer}/{draft}",
        {},
        {**staff(OK), "anonymous": NOT_FOUND},
    ),
    (
        "map layer",
        "GET",
        "/wroclaw/map/layers/{layer}?bbox=16.8,51.0,17.2,51.2",
        {},
        everyone(OK),
    ),
    ("map popup", "GET", "/wroclaw/map/layers/{layer}/{feature}", {}, everyone(OK)),
    (
        "map popup of a draft",
        "GET",
        "/wroclaw/map/layers/{layer}/{draft}",
        {},
        {**staff(OK), "anonymous": NOT_FOUND},
    ),
    ("layer schema", "GET", "/api/layers/{layer}/schema", {}, everyone(OK)),
    ("layer export", "GET", "/wroclaw/layers/{layer}/export.csv", {}, everyone(OK)),
    ("feature", "GET", "/wroclaw/layers/{layer}/{feature}", {}, everyone(OK)),
    (
        "draft",
        "GET",
        "/wroclaw/layers/{layer}/{draft}",
        {},
        {**staff(OK), "anonymous": NOT_FOUND},
    ),
    ("new form", "GET", "/wroclaw/layers/{layer}/new", {}, staff(OK)),
    (
        "create",
        "POST",
        "/wroclaw/layers/{layer}/new",
        lambda ids: new_form(ids),
        in_own_area(DONE),
    ),
    (
        "edit form",
        "GET",
        "/wroclaw/layers/{layer}/{feature}/edit",
        {},
        in_own_area(OK),
    ),
    (
        "edit",
        "POST",
        "/wroclaw/layers/{layer}/{feature}/edit",
        lambda ids: {**new_form(ids), "version": "1"},
        in_own_area(DONE),
    ),
    (
        "archive",
        "POST",
        "/wroclaw/layers/{layer}/{feature}/status",
        {"status": "archived"},
        in_own_area(DONE),
    ),
    (
        "resolve a conflict",
        "POST",
        "/wroclaw/layers/{layer}/{feature}/edit/resolve",
        lambda ids: {**new_form(ids), "version": "1", "seen": "1"},
        in_own_area(DONE),
    ),
    ("history", "GET", "/wroclaw/layers/{layer}/{feature}/history", {}, staff(OK)),
    (
        "restore version",
        "POST",
        "/wroclaw/layers/{layer}/{feature}/history/{revision}",
        {},
        in_own_area(DONE),
    ),
]
MATRIX = [
    pytest.param(role, case, id=f"{case[0]}-{role}")
    for case, role in itertools.product(CASES, ROLES)
] + [
    pytest.param(
        role,
        (f"{name} {layer}", method, url.replace("{layer}", layer), *rest),
        id=f"{name}-{layer}-{role}",
    )
    for layer in layers.discover()
    for (name, method, url, *rest), role in itertools.product(LAYER_CASES, ROLES)
]


def fresh_ids(app, layer: str, wanted: str) -> dict:
    """Ids made afresh for one case: only those its URL and form name."""
    ids: dict = {"spec": app.extensions["webgis.layers"][layer]}
    with app.app_context():
        if "{user}" in wanted or "{area}" in wanted:
            user, _ = users.create_user(
                f"t{users.generate_password()[:8].lower()}@test.invalid", "planner"
            )
            db.session.commit()
            ids["user"] = user.id
            ids["area"] = cities.add_service_area(
                cities.get_city("krakow"), f"E{user.id}", f"Pusta {user.id}"
            ).code
        if "{term}" in wanted:
            ids["term"] = vocabularies.terms("category")[-1].id
    spec = ids["spec"]
    # A feature the public may see (needs only when shown publicly).
    public = dict([spec.public_when]) if spec.public_when else {}
    if "{feature}" in wanted or "{revision}" in wanted:
        ids["feature"], ids["revision"] = new_feature(app, layer, **public)
    if "{draft}" in wanted:
        ids["draft"], _ = new_feature(app, layer, status="draft")
    if "{suggestion}" in wanted:
        ids["suggestion"] = new_suggestion(app)
    return ids


def fill(value: str, ids: dict) -> str:
    return value.format(**{k: v for k, v in ids.items() if k != "spec"})


def uploads(app, client, role: str, url: str, ids: dict) -> None:
    """Files uploaded for a case: by the case's person, or by the admin."""
    if "{upload}" in url:
        # The anonymous visitor has none: someone else's stands in.
        uploader = client if role != "anonymous" else client_as(app, "admin")
        ids["upload"] = uploaded(uploader)
    if "{admins_upload}" in url:
        ids["admins_upload"] = uploaded(client_as(app, "admin"))


@pytest.fixture(scope="module")
def instance_folder(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("instance"))


@pytest.mark.parametrize(("role", "case"), MATRIX)
def test_authorisation_matrix(staff_app, instance_folder, monkeypatch, role, case):
    name, method, url, data, expected = case
    # Uploads waiting for their import go to this module's own folder.
    monkeypatch.setattr(staff_app, "instance_path", instance_folder)
    # The finder's routes need a service: a feature of the day-support layer.
    layer = (
        url.split("/layers/")[1].split("/")[0].split("?")[0]
        if "/layers/" in url
        else SERVICES
    )
    ids = fresh_ids(staff_app, layer, url + json.dumps(data, default=str))
    client = client_as(staff_app, role)
    uploads(staff_app, client, role, url, ids)
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
        "layer": "any",
        "suggestion": 1,
        "user": 1,
        "term": 1,
        "area": "X",
        "feature": 1,
        "revision": 1,
        "draft": 1,
        "upload": "A" * 32,
        "admins_upload": "A" * 32,
    }
    covered = {
        adapter.match(fill(url, ids).split("?")[0], method=method)[0]
        for _name, method, url, _data, _expected in CASES + LAYER_CASES
    }
    protected = {
        rule.endpoint
        for rule in staff_app.url_map.iter_rules()
        if rule.endpoint.split(".")[0]
        in ("admin", "moderation", "auth", "features", "analysis", "imports", "home")
        or rule.endpoint.startswith("organisations.admin")
    }
    # signing in and out have their own tests (test_accounts.py)
    assert protected - covered == {"auth.login", "auth.logout"}
