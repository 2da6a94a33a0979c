"""History people can read, versions without gaps, conflicts settled field by field."""

import re

import sqlalchemy as sa
from shapely.geometry import Point

from tests.conftest import STAFF, client_as, csrf_token, new_feature, valid_form
from webgis.accounts import users
from webgis.core.extensions import db
from webgis.features import store
from webgis.features.models import Feature, Revision

LAYER = "day_centres"


def spec_of(app):
    return app.extensions["webgis.layers"][LAYER]


def submit(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/account"), **data})


def stored(app, feature_id):
    with app.app_context():
        feature = db.session.get(Feature, feature_id)
        versions = list(
            db.session.scalars(
                sa.select(Revision.version)
                .where(Revision.feature_id == feature_id)
                .order_by(Revision.version)
            )
        )
        return feature.version, dict(feature.properties), versions


def edit(app, client, feature_id, **values):
    """Save the edit form with ``values`` over the version stored now."""
    version, _, _ = stored(app, feature_id)
    data = valid_form(spec_of(app), version=str(version), **values)
    return submit(client, f"/wroclaw/layers/{LAYER}/{feature_id}/edit", data)


def test_saving_unchanged_data_or_a_reordered_list_makes_no_version(staff_app):
    feature_id, _ = new_feature(
        staff_app,
        name="Świetlica Wersje",
        target_groups=["seniors", "children_and_youth"],
    )
    organiser = client_as(staff_app, "organiser_own")
    same = {"name": "Świetlica Wersje"}
    groups = ["seniors", "children_and_youth"]
    assert (
        edit(staff_app, organiser, feature_id, **same, target_groups=groups).status_code
        == 303
    )
    reordered = list(reversed(groups))
    assert (
        edit(
            staff_app, organiser, feature_id, **same, target_groups=reordered
        ).status_code
        == 303
    )
    assert stored(staff_app, feature_id)[0] == 1
    response = edit(
        staff_app,
        organiser,
        feature_id,
        name="Świetlica Zmieniona",
        target_groups=groups,
    )
    assert response.status_code == 303
    version, properties, versions = stored(staff_app, feature_id)
    assert (version, versions) == (2, [1, 2])
    assert properties["name"] == "Świetlica Zmieniona"


def test_history_speaks_words_labels_hours_and_warsaw_time(staff_app):
    feature_id, _ = new_feature(staff_app, name="Świetlica Historia")
    organiser = client_as(staff_app, "organiser_own")
    response = edit(
        staff_app,
        organiser,
        feature_id,
        name="Świetlica Historia",
        opening_hours="Mo-Fr 08:00-16:00",
        target_groups=["seniors", "children_and_youth"],
    )
    assert response.status_code == 303
    page = organiser.get(f"/wroclaw/layers/{LAYER}/{feature_id}/history").get_data(
        as_text=True
    )
    assert "<code>" not in page and "update" not in page
    assert "Wersja 2 · zmieniono" in page and "Wersja 1 · utworzono" in page
    assert "Godziny otwarcia" in page and "Grupy docelowe" in page
    assert "opening_hours" not in page and "target_groups" not in page
    assert "[" not in page.split("<main", 1)[1].split("</main>")[0]
    assert "children_and_youth" not in page and "{'mo" not in page.lower()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T", page)


def _conflict(app):
    """Two saves from version 1: a conflict on the name only.

    The planner changes name and phone; the organiser name and capacity.
    """
    feature_id, _ = new_feature(app, name="Świetlica Spór", capacity=10)
    url = f"/wroclaw/layers/{LAYER}/{feature_id}/edit"
    planner = client_as(app, "planner")
    organiser = client_as(app, "organiser_own")
    spec = spec_of(app)
    theirs = valid_form(
        spec, version="1", name="Nazwa planisty", capacity="10", phone="71 123 45 67"
    )
    assert submit(planner, url, theirs).status_code == 303
    mine = valid_form(spec, version="1", name="Nazwa organizatora", capacity="25")
    response = submit(organiser, url, mine)
    return feature_id, organiser, mine, response


def test_a_conflict_asks_only_about_fields_both_changed(staff_app):
    feature_id, organiser, mine, response = _conflict(staff_app)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert page.count('type="radio"') == 2
    assert 'name="choice-name"' in page and 'name="choice-capacity"' not in page
    assert "Nazwa planisty" in page and "Nazwa organizatora" in page
    kept = page.split("bez pytania:", 1)[1].split("</p>", 1)[0]
    assert "Liczba miejsc" in kept  # my change kept without asking, by its label
    theirs = page.split("zostaną zachowane:", 1)[1].split("</p>", 1)[0]
    assert "Telefon" in theirs and "Nazwa" not in theirs
    resolve = f"/wroclaw/layers/{LAYER}/{feature_id}/edit/resolve"
    data = {**mine, "seen": "2", "choice-name": "theirs"}
    assert submit(organiser, resolve, data).status_code == 303
    version, properties, versions = stored(staff_app, feature_id)
    assert properties["name"] == "Nazwa planisty"  # theirs, as chosen
    assert properties["capacity"] == 25  # mine, only I changed it
    assert properties["phone"] == "+48711234567"  # theirs, only they changed it
    assert (version, versions) == (3, [1, 2, 3])


def test_choosing_mine_keeps_mine_and_a_missing_choice_saves_nothing(staff_app):
    feature_id, organiser, mine, _ = _conflict(staff_app)
    resolve = f"/wroclaw/layers/{LAYER}/{feature_id}/edit/resolve"
    missing = submit(organiser, resolve, {**mine, "seen": "2"})
    assert missing.status_code == 422
    assert "Wybierz jedną z wersji." in missing.get_data(as_text=True)
    assert stored(staff_app, feature_id)[0] == 2
    data = {**mine, "seen": "2", "choice-name": "mine"}
    assert submit(organiser, resolve, data).status_code == 303
    assert stored(staff_app, feature_id)[1]["name"] == "Nazwa organizatora"


def test_a_save_meanwhile_is_a_new_conflict_and_a_bad_token_is_refused(staff_app):
    feature_id, organiser, mine, _ = _conflict(staff_app)
    resolve = f"/wroclaw/layers/{LAYER}/{feature_id}/edit/resolve"
    forged = organiser.post(
        resolve, data={**mine, "seen": "2", "choice-name": "mine", "csrf_token": "x"}
    )
    assert forged.status_code == 400
    stale = submit(organiser, resolve, {**mine, "seen": "1", "choice-name": "mine"})
    assert stale.status_code == 409
    assert stored(staff_app, feature_id)[1]["name"] == "Nazwa planisty"


def test_places_and_states_merge_like_fields(staff_app):
    """A move only I made is kept; a state both changed is asked about."""
    feature_id, _ = new_feature(staff_app, name="Świetlica Przeprowadzka")
    with staff_app.app_context():
        planner = users.get_user_by_email(STAFF["planner"][0])
        feature = db.session.get(Feature, feature_id)
        mine, start = dict(feature.properties), feature.geometry
        store.update(planner, feature, 1, None, dict(mine), "archived")
        moved = Point(start.x + 0.0005, start.y)
        merged = store.merge(feature, 1, mine, moved, "draft")
        assert [c.field for c in merged.contested] == ["status"]
        assert merged.mine_kept == ["geometry"] and merged.geometry.equals(moved)
        assert merged.status == "archived"  # theirs until I choose
        chosen = store.merge(feature, 1, mine, moved, "draft", {"status": "mine"})
        assert chosen.status == "draft"
        store.resolve(planner, feature, 2, chosen)
        assert (feature.version, feature.status) == (3, "draft")
        assert feature.geometry.equals(moved)
