"""The thematic layers through their real forms, for every registered layer.

Create, edit, archive, history, conflicts, validation, permissions and escaping.
"""

import json
import re

import pytest
from shapely.geometry import Point, Polygon, box

import layers
from tests.conftest import (
    NADODRZE,
    OLBIN,
    client_as,
    csrf_token,
    new_feature,
    valid_form,
)
from webgis.core.extensions import db
from webgis.features.models import Feature

#: Every registered layer: a new layer is tested without editing this file.
LAYERS = list(layers.discover())
KRAKOW = Point(19.9373, 50.0617)


def spec_of(app, key):
    return app.extensions["webgis.layers"][key]


def count(app) -> int:
    with app.app_context():
        return db.session.query(Feature).count()


def submit(client, url, data):
    token = csrf_token(client, "/account")
    return client.post(url, data={"csrf_token": token, **data})


def stored(app, feature_id) -> Feature:
    with app.app_context():
        feature = db.session.get(Feature, feature_id)
        db.session.expunge(feature)
        return feature


def created_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    return int(response.location.rstrip("/").split("/")[-1])


@pytest.mark.parametrize("layer", LAYERS)
def test_create_edit_archive_restore_through_the_forms(staff_app, layer):
    spec = spec_of(staff_app, layer)
    client = client_as(staff_app, "organiser_own")
    base = f"/wroclaw/layers/{layer}"
    assert client.get(f"{base}/new").status_code == 200
    data = valid_form(spec)
    feature_id = created_id(submit(client, f"{base}/new", data))
    title = data[spec.title_field]
    assert title in client.get(f"{base}/{feature_id}").get_data(as_text=True)

    edit_page = client.get(f"{base}/{feature_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', edit_page).group(1)
    assert (
        created_id(
            submit(
                client,
                f"{base}/{feature_id}/edit",
                {
                    **data,
                    spec.title_field: "Nowa nazwa",
                    "version": version,
                },
            )
        )
        == feature_id
    )
    assert stored(staff_app, feature_id).properties[spec.title_field] == "Nowa nazwa"

    submit(client, f"{base}/{feature_id}/status", {"status": "archived"})
    assert "Nowa nazwa" not in client.get(f"{base}/").get_data(as_text=True)
    archived = client.get(f"{base}/?status=archived").get_data(as_text=True)
    assert "Nowa nazwa" in archived
    submit(client, f"{base}/{feature_id}/status", {"status": "published"})
    assert stored(staff_app, feature_id).status == "published"


@pytest.mark.parametrize("layer", LAYERS)
def test_public_sees_published_features_only(staff_app, layer):
    draft, _ = new_feature(staff_app, layer, status="draft")
    public = staff_app.test_client()
    assert public.get(f"/wroclaw/layers/{layer}/{draft}").status_code == 404
    api = public.get(f"/api/wroclaw/layers/{layer}").get_json(force=True)
    assert draft not in [f["id"] for f in api["features"]]
    staff = client_as(staff_app, "planner")
    assert staff.get(f"/wroclaw/layers/{layer}/{draft}").status_code == 200


def test_needs_are_internal_until_marked_public(staff_app):
    hidden, _ = new_feature(staff_app, "needs_resources", kind="need")
    shown, _ = new_feature(staff_app, "needs_resources", kind="need", public=True)
    resource, _ = new_feature(staff_app, "needs_resources", kind="resource")
    api = staff_app.test_client().get("/api/wroclaw/layers/needs_resources")
    ids = [f["id"] for f in api.get_json(force=True)["features"]]
    assert hidden not in ids and shown in ids and resource in ids


BAD_INPUT = [
    ("day_centres", {"name": ""}, "name", "To pole jest wymagane."),
    ("day_centres", {"capacity": "-5"}, "capacity", "liczbę całkowitą"),
    ("day_centres", {"verified_on": "2999-01-01"}, "verified_on", "z przyszłości"),
    ("day_centres", {"verified_on": "32.13.2020"}, "verified_on", "RRRR-MM-DD"),
    ("day_centres", {"email": "not-an-address"}, "email", "adres e-mail"),
    ("day_centres", {"website": "javascript:alert(1)"}, "website", "http"),
    ("day_centres", {"opening_hours-mon": "25:00-26:00"}, "opening_hours", "08:00"),
    (
        "day_centres",
        {"opening_hours": "Mo-Fx 08:00-16:00"},
        "opening_hours",
        "Godziny otwarcia: nie rozumiem zapisu od znaku 4",
    ),
    ("day_centres", {"opening_hours-tue": "8-12"}, "opening_hours", "wtorek"),
    ("day_centres", {"facility_type": "casino"}, "facility_type", "Wybierz"),
    (
        "day_centres",
        {"geometry": json.dumps(KRAKOW.__geo_interface__)},
        "geometry",
        "poza granicami miasta",
    ),
    ("day_centres", {"geometry": "{not json"}, "geometry", "odczytać"),
    ("day_centres", {"geometry": ""}, "geometry", "Wskaż miejsce"),
    (
        "day_centres",
        {"geometry": json.dumps(box(17.0, 51.1, 17.01, 51.11).__geo_interface__)},
        "geometry",
        "przyjmuje",
    ),
    ("day_centres", {"capacity": str(10**30)}, "capacity", "od 0 do 10"),
    ("day_centres", {"capacity": "²"}, "capacity", "liczbę całkowitą"),
    ("day_centres", {"geometry": "[" * 100_000}, "geometry", "odczytać"),
    (
        "day_centres",
        {"geometry": '{"type": "Point", "coordinates": []}'},
        "geometry",
        "Wskaż miejsce",
    ),
    (
        "day_centres",
        {"geometry": '{"type": "Point", "coordinates": [NaN, Infinity]}'},
        "geometry",
        "poza zakresem",
    ),
    ("day_centres", {"geometry": '{"type": "Point"}'}, "geometry", "odczytać"),
    ("day_centres", {"geometry": "null"}, "geometry", "odczytać"),
    ("pal", {"years_from": "2015", "years_to": "2010"}, "years_to", "wcześniejszy"),
    ("pal", {"years_from": "²⁰¹³"}, "years_from", "rok"),
    ("pal", {"service_area": "F6"}, "service_area", "nie ma obszaru"),
    (
        "partnerships",
        {
            "geometry": json.dumps(
                Polygon(
                    [(17.02, 51.11), (17.04, 51.13), (17.04, 51.11), (17.02, 51.13)]
                ).__geo_interface__
            )
        },
        "geometry",
        "niepoprawny",
    ),
    (
        "partnerships",
        {"geometry": json.dumps(box(16, 50, 18, 52).__geo_interface__)},
        "geometry",
        "większy niż całe miasto",
    ),
    (
        "partnerships",
        {"members-name": "Rada Osiedla", "members-sector": ""},
        "members",
        "sektor",
    ),
]


@pytest.mark.parametrize(("layer", "bad", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_inline_and_nothing_is_saved(
    staff_app, layer, bad, field, message
):
    client = client_as(staff_app, "organiser_own")
    before = count(staff_app)
    data = valid_form(spec_of(staff_app, layer), **bad)
    response = submit(client, f"/wroclaw/layers/{layer}/new", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'id="err-{field}"[^>]*>([^<]*)<', page)
    assert error and message in error.group(1), page[-1500:]
    assert count(staff_app) == before
    kept = data[spec_of(staff_app, layer).title_field]
    assert not kept or f'value="{kept}"' in page  # what was typed is still there


def test_a_drawn_geometry_survives_a_failed_submit(staff_app):
    client = client_as(staff_app, "organiser_own")
    data = valid_form(spec_of(staff_app, "day_centres"), name="")
    page = submit(client, "/wroclaw/layers/day_centres/new", data).get_data(
        as_text=True
    )
    assert json.loads(
        re.search(r'id="f-geometry"[^>]*>([^<]*)<', page).group(1).replace("&#34;", '"')
    ) == json.loads(data["geometry"])


def test_organiser_cannot_place_a_feature_outside_their_areas(staff_app):
    client = client_as(staff_app, "organiser_own")
    before = count(staff_app)
    data = valid_form(spec_of(staff_app, "day_centres"), point=OLBIN)
    response = submit(client, "/wroclaw/layers/day_centres/new", data)
    assert response.status_code == 403
    assert "poza Twoimi obszarami (ZTPS 7 Nadodrze)" in response.get_data(as_text=True)
    assert count(staff_app) == before


def test_organiser_of_another_area_cannot_edit(staff_app):
    feature_id, _ = new_feature(staff_app)
    client = client_as(staff_app, "organiser_other")
    assert (
        client.get(f"/wroclaw/layers/day_centres/{feature_id}/edit").status_code == 403
    )
    response = submit(
        client,
        f"/wroclaw/layers/day_centres/{feature_id}/status",
        {"status": "archived"},
    )
    assert response.status_code == 403
    assert stored(staff_app, feature_id).status == "published"


def test_history_shows_field_changes_and_restore_makes_a_new_version(staff_app):
    feature_id, _ = new_feature(staff_app, name="Świetlica A")
    client = client_as(staff_app, "organiser_own")
    spec = spec_of(staff_app, "day_centres")
    url = f"/wroclaw/layers/day_centres/{feature_id}"
    for version, name in ((1, "Świetlica B"), (2, "Świetlica C")):
        data = valid_form(spec, name=name, version=str(version))
        assert submit(client, f"{url}/edit", data).status_code == 303
    page = client.get(f"{url}/history").get_data(as_text=True)
    assert "Wersja 3" in page and "Świetlica B" in page and "Świetlica C" in page
    first = re.findall(rf'action="{url}/history/(\d+)"', page)[-1]
    assert submit(client, f"{url}/history/{first}", {}).status_code == 303
    restored = stored(staff_app, feature_id)
    assert restored.properties["name"] == "Świetlica A" and restored.version == 4


def test_saving_over_someone_elses_change_shows_a_conflict(staff_app):
    feature_id, _ = new_feature(staff_app, name="Klub Seniora")
    spec = spec_of(staff_app, "day_centres")
    url = f"/wroclaw/layers/day_centres/{feature_id}/edit"
    planner = client_as(staff_app, "planner")
    organiser = client_as(staff_app, "organiser_own")
    mine = valid_form(spec, name="Klub Seniora — moja zmiana", version="1")
    theirs = valid_form(spec, name="Klub Seniora — ich zmiana", version="1")
    assert submit(planner, url, theirs).status_code == 303
    response = submit(organiser, url, mine)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "ich zmiana" in page and "moja zmiana" in page
    assert stored(staff_app, feature_id).properties["name"] == (
        "Klub Seniora — ich zmiana"
    )


XSS = "<script>alert(1)</script>`${alert(2)}`\\"


@pytest.mark.parametrize("layer", LAYERS)
def test_text_is_escaped_in_list_detail_popup_and_api(staff_app, layer):
    spec = spec_of(staff_app, layer)
    texts = {f.name: XSS for f in spec.all_fields if f.kind in ("text", "textarea")}
    if layer == "needs_resources":
        texts["public"] = True  # needs are internal otherwise
    feature_id, _ = new_feature(staff_app, layer, **texts)
    client = staff_app.test_client()
    pages = [
        client.get(f"/wroclaw/layers/{layer}/"),
        client.get(f"/wroclaw/layers/{layer}/{feature_id}"),
        client.get(f"/wroclaw/map/layers/{layer}/{feature_id}"),  # its popup
    ]
    for response in pages:
        assert response.status_code == 200
        assert "<script>alert(1)" not in response.get_data(as_text=True)
        assert "&lt;script&gt;alert(1)" in response.get_data(as_text=True)
    # On the map the title travels as JSON, drawn by the script as text.
    in_view = client.get(f"/wroclaw/map/layers/{layer}?bbox=16.8,51.0,17.2,51.2")
    mine = next(
        f for f in in_view.get_json(force=True)["features"] if f.get("id") == feature_id
    )
    assert mine["properties"]["title"] == XSS
    api = client.get(f"/api/wroclaw/layers/{layer}").get_json(force=True)
    mine = next(f for f in api["features"] if f["id"] == feature_id)
    assert mine["properties"][spec.title_field] == XSS  # data stays data


def test_facility_not_verified_for_a_year_is_marked(staff_app):
    old, _ = new_feature(staff_app, name="Stara placówka", verified_on="2020-01-01")
    client = client_as(staff_app, "organiser_own")
    page = client.get(f"/wroclaw/layers/day_centres/{old}").get_data(as_text=True)
    assert "do weryfikacji" in page
    popup = f"/wroclaw/map/layers/day_centres/{old}"
    assert "do weryfikacji" in client.get(popup).get_data(as_text=True)
    public = staff_app.test_client().get(popup).get_data(as_text=True)
    assert "Stara placówka" in public and "do weryfikacji" not in public


def test_list_filters_by_text_ignoring_diacritics_and_by_area(staff_app):
    new_feature(staff_app, name="Świetlica Łąkowa")
    client = staff_app.test_client()
    found = client.get("/wroclaw/layers/day_centres/?q=swietlica+lakowa")
    assert "Świetlica Łąkowa" in found.get_data(as_text=True)
    elsewhere = client.get("/wroclaw/layers/day_centres/?q=lakowa&area=ZTPS-2")
    assert "Świetlica Łąkowa" not in elsewhere.get_data(as_text=True)


def test_the_list_pages_through_its_features_in_order(staff_app, monkeypatch):
    from webgis.features import store

    monkeypatch.setattr(store, "LIST_PAGE", 3)
    for capacity in (5, 40, 300, 7):
        new_feature(staff_app, name=f"Stronicowana {capacity}", capacity=capacity)
    client = client_as(staff_app, "organiser_own")
    base = "/wroclaw/layers/day_centres/?q=stronicowana&sort=capacity&order=desc"

    def names(url):
        page = client.get(url).get_data(as_text=True)
        return re.findall(r">Stronicowana (\d+)<", page), page

    first, page = names(base)
    # numbers sort as numbers, not as text ("5" would come before "40")
    assert first == ["300", "40", "7"]
    assert "Wyników: 4" in page and 'rel="next"' in page
    second, page = names(base + "&page=2")
    assert second == ["5"] and 'rel="prev"' in page and 'rel="next"' not in page
    assert names(base + "&page=99")[0] == ["5"]  # past the end: the last page
    assert names(base + "&page=abc")[0] == first
    # the download keeps every row, whatever the page
    export = client.get(base.replace("/?", "/export.csv?")).get_data(as_text=True)
    assert all(f"Stronicowana {n}" in export for n in (5, 40, 300, 7))


def test_the_list_filters_by_a_category_with_fixed_choices(staff_app):
    spec = spec_of(staff_app, "partnerships")
    choices = [key for key, _label in spec.get_field(spec.category_field).choices]
    for key in choices[:2]:
        new_feature(
            staff_app, "partnerships", name=f"Stan {key}", **{spec.category_field: key}
        )
    client = client_as(staff_app, "organiser_own")
    page = client.get(
        f"/wroclaw/layers/partnerships/?q=stan&category={choices[0]}"
    ).get_data(as_text=True)
    assert f"Stan {choices[0]}" in page and f"Stan {choices[1]}" not in page


def test_demo_shows_documented_facts_with_their_precision(demo_app):
    client = demo_app.test_client()
    page = client.get("/wroclaw/layers/partnerships/").get_data(as_text=True)
    for name in ("Partnerstwo Polanka", "Razem dla Nadodrza", "Partnerstwo 8 Scen"):
        assert name in page
    pasz = client.get("/wroclaw/layers/day_centres/?q=Braniborska").get_data(
        as_text=True
    )
    assert "przybliżona: ulica" in pasz
    samples = client.get("/krakow/layers/needs_resources/").get_data(as_text=True)
    assert "przykład / sample" in samples


def read_export(data: bytes, fmt: str, tmp_path, column: str) -> list[str]:
    """The feature titles (``column``) in a downloaded export."""
    import csv
    import io

    import geopandas as gpd

    if fmt == "csv":
        return [
            r[column] for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        ]
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(data)
    frame = gpd.read_file(path)
    assert frame.crs.to_epsg() == 4326
    return list(frame[column])


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
@pytest.mark.parametrize("layer", LAYERS)
def test_export_holds_what_the_visitor_may_see(staff_app, layer, fmt, tmp_path):
    spec = spec_of(staff_app, layer)
    title = spec.title_field
    public = dict([spec.public_when]) if spec.public_when else {}
    new_feature(staff_app, layer, **{title: f"Eksport {fmt} publiczny", **public})
    new_feature(staff_app, layer, status="draft", **{title: f"Eksport {fmt} szkic"})
    url = f"/wroclaw/layers/{layer}/export.{fmt}?q=eksport+{fmt}"
    found = staff_app.test_client().get(url)
    assert found.status_code == 200
    assert "attachment" in found.headers["Content-Disposition"]
    assert read_export(found.data, fmt, tmp_path, title) == [f"Eksport {fmt} publiczny"]
    staff = client_as(staff_app, "planner").get(url)
    assert sorted(read_export(staff.data, fmt, tmp_path, title)) == [
        f"Eksport {fmt} publiczny",
        f"Eksport {fmt} szkic",
    ]


def test_unknown_export_format_is_404(staff_app):
    response = staff_app.test_client().get("/wroclaw/layers/day_centres/export.exe")
    assert response.status_code == 404


def test_an_unreadable_version_is_a_conflict_not_an_error(staff_app):
    feature_id, _ = new_feature(staff_app, "day_centres", NADODRZE)
    client = client_as(staff_app, "organiser_own")
    url = f"/wroclaw/layers/day_centres/{feature_id}/edit"
    data = {**valid_form(spec_of(staff_app, "day_centres")), "version": "abc"}
    response = submit(client, url, data)
    assert response.status_code == 409
    assert "Ktoś zmienił" in response.get_data(as_text=True)


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_publishes_the_schema_of_its_public_fields(staff_app, layer):
    schema = staff_app.test_client().get(f"/api/layers/{layer}/schema").get_json()
    spec = spec_of(staff_app, layer)
    public = {f.name for f in spec.all_fields if f.public}
    assert set(schema["properties"]) == public
    assert "data_source" not in schema["properties"]
    for spec_field in spec.all_fields:
        if spec_field.kind == "int" and spec_field.public:
            assert schema["properties"][spec_field.name]["type"] == "integer"
            assert schema["properties"][spec_field.name]["maximum"] > 0


def test_an_unknown_layer_has_no_schema(staff_app):
    assert staff_app.test_client().get("/api/layers/casinos/schema").status_code == 404


def test_history_reads_as_text_and_reordering_is_no_change(staff_app):
    feature_id, _ = new_feature(
        staff_app,
        "day_centres",
        target_groups=["seniors", "homeless"],
        opening_hours={"mon": [["08:00", "16:00"]]},
    )
    client = client_as(staff_app, "planner")
    edit_url = f"/wroclaw/layers/day_centres/{feature_id}/edit"
    form = {
        **valid_form(spec_of(staff_app, "day_centres")),
        "version": "1",
        "target_groups": ["homeless", "seniors"],  # the same groups, reordered
        "opening_hours-mon": "08:00-16:00",
        "opening_hours-tue": "10:00-12:00",
    }
    assert submit(client, edit_url, form).status_code == 303
    history = client.get(f"/wroclaw/layers/day_centres/{feature_id}/history")
    text = history.get_data(as_text=True)
    assert "wt. 10:00–12:00" in text  # hours in words, not {'tue': …}
    assert "[[" not in text and "{&#39;" not in text
    newest = text.split('class="history"')[1].split("</li>")[0]
    assert "Grupy docelowe" not in newest  # reordering the groups changed nothing
