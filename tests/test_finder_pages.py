"""The finder's other faces: embed headers, kiosk, the admin snippet, suggestions."""

import html
import re

import pytest
import sqlalchemy as sa

from tests.conftest import NADODRZE, client_as, csrf_token, whole_queue
from webgis.core.extensions import db, limiter
from webgis.features.models import Feature


def test_only_the_embed_may_be_framed(client):
    embed = client.get("/embed/wroclaw")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed.headers
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    for url in ("/wroclaw/services", "/kiosk/wroclaw", "/wroclaw/suggest", "/"):
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY", url
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy, url


def test_embed_links_open_the_full_site_in_a_new_tab(client):
    page = client.get("/embed/wroclaw?q=punkt").get_data(as_text=True)
    links = re.findall(r'<a href="(http[^"]+)"([^>]*)>', page)
    service_links = [(h, a) for h, a in links if "/wroclaw/services" in h]
    assert service_links
    for _href, attributes in service_links:
        assert 'target="_blank"' in attributes and 'rel="noopener"' in attributes
    assert '<header class="site-header"' not in page
    assert 'name="lang" value="pl"' in page  # the language survives in a frame


def test_kiosk_has_no_links_off_the_site(client):
    page = client.get("/kiosk/wroclaw").get_data(as_text=True)
    hrefs = re.findall(r'<a[^>]* href="([^"]*)"', page)
    assert hrefs
    assert [h for h in hrefs if not h.startswith(("/", "#"))] == []
    # the same list on the full page does link the telephone numbers
    assert 'href="tel:' in client.get("/wroclaw/services").get_data(as_text=True)


def test_kiosk_service_page_shows_contacts_as_text(client):
    page = client.get("/wroclaw/services?q=siedziba").get_data(as_text=True)
    service = re.search(r'href="/wroclaw/services/(\d+)"', page).group(1)
    kiosk = client.get(f"/kiosk/wroclaw/services/{service}").get_data(as_text=True)
    assert "71 782 23 00" in kiosk  # stored as +48717822300, shown as in Poland
    assert "tel:" not in kiosk and "mailto:" not in kiosk
    assert [h for h in re.findall(r' href="([^"]*)"', kiosk) if "://" in h] == []


@pytest.mark.parametrize(
    ("query", "seconds"),
    [
        ("", 120),
        ("?idle=2", 2),
        ("?idle=abc", 120),
        ("?idle=0", 120),
        ("?idle=99999", 120),
    ],
)
def test_kiosk_idle_time_comes_from_config_or_url(client, query, seconds):
    page = client.get(f"/kiosk/wroclaw{query}").get_data(as_text=True)
    assert f'data-idle-seconds="{seconds}"' in page
    assert 'data-start="/kiosk/wroclaw"' in page


def test_admin_gets_an_embed_snippet(staff_app):
    page = client_as(staff_app, "admin").get("/admin/embed").get_data(as_text=True)
    snippets = re.findall(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)
    assert len(snippets) == 6  # two cities, three languages
    first = html.unescape(snippets[0])
    assert first.startswith('<iframe src="http://localhost/embed/')
    assert first.endswith("></iframe>")
    assert 'title="Znajdź pomoc: ' in first


# -- suggestions ----------------------------------------------------------------------


SUGGESTION = {
    "kind": "resource",
    "title": "Bezpłatne korepetycje w bibliotece",
    "category": "education",
    "description": "We wtorki po 16:00",
    "latitude": str(NADODRZE.y),
    "longitude": str(NADODRZE.x),
}


def suggest(client, **changes):
    token = csrf_token(client, "/wroclaw/suggest")
    return client.post(
        "/wroclaw/suggest", data={"csrf_token": token, **SUGGESTION, **changes}
    )


def stored(app, title: str) -> list[Feature]:
    with app.app_context():
        # the queue area is read after the session closes
        return list(
            db.session.scalars(
                sa.select(Feature)
                .options(sa.orm.joinedload(Feature.queue_area))
                .where(Feature.properties["title"].as_string() == title)
            )
        )


@pytest.fixture
def fresh_limits(staff_app):
    with staff_app.app_context():
        limiter.reset()
    yield
    with staff_app.app_context():
        limiter.reset()


def test_a_suggestion_waits_in_the_queue_and_is_public_only_once_accepted(
    staff_app, fresh_limits
):
    title = "Korepetycje w bibliotece na Nadodrzu"
    public = client_as(staff_app, "anonymous")
    response = suggest(public, title=title)
    assert response.status_code == 303
    assert "Dziękujemy" in public.get(response.location).get_data(as_text=True)
    [feature] = stored(staff_app, title)
    assert (feature.status, feature.moderation) == ("draft", "pending")
    assert feature.properties["source_kind"] == "public_suggestion"
    organiser = client_as(staff_app, "organiser_own")
    assert title in whole_queue(organiser)
    for url in (
        "/wroclaw/services?q=korepetycje+bibliotece",
        "/api/wroclaw/layers/needs_resources",
        "/wroclaw/map",
        "/kiosk/wroclaw?q=korepetycje+bibliotece",
    ):
        assert title not in public.get(url).get_data(as_text=True), url
    assert public.get(f"/wroclaw/services/{feature.id}").status_code == 404
    accepted = organiser.post(
        f"/moderation/{feature.id}/accept",
        data={
            "csrf_token": csrf_token(organiser, f"/moderation/{feature.id}"),
            "accept-title": title,
            "accept-description": "",
            "accept-latitude": str(NADODRZE.y),
            "accept-longitude": str(NADODRZE.x),
        },
    )
    assert accepted.status_code == 303
    found = public.get("/wroclaw/services?q=korepetycje+bibliotece")
    assert f">{title}</a></h3>" in found.get_data(as_text=True)


def test_the_honeypot_stores_nothing(staff_app, fresh_limits):
    title = "Spam od robota"
    response = suggest(client_as(staff_app, "anonymous"), title=title, website="x.pl")
    assert response.status_code == 303
    assert stored(staff_app, title) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "To pole jest wymagane."),
        ({"category": ""}, "To pole jest wymagane."),
        ({"category": "nonsense"}, "Nieprawidłowy wybór"),
        ({"kind": "person"}, "Nieprawidłowy wybór"),
        ({"latitude": "", "longitude": ""}, "Wskaż miejsce na mapie"),
        ({"latitude": "abc"}, "Nieprawidłowa liczba"),
        ({"latitude": "10", "longitude": "10"}, "Liczba musi być z zakresu 49 i 55."),
        ({"latitude": "52.23", "longitude": "21.01"}, "poza miastem Wrocław"),
        ({"unit": "999", "latitude": "", "longitude": ""}, "Nieprawidłowy wybór"),
    ],
)
def test_bad_suggestions_keep_what_was_typed_and_store_nothing(
    staff_app, fresh_limits, changes, message
):
    title = changes.get("title", "Zachowany tytuł propozycji")
    response = suggest(client_as(staff_app, "anonymous"), **{"title": title, **changes})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    if title:
        assert f'value="{title}"' in page
        assert stored(staff_app, title) == []
    assert "We wtorki po 16:00" in page


def test_a_unit_instead_of_a_point_places_the_suggestion_there(staff_app, fresh_limits):
    title = "Ławka na skwerze przy Rydygiera"
    response = suggest(
        client_as(staff_app, "anonymous"),
        title=title,
        latitude="",
        longitude="",
        unit="4",
    )
    assert response.status_code == 303
    [feature] = stored(staff_app, title)
    assert feature.properties["location_precision"] == "unit"
    assert feature.queue_area.code == "ZTPS-7"


def test_suggestions_are_rate_limited_per_address(staff_app, fresh_limits):
    staff_app.config["WEBGIS_SUGGEST_LIMIT"] = "2 per minute"
    try:
        client = client_as(staff_app, "anonymous")
        responses = [suggest(client, title=f"Limit {i}") for i in range(3)]
    finally:
        staff_app.config["WEBGIS_SUGGEST_LIMIT"] = "1000 per minute"
    assert [r.status_code for r in responses] == [303, 303, 429]
    # A resident is told what happened, not shown the staff sign-in form.
    text = responses[-1].get_data(as_text=True)
    assert "Zbyt wiele prób" in text and "logowania" not in text


def test_a_small_finder_cache_never_loses_services(staff_app):
    """Evicting derived services while a search fills the cache drops none of them."""
    import re

    from webgis.finder.search import ServiceCache

    def found() -> int:
        page = staff_app.test_client().get("/wroclaw/services").get_data(as_text=True)
        return int(re.search(r"Znaleziono: (\d+)", page).group(1))

    everything = found()
    assert everything > 3
    kept = staff_app.extensions["webgis.finder_cache"]
    staff_app.extensions["webgis.finder_cache"] = ServiceCache(3)
    try:
        assert [found(), found()] == [everything, everything]
    finally:
        staff_app.extensions["webgis.finder_cache"] = kept
