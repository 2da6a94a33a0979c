"""Opening hours in OpenStreetMap's syntax.

Reading what people write, nights, Polish public holidays, comments, the finder's
"open now / open at" on both engines, the form, and the migration of the structured
hours stored before.
"""

import re
import uuid
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import (
    BACKENDS,
    client_as,
    demo_database,
    new_feature,
    valid_form,
)
from webgis.features import hours
from webgis.finder import questions, search

# -- reading what people write --------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Mo-Fr 8:00-16:00", "Mo-Fr 08:00-16:00"),
        ("Mo-Fr 8.00-16.00", "Mo-Fr 08:00-16:00"),
        ("15.00–18.00", "15:00-18:00"),  # the demo's sources, with an en dash
        ("24/7", "24/7"),
        ("całodobowo", "24/7"),
        ("Mo-Fr 08:00-16:00", "Mo-Fr 08:00-16:00"),
        ("mo-fr 08:00 - 16:00", "Mo-Fr 08:00-16:00"),
        ("Mo-Fr: 08:00-16:00", "Mo-Fr 08:00-16:00"),
        ("pn.-pt. 8.00-16.00; sob. 10.00-13.00", "Mo-Fr 08:00-16:00; Sa 10:00-13:00"),
        ("Mo-Fr 08:00-16:00; PH off", "Mo-Fr 08:00-16:00; PH closed"),
        ("Mo-Fr 08:00-16:00; PH nieczynne", "Mo-Fr 08:00-16:00; PH closed"),
        ("Fr 22:00-06:00", "Fr 22:00-06:00"),
        (
            'Mo-Fr 08:00-16:00 "po wcześniejszym umówieniu"',
            'Mo-Fr 08:00-16:00 "po wcześniejszym umówieniu"',
        ),
        # A comment alone as a rule is the comment of the hours, not "always open".
        (
            "Mo-Fr 08:00-16:00; PH off; „po wcześniejszym umówieniu”",
            'Mo-Fr 08:00-16:00 "po wcześniejszym umówieniu"; PH closed',
        ),
        ('"po wcześniejszym umówieniu"', '24/7 unknown "po wcześniejszym umówieniu"'),
        ("  ", ""),
    ],
)
def test_what_people_write_is_stored_in_the_normal_form(typed, stored):
    assert hours.normalise(typed) == stored
    assert hours.normalise(stored) == stored  # the normal form stays as it is


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("Mo-Fx 08:00-16:00", "od znaku 4 („Fx 08:00-16:00"),
        ("Mo-Fr 8-16", "od znaku 7 („8-16"),
        ("otwarte rano", "od znaku 1"),
    ],
)
def test_what_cannot_be_read_is_refused_saying_where(typed, says):
    with pytest.raises(hours.HoursError) as refused:
        hours.normalise(typed)
    assert says in str(refused.value)
    assert "Mo-Fr 08:00-16:00; Sa 10:00-13:00; PH off" in str(refused.value)


def test_a_night_that_runs_past_midnight_is_open_the_next_morning():
    night = hours.normalise("Fr 22:00-06:00")
    assert hours.is_open(night, datetime(2026, 12, 4, 23, 0))  # Friday night
    assert hours.is_open(night, datetime(2026, 12, 5, 2, 0))  # Saturday 02:00
    assert not hours.is_open(night, datetime(2026, 12, 5, 7, 0))
    assert not hours.is_open(night, datetime(2026, 12, 4, 2, 0))  # Friday 02:00
    assert hours.describe(night) == "pt. 22:00–6:00"


def test_public_holidays_close_what_says_ph_off():
    office = hours.normalise("Mo-Fr 08:00-16:00; PH off")
    assert not hours.is_open(office, datetime(2026, 12, 25, 10, 0))  # Christmas, Fri
    assert hours.is_open(office, datetime(2026, 12, 7, 10, 0))  # a Monday
    assert not hours.is_open(office, datetime(2026, 11, 11, 10, 0))  # Independence
    assert not hours.is_open(office, datetime(2026, 1, 6, 10, 0))  # Epiphany, Tue
    assert not hours.is_open(office, datetime(2026, 6, 4, 10, 0))  # Corpus Christi
    assert hours.is_holiday(date(2026, 12, 25)) and not hours.is_holiday(
        date(2026, 12, 7)
    )
    assert hours.describe(office) == "pon.–pt. 8:00–16:00; w święta zamknięte"


def test_comments_are_kept_and_said():
    expr = hours.normalise(
        'Mo-Fr 08:00-16:00 "po wcześniejszym umówieniu"; Sa 10:00-13:00; PH off'
    )
    assert hours.comments_of(expr) == ["po wcześniejszym umówieniu"]
    assert hours.describe(expr) == (
        "pon.–pt. 8:00–16:00; sob. 10:00–13:00; w święta zamknięte; "
        "po wcześniejszym umówieniu"
    )
    # by appointment only: said, but never "open now"
    only = hours.normalise('"po wcześniejszym umówieniu"')
    assert hours.describe(only) == "po wcześniejszym umówieniu"
    assert not hours.is_open(only, datetime(2026, 12, 7, 10, 0))


def test_the_words_follow_the_readers_language(staff_app):
    expr = hours.normalise("Mo-Fr 08:00-16:00; PH off")
    with staff_app.test_request_context("/"):
        from flask_babel import force_locale

        with force_locale("en"):
            assert (
                hours.describe(expr) == "Mon–Fri 8:00–16:00; closed on public holidays"
            )
        with force_locale("uk"):
            assert hours.describe(expr) == "пн–пт 8:00–16:00; у святкові дні зачинено"


def test_structured_hours_of_old_convert_without_loss():
    old = {
        "mon": [["08:00", "12:00"], ["13:00", "16:00"]],
        "tue": [["08:00", "12:00"], ["13:00", "16:00"]],
        "sat": [["20:00", "24:00"]],
    }
    expr = hours.from_days(old)
    assert expr == "Mo-Tu 08:00-12:00,13:00-16:00; Sa 20:00-24:00"
    week = hours.ordinary_week(expr)
    assert week[0] == week[1] == [(480, 720), (780, 960)]
    assert week[5] == [(1200, 1440)] and week[2] == week[6] == []


def test_the_weekly_index_marks_hours_open_partly_open_closed_or_dated():
    index = hours.week_index("Mo 08:30-10:00")
    assert index[8:11] == "p10"
    assert hours.week_index("Mo-Fr 08:00-16:00; Dec 24 off") == "?" * 168
    holidays = hours.week_index("Mo-Fr 08:00-16:00; PH off", holidays=True)
    assert holidays == "0" * 168


# -- the finder -----------------------------------------------------------------------


def _find(app, word, now=None, **args):
    with app.test_request_context():
        from webgis.core.registry import layer_registry
        from webgis.features import vocabularies
        from webgis.geography import cities

        keys = {
            v: {t.key for t in vocabularies.terms(v)}
            for v in questions.VOCABULARY_FILTERS.values()
        }
        result = search.find(
            cities.get_city("wroclaw"), layer_registry(), {"q": word, **args}, keys, now
        )
        names = sorted(h.service.title.split()[0] for h in result.hits)
        assert result.total == len(names)  # the count agrees with the list
        return names


@pytest.fixture(scope="module")
def services(staff_app):
    """One service per kind of hours, all with the same unusual word."""
    word = "zz" + uuid.uuid4().hex[:10]
    for name, expr in [
        ("Urząd", "Mo-Fr 08:00-16:00; PH off"),
        ("Noc", "Fr 22:00-06:00"),
        ("NocŚwięta", "Fr 22:00-06:00; PH off"),
        ("Umówienie", '"po wcześniejszym umówieniu"'),
        ("Zawsze", "24/7"),
        ("Wigilia", "Mo-Fr 08:00-16:00; Dec 24 off"),
        ("Pół", "Mo 10:30-11:00"),
        ("Dyżur", "Mo-Fr 08:00-16:00; PH 20:00-02:00"),
    ]:
        new_feature(staff_app, name=f"{name} {word}", opening_hours=expr)
    return word


@pytest.mark.parametrize(
    ("now", "open_now"),
    [
        # an ordinary Monday morning
        (datetime(2026, 12, 7, 10, 0), ["Dyżur", "Urząd", "Wigilia", "Zawsze"]),
        (datetime(2026, 12, 7, 10, 45), ["Dyżur", "Pół", "Urząd", "Wigilia", "Zawsze"]),
        # Christmas Day, a Friday: PH off closes the office
        (datetime(2026, 12, 25, 10, 0), ["Wigilia", "Zawsze"]),
        # Christmas Eve, a Thursday and a holiday; "Dec 24 off" too
        (datetime(2026, 12, 24, 10, 0), ["Zawsze"]),
        # an ordinary Saturday, 02:00: Friday's nights go on
        (datetime(2026, 12, 5, 2, 0), ["Noc", "NocŚwięta", "Zawsze"]),
        # the Saturday after Christmas is a holiday too: PH off closes it all day
        (datetime(2026, 12, 26, 2, 0), ["Noc", "Zawsze"]),
        # a holiday's own night runs into the next day, here an ordinary Saturday
        # after 1 May (a Friday), which the weekly index cannot know
        (datetime(2026, 5, 2, 1, 0), ["Dyżur", "Noc", "NocŚwięta", "Zawsze"]),
        (datetime(2026, 5, 9, 1, 0), ["Noc", "NocŚwięta", "Zawsze"]),
    ],
)
def test_open_now_evaluates_the_syntax_in_warsaw(staff_app, services, now, open_now):
    assert _find(staff_app, services, now, open="now") == open_now


def test_open_at_a_date_and_hour_or_on_a_date(staff_app, services):
    at = {"date": "2026-12-25", "time": "10:00"}
    assert _find(staff_app, services, **at) == ["Wigilia", "Zawsze"]
    # some time on Christmas Day: Friday's night begins at 22:00 without PH off
    on_christmas = ["Dyżur", "Noc", "Wigilia", "Zawsze"]
    assert _find(staff_app, services, date="2026-12-25") == on_christmas
    assert _find(staff_app, services, date="2026-12-24") == ["Dyżur", "Zawsze"]
    # a weekday without a date is its next occurrence
    monday = datetime(2026, 12, 3, 12, 0)  # a Thursday: Monday is 7 December
    assert _find(staff_app, services, monday, day="mon", time="10:45") == [
        "Dyżur",
        "Pół",
        "Urząd",
        "Wigilia",
        "Zawsze",
    ]


def test_the_finder_page_takes_a_date_and_says_the_hours(staff_app, services):
    client = client_as(staff_app, "anonymous")
    page = client.get(f"/wroclaw/services?q={services}&date=2026-12-25&time=10:00")
    html = page.get_data(as_text=True)
    found = re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', html)
    assert sorted(t.split()[0] for t in found) == ["Wigilia", "Zawsze"]
    assert 'name="date" type="date" value="2026-12-25"' in html
    bad = client.get(f"/wroclaw/services?q={services}&date=2026-13-45")
    assert bad.status_code == 400 and "2026-12-24" in bad.get_data(as_text=True)


def test_a_service_page_says_the_hours_in_words(staff_app):
    service, _ = new_feature(
        staff_app,
        name="Klub godzin",
        opening_hours=hours.normalise(
            "Mo-Fr 08:00-16:00; PH off; „po wcześniejszym umówieniu”"
        ),
    )
    client = client_as(staff_app, "anonymous")
    html = client.get(f"/wroclaw/services/{service}").get_data(as_text=True)
    assert "pon.–pt. 8:00–16:00; w święta zamknięte; po wcześniejszym umówieniu" in html
    english = client.get(f"/wroclaw/services/{service}?lang=en").get_data(as_text=True)
    assert "Mon–Fri 8:00–16:00; closed on public holidays" in english


# -- the form -------------------------------------------------------------------------


def _form(app, **fields):
    spec = app.extensions["webgis.layers"]["day_centres"]
    return valid_form(spec, name="Godziny " + uuid.uuid4().hex[:8], **fields)


def _submit(client, url, data):
    from tests.conftest import csrf_token

    return client.post(url, data={"csrf_token": csrf_token(client, "/account"), **data})


def _stored(app, name):
    from webgis.core.extensions import db
    from webgis.features.models import Feature

    with app.app_context():
        for feature in db.session.scalars(sa.select(Feature)):
            if (feature.properties or {}).get("name") == name:
                return feature.properties.get("opening_hours")
    return None


def test_the_form_takes_the_syntax_and_normalises_it(staff_app):
    client = client_as(staff_app, "organiser_own")
    data = _form(staff_app, opening_hours="pn.-pt. 8.00–16.00; PH nieczynne")
    response = _submit(client, "/wroclaw/layers/day_centres/new", data)
    assert response.status_code == 303
    assert _stored(staff_app, data["name"]) == "Mo-Fr 08:00-16:00; PH closed"


def test_the_day_rows_write_the_syntax_without_a_script(staff_app):
    client = client_as(staff_app, "organiser_own")
    rows = {f"opening_hours-{d}": "8.00-16.00" for d in ("mon", "tue", "wed", "thu")}
    data = _form(
        staff_app,
        **rows,
        **{"opening_hours-fri": "22:00-06:00", "opening_hours-ph": "y"},
        **{"opening_hours-note": "po wcześniejszym umówieniu"},
    )
    assert _submit(client, "/wroclaw/layers/day_centres/new", data).status_code == 303
    assert _stored(staff_app, data["name"]) == (
        'Mo-Th 08:00-16:00 "po wcześniejszym umówieniu"; '
        'Fr 22:00-06:00 "po wcześniejszym umówieniu"; PH closed'
    )


def test_bad_hours_are_refused_naming_the_field_and_kept_as_typed(staff_app):
    client = client_as(staff_app, "organiser_own")
    data = _form(staff_app, opening_hours="Mo-Fr 08:00-16:00; Sa 10-13")
    response = _submit(client, "/wroclaw/layers/day_centres/new", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(r'id="err-opening_hours"[^>]*>([^<]*)<', page).group(1)
    assert error.startswith("Godziny otwarcia: nie rozumiem zapisu od znaku 23")
    assert 'value="Mo-Fr 08:00-16:00; Sa 10-13"' in page  # what was typed
    assert _stored(staff_app, data["name"]) is None  # nothing saved


def test_editing_shows_the_expression_and_its_day_rows(staff_app):
    feature, _ = new_feature(
        staff_app, name="Edycja godzin", opening_hours="Mo-Fr 08:00-16:00; PH closed"
    )
    client = client_as(staff_app, "planner")
    page = client.get(f"/wroclaw/layers/day_centres/{feature}/edit")
    html = page.get_data(as_text=True)
    assert 'value="Mo-Fr 08:00-16:00; PH closed"' in html
    assert re.search(r'name="opening_hours-wed"[^>]*value="08:00-16:00"', html)
    assert re.search(r'name="opening_hours-sat"[^>]*value=""', html)
    assert re.search(r'name="opening_hours-ph" value="y" checked', html)


# -- the migration --------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_structured_hours_are_converted_by_the_migration(backend, tmp_path):
    from webgis.core.extensions import db
    from webgis.database import _migration, schema_state, upgrade_db
    from webgis.features.models import Feature, Revision

    flask_app = demo_database(backend, tmp_path, "hours", staff=True)
    old = {"mon": [["08:00", "12:00"], ["13:00", "16:00"]], "fri": [["22:00", "24:00"]]}
    feature_id, _ = new_feature(flask_app, name="Stare godziny zzhours")
    with flask_app.app_context():
        _migration("downgrade", "0003")
        assert schema_state()[0] == "0003"
        # The hours as the previous revision stored them, with its index.
        features, revisions = Feature.__table__, Revision.__table__
        row = db.session.execute(
            sa.select(features.c.properties).where(features.c.id == feature_id)
        ).one()
        db.session.execute(
            features.update()
            .where(features.c.id == feature_id)
            .values(
                properties={**row.properties, "opening_hours": old},
                open_days="|mon||fri|",
                open_hours="",
            )
        )
        db.session.execute(
            revisions.update()
            .where(revisions.c.feature_id == feature_id)
            .values(properties={**row.properties, "opening_hours": old})
        )
        db.session.commit()
        upgrade_db()
        db.session.remove()
        stored = db.session.execute(
            sa.select(features.c.properties, features.c.open_hours).where(
                features.c.id == feature_id
            )
        ).one()
        history = db.session.scalars(
            sa.select(revisions.c.properties).where(
                revisions.c.feature_id == feature_id
            )
        ).all()
    expr = "Mo 08:00-12:00,13:00-16:00; Fr 22:00-24:00"
    assert stored.properties["opening_hours"] == expr
    assert all(p["opening_hours"] == expr for p in history)
    assert stored.open_hours[8:13] == "11110"  # the index recomputed
    found = _find(flask_app, "zzhours", datetime(2026, 12, 7, 9, 0), open="now")
    assert found == ["Stare"]
    assert _find(flask_app, "zzhours", datetime(2026, 12, 4, 23, 0), open="now") == [
        "Stare"
    ]
    with flask_app.app_context():
        db.session.remove()
        db.engine.dispose()
