"""Organisation records: who runs services and who takes part, listed for everyone."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests import test_browser as chromium
from tests.accessibility import run_axe
from tests.conftest import (
    NADODRZE,
    PASSWORD,
    STAFF,
    client_as,
    csrf_token,
    demo_database,
    new_feature,
    served,
    valid_form,
)
from tests.payloads import EMAIL_PAYLOAD, PAYLOADS, URL_PAYLOAD, injections
from webgis.accounts import users
from webgis.core import audit
from webgis.core.errors import Invalid
from webgis.core.extensions import db
from webgis.features import organisations, store
from webgis.features.models import Feature
from webgis.features.organisations import Organisation, OrganisationLink
from webgis.geography import cities


def word() -> str:
    """A name part no other test uses."""
    return "zz" + uuid.uuid4().hex[:10]


def links_of(app, feature_id: int) -> set[tuple[str, str]]:
    """(relation, organisation name) of every link of a feature."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(OrganisationLink.relation, Organisation.name)
            .join(Organisation)
            .where(OrganisationLink.feature_id == feature_id)
        ).all()
        db.session.remove()
    return {tuple(row) for row in rows}


def record(app, name: str) -> Organisation | None:
    """The organisation record with this name, detached from the session."""
    with app.app_context():
        found = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == name)
        )
        db.session.remove()
    return found


def count_named(app, name: str) -> int:
    with app.app_context():
        found = db.session.scalar(
            sa.select(sa.func.count(Organisation.id)).where(
                Organisation.normalised == organisations.key_of(name)
            )
        )
        db.session.remove()
    return found


# -- records from the one write path --------------------------------------------------


def test_the_demo_yields_organisation_records_for_operators_and_members(demo_app):
    with demo_app.app_context():
        names = {o.name: count for o, count in organisations.listing()}
        db.session.remove()
    assert names["MOPS Wrocław"] >= 7
    assert names["MOPS Kraków"] >= 1
    assert names["Miejski Ośrodek Pomocy Społecznej we Wrocławiu"] >= 1  # a member


def test_names_match_ignoring_case_diacritics_and_spacing(staff_app):
    name = f"Fundacja Łąka {word()}"
    first, _ = new_feature(staff_app, operator=name)
    again, _ = new_feature(
        staff_app, operator="  " + name.upper().replace("Łą", "la") + " "
    )
    assert count_named(staff_app, name) == 1
    assert (
        links_of(staff_app, first) == links_of(staff_app, again) == {("operator", name)}
    )


def test_changing_the_operator_moves_the_link(staff_app):
    before, after = f"Stowarzyszenie {word()}", f"Fundacja {word()}"
    feature_id, _ = new_feature(staff_app, operator=before)
    with staff_app.app_context():
        feature = db.session.get(Feature, feature_id)
        planner = users.get_user_by_email(STAFF["planner"][0])
        properties = {**feature.properties, "operator": after}
        store.update(planner, feature, feature.version, None, properties, "published")
        db.session.remove()
    assert links_of(staff_app, feature_id) == {("operator", after)}
    assert record(staff_app, before) is not None  # records stay: others may name it


def test_partner_organisations_link_one_per_line_or_semicolon(staff_app):
    token = word()
    feature_id, _ = new_feature(
        staff_app,
        "pal",
        partner_organisations=(
            f"Fundacja A {token}\n- Stowarzyszenie B {token}; Klub C {token}\n\n"
            f"fundacja a {token}"
        ),
    )
    assert links_of(staff_app, feature_id) == {
        ("partner", f"Fundacja A {token}"),
        ("partner", f"Stowarzyszenie B {token}"),
        ("partner", f"Klub C {token}"),
    }


def test_members_of_a_partnership_link_as_members(staff_app):
    token = word()
    feature_id, _ = new_feature(
        staff_app,
        "partnerships",
        members=[
            {"name": f"Rada Osiedla {token}", "sector": "public"},
            {"name": f"Klub Seniora {token}", "sector": "ngo"},
        ],
    )
    assert links_of(staff_app, feature_id) == {
        ("member", f"Rada Osiedla {token}"),
        ("member", f"Klub Seniora {token}"),
    }


def _rows(spec, token: str, count: int) -> list:
    form = valid_form(spec)
    values = {f.name: form[f.name] for f in spec.all_fields if f.name in form}
    return [
        store.Row(
            NADODRZE,
            {
                **values,
                "name": f"Wiersz {n} {token}",
                "operator": f"Operator {n % 2} {token}",
            },
            "published",
        )
        for n in range(count)
    ]


def test_a_refused_batch_creates_no_record(staff_app):
    token = word()
    with staff_app.app_context():
        spec = staff_app.extensions["webgis.layers"]["day_centres"]
        rows = _rows(spec, token, 2)
        rows[1] = store.Row(NADODRZE, {**rows[1].properties, "name": ""}, "published")
        with pytest.raises(store.RowsInvalid):
            store.save_many(None, cities.get_city("wroclaw"), spec, rows)
        db.session.remove()
    assert count_named(staff_app, f"Operator 0 {token}") == 0


def test_a_batch_links_every_row_in_its_transaction(staff_app):
    token = word()
    with staff_app.app_context():
        spec = staff_app.extensions["webgis.layers"]["day_centres"]
        rows = _rows(spec, token, 3)
        saved = store.save_many(None, cities.get_city("wroclaw"), spec, rows)
        ids = [f.id for f in saved]
        db.session.remove()
    assert [links_of(staff_app, i) for i in ids] == [
        {("operator", f"Operator {n % 2} {token}")} for n in range(3)
    ]
    assert count_named(staff_app, f"Operator 0 {token}") == 1


def test_a_name_too_long_for_a_name_is_no_record(staff_app):
    long_line = "x" * 400
    feature_id, _ = new_feature(staff_app, "pal", partner_organisations=long_line)
    assert links_of(staff_app, feature_id) == set()


def test_features_saved_before_organisation_records_get_linked(tmp_path):
    app = demo_database("sqlite", tmp_path, "before")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(OrganisationLink.id)))
        db.session.execute(sa.delete(OrganisationLink))
        db.session.execute(sa.delete(Organisation))
        db.session.commit()
        registry = app.extensions["webgis.layers"]
        assert organisations.link_published(registry) > 0
        after = db.session.scalar(sa.select(sa.func.count(OrganisationLink.id)))
        organisations.link_published(registry)  # again: nothing changes
        again = db.session.scalar(sa.select(sa.func.count(OrganisationLink.id)))
        names = {o.name for o, _count in organisations.listing()}
        db.session.remove()
        db.engine.dispose()
    # Drafts are linked when they are published.
    assert 0 < after == again <= before
    assert {"MOPS Wrocław", "MOPS Kraków"} <= names


# -- the public page ------------------------------------------------------------------


def _organisation_id(app, name: str) -> int:
    found = record(app, name)
    assert found is not None, name
    return found.id


def test_the_organisation_page_lists_its_public_services_and_partnerships(
    client, demo_app
):
    response = client.get(
        f"/organisations/{_organisation_id(demo_app, 'MOPS Wrocław')}"
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>MOPS Wrocław</h1>" in text
    assert "Nadodrzańskie Centrum Wsparcia (NCW)" in text
    assert re.search(r'href="/wroclaw/services/\d+"', text)  # a service's own page
    mops = _organisation_id(demo_app, "Miejski Ośrodek Pomocy Społecznej we Wrocławiu")
    member = client.get(f"/organisations/{mops}").get_data(as_text=True)
    assert "Partnerstwa lokalne" in member and "członek" in member
    assert re.search(r'href="/wroclaw/layers/partnerships/\d+"', member)


def test_an_organisation_named_only_in_drafts_has_no_public_page(staff_app):
    name = f"Fundacja Szkic {word()}"
    new_feature(staff_app, operator=name, status="draft")
    archived, _ = new_feature(staff_app, operator=name, status="archived")
    organisation_id = _organisation_id(staff_app, name)
    for who in ("anonymous", "planner"):
        response = client_as(staff_app, who).get(f"/organisations/{organisation_id}")
        assert response.status_code == 404, who


def test_drafts_are_left_out_of_an_organisations_page(staff_app):
    name = f"Fundacja Częściowa {word()}"
    new_feature(staff_app, operator=name, name=f"Publiczna {name}")
    new_feature(staff_app, operator=name, name=f"Szkic {name}", status="draft")
    new_feature(
        staff_app,
        "needs_resources",
        kind="need",
        title=f"Potrzeba {name}",
        public=False,
        offered_by=name,  # applies to resources only: never shown for a need
    )
    text = (
        client_as(staff_app, "planner")
        .get(f"/organisations/{_organisation_id(staff_app, name)}")
        .get_data(as_text=True)
    )
    assert f"Publiczna {name}" in text
    assert f"Szkic {name}" not in text and f"Potrzeba {name}" not in text


def test_a_field_the_public_may_not_see_never_names_an_organisation(staff_app):
    name = f"Fundacja Ukryta {word()}"
    new_feature(staff_app, operator=name)
    registry = dict(staff_app.extensions["webgis.layers"])
    spec = registry["day_centres"]
    hidden = replace(
        spec,
        fields=tuple(
            replace(f, public=False) if f.role == "operator" else f for f in spec.fields
        ),
    )
    with staff_app.app_context():
        organisation = organisations.get(_organisation_id(staff_app, name))
        assert organisations.public_mentions(organisation, registry)
        assert (
            organisations.public_mentions(organisation, {**registry, spec.key: hidden})
            == []
        )
        db.session.remove()


def test_a_feature_behind_its_layers_public_switch_names_no_organisation(staff_app):
    name = f"Fundacja Niepubliczna {word()}"
    new_feature(staff_app, operator=name)
    registry = dict(staff_app.extensions["webgis.layers"])
    # As needs are: public only when a switch (here "sample") is on.
    switched = replace(registry["day_centres"], public_when=("sample", True))
    with staff_app.app_context():
        organisation = organisations.get(_organisation_id(staff_app, name))
        mentions = organisations.public_mentions(
            organisation, {**registry, switched.key: switched}
        )
        assert mentions == []
        db.session.remove()


def test_an_unknown_organisation_is_a_404(client):
    assert client.get("/organisations/999999").status_code == 404
    assert client.get("/organisations/99999999999").status_code == 404


def test_a_service_page_links_its_operator_and_the_kiosk_does_not(client, demo_app):
    mops = _organisation_id(demo_app, "MOPS Wrocław")
    listing = client.get("/wroclaw/services?q=Nadodrzanskie").get_data(as_text=True)
    service_id = re.search(r"/wroclaw/services/(\d+)", listing).group(1)
    text = client.get(f"/wroclaw/services/{service_id}").get_data(as_text=True)
    assert f'<a href="/organisations/{mops}">MOPS Wrocław</a>' in text
    kiosk = client.get(f"/kiosk/wroclaw/services/{service_id}").get_data(as_text=True)
    assert "/organisations/" not in kiosk and "MOPS Wrocław" in kiosk


def test_feature_pages_link_members_and_partners(staff_app):
    token = word()
    new_feature(staff_app, operator=f"Fundacja {token}")  # its page is public
    feature_id, _ = new_feature(
        staff_app, "pal", partner_organisations=f"Fundacja {token}\nNowa {token}"
    )
    text = (
        staff_app.test_client()
        .get(f"/wroclaw/layers/pal/{feature_id}")
        .get_data(as_text=True)
    )
    public = _organisation_id(staff_app, f"Fundacja {token}")
    assert f'<a href="/organisations/{public}">Fundacja {token}</a>' in text
    # Named by this programme, which is public: it has a page too.
    assert f">Nowa {token}</a>" in text


def test_organisation_pages_show_stored_text_as_text(staff_app):
    name = PAYLOADS[0][:200] + word()
    feature_id, _ = new_feature(staff_app, operator=name)
    organisation_id = _organisation_id(staff_app, name)
    with staff_app.app_context():
        organisation = organisations.get(organisation_id)
        organisations.update(
            organisation,
            {
                "name": name,
                "description": PAYLOADS[2],
                "website": URL_PAYLOAD,
                "email": EMAIL_PAYLOAD,
                "phone": "71 123 45 67",
            },
        )
        db.session.remove()
    pages = [
        staff_app.test_client().get(f"/organisations/{organisation_id}"),
        staff_app.test_client().get(f"/wroclaw/layers/day_centres/{feature_id}"),
        client_as(staff_app, "admin").get(f"/admin/organisations/{organisation_id}"),
        client_as(staff_app, "admin").get("/admin/organisations"),
    ]
    for response in pages:
        assert response.status_code == 200
        assert injections(response.get_data(as_text=True)) == []


# -- the admin page -------------------------------------------------------------------


def _edit(client, organisation_id: int, **fields):
    url = f"/admin/organisations/{organisation_id}"
    data = {"name": "", "description": "", "website": "", "email": "", "phone": ""}
    return client.post(
        url, data={**data, **fields, "csrf_token": csrf_token(client, url)}
    )


def test_an_admin_corrects_an_organisation_and_the_audit_log_says_so(staff_app):
    old = f"fundacja  {word()}"
    feature_id, _ = new_feature(staff_app, operator=old)
    organisation_id = _organisation_id(staff_app, " ".join(old.split()))
    corrected = old.replace("fundacja ", "Fundacja „") + "”"
    admin = client_as(staff_app, "admin")
    response = _edit(
        admin,
        organisation_id,
        name=corrected,
        website="https://fundacja.example/",
        email="biuro@fundacja.example",
        phone="+48 71 123 45 67",
    )
    assert response.status_code == 303
    with staff_app.app_context():
        organisation = organisations.get(organisation_id)
        assert (organisation.name, organisation.website, organisation.phone) == (
            corrected,
            "https://fundacja.example/",
            "+48711234567",  # E.164
        )
        entry = audit.recent(action="organisation.update", limit=1)[0]
        assert entry.target == f"organisation:{organisation_id}"
        assert entry.actor == STAFF["admin"][0]
        # The feature still writes the old spelling: saved again, it keeps its record.
        feature = db.session.get(Feature, feature_id)
        store.update(
            users.get_user_by_email(STAFF["planner"][0]),
            feature,
            feature.version,
            None,
            {**feature.properties, "description": "Zmieniony opis"},
            "published",
        )
        db.session.remove()
    assert links_of(staff_app, feature_id) == {("operator", corrected)}
    assert count_named(staff_app, old) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "   "}, "To pole jest wymagane."),
        ({"website": "javascript:alert(1)"}, "http:// lub https://"),
        ({"website": "ftp://fundacja.example"}, "http:// lub https://"),
        ({"email": "nie-adres"}, "poprawny adres e-mail"),
        ({"phone": "zadzwoń"}, "numer telefonu"),
        ({"name": "MOPS  wrocław"}, "należy już do innej organizacji: MOPS Wrocław"),
        ({"name": "x" * 301}, "nie może mieć więcej niż 300 znaków"),
    ],
)
def test_a_bad_correction_is_refused_and_nothing_changes(staff_app, fields, message):
    name = f"Fundacja {word()}"
    new_feature(staff_app, operator=name)
    organisation_id = _organisation_id(staff_app, name)
    response = _edit(
        client_as(staff_app, "admin"), organisation_id, **{"name": name, **fields}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    after = record(staff_app, name)
    assert after is not None and (after.website, after.email, after.phone) == (
        "",
        "",
        "",
    )


def test_the_store_of_organisations_refuses_bad_details_without_a_form(staff_app):
    name = f"Fundacja {word()}"
    new_feature(staff_app, operator=name)
    with staff_app.app_context():
        organisation = organisations.get(_organisation_id(staff_app, name))
        with pytest.raises(Invalid) as refused:
            organisations.update(
                organisation,
                {"name": "MOPS Kraków", "website": "javascript:alert(1)", "email": "x"},
            )
        assert set(refused.value.errors) == {"name", "website", "email"}
        db.session.remove()


def test_an_expired_form_keeps_what_was_typed_and_changes_nothing(staff_app):
    name = f"Fundacja {word()}"
    new_feature(staff_app, operator=name)
    organisation_id = _organisation_id(staff_app, name)
    admin = client_as(staff_app, "admin")
    response = admin.post(
        f"/admin/organisations/{organisation_id}",
        data={"name": "Nowa nazwa wpisana", "csrf_token": "stale"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Formularz wygasł" in text and 'value="Nowa nazwa wpisana"' in text
    assert record(staff_app, name) is not None


@pytest.mark.parametrize("who", ["anonymous", "organiser_own", "planner"])
def test_only_admins_correct_organisations(staff_app, who):
    client = client_as(staff_app, who)
    for url in ("/admin/organisations", "/admin/organisations/1"):
        response = client.get(url)
        assert response.status_code == (302 if who == "anonymous" else 403), url


# -- in the browser -------------------------------------------------------------------

#: Pages as test_browser.py makes them (Chromium is the shared fixture).
page = chromium.page


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The demo with staff accounts, served on a free port."""
    app = demo_database("sqlite", tmp_path_factory.mktemp("orgs"), "orgs", staff=True)
    with served(app) as url:
        yield url


@pytest.mark.browser
def test_a_resident_goes_from_a_service_to_everything_its_operator_runs(page, live):
    page.goto(f"{live}/wroclaw/services?q=Nadodrzanskie")
    page.get_by_role("link", name="Nadodrzańskie Centrum Wsparcia (NCW)").first.click()
    page.get_by_role("link", name="MOPS Wrocław").click()
    expect(page.get_by_role("heading", name="MOPS Wrocław", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Placówki wsparcia")).to_be_visible()
    expect(
        page.get_by_role(
            "link", name="Punkt Aktywizacji Społeczno-Zawodowej – ul. Oficerska"
        )
    ).to_be_visible()
    assert page.errors == []


@pytest.mark.browser
def test_an_admin_corrects_an_organisations_website_in_the_browser(page, live):
    page.goto(f"{live}/login")
    page.get_by_label("E-mail").fill(STAFF["admin"][0])
    page.get_by_label("Hasło").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj").click()
    page.wait_for_url("**/me")
    page.get_by_role("link", name="Administracja").click()
    page.get_by_role("link", name="Organizacje", exact=True).click()
    page.get_by_role("link", name="MOPS Kraków", exact=True).click()
    page.get_by_label("Strona internetowa").fill("javascript:alert(1)")
    page.get_by_role("button", name="Zapisz").click()
    expect(
        page.get_by_text("Podaj adres zaczynający się od http:// lub https://.")
    ).to_be_visible()
    page.get_by_label("Strona internetowa").fill("https://mops.krakow.pl")
    page.get_by_label("Telefon").fill("12 616 54 20")
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_text("Zapisano zmiany.")).to_be_visible()
    page.get_by_role("link", name="Publiczna strona organizacji").click()
    expect(page.get_by_role("link", name="https://mops.krakow.pl")).to_be_visible()
    expect(page.get_by_text("12 616 54 20")).to_be_visible()
    assert page.errors == []


@pytest.mark.browser
def test_the_organisation_page_has_no_serious_accessibility_violations(browser, live):
    # A context that ignores CSP, so axe-core can be injected inline.
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, bypass_csp=True
    )
    tab = context.new_page()
    tab.goto(f"{live}/organisations/1")
    assert run_axe(tab) == []
    context.close()
