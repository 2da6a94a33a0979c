"""Moderation in a minute: labels, a map, possible duplicates, the resident's status."""

import html as markup
import re

import pytest
import sqlalchemy as sa
from pyproj import Transformer
from shapely.geometry import Point

from tests.conftest import NADODRZE, client_as, csrf_token, whole_queue
from webgis.core.extensions import db, limiter
from webgis.core.registry import layer_registry
from webgis.features import moderation, store
from webgis.features.models import Feature
from webgis.geography import cities

LAYER = "needs_resources"
KRAKOW_MAIN_SQUARE = Point(19.9373, 50.0617)
TO_METRES = Transformer.from_crs(4326, 2180, always_xy=True)
TO_DEGREES = Transformer.from_crs(2180, 4326, always_xy=True)


def east_of(point: Point, metres: float) -> Point:
    """The point ``metres`` east of ``point`` (in the features' metric CRS)."""
    x, y = TO_METRES.transform(point.x, point.y)
    return Point(*TO_DEGREES.transform(x + metres, y))


def suggested(app, title="Brak świetlicy dla młodzieży", category="community_contacts"):
    """A resident's need waiting in ZTPS 7's queue; returns its id."""
    with app.app_context():
        feature = moderation.submit_suggestion(
            cities.get_city("wroclaw"),
            LAYER,
            NADODRZE,
            {
                "title": title,
                "kind": "need",
                "category": category,
                "source_kind": "public_suggestion",
                "location_precision": "street",
            },
        )
        return feature.id


def published(app, point: Point, title: str, status="published") -> int:
    """A staff record of the layer at ``point``; returns its id."""
    with app.app_context():
        feature = store.create(
            None,
            cities.get_city("wroclaw"),
            layer_registry()[LAYER],
            point,
            {
                "title": title,
                "kind": "resource",
                "category": "free_time",
                "location_precision": "address",
            },
            status,
        )
        return feature.id


def stored(app, feature_id: int) -> Feature:
    with app.app_context():
        found = db.session.get(Feature, feature_id)
        db.session.expunge(found)
        return found


def visible_text(html: str) -> str:
    """What a reader sees: no scripts, no tags, no attribute values."""
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return markup.unescape(re.sub(r"<[^>]+>", " ", html))


def accept_data(point=NADODRZE, **changes) -> dict:
    data = {
        "accept-title": "Świetlica dla młodzieży",
        "accept-category": "free_time",
        "accept-description": "Poprawione przez moderatora",
        "accept-latitude": str(point.y),
        "accept-longitude": str(point.x),
    }
    return {**data, **changes}


def post(client, url: str, data: dict):
    return client.post(url, data={"csrf_token": csrf_token(client, "/account"), **data})


@pytest.fixture
def fresh_limits(staff_app):
    with staff_app.app_context():
        limiter.reset()
    yield
    with staff_app.app_context():
        limiter.reset()


# -- labels, never keys ---------------------------------------------------------------


def test_queue_and_suggestion_name_kind_and_category_by_their_labels(staff_app):
    sid = suggested(staff_app, title="Samotni seniorzy przy Rydygiera")
    client = client_as(staff_app, "organiser_own")
    queue = visible_text(whole_queue(client))
    queue = " ".join(queue.split())
    assert (
        "Samotni seniorzy przy Rydygiera — ZTPS 7 Nadodrze" in queue
        and "Rodzaj: potrzeba · Obszar życia: Kontakty z otoczeniem" in queue
    )
    page = client.get(f"/moderation/{sid}")
    assert page.status_code == 200
    text = " ".join(visible_text(page.get_data(as_text=True)).split())
    assert "Rodzaj potrzeba" in text and "Obszar życia Kontakty z otoczeniem" in text
    for key in ("community_contacts", "public_suggestion", " need ", "street"):
        assert key not in queue and key not in text, key


def test_the_suggestion_page_has_a_map_with_the_areas_and_the_point_to_drag(
    staff_app,
):
    sid = suggested(staff_app)
    html = client_as(staff_app, "organiser_own").get(f"/moderation/{sid}")
    html = html.get_data(as_text=True)
    assert 'class="folium-map"' in html and "js/moderation-map.js" in html
    assert "service-area" in html  # the areas' outlines
    marker = re.search(r"L\.marker\(\s*\[([\d.]+), ([\d.]+)\],\s*\{(.*?)\}", html, re.S)
    assert marker, "no marker on the map"
    assert (float(marker[1]), float(marker[2])) == (NADODRZE.y, NADODRZE.x)
    assert '"draggable": true' in marker[3]
    # The fields stay, for moderators without scripts.
    assert 'name="accept-latitude"' in html and 'name="accept-longitude"' in html


# -- possible duplicates --------------------------------------------------------------


def test_similar_titles_within_200_metres_are_listed_as_possible_duplicates(
    staff_app,
):
    near = published(staff_app, east_of(NADODRZE, 150), "Klub szachowy Goniec")
    draft = published(
        staff_app, east_of(NADODRZE, 60), "Goniec – klub szachowy", "draft"
    )
    far = published(staff_app, east_of(NADODRZE, 300), "Klub szachowy Goniec")
    other = published(staff_app, east_of(NADODRZE, 40), "Klub piłkarski Orzeł")
    sid = suggested(staff_app, title="Brak klubu szachowego Goniec")
    with staff_app.app_context():
        found = moderation.possible_duplicates(db.session.get(Feature, sid))
        ids = [d.feature.id for d in found]
        assert ids == [draft, near]  # nearest first
        assert far not in ids and other not in ids
        assert 140 < found[1].metres < 160
    html = client_as(staff_app, "planner").get(f"/moderation/{sid}")
    html = html.get_data(as_text=True)
    section = html.split('id="duplicates-title"')[1].split("</section>")[0]
    assert f'href="/wroclaw/layers/{LAYER}/{near}"' in section
    assert f'href="/wroclaw/layers/{LAYER}/{draft}"' in section
    assert "150 m stąd" in section
    assert f"/{far}" not in section and "Orzeł" not in section


def test_without_anything_similar_nearby_the_page_says_so(staff_app):
    sid = suggested(staff_app, title="Zupełnie nowy pomysł na podwórko 7")
    html = client_as(staff_app, "organiser_own").get(f"/moderation/{sid}")
    assert "Brak obiektów o podobnej nazwie w promieniu 200 m" in html.get_data(
        as_text=True
    )


# -- accepting with corrections, and bad input ----------------------------------------


def test_accept_corrects_category_title_text_place_and_shows_a_need_publicly(
    staff_app,
):
    sid = suggested(staff_app)
    client = client_as(staff_app, "organiser_own")
    moved = east_of(NADODRZE, 80)
    response = post(
        client,
        f"/moderation/{sid}/accept",
        accept_data(moved, **{"accept-public": "y"}),
    )
    assert response.status_code == 303
    accepted = stored(staff_app, sid)
    assert accepted.properties["category"] == "free_time"
    assert accepted.properties["title"] == "Świetlica dla młodzieży"
    assert accepted.properties["description"] == "Poprawione przez moderatora"
    assert accepted.public and accepted.status == "published"
    assert accepted.geometry.distance(moved) < 1e-9


@pytest.mark.parametrize(
    ("who", "changes"),
    [
        (
            "planner",
            {
                "accept-latitude": str(KRAKOW_MAIN_SQUARE.y),
                "accept-longitude": str(KRAKOW_MAIN_SQUARE.x),
            },
        ),
        ("organiser_own", {"accept-title": ""}),
    ],
    ids=["point outside the city", "empty title"],
)
def test_bad_accepts_keep_what_was_typed_and_change_nothing(staff_app, who, changes):
    sid = suggested(staff_app)
    before = stored(staff_app, sid)
    client = client_as(staff_app, who)
    data = accept_data(**{"accept-description": "Wpisany opis moderatora", **changes})
    response = post(client, f"/moderation/{sid}/accept", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error"' in html or 'class="flash error"' in html
    assert "Wpisany opis moderatora" in html
    assert re.search(r'<option selected value="free_time">', html)
    assert f'value="{data["accept-latitude"]}"' in html
    after = stored(staff_app, sid)
    assert after.moderation == "pending" and after.version == before.version
    assert after.properties == before.properties
    assert after.geometry.equals(before.geometry)


# -- the resident's status page -------------------------------------------------------


SUGGESTION = {
    "kind": "need",
    "title": "Brak miejsca do odrabiania lekcji",
    "category": "education",
    "description": "",
    "latitude": str(NADODRZE.y),
    "longitude": str(NADODRZE.x),
}


def submit(client, **changes):
    """The public form, as a resident sends it; returns the response."""
    token = csrf_token(client, "/wroclaw/suggest")
    return client.post(
        "/wroclaw/suggest", data={"csrf_token": token, **SUGGESTION, **changes}
    )


def submitted(staff_app, title: str, resident=None) -> tuple[str, int]:
    """A resident's suggestion through the form: its status link and id."""
    resident = resident or client_as(staff_app, "anonymous")
    response = submit(resident, title=title)
    assert response.status_code == 303
    link = response.location
    with staff_app.app_context():
        feature = db.session.scalar(
            sa.select(Feature).where(Feature.properties["title"].as_string() == title)
        )
        return link, feature.id


def status_text(client, link: str) -> str:
    response = client.get(link)
    assert response.status_code == 200
    return " ".join(visible_text(response.get_data(as_text=True)).split())


def test_the_resident_is_sent_to_a_status_page_that_says_waiting(
    staff_app, fresh_limits
):
    resident = client_as(staff_app, "anonymous")
    link, sid = submitted(staff_app, "Lekcje: status czeka", resident)
    assert re.fullmatch(r"/wroclaw/suggest/status/[\w-]{40,}\?fresh=True", link)
    first = resident.get(link)
    text = " ".join(visible_text(first.get_data(as_text=True)).split())
    assert "Dziękujemy" in text and "Czeka na sprawdzenie" in text
    assert "Zachowaj ten link" in text
    plain = link.split("?")[0]
    assert f"http://localhost{plain}" in text  # the link to keep, written out
    assert first.headers["Cache-Control"] == "private, no-store"
    assert '<meta name="referrer" content="no-referrer">' in first.get_data(
        as_text=True
    )
    assert "noindex" in first.headers["X-Robots-Tag"]
    # Nothing else about the suggestion is there: not its title, not its id.
    assert "Lekcje: status czeka" not in text
    assert str(sid) not in plain


def test_accepted_and_shown_publicly_links_to_the_public_item(staff_app, fresh_limits):
    link, sid = submitted(staff_app, "Lekcje: przyjęta publicznie")
    organiser = client_as(staff_app, "organiser_own")
    response = post(
        organiser,
        f"/moderation/{sid}/accept",
        accept_data(**{"accept-title": "Miejsce do nauki", "accept-public": "y"}),
    )
    assert response.status_code == 303
    resident = client_as(staff_app, "anonymous")
    html = resident.get(link.split("?")[0]).get_data(as_text=True)
    assert "Przyjęta" in html
    item = f"/wroclaw/layers/{LAYER}/{sid}"
    assert f'href="{item}"' in html
    assert "Miejsce do nauki" in resident.get(item).get_data(as_text=True)


def test_accepted_but_internal_says_so_without_a_link(staff_app, fresh_limits):
    link, sid = submitted(staff_app, "Lekcje: przyjęta wewnętrznie")
    organiser = client_as(staff_app, "organiser_own")
    assert (
        post(organiser, f"/moderation/{sid}/accept", accept_data()).status_code == 303
    )
    html = client_as(staff_app, "anonymous").get(link).get_data(as_text=True)
    assert "Przyjęta" in html and "nie jest pokazywana publicznie" in html
    assert f"/layers/{LAYER}/{sid}" not in html


def test_rejected_shows_the_moderators_reason(staff_app, fresh_limits):
    link, sid = submitted(staff_app, "Lekcje: odrzucona")
    organiser = client_as(staff_app, "organiser_own")
    reason = "To już jest na mapie: <świetlica> przy Łokietka 5"
    response = post(organiser, f"/moderation/{sid}/reject", {"reject-reason": reason})
    assert response.status_code == 303
    resident = client_as(staff_app, "anonymous")
    text = status_text(resident, link)
    assert "Odrzucona" in text and "To już jest na mapie: <świetlica>" in text
    assert "&lt;świetlica&gt;" in resident.get(link).get_data(as_text=True)


def test_tokens_are_unguessable_and_an_unknown_one_is_a_404(staff_app, fresh_limits):
    first, first_id = submitted(staff_app, "Lekcje: token 1")
    second, _ = submitted(staff_app, "Lekcje: token 2")
    tokens = [link.split("/")[-1].split("?")[0] for link in (first, second)]
    assert tokens[0] != tokens[1]
    assert all(len(t) >= 40 for t in tokens)  # 32 random bytes
    resident = client_as(staff_app, "anonymous")
    for wrong in (
        tokens[0][:-1] + ("A" if tokens[0][-1] != "A" else "B"),
        tokens[0][:20],
        str(first_id),
        "x" * 300,
    ):
        assert resident.get(f"/wroclaw/suggest/status/{wrong}").status_code == 404
    # A city's link does not open in another city.
    assert resident.get(f"/krakow/suggest/status/{tokens[0]}").status_code == 404
    with staff_app.app_context():
        # The token is stored once, beside the suggestion, and changes no version.
        feature = db.session.get(Feature, first_id)
        assert feature.status_token == tokens[0] and feature.version == 1


def test_a_bot_filling_the_honeypot_gets_no_status_link(staff_app, fresh_limits):
    response = submit(
        client_as(staff_app, "anonymous"), title="Robot: bez linku", website="x.pl"
    )
    assert response.status_code == 303
    assert "/suggest/status/" not in response.location


def test_duplicates_are_rings_on_the_map_and_their_titles_stay_text(staff_app):
    hostile = "Klub Wieża </div><img src=x onerror=alert(1)> `${alert(2)}`"
    near = published(staff_app, east_of(NADODRZE, 90), hostile)
    sid = suggested(staff_app, title="Klub Wieża")
    html = client_as(staff_app, "organiser_own").get(f"/moderation/{sid}")
    html = html.get_data(as_text=True)
    assert f'href="/wroclaw/layers/{LAYER}/{near}"' in html
    assert "possible-duplicate" in html  # the ring on the map
    assert "<img src=x" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") == 2  # link, tooltip
    ring = html.split('"possible-duplicate"')[1]
    tooltip = ring.split(".bindTooltip(")[1].split("</div>`")[0]
    assert "`" not in tooltip.split("`", 1)[1] and "${" not in tooltip
