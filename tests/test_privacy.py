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
            fields=(FieldSpec("name", "Nazwa"), FieldSpec("who", "Kto", consent="x")),
        )
    with pytest.raises(LayerRegistryError, match="cannot be listed"):
        LayerSpec(
            "tiny",
            "Tiny",
            "Point",
            fields=(
                FieldSpec("name", "Nazwa"),
                FieldSpec("who", "Kto", consent="agreed", listed=True),
                FieldSpec("agreed", "Zgoda", "date"),
            ),
        )
