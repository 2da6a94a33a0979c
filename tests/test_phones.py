"""Phones and e-mail addresses: read as people write them, stored in one spelling.

Every way in is tried: the layer form, the organisation form, the bulk import and
the migration of numbers stored before; every way out shows or carries them:
pages, ``tel:`` links, exports and HSDS.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pytest
import sqlalchemy as sa

from tests import test_import
from tests.conftest import (
    BACKENDS,
    _database_url,
    client_as,
    csrf_token,
    make_app,
    new_feature,
    valid_form,
)
from tests.test_export_roundtrip import small_city
from tests.test_features import count, created_id, spec_of, submit
from tests.test_import import (
    CENTRE,
    NORTH,
    centre,
    imported,
    planned,
    problems,
    stored,
    write_csv,
)
from webgis.core.extensions import db
from webgis.database import _migration, init_db, upgrade_db
from webgis.features import contacts, organisations, store
from webgis.features.kinds import KINDS
from webgis.features.models import Feature
from webgis.features.organisations import Organisation

# The importer's own fixtures: a planner, and a new small city per test.
imports_app = test_import.imports_app
city = test_import.city

PHONE = KINDS["phone"]
EMAIL = KINDS["email"]


def word() -> str:
    return f"zz{uuid.uuid4().hex[:8]}"


# -- the rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("71 345 67 89", "+48713456789"),
        ("713456789", "+48713456789"),
        ("(71) 345-67-89", "+48713456789"),
        ("0048 71 345 67 89", "+48713456789"),
        ("+48 71 345 67 89", "+48713456789"),
        ("tel. 71 345 67 89", "+48713456789"),
        ("601 234 567", "+48601234567"),
        ("+48 601-234-567", "+48601234567"),
        ("+49 30 1234567", "+49301234567"),
        ("+380 44 123 4567", "+380441234567"),
    ],
)
def test_a_number_written_any_usual_way_is_stored_as_e164(typed, e164):
    assert PHONE.normalise(typed, "Telefon") == e164


@pytest.mark.parametrize(
    ("stored_value", "shown"),
    [
        ("+48713456789", "71 345 67 89"),
        ("+48601234567", "601 234 567"),
        ("+49301234567", "+49 30 1234567"),
        # Stored before numbers were normalised: shown the Polish way too.
        ("71/345-67-89", "71 345 67 89"),
        # One the library cannot read is shown as it was written.
        ("71 345 67 89 wew. 25", "71 345 67 89 wew. 25"),
    ],
)
def test_a_stored_number_is_shown_as_people_write_it_in_poland(stored_value, shown):
    assert contacts.shown_phone(stored_value) == shown


def test_a_tel_link_dials_the_e164_number():
    assert contacts.phone_link("+48713456789") == "tel:+48713456789"
    assert contacts.phone_link("71 345 67 89") == "tel:+48713456789"
    # One the library cannot read dials its digits.
    assert contacts.phone_link("71 345 67 89 wew. 25") == "tel:71345678925"


@pytest.mark.parametrize(
    "typed",
    [
        "12",  # too short
        "zadzwoń",
        "601 ABC DEF",  # a keypad's letters are not a number someone wrote
        "071 345 67 89",  # the old trunk zero: possible by length, a wrong number
        "71 345 67 89 wew. 25",  # an extension has no place in E.164
        "71 345 67 89, 71 345 67 90",
        "+48 12",
    ],
)
def test_what_is_not_a_phone_number_is_refused_naming_the_field(typed):
    with pytest.raises(ValueError) as refused:
        PHONE.normalise(typed, "Telefon")
    message = str(refused.value.args[0])
    assert message.startswith("Pole „Telefon”: to nie jest numer telefonu")


def test_an_email_address_keeps_its_local_part_and_lowercases_its_domain():
    assert EMAIL.normalise("Biuro.MOPS@Example.PL", "E-mail") == "Biuro.MOPS@example.pl"
    assert EMAIL.normalise("zespół@żółw.pl", "E-mail") == "zespół@żółw.pl"


@pytest.mark.parametrize(
    "typed",
    [
        "nie-adres",
        "biuro@mops",  # no dot in the domain
        "a..b@mops.pl",
        "<b>@mops.pl",
        "biuro@mops.pl <script>",
        "biuro@@mops.pl",
        "biuro@mops.pl.",
    ],
)
def test_what_is_not_an_email_address_is_refused_naming_the_field(typed):
    with pytest.raises(ValueError) as refused:
        EMAIL.normalise(typed, "E-mail")
    assert str(refused.value.args[0]).startswith("Pole „E-mail”: podaj poprawny")


def test_the_history_sees_no_change_in_a_number_written_another_way():
    assert PHONE.same("71 345 67 89", "+48713456789")
    assert not PHONE.same("+48713456789", "+48713456780")
    assert EMAIL.same("biuro@MOPS.pl", "biuro@mops.pl")
    assert not EMAIL.same("Biuro@mops.pl", "biuro@mops.pl")


# -- the layer form --------------------------------------------------------------------


def test_the_form_stores_e164_and_pages_show_the_number_the_polish_way(staff_app):
    client = client_as(staff_app, "organiser_own")
    title = f"Świetlica {word()}"
    data = valid_form(
        spec_of(staff_app, "day_centres"),
        name=title,
        phone="(71) 345-67-89",
        email="Biuro@Swietlica.Example.PL",
    )
    feature_id = created_id(submit(client, "/wroclaw/layers/day_centres/new", data))
    with staff_app.app_context():
        properties = db.session.get(Feature, feature_id).properties
        assert properties["phone"] == "+48713456789"
        assert properties["email"] == "Biuro@swietlica.example.pl"
    page = client.get(f"/wroclaw/layers/day_centres/{feature_id}").get_data(
        as_text=True
    )
    assert '<a href="tel:+48713456789">71 345 67 89</a>' in page
    assert "mailto:Biuro@swietlica.example.pl" in page
    edit = client.get(f"/wroclaw/layers/day_centres/{feature_id}/edit")
    assert 'value="71 345 67 89"' in edit.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("phone", "zadzwoń: 71 345", "Pole „Telefon”: to nie jest numer telefonu"),
        ("phone", "071 345 67 89", "Pole „Telefon”: to nie jest numer telefonu"),
        ("email", "biuro(at)mops.pl", "Pole „E-mail”: podaj poprawny adres e-mail"),
    ],
)
def test_a_bad_contact_in_the_form_is_refused_and_what_was_typed_stays(
    staff_app, field, typed, message
):
    client = client_as(staff_app, "organiser_own")
    before = count(staff_app)
    data = valid_form(spec_of(staff_app, "day_centres"), **{field: typed})
    response = submit(client, "/wroclaw/layers/day_centres/new", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'id="err-{field}"[^>]*>([^<]*)<', page)
    assert error and message in error.group(1)
    assert f'value="{typed}"' in page
    assert count(staff_app) == before


def test_the_finder_shows_and_links_the_number(staff_app):
    title = f"Klub {word()}"
    feature_id, _ = new_feature(staff_app, name=title, phone="601 234 567")
    client = staff_app.test_client()
    page = client.get(f"/wroclaw/services/{feature_id}").get_data(as_text=True)
    assert '<a href="tel:+48601234567">601 234 567</a>' in page


def test_exports_and_hsds_carry_e164(staff_app, tmp_path):
    title = f"Eksport {word()}"
    new_feature(staff_app, name=title, phone="71 345 67 89")
    client = staff_app.test_client()
    query = f"?q={title.replace(' ', '+')}"
    csv_file = client.get(f"/wroclaw/layers/day_centres/export.csv{query}")
    (row,) = csv.DictReader(io.StringIO(csv_file.data.decode("utf-8-sig")))
    # The quote keeps a spreadsheet from reading "+48…" as a formula (a number).
    assert row["phone"] == "'+48713456789"
    geojson = client.get(f"/wroclaw/layers/day_centres/export.geojson{query}")
    (feature,) = json.loads(geojson.data)["features"]
    assert feature["properties"]["phone"] == "+48713456789"
    found = client.get(
        "/hsds/services", query_string={"search": title, "full": "true"}
    ).get_json()["contents"]
    assert [p["number"] for p in found[0]["phones"]] == ["+48713456789"]


# -- the organisation form -------------------------------------------------------------


def _organisation(app, name: str) -> int:
    new_feature(app, operator=name)
    with app.app_context():
        found = organisations.find_named([name])[organisations.key_of(name)]
        return found.id


def _edit(client, organisation_id: int, **fields):
    url = f"/admin/organisations/{organisation_id}"
    data = {"name": "", "description": "", "website": "", "email": "", "phone": ""}
    return client.post(
        url, data={**data, **fields, "csrf_token": csrf_token(client, url)}
    )


def test_an_organisations_number_is_stored_as_e164_and_shown_the_polish_way(
    staff_app,
):
    name = f"Fundacja {word()}"
    organisation_id = _organisation(staff_app, name)
    admin = client_as(staff_app, "admin")
    response = _edit(
        admin, organisation_id, name=name, phone="71 123 45 67", email="a@B.example"
    )
    assert response.status_code == 303
    with staff_app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        assert (organisation.phone, organisation.email) == (
            "+48711234567",
            "a@b.example",
        )
    page = staff_app.test_client().get(f"/organisations/{organisation_id}")
    assert '<a href="tel:+48711234567">71 123 45 67</a>' in page.get_data(as_text=True)
    form = admin.get(f"/admin/organisations/{organisation_id}").get_data(as_text=True)
    assert 'value="71 123 45 67"' in form


def test_a_bad_organisation_number_is_refused_and_what_was_typed_stays(staff_app):
    name = f"Fundacja {word()}"
    organisation_id = _organisation(staff_app, name)
    admin = client_as(staff_app, "admin")
    response = _edit(admin, organisation_id, name=name, phone="071 123 45 67")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Pole „Telefon”: to nie jest numer telefonu" in page
    assert 'value="071 123 45 67"' in page
    with staff_app.app_context():
        assert db.session.get(Organisation, organisation_id).phone == ""


# -- the bulk import -------------------------------------------------------------------


def test_imported_numbers_are_stored_as_e164(imports_app, city, tmp_path):
    header = [*CENTRE, "phone", "email"]
    rows = [[*centre("Z numerem"), "71 345 67 89", "Biuro@Example.PL"]]
    imported(imports_app, city, write_csv(tmp_path / "tel.csv", [header, *rows]))
    found = stored(imports_app, city)["Z numerem"]
    assert (found["phone"], found["email"]) == ("+48713456789", "Biuro@example.pl")


def test_a_bad_number_in_an_imported_row_is_named_by_row_and_field(
    imports_app, city, tmp_path
):
    header = [*CENTRE, "phone", "email"]
    rows = [
        [*centre("Dobry"), "601 234 567", ""],
        [*centre("Zły telefon"), "12 34", ""],
        [*centre("Zły e-mail"), "", "biuro(at)mops.pl"],
    ]
    plan = planned(imports_app, city, write_csv(tmp_path / "zle.csv", [header, *rows]))
    found = problems(plan)
    assert [(row, column) for row, column, _message in found] == [
        (3, "phone"),
        (4, "email"),
    ]
    assert found[0][2].startswith("Pole „Telefon”: to nie jest numer telefonu")
    assert found[1][2].startswith("Pole „E-mail”: podaj poprawny adres e-mail")


# -- numbers stored before: the migration ----------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migration_rewrites_stored_numbers_and_reports_the_unreadable(
    backend, tmp_path
):
    app = make_app(_database_url(backend, tmp_path, "phones"))
    with app.app_context():
        init_db()
        city = small_city("tel", tmp_path)
        spec = app.extensions["webgis.layers"]["day_centres"]
        form = valid_form(spec)
        ids = []
        for title in ("Stary zapis", "Nieczytelny", "Bez numeru"):
            feature = store.create(
                None,
                city,
                spec,
                NORTH,
                {
                    "name": title,
                    "facility_type": form["facility_type"],
                    "operator": "Fundacja Telefon",
                    "location_precision": "address",
                },
                "published",
            )
            ids.append(feature.id)
        db.session.commit()
        # As the older code stored them: as typed.
        _migration("downgrade", "0002")
        table = Feature.__table__
        with db.engine.begin() as connection:
            for feature_id, phone in zip(
                ids, ("(71) 345-67-89", "71 345 67 89 wew. 25"), strict=False
            ):
                row = connection.execute(
                    sa.select(table.c.properties, table.c.public_item).where(
                        table.c.id == feature_id
                    )
                ).one()
                item = json.loads(row.public_item)
                item["properties"]["phone"] = phone
                connection.execute(
                    table.update()
                    .where(table.c.id == feature_id)
                    .values(
                        properties={**row.properties, "phone": phone},
                        public_item=json.dumps(item, ensure_ascii=False),
                    )
                )
            connection.execute(
                Organisation.__table__.update().values(phone="601-234-567")
            )
        untouched = _row(ids[2])
        lines = upgrade_db()
        converted, unreadable = _row(ids[0]), _row(ids[1])
        assert converted.properties["phone"] == "+48713456789"
        assert json.loads(converted.public_item)["properties"]["phone"] == (
            "+48713456789"
        )
        assert unreadable.properties["phone"] == "71 345 67 89 wew. 25"
        assert _row(ids[2]) == untouched
        assert {o.phone for o in db.session.scalars(sa.select(Organisation))} == {
            "+48601234567"
        }
        (note,) = [line for line in lines if "telefon" in line]
        assert f"obiekt {ids[1]} (day_centres), phone: 71 345 67 89 wew. 25" in note
        assert "Stary zapis" not in note and f"obiekt {ids[0]} " not in note
        db.session.remove()
        db.engine.dispose()


def _row(feature_id: int):
    table = Feature.__table__
    with db.engine.connect() as connection:
        return connection.execute(
            sa.select(table.c.properties, table.c.public_item).where(
                table.c.id == feature_id
            )
        ).one()
