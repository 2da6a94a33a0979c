"""The city map loads what is in view, and the layer API pages.

The page carries no features; the server answers a box with features or groups of
them, popups come on click, and the layer API pages through the features.
"""

import json
import re

import pytest
import sqlalchemy as sa
from shapely.geometry import Point, box

from tests.conftest import NADODRZE, client_as, new_feature
from webgis.web.views import main

WROCLAW = "16.8,51.0,17.3,51.25"


def in_view(client, layer="day_centres", bbox=WROCLAW, **extra):
    query = "&".join([f"bbox={bbox}", *(f"{k}={v}" for k, v in extra.items())])
    return client.get(f"/wroclaw/map/layers/{layer}?{query}")


def titles(answer) -> set[str]:
    return {
        f["properties"]["title"]
        for f in answer.get_json(force=True)["features"]
        if "title" in f["properties"]
    }


def test_the_map_page_does_not_grow_with_the_features(staff_app):
    client = staff_app.test_client()

    def size() -> int:
        page = client.get("/wroclaw/map").get_data(as_text=True)
        # Nonces and form tokens differ on every request.
        return len(re.sub(r'nonce="[^"]*"|value="[^"]{20,}"', "", page))

    before = size()
    for number in range(30):
        new_feature(staff_app, name=f"Klub rozmiaru {number}")
    assert size() == before
    assert before < 300_000
    assert "Klub rozmiaru" not in client.get("/wroclaw/map").get_data(as_text=True)


def test_a_box_holds_the_features_in_it_and_only_those(staff_app):
    new_feature(staff_app, name="Klub w pudełku", point=NADODRZE)
    client = staff_app.test_client()
    x, y = NADODRZE.x, NADODRZE.y
    around = f"{x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}"
    elsewhere = "17.1,51.05,17.11,51.06"
    assert "Klub w pudełku" in titles(in_view(client, bbox=around))
    assert "Klub w pudełku" not in titles(in_view(client, bbox=elsewhere))


def test_drafts_are_on_the_staff_map_only(staff_app):
    draft, _ = new_feature(staff_app, name="Szkic na mapie", status="draft")
    public = in_view(client_as(staff_app, "anonymous"))
    staff = in_view(client_as(staff_app, "organiser_own"))
    assert "Szkic na mapie" not in titles(public)
    assert "Szkic na mapie" in titles(staff)
    assert (
        client_as(staff_app, "anonymous")
        .get(f"/wroclaw/map/layers/day_centres/{draft}")
        .status_code
        == 404
    )
    assert "private" in staff.headers["Cache-Control"]


def test_a_polygon_only_near_the_box_is_not_in_it(staff_app):
    """An L-shaped area whose envelope covers the box, while the area does not."""
    from shapely.geometry import Polygon

    x, y = 17.0, 51.10
    shape = Polygon(
        [
            (x, y),
            (x + 0.02, y),
            (x + 0.02, y + 0.002),
            (x + 0.002, y + 0.002),
            (x + 0.002, y + 0.02),
            (x, y + 0.02),
        ]
    )
    assert shape.envelope.intersects(box(x + 0.01, y + 0.01, x + 0.015, y + 0.015))
    new_feature_with(staff_app, "partnerships", shape, "Partnerstwo w kształcie L")
    client = staff_app.test_client()
    inside = f"{x + 0.01},{y + 0.01},{x + 0.015},{y + 0.015}"
    touching = f"{x + 0.01},{y},{x + 0.015},{y + 0.001}"
    assert "Partnerstwo w kształcie L" not in titles(
        in_view(client, "partnerships", inside)
    )
    assert "Partnerstwo w kształcie L" in titles(
        in_view(client, "partnerships", touching)
    )
    api = client.get(f"/api/wroclaw/layers/partnerships?bbox={inside}").get_json()
    assert "Partnerstwo w kształcie L" not in {
        f["properties"].get("name") for f in api["features"]
    }


def new_feature_with(app, layer, geometry, name):
    from tests.conftest import STAFF, valid_form
    from webgis.accounts import users
    from webgis.features import store
    from webgis.geography import cities

    with app.app_context():
        spec = app.extensions["webgis.layers"][layer]
        form = valid_form(spec, Point(17.03, 51.12))
        values = {f.name: form[f.name] for f in spec.all_fields if f.name in form}
        values[spec.title_field] = name
        planner = users.get_user_by_email(STAFF["planner"][0])
        store.create(
            planner, cities.get_city("wroclaw"), spec, geometry, values, "published"
        )


def test_a_crowded_view_comes_in_groups_that_add_up(staff_app, monkeypatch):
    for number in range(6):
        new_feature(
            staff_app,
            name=f"Tłum {number}",
            point=Point(NADODRZE.x + number * 0.02, NADODRZE.y),
        )
    client = staff_app.test_client()
    alone = in_view(client).get_json(force=True)
    monkeypatch.setattr(main, "SINGLE_FEATURES", 3)
    grouped = in_view(client).get_json(force=True)
    assert grouped["matched"] == alone["matched"] > 3
    counts = [f["properties"].get("count", 1) for f in grouped["features"]]
    assert sum(counts) == grouped["matched"]
    assert max(counts) > 1  # some features really were grouped
    assert len(grouped["features"]) < len(alone["features"])


@pytest.mark.parametrize(
    "query",
    [
        "",  # no bbox
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=17.2,51.0,16.8,51.2",  # west east of east
        f"bbox={WROCLAW}&colour=red",  # unknown parameter
        f"bbox={WROCLAW}&bbox={WROCLAW}",
    ],
)
def test_a_bad_box_is_refused_with_the_reason(client, query):
    response = client.get(f"/wroclaw/map/layers/day_centres?{query}")
    assert response.status_code == 400
    assert (
        "bbox" in response.get_data(as_text=True)
        or "Nieznane" in response.get_data(as_text=True)
        or "więcej niż raz" in response.get_data(as_text=True)
    )


def test_unknown_layer_or_feature_is_not_found(client):
    assert client.get(f"/wroclaw/map/layers/nothing?bbox={WROCLAW}").status_code == 404
    assert client.get("/wroclaw/map/layers/day_centres/999999").status_code == 404


def test_the_layer_api_pages_with_next_links(staff_app):
    for number in range(3):
        new_feature(staff_app, name=f"Strona {number}")
    client = staff_app.test_client()
    whole = client.get("/api/wroclaw/layers/day_centres").get_json()
    assert whole["numberMatched"] == whole["numberReturned"] == len(whole["features"])
    seen, url = [], "/api/wroclaw/layers/day_centres?limit=2"
    while url:
        answer = client.get(url)
        page = answer.get_json()
        assert page["numberReturned"] <= 2
        seen += [f["id"] for f in page["features"]]
        following = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if following:
            assert following[0] in answer.headers["Link"]
        url = following[0].replace("http://localhost", "") if following else None
    assert seen == [f["id"] for f in whole["features"]]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=10001", "limit=abc", "offset=-1", "bbox=1,2", "page=2"]
)
def test_the_layer_api_refuses_what_it_cannot_use(client, query):
    response = client.get(f"/api/wroclaw/layers/day_centres?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]


def test_one_feature_of_the_layer_api(staff_app):
    feature_id, _ = new_feature(staff_app, name="Jedna placówka")
    draft, _ = new_feature(staff_app, name="Jeden szkic", status="draft")
    public = client_as(staff_app, "anonymous")
    item = public.get(f"/api/wroclaw/layers/day_centres/{feature_id}")
    assert item.status_code == 200 and item.mimetype == "application/geo+json"
    assert item.get_json()["properties"]["name"] == "Jedna placówka"
    again = public.get(
        f"/api/wroclaw/layers/day_centres/{feature_id}",
        headers={"If-None-Match": item.headers["ETag"]},
    )
    assert again.status_code == 304
    assert public.get(f"/api/wroclaw/layers/day_centres/{draft}").status_code == 404
    staff = client_as(staff_app, "organiser_own")
    assert staff.get(f"/api/wroclaw/layers/day_centres/{draft}").status_code == 200


def test_stored_items_are_the_items_built_afresh(staff_app):
    """The OGC API joins stored item texts; they equal the items built per request."""
    from webgis.features import ogc

    new_feature(staff_app, name="Świeży element <b>")
    with staff_app.test_request_context():
        for spec in staff_app.extensions["webgis.layers"].values():
            found = ogc.collection(f"wroclaw-{spec.key}")
            query = ogc.ItemsQuery(limit=1000)
            texts, matched = ogc.read_item_texts(found, query)
            built, same_matched = ogc.read_items(found, query)
            fresh = json.loads(json.dumps(built))  # tuples as JSON lists
            assert [json.loads(t) for t in texts] == fresh
            assert matched == same_matched
    answer = staff_app.test_client().get(
        "/ogc/collections/wroclaw-day_centres/items?f=json&limit=1000"
    )
    assert "Świeży element <b>" in {
        f["properties"]["name"] for f in answer.get_json()["features"]
    }


def test_reindexing_repairs_the_columns_and_changes_no_version(staff_app):
    from webgis.core.extensions import db
    from webgis.features import store
    from webgis.features.models import Feature, ListedTerm, ListedText

    feature_id, _ = new_feature(staff_app, name="Do przeliczenia")
    with staff_app.app_context():
        before = db.session.get(Feature, feature_id)
        version, changed = before.version, before.updated_at
        terms = {t.token for t in before.listed_terms}
        db.session.execute(
            sa.update(Feature)
            .where(Feature.id == feature_id)
            .values(public_item="", search_text="", listed=False, updated_at=changed)
        )
        for table in (ListedTerm, ListedText):
            db.session.execute(sa.delete(table).where(table.feature_id == feature_id))
        db.session.commit()
        assert store.reindex() > 0
        db.session.expire_all()
        after = db.session.get(Feature, feature_id)
        assert after.version == version and after.updated_at == changed
        assert "do przeliczenia" in after.search_text and after.listed
        assert terms and {t.token for t in after.listed_terms} == terms
        assert "do przeliczenia" in after.listed_text.search_text
        assert json.loads(after.public_item)["properties"]["name"] == "Do przeliczenia"


def test_a_database_without_finder_rows_gets_them_when_initialised(staff_app):
    from webgis.core.extensions import db
    from webgis.database import init_db
    from webgis.features.models import ListedTerm, ListedText

    with staff_app.app_context():
        for table in (ListedTerm, ListedText):
            count = sa.select(sa.func.count()).select_from(table)
            rows = db.session.scalar(count)
            db.session.execute(sa.delete(table))
            db.session.commit()
            init_db()
            assert rows > 0 and db.session.scalar(count) == rows, table


def test_a_suggestion_published_behind_the_queue_stays_out_of_public_outputs(
    staff_app,
):
    """Only a moderator's acceptance makes a suggestion public, whatever its status."""
    from tests.conftest import STAFF, new_suggestion
    from webgis.accounts import users
    from webgis.core.extensions import db
    from webgis.features import store
    from webgis.features.models import Feature

    title = "Sugestia obok kolejki"
    suggestion = new_suggestion(staff_app, title=title)
    with staff_app.app_context():
        feature = db.session.get(Feature, suggestion)
        planner = users.get_user_by_email(STAFF["planner"][0])
        properties = {**feature.properties, "public": True}
        store.update(planner, feature, feature.version, None, properties, "published")
        assert feature.status == "published" and feature.moderation == "pending"
    public = staff_app.test_client()
    layer = public.get("/api/wroclaw/layers/needs_resources").get_json()
    assert title not in {f["properties"].get("title") for f in layer["features"]}
    assert title not in titles(in_view(public, "needs_resources"))
    items = public.get(
        "/ogc/collections/wroclaw-needs_resources/items?f=json&limit=1000"
    )
    assert title not in items.get_data(as_text=True)
