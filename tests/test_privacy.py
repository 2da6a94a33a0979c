"""RODO/GDPR: a resource's contact person is public only with a recorded consent."""

import json

import pytest

from layers import FieldSpec, LayerRegistryError, LayerSpec
from tests.conftest import NADODRZE, client_as, new_feature

CONTACT = "Anna Przykładowa, 600 100 200"


def public_outputs(app, feature_id: int, who: str = "anonymous") -> dict[str, str]:
    """Everything the public can read about the feature, by where it is read."""
    client = client_as(app, who)
    layer = "/wroclaw/layers/needs_resources"
    return {
        "detail page": client.get(f"{layer}/{feature_id}").get_data(as_text=True),
        # decoded: the raw JSON escapes Polish letters, so a name would never match
        "API": json.dumps(
            client.get("/api/wroclaw/layers/needs_resources").json, ensure_ascii=False
        ),
        "CSV export": client.get(f"{layer}/export.csv").get_data(as_text=True),
        "finder page": client.get(f"/wroclaw/services/{feature_id}").get_data(
            as_text=True
        ),
    }


def resource(app, **properties) -> int:
    feature_id, _ = new_feature(
        app,
        "needs_resources",
        NADODRZE,
        kind="resource",
        title="Sala na spotkania sąsiedzkie",
        offered_by="Rada Osiedla Nadodrze",
        contact=CONTACT,
        **properties,
    )
    return feature_id


def test_contact_without_consent_is_hidden_from_the_public(staff_app):
    feature_id = resource(staff_app)
    for where, text in public_outputs(staff_app, feature_id).items():
        assert "Sala na spotkania" in text, where  # the resource itself is public
        assert "Anna Przykładowa" not in text, where
    staff_page = public_outputs(staff_app, feature_id, "planner")["detail page"]
    assert "Anna Przykładowa" in staff_page


def test_contact_with_a_recorded_consent_is_public(staff_app):
    feature_id = resource(staff_app, contact_consent_on="2026-03-02")
    for where, text in public_outputs(staff_app, feature_id).items():
        assert "Anna Przykładowa" in text, where
        # the consent record itself is internal
        assert "2026-03-02" not in text, where


def test_a_consent_field_must_exist_and_not_be_listed():
    with pytest.raises(LayerRegistryError, match="not a field"):
        LayerSpec(
            "tiny",
            "Tiny",
            "Point",
            fields=(
                FieldSpec("name", "Nazwa", role="title"),
                FieldSpec("who", "Kto", consent="x"),
            ),
        )
    with pytest.raises(LayerRegistryError, match="cannot be listed"):
        LayerSpec(
            "tiny",
            "Tiny",
            "Point",
            fields=(
                FieldSpec("name", "Nazwa", role="title"),
                FieldSpec("who", "Kto", consent="agreed", listed=True),
                FieldSpec("agreed", "Zgoda", "date"),
            ),
        )


# -- every public output is an allow-list of declared public fields ----------------


def _store_behind_the_specs_back(app, feature_id: int, **extra) -> None:
    """Add properties no spec declares, as a renamed or removed field leaves them."""
    from webgis.core.extensions import db
    from webgis.features.models import Feature

    with app.app_context():
        feature = db.session.get(Feature, feature_id)
        feature.properties = {**feature.properties, **extra}
        db.session.commit()


@pytest.mark.parametrize("who", ["anonymous", "organiser_own"])
def test_a_property_no_spec_declares_never_leaves_the_server(staff_app, who):
    feature_id = resource(staff_app)
    _store_behind_the_specs_back(
        staff_app, feature_id, old_client_note="Pani Nowak, ul. Tajna 5"
    )
    outputs = public_outputs(staff_app, feature_id, who)
    client = client_as(staff_app, who)
    outputs["map"] = client.get("/wroclaw/map").get_data(True)
    outputs["map popup"] = client.get(
        f"/wroclaw/map/layers/needs_resources/{feature_id}"
    ).get_data(True)
    outputs["map layer"] = client.get(
        "/wroclaw/map/layers/needs_resources?bbox=16.8,51.0,17.2,51.2"
    ).get_data(True)
    for where, text in outputs.items():
        assert "Sala na spotkania" in text or where == "map", where  # no features
        assert "Tajna" not in text and "old_client_note" not in text, where


def test_a_field_that_does_not_apply_is_not_shown(staff_app):
    """A contact stored on a need (contacts belong to resources) stays hidden."""
    feature_id = resource(staff_app, contact_consent_on="2026-03-02")
    from webgis.core.extensions import db
    from webgis.features.models import Feature

    with staff_app.app_context():
        feature = db.session.get(Feature, feature_id)
        feature.properties = {**feature.properties, "kind": "need", "public": True}
        db.session.commit()
    api = client_as(staff_app, "anonymous").get("/api/wroclaw/layers/needs_resources")
    (shown,) = [f for f in api.json["features"] if f["id"] == feature_id]
    assert shown["properties"]["title"] == "Sala na spotkania sąsiedzkie"
    assert "contact" not in shown["properties"]


def test_data_source_notes_are_internal(staff_app):
    feature_id = resource(staff_app, data_source="Notatka z wizyty, 2026-01-12")
    for where, text in public_outputs(staff_app, feature_id).items():
        assert "Notatka z wizyty" not in text, where
    staff = public_outputs(staff_app, feature_id, "planner")["detail page"]
    assert "Notatka z wizyty" in staff


def test_a_link_to_an_internal_need_is_not_shown_to_the_public(staff_app):
    from tests.conftest import new_feature

    internal, _ = new_feature(
        staff_app, "needs_resources", NADODRZE, kind="need", title="Wewnętrzna"
    )
    feature_id = resource(staff_app, answers=[internal])
    layer = "/wroclaw/layers/needs_resources"
    public = client_as(staff_app, "anonymous").get(f"{layer}/{feature_id}")
    assert f"{layer}/{internal}" not in public.get_data(as_text=True)
    staff = client_as(staff_app, "planner").get(f"{layer}/{feature_id}")
    assert f"{layer}/{internal}" in staff.get_data(as_text=True)
