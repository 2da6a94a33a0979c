"""Public suggestions wait in their area's queue until staff accept or reject them."""

import re
import uuid

import pytest
from shapely.geometry import Point

from tests.conftest import (
    NADODRZE,
    OLBIN,
    client_as,
    csrf_token,
    new_suggestion,
    whole_queue,
)
from webgis.core import audit
from webgis.core.errors import WebgisError
from webgis.core.extensions import db
from webgis.features import moderation
from webgis.features.models import Feature
from webgis.geography import cities

KRAKOW_MAIN_SQUARE = Point(19.9373, 50.0617)


def feature(app, feature_id) -> Feature:
    with app.app_context():
        found = db.session.get(Feature, feature_id)
        db.session.expunge(found)
        return found


def post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/account"), **data})


def accept_data(point, title="Świetlica"):
    return {
        "accept-title": title,
        "accept-category": "free_time",
        "accept-description": "Poprawione",
        "accept-latitude": str(point.y),
        "accept-longitude": str(point.x),
    }


def test_suggestion_is_a_draft_owned_by_no_one_in_its_areas_queue(staff_app):
    suggestion = feature(staff_app, new_suggestion(staff_app))
    assert suggestion.status == "draft" and suggestion.moderation == "pending"
    assert suggestion.created_by_id is None
    with staff_app.app_context():
        assert db.session.get(Feature, suggestion.id).queue_area.code == "ZTPS-7"
        assert audit.recent(action="feature.suggest")[0].target == (
            f"needs_resources:{suggestion.id}"
        )


def test_suggestion_outside_the_city_is_refused(staff_app):
    with staff_app.app_context():
        before = db.session.query(Feature).count()
        with pytest.raises(WebgisError, match="poza miastem Wrocław"):
            moderation.submit_suggestion(
                cities.get_city("wroclaw"),
                "needs_resources",
                KRAKOW_MAIN_SQUARE,
                {"title": "x"},
            )
        assert db.session.query(Feature).count() == before


def test_queue_counts_what_waits_in_each_of_my_areas(staff_app):
    new_suggestion(staff_app)
    text = whole_queue(client_as(staff_app, "organiser_own"))
    assert "ZTPS 7 Nadodrze" in text and "Filia nr 6" not in text
    assert "Brak świetlicy" not in whole_queue(client_as(staff_app, "organiser_other"))
    with staff_app.app_context():
        from webgis.accounts.users import get_user_by_email

        counts = dict(
            (a.code, n)
            for a, n in moderation.queue_counts(get_user_by_email("org7@test.invalid"))
        )
        assert counts["ZTPS-7"] >= 1


def test_accept_after_editing_publishes_the_corrected_text(staff_app):
    sid = new_suggestion(staff_app)
    client = client_as(staff_app, "organiser_own")
    response = post(
        client,
        f"/moderation/{sid}/accept",
        accept_data(NADODRZE, "Świetlica dla młodzieży"),
    )
    assert response.status_code == 303
    accepted = feature(staff_app, sid)
    assert accepted.status == "published" and accepted.moderation == "accepted"
    assert accepted.properties["title"] == "Świetlica dla młodzieży"
    assert accepted.properties["kind"] == "need"  # what was not edited stays
    assert accepted.geometry.equals(NADODRZE)


def test_moving_a_suggestion_out_of_my_areas_is_refused_and_changes_nothing(
    staff_app,
):
    sid = new_suggestion(staff_app)
    client = client_as(staff_app, "organiser_own")
    response = post(client, f"/moderation/{sid}/accept", accept_data(OLBIN))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "poza Twoimi obszarami (ZTPS 7 Nadodrze)" in text
    assert f'value="{OLBIN.y}"' in text  # what the moderator typed is still there
    unchanged = feature(staff_app, sid)
    assert unchanged.moderation == "pending" and unchanged.geometry.equals(NADODRZE)


def test_planner_may_move_a_suggestion_anywhere_in_the_city(staff_app):
    sid = new_suggestion(staff_app)
    client = client_as(staff_app, "planner")
    assert (
        post(client, f"/moderation/{sid}/accept", accept_data(OLBIN)).status_code == 303
    )
    moved = feature(staff_app, sid)
    assert moved.geometry.distance(OLBIN) < 1e-9
    with staff_app.app_context():
        assert db.session.get(Feature, sid).queue_area.code == "ZTPS-8"


def test_reject_needs_a_reason(staff_app):
    sid = new_suggestion(staff_app)
    client = client_as(staff_app, "organiser_own")
    response = post(client, f"/moderation/{sid}/reject", {"reject-reason": "  "})
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert feature(staff_app, sid).moderation == "pending"
    response = post(
        client, f"/moderation/{sid}/reject", {"reject-reason": "To już jest na mapie"}
    )
    assert response.status_code == 303
    rejected = feature(staff_app, sid)
    assert rejected.status == "archived" and rejected.moderation == "rejected"
    assert rejected.moderation_note == "To już jest na mapie"


def test_a_decided_suggestion_leaves_the_queue(staff_app):
    sid = new_suggestion(staff_app)
    client = client_as(staff_app, "admin")
    post(client, f"/moderation/{sid}/reject", {"reject-reason": "spam"})
    assert client.get(f"/moderation/{sid}").status_code == 404


XSS = '<script>alert("x")</script>'


def test_suggestion_text_is_escaped_in_the_queue_and_detail(staff_app):
    sid = new_suggestion(staff_app, title=XSS)
    client = client_as(staff_app, "organiser_own")
    for text in (whole_queue(client), client.get(f"/moderation/{sid}").text):
        assert XSS not in text and "&lt;script&gt;" in text


# -- moderation goes through the feature store: revisions, audit, checks -------------


def revisions(app, feature_id) -> list[tuple[int, str, str]]:
    from webgis.features.models import Revision

    with app.app_context():
        rows = db.session.query(Revision).filter_by(feature_id=feature_id)
        return [
            (r.version, r.action, r.status) for r in rows.order_by(Revision.version)
        ]


def test_submit_and_accept_are_revisions_with_history(staff_app):
    sid = new_suggestion(staff_app)
    client = client_as(staff_app, "organiser_own")
    post(client, f"/moderation/{sid}/accept", accept_data(NADODRZE))
    assert revisions(staff_app, sid) == [
        (1, "suggest", "draft"),
        (2, "accept", "published"),
    ]
    assert feature(staff_app, sid).version == 2
    history = client.get(f"/wroclaw/layers/needs_resources/{sid}/history")
    assert history.status_code == 200
    assert "przyjęto propozycję" in history.get_data(as_text=True)
    with staff_app.app_context():
        assert audit.recent(action="feature.accept")[0].actor == "org7@test.invalid"


def test_reject_is_a_revision_and_the_reason_is_kept(staff_app):
    sid = new_suggestion(staff_app)
    client = client_as(staff_app, "organiser_own")
    post(client, f"/moderation/{sid}/reject", {"reject-reason": "Duplikat"})
    assert revisions(staff_app, sid)[-1] == (2, "reject", "archived")
    assert feature(staff_app, sid).moderation_note == "Duplikat"


def test_an_accepted_need_shown_publicly_is_public_and_counted(staff_app):
    sid = new_suggestion(staff_app, title="Brak miejsca na zajęcia dla seniorów")
    client = client_as(staff_app, "organiser_own")
    response = post(
        client,
        f"/moderation/{sid}/accept",
        {**accept_data(NADODRZE, "Brak miejsca dla seniorów"), "accept-public": "y"},
    )
    assert response.status_code == 303
    public = client_as(staff_app, "anonymous")
    page = public.get(f"/wroclaw/layers/needs_resources/{sid}")
    assert page.status_code == 200
    assert "Brak miejsca dla seniorów" in page.get_data(as_text=True)
    # The analysis reads the history, so it sees the accepted need.
    from webgis.features import store

    with staff_app.app_context():
        spec = staff_app.extensions["webgis.layers"]["needs_resources"]
        titles = [
            p.get("title")
            for _g, p in store.published_at(cities.get_city("wroclaw"), spec)
        ]
        assert "Brak miejsca dla seniorów" in titles


def test_a_need_accepted_without_showing_it_stays_internal(staff_app):
    sid = new_suggestion(staff_app)
    client = client_as(staff_app, "organiser_own")
    post(client, f"/moderation/{sid}/accept", accept_data(NADODRZE))
    assert feature(staff_app, sid).status == "published"
    public = client_as(staff_app, "anonymous")
    assert public.get(f"/wroclaw/layers/needs_resources/{sid}").status_code == 404


def test_accepting_a_suggestion_moved_outside_the_city_is_refused(staff_app):
    sid = new_suggestion(staff_app)
    client = client_as(staff_app, "planner")
    response = post(client, f"/moderation/{sid}/accept", accept_data(Point(100, -45)))
    assert response.status_code == 422
    assert "poza granicami miasta" in response.get_data(as_text=True)
    unchanged = feature(staff_app, sid)
    assert unchanged.moderation == "pending" and unchanged.geometry.equals(NADODRZE)
    assert revisions(staff_app, sid) == [(1, "suggest", "draft")]


def test_accepting_with_an_unknown_category_is_refused_beside_the_field(staff_app):
    sid = new_suggestion(staff_app)
    client = client_as(staff_app, "organiser_own")
    response = post(
        client,
        f"/moderation/{sid}/accept",
        {**accept_data(NADODRZE), "accept-category": ""},
    )
    assert response.status_code == 422
    assert "To pole jest wymagane." in response.get_data(as_text=True)
    assert feature(staff_app, sid).moderation == "pending"


def test_a_suggestion_in_the_queue_cannot_be_edited_as_a_feature(staff_app):
    sid = new_suggestion(staff_app)
    client = client_as(staff_app, "organiser_own")
    url = f"/wroclaw/layers/needs_resources/{sid}"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/edit").status_code == 404


def test_the_suggestion_page_shows_labels_not_keys(staff_app):
    sid = new_suggestion(staff_app)
    text = client_as(staff_app, "organiser_own").get(f"/moderation/{sid}")
    text = text.get_data(as_text=True)
    assert "Obszar życia" in text and "Czas wolny" in text
    assert "free_time" not in text.replace('value="free_time"', "")


def test_a_long_queue_comes_in_pages_oldest_first(staff_app, monkeypatch):
    from webgis.web.views import moderation as moderation_views

    monkeypatch.setattr(moderation_views, "QUEUE_PAGE", 2)
    new_suggestion(staff_app)  # at least two pages
    new_suggestion(staff_app)
    client = client_as(staff_app, "planner")
    first = client.get("/moderation/").text
    total = int(re.search(r"(\d+) propozycj", first)[1])
    last = -(-total // 2)
    assert f"strona 1 z {last}" in first and 'rel="next"' in first
    assert len(re.findall(r'href="/moderation/\d+"', first)) == 2
    # The newest waits at the end; asking past the end shows the last page.
    title = f"Najnowsza propozycja {uuid.uuid4().hex[:8]}"
    new_suggestion(staff_app, title=title)
    total += 1
    last = -(-total // 2)
    end = client.get("/moderation/?page=9999").text
    assert f"strona {last} z {last}" in end and title in end
    assert 'rel="prev"' in end and 'rel="next"' not in end
    assert title not in client.get("/moderation/").text
    for odd in ("abc", "-3", "0"):  # a page number nobody means: the first page
        response = client.get(f"/moderation/?page={odd}")
        assert response.status_code == 200 and f"strona 1 z {last}" in response.text
