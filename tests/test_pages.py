"""Pages and the JSON API as a visitor or a GIS client gets them."""

import csv
import json
import re

import pytest

from tests.conftest import two_units, write
from webgis.geography import cities


def text(response) -> str:
    return response.get_data(as_text=True)


def tooltips(page: str) -> list[str]:
    """The HTML Leaflet will show on hover, decoded from the map's embedded GeoJSON."""
    found = re.findall(r'"tooltip": ("(?:[^"\\]|\\.)*")', page)
    return [json.loads(t) for t in found]


def test_home_lists_both_cities_with_links(client):
    page = text(client.get("/"))
    assert 'href="/wroclaw/map"' in page and 'href="/krakow/map"' in page
    assert "48 jednostek (osiedla), 10 obszarów (ZTPS)" in page
    assert '<html lang="pl">' in page


def test_city_address_redirects_to_its_map(client):
    response = client.get("/krakow/")
    assert response.status_code == 302 and response.location.endswith("/krakow/map")


def test_wroclaw_map_has_legend_table_and_local_leaflet(client):
    response = client.get("/wroclaw/map")
    assert response.status_code == 200
    page = text(response)
    assert page.count('class="swatch"') == 10
    assert "ZTPS 7 Nadodrze" in page
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "cdn.jsdelivr" not in page and "code.jquery" not in page
    assert 'href="/wroclaw/areas/ZTPS-7"' in page
    # Residents of an area with an osiedle of unknown population are marked as partial
    assert "*" in page and "brak danych o mieszkańcach" in page


def test_map_tooltips_name_the_area_its_units_and_residents(client):
    shown = tooltips(text(client.get("/krakow/map")))
    assert len(shown) == 9 + 18  # areas and units
    assert (
        "<strong>Filia nr 6</strong><br>Mieszkańcy: 60\u00a0350<br>"  # 30 609 + 29 741
        "Jednostki: Stare Miasto, Grzegórzki"
    ) in shown


def test_area_page_lists_units_with_residents(client):
    response = client.get("/krakow/areas/F6")
    assert response.status_code == 200
    page = text(response)
    assert "Stare Miasto" in page and "Grzegórzki" in page
    assert "30\u00a0609" in page  # Stare Miasto, 31.12.2019, Polish number format


def test_area_page_shows_missing_population_as_no_data(demo_app, client):
    with demo_app.app_context():
        oltaszyn = next(
            u for u in cities.get_city("wroclaw").units if u.name == "Ołtaszyn"
        )
        code = oltaszyn.service_area.code
    page = text(client.get(f"/wroclaw/areas/{code}"))
    assert "Ołtaszyn" in page and "brak danych" in page
    assert "przybliżone" in page  # Wrocław's assignment is an approximation


@pytest.mark.parametrize(
    "url", ["/gdansk/map", "/wroclaw/areas/F1", "/krakow/areas/nope", "/nothing/here"]
)
def test_unknown_city_or_area_is_a_404_page(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Nie znaleziono" in text(response)


def test_english_interface_on_request(client):
    page = text(client.get("/wroclaw/map?lang=en"))
    assert '<html lang="en">' in page
    assert "Legend" in page and "Legenda" not in page
    # the choice is remembered for the rest of the visit
    assert "Legend" in text(client.get("/krakow/map"))


def test_ukrainian_interface_on_request(client):
    page = text(client.get("/?lang=uk"))
    assert '<html lang="uk">' in page
    assert "Оберіть місто" in page


def test_unknown_language_falls_back_to_polish(client):
    page = text(client.get("/?lang=xx"))
    assert '<html lang="pl">' in page


def test_api_service_areas_are_a_feature_collection(client):
    response = client.get("/api/wroclaw/service-areas")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    data = response.get_json(force=True)
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 10
    props = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert props["ZTPS-7"]["name"] == "ZTPS 7 Nadodrze"
    assert props["ZTPS-7"]["population"] > 0 and props["ZTPS-7"]["area_km2"] > 0
    assert data["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_api_units_carry_number_name_population_area(client):
    data = client.get("/api/krakow/units").get_json(force=True)
    assert len(data["features"]) == 18
    first = data["features"][0]["properties"]
    assert first == {
        "number": 1,
        "name": "Stare Miasto",
        "population": 30609,
        "area_km2": first["area_km2"],
        "service_area": "F6",
    }
    assert 5.0 < first["area_km2"] < 6.0


def test_api_unknown_population_is_null(client):
    data = client.get("/api/wroclaw/units").get_json(force=True)
    by_name = {f["properties"]["name"]: f["properties"] for f in data["features"]}
    assert by_name["Wojszyce"]["population"] is None


def test_api_unknown_city_is_json_404(client):
    response = client.get("/api/atlantyda/units")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["status"] == 404


def test_api_lists_cities(client):
    codes = [c["code"] for c in client.get("/api/cities").get_json()]
    assert sorted(codes) == ["krakow", "wroclaw"]


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_names_from_a_boundary_file_are_escaped_everywhere(app, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(args=["cities", "add", "xss", XSS])
    frame = two_units()
    frame["name"] = [XSS, "Zwykła"]
    path = write(frame, tmp_path / "xss.gpkg")
    assert runner.invoke(args=["boundaries", "import", "xss", str(path)]).exit_code == 0
    csv_path = tmp_path / "a.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["city", "area_code", "area_name", "unit_no"])
        writer.writerows([["xss", "A1", XSS, 1], ["xss", "A1", XSS, 2]])
    result = runner.invoke(args=["service-areas", "import", "xss", str(csv_path)])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    for url in ("/", "/xss/map", "/xss/areas/A1"):
        page = text(client.get(url))
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
        assert "&lt;script&gt;" in page or "\\u0026lt;script" in page, url
        for tooltip in tooltips(page):
            assert "<script>" not in tooltip and "<img" not in tooltip, url
    assert any("&lt;script&gt;" in t for t in tooltips(text(client.get("/xss/map"))))
    api = client.get("/api/xss/units").get_json(force=True)
    assert api["features"][0]["properties"]["name"] == XSS  # JSON is data, not HTML
    assert json.dumps(api)  # and serialisable


def test_unexpected_error_is_a_500_page_and_rolls_back(app, monkeypatch):
    from webgis.web.views import main

    def explode():
        raise RuntimeError("boom")

    monkeypatch.setattr(main.cities, "list_cities", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/")
    assert response.status_code == 500
    assert "Błąd serwera" in text(response)
    assert "zmiany nie zostały zapisane" in text(response)
    assert "boom" not in text(response)  # no internals shown to visitors


def test_the_page_of_a_new_empty_area_opens(staff_app):
    from webgis.core.extensions import db
    from webgis.geography import cities

    with staff_app.app_context():
        cities.add_service_area(cities.get_city("krakow"), "F99", "Nowa filia")
    try:
        response = staff_app.test_client().get("/krakow/areas/F99")
        assert response.status_code == 200
        assert "Nowa filia" in response.get_data(as_text=True)
    finally:
        with staff_app.app_context():
            cities.remove_service_area(cities.get_city("krakow"), "F99")
            db.session.remove()
