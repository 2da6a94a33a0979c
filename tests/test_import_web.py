"""The import wizard on the web: upload, preview and mapping, import; who may use it."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import openpyxl
import pytest

from tests import test_import
from tests.conftest import PASSWORD, csrf_token, log_in
from tests.test_import import CENTRE, SOUTH, centre, organiser_of, stored

# The importer's own fixtures: a planner, and a new small city per test.
imports_app = test_import.imports_app
city = test_import.city

PLANNER = "planista-imp@test.invalid"


def signed_in(app, email=PLANNER):
    client = app.test_client()
    assert log_in(client, email, PASSWORD).status_code == 303
    return client


def csv_bytes(rows) -> bytes:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def upload(client, code, data: bytes, name="plik.csv", layer="day_centres"):
    token = csrf_token(client, f"/{code}/import/")
    return client.post(
        f"/{code}/import/",
        data={"csrf_token": token, "layer": layer, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def text(response) -> str:
    page = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def uploads(app) -> list[Path]:
    folder = Path(app.instance_path) / "imports"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def import_form(page: str) -> dict:
    """The hidden fields of the import form, as the browser would send them."""
    form = page[page.index('<form method="post" class="stack">') :]
    form = form[: form.index("</form>")]
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return fields


def test_upload_preview_then_import_as_drafts(imports_app, city):
    client = signed_in(imports_app)
    sent = upload(
        client, city, csv_bytes([CENTRE + ["target_groups"], centre() + ["seniors"]])
    )
    assert sent.status_code == 303
    preview = client.get(sent.location)
    page = text(preview)
    assert preview.status_code == 200
    assert "Wierszy w pliku: 1 · do zapisania: 1 · duplikaty: 0 · problemy: 0" in page
    # the first rows as they will be saved: labels, not keys
    assert "Dzienny Dom Pomocy (DDP)" in page and "Osoby starsze (seniorzy)" in page
    fields = import_form(preview.get_data(as_text=True))
    done = client.post(sent.location, data=fields)
    assert done.status_code == 303 and done.location.endswith(
        f"/{city}/layers/day_centres/"
    )
    listing = text(client.get(done.location))
    assert "Zaimportowano z pliku plik.csv: 1 obiektów" in listing
    assert "Świetlica Północ" in listing
    assert stored(imports_app, city)["Świetlica Północ"]["_status"] == "draft"
    # the uploaded file is gone, and its address with it
    assert not any(p.name in sent.location for p in uploads(imports_app))
    assert client.get(sent.location).status_code == 404


def test_preview_names_problems_and_offers_no_import(imports_app, city):
    client = signed_in(imports_app)
    sent = upload(
        client, city, csv_bytes([CENTRE, centre(), centre("Zły", "nieznany")])
    )
    page = client.get(sent.location).get_data(as_text=True)
    assert (
        "<td>3</td><td>facility_type</td><td>Nieznane wartości: nieznany.</td>" in page
    )
    assert 'class="stack"' not in page  # no import button
    # posting anyway writes nothing and shows the problems again
    token = csrf_token(client, f"/{city}/import/")
    refused = client.post(sent.location, data={"csrf_token": token})
    assert refused.status_code == 422 and "Nic nie zostało zapisane" in text(refused)
    assert stored(imports_app, city) == {}


def test_a_column_mapped_differently_fixes_the_preview(imports_app, city):
    client = signed_in(imports_app)
    header = ["Nazwa", "rodzaj", "Prowadzący", "lon", "lat"]
    sent = upload(client, city, csv_bytes([header, centre()]))
    first = text(client.get(sent.location))
    assert (
        "facility_type" not in first and "Typ placówki To pole jest wymagane." in first
    )
    mapping = {
        "mapped": "1",
        "map-0": "name",
        "map-1": "facility_type",
        "map-2": "operator",
        "map-3": "place:lon",
        "map-4": "place:lat",
    }
    fixed = client.get(sent.location, query_string=mapping)
    assert "problemy: 0" in text(fixed)
    done = client.post(sent.location, data=import_form(fixed.get_data(as_text=True)))
    assert done.status_code == 303
    assert stored(imports_app, city)["Świetlica Północ"]["facility_type"] == "ddp"


def test_duplicates_are_shown_and_may_update(imports_app, city):
    client = signed_in(imports_app)
    done = upload(client, city, csv_bytes([CENTRE, centre(operator="Stary")]))
    page = client.get(done.location).get_data(as_text=True)
    client.post(done.location, data=import_form(page))
    again = upload(client, city, csv_bytes([CENTRE, centre(operator="Nowy")]))
    preview = client.get(again.location)
    assert "Duplikaty" in text(preview) and "0 m" in text(preview)
    form = {**import_form(preview.get_data(as_text=True)), "duplicates": "update"}
    assert client.post(again.location, data=form).status_code == 303
    assert stored(imports_app, city)["Świetlica Północ"]["operator"] == "Nowy"


def test_a_workbook_sheet_is_chosen_in_the_preview(imports_app, city):
    book = openpyxl.Workbook()
    book.active.title = "Inne"
    for row in (["name", "operator"], ["Bez miejsca", "X"]):
        book.active.append(row)
    data = book.create_sheet("Dane")
    for row in (CENTRE, centre()):
        data.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    client = signed_in(imports_app)
    sent = upload(client, city, buffer.getvalue(), name="arkusz.xlsx")
    first = client.get(sent.location)
    assert "Brak miejsca" in text(first) and '<option value="Dane">' in first.text
    chosen = client.get(sent.location, query_string={"part": "Dane"})
    assert "problemy: 0" in text(chosen)
    missing = client.get(sent.location, query_string={"part": "Brak"})
    assert missing.status_code == 422 and "nie ma arkusza „Brak”" in text(missing)


def test_hostile_choices_in_the_preview_are_ignored(imports_app, city):
    client = signed_in(imports_app)
    sent = upload(client, city, csv_bytes([CENTRE, centre()]), name="<b>plik</b>.csv")
    hostile = "<script>alert(1)</script>"
    for query in (
        {"mapped": "1", "map-0": hostile, "map-99": "name", "part": "../../etc"},
        {"publish": hostile, "duplicates": hostile},
    ):
        page = client.get(sent.location, query_string=query)
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<b>plik" not in page.text
    upload_page = client.get(f"/{city}/import/", query_string={"layer": hostile})
    assert upload_page.status_code == 200 and "<script>alert" not in upload_page.text


def test_an_organisers_rows_outside_their_areas_are_refused(imports_app, city):
    client = signed_in(imports_app, organiser_of(imports_app, city))
    sent = upload(client, city, csv_bytes([CENTRE, centre(point=SOUTH)]))
    assert "Poza Twoimi obszarami." in text(client.get(sent.location))


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "pusty.csv", "jest pusty"),
        (b"abc", "dane.ods", "przyjmujemy CSV"),
        (b"PK\x05\x06" + b"\0" * 18, "warstwa.zip", "nie zawiera pliku .shp"),
    ],
    ids=["empty", "unknown format", "zip without shp"],
)
def test_a_bad_file_is_refused_on_the_upload_page(
    imports_app, city, data, name, message
):
    client = signed_in(imports_app)
    before = uploads(imports_app)
    refused = upload(client, city, data, name=name)
    assert refused.status_code == 422 and message in text(refused)
    assert uploads(imports_app) == before


def test_an_upload_without_a_file_or_layer_is_refused(imports_app, city):
    client = signed_in(imports_app)
    token = csrf_token(client, f"/{city}/import/")
    refused = client.post(
        f"/{city}/import/", data={"csrf_token": token, "layer": "day_centres"}
    )
    assert refused.status_code == 422
    assert "Wybierz warstwę i plik do wczytania." in text(refused)


def test_a_file_over_the_upload_limit_is_413_and_nothing_is_kept(imports_app, city):
    client = signed_in(imports_app)
    token = csrf_token(client, f"/{city}/import/")
    before = uploads(imports_app)
    imports_app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        refused = client.post(
            f"/{city}/import/",
            data={
                "csrf_token": token,
                "layer": "day_centres",
                "file": (io.BytesIO(b"x" * 10_000), "duzy.csv"),
            },
            content_type="multipart/form-data",
        )
    finally:
        imports_app.config["MAX_CONTENT_LENGTH"] = 50 * 2**20
    assert refused.status_code == 413 and "większe niż dozwolone 0 MB" in text(refused)
    assert uploads(imports_app) == before


def test_an_upload_without_a_csrf_token_is_refused(imports_app, city):
    client = signed_in(imports_app)
    refused = client.post(
        f"/{city}/import/",
        data={"layer": "day_centres", "file": (io.BytesIO(b"a,b\n1,2\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400


def test_an_import_without_a_csrf_token_writes_nothing(imports_app, city):
    client = signed_in(imports_app)
    sent = upload(client, city, csv_bytes([CENTRE, centre()]))
    fields = import_form(client.get(sent.location).get_data(as_text=True))
    for token in ("", "forged"):
        refused = client.post(sent.location, data={**fields, "csrf_token": token})
        assert refused.status_code == 400
    assert stored(imports_app, city) == {}


def test_only_the_uploader_may_use_an_upload(imports_app, city):
    sent = upload(signed_in(imports_app), city, csv_bytes([CENTRE, centre()]))
    other = signed_in(imports_app, organiser_of(imports_app, city))
    assert other.get(sent.location).status_code == 404
    assert (
        other.post(
            sent.location, data={"csrf_token": csrf_token(other, f"/{city}/import/")}
        ).status_code
        == 404
    )


@pytest.mark.parametrize("token", ["x" * 32, "..%2F..%2Fetc", "a" * 31, "%2e%2e"])
def test_an_unknown_or_made_up_token_is_404(imports_app, city, token):
    assert signed_in(imports_app).get(f"/{city}/import/{token}").status_code == 404


def test_only_a_token_names_an_upload(imports_app, city):
    client = signed_in(imports_app)
    sent = upload(client, city, csv_bytes([CENTRE, centre()]))
    folder = next(p for p in uploads(imports_app) if p.name in sent.location)
    folder.rename(folder.with_name("not-a-token"))
    assert client.get(f"/{city}/import/not-a-token").status_code == 404


def test_an_upload_left_for_a_day_is_removed(imports_app, city):
    client = signed_in(imports_app)
    old = upload(client, city, csv_bytes([CENTRE, centre()]))
    folder = next(p for p in uploads(imports_app) if p.name in old.location)
    day_ago = time.time() - 25 * 3600
    os.utime(folder, (day_ago, day_ago))
    upload(client, city, csv_bytes([CENTRE, centre()]))
    assert not folder.exists()
    assert client.get(old.location).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(imports_app, city):
    client = imports_app.test_client()
    for url in (f"/{city}/import/", f"/{city}/import/template/day_centres.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


def test_the_template_downloads_for_staff(imports_app, city):
    response = signed_in(imports_app).get(f"/{city}/import/template/day_centres.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.worksheets[0]["A1"].value == "Nazwa *"
    assert (
        signed_in(imports_app).get(f"/{city}/import/template/benches.xlsx").status_code
        == 404
    )


def test_the_layer_list_links_to_the_import_for_staff_only(imports_app, city):
    url = f"/{city}/layers/day_centres/"
    link = f"/{city}/import/?layer=day_centres"
    assert link in signed_in(imports_app).get(url).get_data(as_text=True)
    assert link not in imports_app.test_client().get(url).get_data(as_text=True)
