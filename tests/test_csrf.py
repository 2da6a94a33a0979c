"""Every form is CSRF-protected, and an expired form keeps what was typed.

The first test walks the app's URL map, so a new route that accepts POST is checked
without editing this file.
"""

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import (
    NADODRZE,
    STAFF,
    client_as,
    csrf_token,
    new_feature,
    new_suggestion,
)
from webgis.accounts import users
from webgis.core import audit
from webgis.core.extensions import db
from webgis.features import organisations, vocabularies
from webgis.features.models import Feature, Revision
from webgis.geography.models import ServiceArea

CENTRE = {
    "name": "Świetlica „Pod Dębem”",
    "facility_type": "day_support_care",
    "operator": "MOPS Wrocław",
    "location_precision": "address",
    "status": "published",
    "geometry": json.dumps(NADODRZE.__geo_interface__),
}


#: A file the import wizard reads: one day centre in Nadodrze (ZTPS 7).
IMPORT_CSV = (
    "name,facility_type,operator,lon,lat\r\n"
    f"Świetlica z pliku,ddp,MOPS Wrocław,{NADODRZE.x},{NADODRZE.y}\r\n"
).encode()


@pytest.fixture
def own_instance(staff_app, tmp_path, monkeypatch):
    """Uploads waiting for their import go to this test's own folder."""
    monkeypatch.setattr(staff_app, "instance_path", str(tmp_path))


def uploads(app) -> list[str]:
    """The files the import wizard keeps between its steps."""
    folder = Path(app.instance_path) / "imports"
    return sorted(str(p) for p in folder.rglob("*")) if folder.is_dir() else []


def state(app) -> tuple:
    """Everything a POST could change, counted and versioned."""
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count(Feature.id))),
            db.session.scalar(sa.select(sa.func.sum(Feature.version))),
            db.session.scalar(sa.select(sa.func.count(Revision.id))),
            db.session.scalar(sa.select(sa.func.count(users.User.id))),
            db.session.scalar(sa.select(sa.func.count(ServiceArea.id))),
            tuple(
                (t.label_pl, t.active)
                for t in vocabularies.terms("need_source", include_inactive=True)
            ),
            tuple(
                (u.email, u.password_hash, u.role, u.active) for u in users.list_users()
            ),
            tuple(
                (o.name, o.description, o.website, o.email, o.phone)
                for o, _count in organisations.listing()
            ),
            tuple(uploads(app)),
        )


def import_file() -> dict:
    """The upload form's fields: the layer and a fresh copy of the file."""
    return {"layer": "day_centres", "file": (io.BytesIO(IMPORT_CSV), "plik.csv")}


def uploaded(client) -> str:
    """The token of a file the client's person uploaded (with the form's token)."""
    token = csrf_token(client, "/wroclaw/import/")
    sent = client.post("/wroclaw/import/", data={"csrf_token": token, **import_file()})
    assert sent.status_code == 303, sent.get_data(as_text=True)
    return sent.location.rsplit("/", 1)[1]


def post_urls(app, client) -> list[tuple[str, dict]]:
    """A real URL for every route that accepts POST, with data it would accept.

    ``client`` uploads the file an import would save.
    """
    feature_id, revision_id = new_feature(app, "day_centres", NADODRZE)
    suggestion = new_suggestion(app)
    with app.app_context():
        user_id = users.get_user_by_email(STAFF["planner"][0]).id
        term = vocabularies.terms("need_source")[0]
        term_form = {
            "term_id": str(term.id),
            "label_pl": "Zmienione",
            "label_en": "Changed",
            "label_uk": "Змінено",
        }
    values = {
        "city_code": "wroclaw",
        "layer_key": "day_centres",
        "feature_id": feature_id,
        "revision_id": revision_id,
        "user_id": user_id,
        "area_code": "ZTPS-7",
        "organisation_id": 1,
        "token": uploaded(client),
    }
    data = {
        "features.new": CENTRE,
        "features.edit": {**CENTRE, "version": "1"},
        "features.change_status": {"status": "archived"},
        "moderation.accept": {"accept-title": "Przyjęta", "accept-category": "housing"},
        "moderation.reject": {"reject-reason": "Duplikat"},
        "admin.users": {"email": "csrf@test.invalid", "role": "planner"},
        "admin.user": {"email": "x@test.invalid", "role": "admin"},
        "admin.assignment": {"unit-4": "ZTPS-8"},
        "admin.add_area": {"new-code": "CSRF", "new-name": "Nowy"},
        "admin.vocabulary_list": term_form,
        "auth.login": {"email": STAFF["admin"][0], "password": "x" * 20},
        "auth.change_password": {
            "current_password": "correct-horse-battery",
            "new_password": "another-long-password",
            "repeat_password": "another-long-password",
        },
        "finder.suggest": {"kind": "need", "title": "Spam", "category": "housing"},
        "organisations.admin_edit": {"name": "Przejęta nazwa"},
        "imports.upload": import_file(),
        "imports.run": {"publish": "y"},
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        args = dict(values)
        if rule.endpoint.startswith("moderation."):
            args["feature_id"] = suggestion
        url = rule.build(
            {k: v for k, v in args.items() if k in rule.arguments},
            append_unknown=False,
        )[1]
        urls.append((rule.endpoint, url, data.get(rule.endpoint, {})))
    return urls


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["missing", "forged"])
def test_every_post_route_refuses_a_request_without_a_valid_token(
    staff_app, own_instance, token
):
    admin = client_as(staff_app, "admin")
    routes = post_urls(staff_app, admin)
    assert len(routes) >= 18
    for endpoint, url, data in routes:
        before = state(staff_app)
        form = dict(data) if token is None else {**data, "csrf_token": token}
        response = admin.post(url, data=form)
        assert response.status_code in (400, 422), (endpoint, response.status_code)
        assert state(staff_app) == before, endpoint
    # Still signed in: not even "sign out" works without the token.
    assert admin.get("/account").status_code == 200


@pytest.mark.parametrize("endpoint", ["organisations.admin_edit", "imports.run"])
def test_the_refused_forms_of_new_routes_are_accepted_with_the_token(
    staff_app, own_instance, endpoint
):
    """The data refused above is valid: with the form's token it changes things."""
    admin = client_as(staff_app, "admin")
    url, data = next((u, d) for e, u, d in post_urls(staff_app, admin) if e == endpoint)
    before = state(staff_app)
    details = ("name", "description", "website", "email", "phone")
    with staff_app.app_context():
        organisation = organisations.get(1)
        kept = {name: getattr(organisation, name) for name in details}
    token = csrf_token(admin, "/account")
    try:
        response = admin.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 303, response.get_data(as_text=True)
        assert state(staff_app) != before
    finally:
        # Organisation 1 is shared by other tests: its details are put back.
        if endpoint == "organisations.admin_edit":
            admin.post(url, data={**kept, "csrf_token": token})
    with staff_app.app_context():
        organisation = organisations.get(1)
        assert {name: getattr(organisation, name) for name in details} == kept


def test_refused_tokens_are_in_the_audit_log(staff_app):
    client = client_as(staff_app, "organiser_own")
    client.post("/logout")
    client.post("/wroclaw/layers/day_centres/new", data=CENTRE)
    with staff_app.app_context():
        paths = [e.target for e in audit.recent(action="csrf.failure", limit=10)]
    assert "/logout" in paths and "/wroclaw/layers/day_centres/new" in paths


def test_an_expired_feature_form_is_shown_again_with_what_was_typed(staff_app):
    client = client_as(staff_app, "organiser_own")
    before = state(staff_app)
    response = client.post(
        "/wroclaw/layers/day_centres/new", data={**CENTRE, "csrf_token": "stale"}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Formularz wygasł" in text
    assert "Świetlica „Pod Dębem”" in text  # what was typed
    assert str(NADODRZE.x)[:7] in text  # and where the marker was
    assert 'name="csrf_token"' in text and 'value="stale"' not in text
    assert state(staff_app) == before
    # With the fresh token from that page, the same form saves.
    fresh = csrf_token(client, "/wroclaw/layers/day_centres/new")
    saved = client.post(
        "/wroclaw/layers/day_centres/new", data={**CENTRE, "csrf_token": fresh}
    )
    assert saved.status_code == 303


def test_an_expired_suggestion_form_keeps_the_residents_text(staff_app):
    client = client_as(staff_app, "anonymous")
    response = client.post(
        "/wroclaw/suggest",
        data={"kind": "need", "title": "Ławki przy Odrze", "category": "free_time"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    assert "Formularz wygasł" in text and 'value="Ławki przy Odrze"' in text


@pytest.mark.parametrize("lang", ["pl", "en", "uk"])
def test_an_expired_button_explains_itself_in_the_readers_language(staff_app, lang):
    client = client_as(staff_app, "organiser_own")
    client.get(f"/account?lang={lang}")
    text = client.post("/logout").get_data(as_text=True)
    expected = {"pl": "Formularz wygasł", "en": "form expired", "uk": "Форма"}[lang]
    assert expected.lower() in text.lower()


def test_a_too_large_upload_is_refused_in_polish(staff_app):
    client = client_as(staff_app, "organiser_own")
    limit = staff_app.config["MAX_CONTENT_LENGTH"]
    staff_app.config["MAX_CONTENT_LENGTH"] = 2**20
    try:
        response = client.post(
            "/wroclaw/layers/day_centres/new",
            data={**CENTRE, "description": "x" * (2 * 2**20)},
        )
    finally:
        staff_app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "Za duży plik lub formularz" in text and "1 MB" in text


def test_a_bad_status_button_answers_in_polish(staff_app):
    feature_id, _ = new_feature(staff_app, "day_centres", NADODRZE)
    client = client_as(staff_app, "organiser_own")
    url = f"/wroclaw/layers/day_centres/{feature_id}"
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/status", data={"status": "destroyed", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "Niepoprawne żądanie" in response.get_data(as_text=True)


def test_a_refused_attempt_is_in_the_audit_log(staff_app):
    suggestion = new_suggestion(staff_app)  # in ZTPS 7's queue
    client = client_as(staff_app, "organiser_other")
    assert client.get(f"/moderation/{suggestion}").status_code == 403
    with staff_app.app_context():
        entry = audit.recent(action="access.denied", limit=1)[0]
    assert entry.target == f"/moderation/{suggestion}"
    assert entry.actor == STAFF["organiser_other"][0]
