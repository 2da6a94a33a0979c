"""The feature store is the one write path: its rules hold without any view.

These tests call :mod:`webgis.feature_store` directly, so removing a check from the
store fails here even when every view still checks the same thing.
"""

import json

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin
from shapely.geometry import Point, Polygon, box

from tests.conftest import NADODRZE, OLBIN, STAFF, valid_form
from webgis.accounts import users
from webgis.core.errors import Forbidden, Invalid
from webgis.core.extensions import db
from webgis.features import store
from webgis.features.models import Feature, Revision
from webgis.features.validation import MAX_FEATURE_VERTICES
from webgis.geography import cities

#: Kraków's main square: a real place, but not in Wrocław.
KRAKOW = Point(19.9373, 50.0617)


def user(role: str):
    return users.get_user_by_email(STAFF[role][0])


def pal(name: str) -> Feature:
    return db.session.scalar(
        sa.select(Feature)
        .where(Feature.layer == "pal")
        .order_by(Feature.id)
        .where(Feature.properties["name"].as_string() == name)
    )


def spec_of(app, key):
    return app.extensions["webgis.layers"][key]


def centre_properties(app, **changes) -> dict:
    spec = spec_of(app, "day_centres")
    form = valid_form(spec)
    values = {f.name: form[f.name] for f in spec.all_fields if f.name in form}
    return {**values, **changes}


def count() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(Feature.id))),
        db.session.scalar(sa.select(sa.func.count(Revision.id))),
    )


# -- membership: the areas whose interior a feature covers ---------------------------


def test_a_point_belongs_to_the_area_that_contains_it(staff_app):
    with staff_app.app_context():
        city = cities.get_city("wroclaw")
        assert [a.code for a in cities.areas_of(city, NADODRZE)] == ["ZTPS-7"]
        assert [a.code for a in cities.areas_of(city, OLBIN)] == ["ZTPS-8"]


@pytest.mark.parametrize(
    ("name", "owner"), [("Aktywny Ołbin", "ZTPS-8"), ("Aktywny Szczepin", "ZTPS-1")]
)
def test_a_programme_belongs_only_to_the_team_whose_units_it_is_made_of(
    staff_app, name, owner
):
    """A shared border line with ZTPS 7 is not membership."""
    with staff_app.app_context():
        city = cities.get_city("wroclaw")
        programme = pal(name)
        touching = [
            a.code
            for a in city.service_areas
            if a.geometry.intersects(programme.geometry)
        ]
        assert "ZTPS-7" in touching  # the review's case: neighbours share a border
        assert [a.code for a in cities.areas_of(city, programme.geometry)] == [owner]


def test_an_area_reaching_well_into_a_neighbour_belongs_to_both(staff_app):
    with staff_app.app_context():
        city = cities.get_city("wroclaw")
        seven, eight = (
            cities.get_service_area(city, code) for code in ("ZTPS-7", "ZTPS-8")
        )
        border = seven.geometry.intersection(eight.geometry).representative_point()
        straddling = border.buffer(0.003)  # about 400 m across the border
        codes = {a.code for a in cities.areas_of(city, straddling)}
        assert {"ZTPS-7", "ZTPS-8"} <= codes


# -- permissions enforced by the store itself ------------------------------------------


@pytest.mark.parametrize("name", ["Aktywny Ołbin", "Aktywny Szczepin"])
def test_an_organiser_cannot_change_a_neighbours_programme_through_the_store(
    staff_app, name
):
    with staff_app.app_context():
        organiser = user("organiser_own")
        programme = pal(name)
        version, before = programme.version, count()
        assert not store.can_edit(organiser, programme)
        changed = {**programme.properties, "description": "Przejęte"}
        with pytest.raises(Forbidden):
            store.update(organiser, programme, version, None, changed, programme.status)
        with pytest.raises(Forbidden):
            store.set_status(organiser, programme, "archived")
        first = db.session.scalar(
            sa.select(Revision.id).where(Revision.feature_id == programme.id)
        )
        with pytest.raises(Forbidden):
            store.restore_revision(organiser, programme, first)
        db.session.refresh(programme)
        assert programme.version == version and count() == before
        assert programme.properties["description"] != "Przejęte"


def test_the_edit_page_of_a_neighbours_programme_is_forbidden(staff_app):
    from tests.conftest import client_as

    with staff_app.app_context():
        programme_id = pal("Aktywny Ołbin").id
    client = client_as(staff_app, "organiser_own")
    url = f"/wroclaw/layers/pal/{programme_id}"
    assert client.get(f"{url}/edit").status_code == 403
    assert "Edytuj" not in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "place"),
    [("organiser_own", OLBIN), (None, NADODRZE)],
    ids=["organiser in a neighbour's area", "someone signed out"],
)
def test_the_store_refuses_a_new_feature_from_someone_not_allowed(
    staff_app, who, place
):
    with staff_app.app_context():
        city, before = cities.get_city("wroclaw"), count()
        author = user(who) if who else AnonymousUserMixin()
        spec = spec_of(staff_app, "day_centres")
        with pytest.raises(Forbidden):
            store.create(
                author, city, spec, place, centre_properties(staff_app), "draft"
            )
        assert count() == before


# -- every write is checked like a form ----------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"facility_type": "casino"}, "facility_type"),
        ({"capacity": 10**30}, "capacity"),
        ({"capacity": "²"}, "capacity"),
        ({"email": "not an address"}, "email"),
        ({"verified_on": "2999-01-01"}, "verified_on"),
        ({"name": ""}, "name"),
    ],
)
def test_the_store_refuses_what_a_form_would_refuse(staff_app, changes, field):
    properties = centre_properties(staff_app, **changes)
    assert field in refusal(staff_app, "day_centres", NADODRZE, properties)


@pytest.mark.parametrize(
    "geometry",
    [
        KRAKOW,
        Point(float("nan"), 51.1),
        Point(),
        # Far more vertices than anyone draws by hand.
        Polygon(NADODRZE.buffer(0.001, quad_segs=MAX_FEATURE_VERTICES // 4 + 1)),
    ],
    ids=["outside the city", "NaN", "empty", "too many vertices"],
)
def test_the_store_refuses_a_geometry_a_form_would_refuse(staff_app, geometry):
    need = {
        "kind": "need",
        "title": "Test",
        "category": "housing",
        "location_precision": "street",
    }
    assert "geometry" in refusal(staff_app, "needs_resources", geometry, need)


def refusal(app, layer, geometry, properties) -> dict[str, str]:
    """The store's messages for a planner's new feature; nothing may be written."""
    with app.app_context():
        city, before = cities.get_city("wroclaw"), count()
        with pytest.raises(Invalid) as refused:
            store.create(
                user("planner"),
                city,
                spec_of(app, layer),
                geometry,
                properties,
                "draft",
            )
        assert count() == before
        return refused.value.errors


def test_the_store_keeps_declared_fields_only(staff_app):
    with staff_app.app_context():
        feature = store.create(
            user("planner"),
            cities.get_city("wroclaw"),
            spec_of(staff_app, "day_centres"),
            NADODRZE,
            centre_properties(staff_app, client_surname="Kowalski", capacity="12"),
            "draft",
        )
        assert "client_surname" not in feature.properties
        assert feature.properties["capacity"] == 12


def test_a_polygon_of_too_many_vertices_is_refused_in_the_form(staff_app):
    from tests.conftest import client_as, post_form

    ring = box(17.029, 51.119, 17.032, 51.121).buffer(
        0.0005, quad_segs=MAX_FEATURE_VERTICES // 4 + 1
    )
    spec = spec_of(staff_app, "partnerships")
    data = valid_form(spec, geometry=json.dumps(ring.__geo_interface__))
    client = client_as(staff_app, "organiser_own")
    response = post_form(client, "/wroclaw/layers/partnerships/new", data)
    assert response.status_code == 422
    assert "wierzchołków" in response.get_data(as_text=True)


# -- history: one revision per version, no gaps ----------------------------------------


def test_every_feature_has_one_revision_per_version(demo_app):
    with demo_app.app_context():
        features = db.session.scalars(sa.select(Feature)).all()
        assert features
        for feature in features:
            versions = db.session.scalars(
                sa.select(Revision.version)
                .where(Revision.feature_id == feature.id)
                .order_by(Revision.version)
            ).all()
            assert versions == list(range(1, feature.version + 1)), feature.title
