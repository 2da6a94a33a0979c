"""The staff home page (/me): where signing in lands, the day's work, "still valid"."""

from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import (
    BACKENDS,
    OLBIN,
    PASSWORD,
    STAFF,
    client_as,
    csrf_token,
    demo_database,
    log_in,
    new_feature,
)
from webgis.core.extensions import db
from webgis.features.models import Feature, Revision

LAYER = "day_centres"


@pytest.fixture(scope="module", params=BACKENDS)
def staff_app(request, tmp_path_factory):
    """A demo of this module's own, with the staff accounts.

    The home page's lists are bounded: records other modules add to the shared demo
    would push these tests' records out of them.
    """
    directory = tmp_path_factory.mktemp("home")
    flask_app = demo_database(request.param, directory, "home", staff=True)
    yield flask_app
    with flask_app.app_context():
        db.engine.dispose()


def page_of(client, url="/me") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page: str, anchor: str) -> str:
    """The HTML of one section of the home page, by its id."""
    return page.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]


def stored(app, feature_id):
    with app.app_context():
        feature = db.session.get(Feature, feature_id)
        actions = list(
            db.session.scalars(
                sa.select(Revision.action)
                .where(Revision.feature_id == feature_id)
                .order_by(Revision.version)
            )
        )
        return feature.version, dict(feature.properties), actions


def verify_url(feature_id, city="wroclaw", layer=LAYER):
    return f"/me/verify/{city}/{layer}/{feature_id}"


def test_signing_in_lands_on_the_home_page_and_next_still_wins(staff_app):
    client = staff_app.test_client()
    response = log_in(client, STAFF["organiser_own"][0], PASSWORD)
    assert response.status_code == 303 and response.location == "/me"
    other = staff_app.test_client()
    token = csrf_token(other, "/login")
    response = other.post(
        "/login?next=/moderation/",
        data={"email": STAFF["planner"][0], "password": PASSWORD, "csrf_token": token},
    )
    assert response.location == "/moderation/"
    assert staff_app.test_client().get("/me").status_code in (302, 401)


def test_an_organiser_sees_own_areas_drafts_records_to_verify_and_layers(staff_app):
    draft, _ = new_feature(staff_app, status="draft", name="Szkic Nadodrza")
    stale, _ = new_feature(staff_app, name="Stara Świetlica", verified_on="2020-01-10")
    fresh, _ = new_feature(
        staff_app, name="Świeża Świetlica", verified_on=date.today().isoformat()
    )
    elsewhere, _ = new_feature(staff_app, point=OLBIN, name="Świetlica Ołbin")
    page = page_of(client_as(staff_app, "organiser_own"))
    assert "ZTPS 7 Nadodrze" in page and "Filia nr 6" not in page
    assert "leaflet" in page.lower()  # the map of my areas
    drafts, to_verify = section(page, "drafts"), section(page, "to-verify")
    assert f"/{LAYER}/{draft}/edit" in drafts
    assert "Stara Świetlica" in to_verify and "sprawdzone 2020-01-10" in to_verify
    assert "Świeża Świetlica" not in to_verify
    assert "Świetlica Ołbin" not in page
    for layer in ("day_centres", "needs_resources", "pal", "partnerships"):
        assert f'href="/wroclaw/layers/{layer}/"' in page
    assert 'href="/account"' in page
    assert 'href="/me"' in page  # the navigation leads here
    assert stale and fresh and elsewhere


def test_changes_by_others_are_listed_mine_are_not(staff_app):
    theirs, _ = new_feature(staff_app, name="Zmiana planisty")  # made by the planner
    organiser = page_of(client_as(staff_app, "organiser_own"))
    assert "Zmiana planisty" in section(organiser, "changes")
    assert f"/{LAYER}/{theirs}/history" in section(organiser, "changes")
    planner = page_of(client_as(staff_app, "planner"), "/me?city=wroclaw")
    assert "Mój pulpit: Wrocław" in planner
    assert "Zmiana planisty" not in section(planner, "changes")


def test_planners_get_the_whole_city_and_choose_the_city(staff_app):
    new_feature(staff_app, point=OLBIN, name="Ołbin do weryfikacji")
    client = client_as(staff_app, "planner")
    page = page_of(client, "/me?city=wroclaw")
    assert "Ołbin do weryfikacji" in section(page, "to-verify")
    assert "Obszary miasta" in page and "/me?city=krakow" in page
    krakow = page_of(client, "/me?city=krakow")
    assert "Mój pulpit: Kraków" in krakow
    assert "Ołbin do weryfikacji" not in krakow


def test_still_valid_records_the_check_as_a_revision_and_leaves_the_list(staff_app):
    feature_id, _ = new_feature(staff_app, name="Do potwierdzenia")
    client = client_as(staff_app, "organiser_own")
    page = page_of(client)
    assert "Do potwierdzenia" in section(page, "to-verify")
    token = csrf_token(client, "/me")
    response = client.post(
        verify_url(feature_id), data={"csrf_token": token, "version": "1"}
    )
    assert response.status_code == 303
    version, properties, actions = stored(staff_app, feature_id)
    assert properties["verified_on"] == date.today().isoformat()
    assert (version, actions) == (2, ["create", "verify"])
    page = page_of(client)
    assert "Potwierdzono aktualność: Do potwierdzenia." in page
    assert "Do potwierdzenia" not in section(page, "to-verify")
    history = page_of(client, f"/wroclaw/layers/{LAYER}/{feature_id}/history")
    assert "potwierdzono aktualność" in history and "Dane sprawdzone dnia" in history


def test_still_valid_elsewhere_or_without_the_token_changes_nothing(staff_app):
    ours, _ = new_feature(staff_app, name="Nasza placówka")
    theirs, _ = new_feature(staff_app, point=OLBIN, name="Nie nasza placówka")
    client = client_as(staff_app, "organiser_own")
    token = csrf_token(client, "/me")
    data = {"csrf_token": token, "version": "1"}
    assert client.post(verify_url(theirs), data=data).status_code == 403
    assert client.post(verify_url(ours, city="krakow"), data=data).status_code == 404
    forged = {"csrf_token": "forged", "version": "1"}
    assert client.post(verify_url(ours), data=forged).status_code == 400
    assert client_as(staff_app, "anonymous").post(verify_url(ours)).status_code in (
        302,
        401,
        400,
    )
    for feature_id in (ours, theirs):
        version, properties, actions = stored(staff_app, feature_id)
        assert (version, actions) == (1, ["create"])
        assert "verified_on" not in properties


def test_a_stale_still_valid_is_refused_not_saved_over_a_change(staff_app):
    feature_id, _ = new_feature(staff_app, name="Wersja nieaktualna")
    client = client_as(staff_app, "organiser_own")
    token = csrf_token(client, "/me")
    response = client.post(
        verify_url(feature_id), data={"csrf_token": token, "version": "7"}
    )
    assert response.status_code == 303
    assert "Ktoś zmienił ten obiekt" in page_of(client)
    assert stored(staff_app, feature_id)[0] == 1


def test_every_list_on_the_page_is_bounded(staff_app):
    for number in range(25):
        new_feature(staff_app, status="draft", name=f"Szkic seryjny {number}")
    page = page_of(client_as(staff_app, "organiser_own"))
    drafts = section(page, "drafts")
    assert drafts.count("Szkic seryjny") == 20
    assert section(page, "to-verify").count("<li>") <= 20 * 4
    changes = section(page_of(client_as(staff_app, "organiser_own")), "changes")
    assert changes.count("<li>") == 20 and "changes=2" in changes
    older = page_of(client_as(staff_app, "organiser_own"), "/me?changes=2")
    assert "changes=1" in section(older, "changes")
