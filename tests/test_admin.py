"""Administration pages: accounts, the unit-to-area assignment, vocabularies, audit."""

import pytest

from tests.conftest import (
    NADODRZE,
    PASSWORD,
    client_as,
    csrf_token,
    log_in,
    new_suggestion,
)
from webgis.accounts import users
from webgis.core import audit
from webgis.core.extensions import db
from webgis.features import vocabularies
from webgis.geography import cities

XSS = '<img src=x onerror=alert(1)><script>alert("x")</script>'


def post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/account"), **data})


def test_admin_creates_an_organiser_who_can_then_log_in(staff_app):
    admin = client_as(staff_app, "admin")
    response = post(
        admin,
        "/admin/users",
        {
            "email": "Nowa@Test.Invalid",
            "display_name": "Nowa",
            "role": "organiser",
            "areas": ["wroclaw:ZTPS-1", "wroclaw:ZTPS-2"],
        },
    )
    assert response.status_code == 303
    text = admin.get("/admin/users").get_data(as_text=True)
    password = text.split("pokazywane tylko raz): ")[1].split("<")[0].strip()
    client = staff_app.test_client()
    assert log_in(client, "nowa@test.invalid", password).status_code == 303
    account = client.get("/account").get_data(as_text=True)
    assert "ZTPS 1 Szczepin" in account and "ZTPS 2 Leśnica" in account


def test_organiser_without_areas_is_refused_and_the_form_keeps_its_values(staff_app):
    admin = client_as(staff_app, "admin")
    response = post(
        admin,
        "/admin/users",
        {
            "email": "bezobszaru@test.invalid",
            "display_name": "Bez",
            "role": "organiser",
        },
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "co najmniej jeden obszar" in text
    assert 'value="bezobszaru@test.invalid"' in text
    with staff_app.app_context():
        assert "bezobszaru@test.invalid" not in [u.email for u in users.list_users()]


def test_admin_deactivates_an_account(staff_app):
    with staff_app.app_context():
        user, _ = users.create_user("off@test.invalid", "planner", "Off", PASSWORD)
        db.session.commit()
        user_id = user.id
    admin = client_as(staff_app, "admin")
    response = post(
        admin,
        f"/admin/users/{user_id}",
        {
            "email": "off@test.invalid",
            "display_name": "Off",
            "role": "planner",
        },
    )  # the "active" box unticked
    assert response.status_code == 303
    assert (
        log_in(staff_app.test_client(), "off@test.invalid", PASSWORD).status_code == 401
    )
    with staff_app.app_context():
        assert audit.recent(action="users.update")[0].target == "off@test.invalid"


def test_moving_a_unit_changes_both_areas_at_once(staff_app):
    admin = client_as(staff_app, "admin")
    with staff_app.app_context():
        city = cities.get_city("krakow")
        before = {a.code: a.geometry.area for a in city.service_areas}
    # Grzegórzki (II) moves from Filia 6 to Filia 1
    response = post(admin, "/admin/krakow/service-areas", {"unit-2": "F1"})
    assert response.status_code == 303
    try:
        with staff_app.app_context():
            city = cities.get_city("krakow")
            after = {a.code: a.geometry.area for a in city.service_areas}
            assert after["F6"] < before["F6"] and after["F1"] > before["F1"]
            assert [u.name for u in cities.get_service_area(city, "F6").units] == [
                "Stare Miasto"
            ]
            assert (
                "2 Grzegórzki: F6 → F1"
                in audit.recent(action="service_areas.reassign")[0].detail
            )
        api = admin.get("/api/krakow/units").get_json(force=True)
        by_name = {f["properties"]["name"]: f["properties"] for f in api["features"]}
        assert by_name["Grzegórzki"]["service_area"] == "F1"
    finally:
        post(admin, "/admin/krakow/service-areas", {"unit-2": "F6"})


def test_unknown_area_in_the_assignment_is_refused_and_nothing_moves(staff_app):
    admin = client_as(staff_app, "admin")
    response = post(admin, "/admin/krakow/service-areas", {"unit-2": "F99"})
    assert response.status_code == 422
    assert "F99" in response.get_data(as_text=True)
    with staff_app.app_context():
        unit = next(u for u in cities.get_city("krakow").units if u.number == 2)
        assert unit.service_area.code == "F6"


def test_an_area_with_units_cannot_be_removed(staff_app):
    admin = client_as(staff_app, "admin")
    response = post(admin, "/admin/krakow/service-areas/F6/delete", {})
    assert response.status_code == 303
    page = admin.get("/admin/krakow/service-areas").get_data(as_text=True)
    assert "ma jeszcze jednostki" in page


def test_vocabulary_labels_in_three_languages(staff_app):
    admin = client_as(staff_app, "admin")
    with staff_app.app_context():
        term = next(t for t in vocabularies.terms("target_group") if t.key == "seniors")
    response = post(
        admin,
        "/admin/vocabularies",
        {
            "term_id": term.id,
            "label_pl": "Seniorzy i seniorki",
            "label_en": "Older people",
            "label_uk": "Люди похилого віку",
            "active": "y",
        },
    )
    assert response.status_code == 303
    with staff_app.app_context():
        saved = next(
            t for t in vocabularies.terms("target_group") if t.key == "seniors"
        )
        assert saved.label_pl == "Seniorzy i seniorki" and saved.label_en == (
            "Older people"
        )


def test_vocabulary_term_without_a_translation_is_refused(staff_app):
    admin = client_as(staff_app, "admin")
    response = post(
        admin,
        "/admin/vocabularies",
        {
            "vocabulary": "category",
            "key": "transport",
            "label_pl": "Transport",
            "label_en": "Transport",
            "label_uk": "",
        },
    )
    assert response.status_code == 422
    with staff_app.app_context():
        assert "transport" not in [t.key for t in vocabularies.terms("category")]


def test_vocabulary_seed_covers_the_product_lists(staff_app):
    with staff_app.app_context():
        assert len(vocabularies.terms("category")) == 11
        assert len(vocabularies.terms("target_group")) == 12
        types = {t.key for t in vocabularies.terms("facility_type")}
        assert {"day_support_care", "sds", "kis", "cis", "pasz", "mops_office"} <= types
        assert len(types) == 16


def test_audit_log_lists_logins_for_admins(staff_app):
    admin = client_as(staff_app, "admin")
    text = admin.get("/admin/audit?action=login").get_data(as_text=True)
    assert "login.success" in text and "admin@test.invalid" in text


def test_display_name_is_escaped_everywhere_it_is_shown(staff_app):
    with staff_app.app_context():
        users.create_user("xss@test.invalid", "planner", XSS, PASSWORD)
        db.session.commit()
        user_id = users.get_user_by_email("xss@test.invalid").id
    client = staff_app.test_client()
    log_in(client, "xss@test.invalid", PASSWORD)
    admin = client_as(staff_app, "admin")
    pages = [
        client.get("/account"),
        client.get("/wroclaw/map"),
        admin.get("/admin/users"),
        admin.get(f"/admin/users/{user_id}"),
    ]
    for response in pages:
        text = response.get_data(as_text=True)
        assert "<img src=x" not in text and '<script>alert("x")' not in text
        assert "&lt;img src=x" in text


def test_every_kind_of_change_leaves_an_audit_entry(staff_app):
    admin = client_as(staff_app, "admin")
    organiser = client_as(staff_app, "organiser_own")
    first, second = new_suggestion(staff_app), new_suggestion(staff_app)
    with staff_app.app_context():
        term = vocabularies.terms("need_source")[0]
    steps = [
        (organiser, f"/moderation/{first}/reject", {"reject-reason": "Duplikat"}),
        (
            organiser,
            f"/moderation/{second}/accept",
            {
                "accept-title": "OK",
                "accept-latitude": str(NADODRZE.y),
                "accept-longitude": str(NADODRZE.x),
            },
        ),
        (
            admin,
            "/admin/krakow/service-areas/new",
            {"new-code": "AUD", "new-name": "Audyt"},
        ),
        (admin, "/admin/krakow/service-areas/AUD/delete", {}),
        (
            admin,
            "/admin/vocabularies",
            {
                "term_id": term.id,
                "label_pl": term.label_pl,
                "label_en": term.label_en,
                "label_uk": term.label_uk,
                "active": "y",
            },
        ),
        (
            admin,
            "/admin/vocabularies",
            {
                "vocabulary": "need_source",
                "key": "walk_audit",
                "label_pl": "Spacer",
                "label_en": "Walk audit",
                "label_uk": "Прогулянка",
                "active": "y",
            },
        ),
    ]
    for client, url, data in steps:
        assert post(client, url, data).status_code == 303, url
    with staff_app.app_context():
        logged = {(e.action, e.actor) for e in audit.recent(limit=50)}
    assert {
        ("feature.reject", "org7@test.invalid"),
        ("feature.accept", "org7@test.invalid"),
        ("service_areas.add", "admin@test.invalid"),
        ("service_areas.remove", "admin@test.invalid"),
        ("vocabulary.update", "admin@test.invalid"),
        ("vocabulary.add", "admin@test.invalid"),
    } <= logged


@pytest.mark.parametrize("term_id", ["abc", "²", "-1", "99999999"])
def test_an_unknown_term_id_is_refused_with_a_message(staff_app, term_id):
    admin = client_as(staff_app, "admin")
    response = post(
        admin,
        "/admin/vocabularies",
        {
            "term_id": term_id,
            "label_pl": "Zdrowie",
            "label_en": "Health",
            "label_uk": "Здоров’я",
        },
    )
    assert response.status_code == 422
    assert "Nie ma takiego pojęcia." in response.get_data(as_text=True)
