"""Open Referral HSDS 3.0: the finder's public services, valid against the standard.

The JSON Schemas are read from ``../shared/standards/hsds-3.0/schema`` (never copied
here) and their ``$ref``s resolved locally with ``referencing``. The standard's own
examples are validated first, so a validator that accepts anything fails loudly.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import NADODRZE, PROJECT_ROOT, client_as, new_feature
from webgis.finder import hsds
from webgis.web.views.hsds import openapi_paths

STANDARD = PROJECT_ROOT.parent / "shared" / "standards" / "hsds-3.0"
BASE = "https://hsds.schemas.test/"
LISTS = {
    "services": "service",
    "organizations": "organization",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
    "service_at_locations": "service_at_location",
}
EXAMPLES = {
    "service_full.json": "service",
    "organization_full.json": "organization",
    "location.json": "location",
    "service_at_location_full.json": "service_at_location",
}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# -- validating against the standard's own files -------------------------------------


def _checker() -> FormatChecker:
    """The format checks of jsonschema, with date-time and URI checked too."""
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value) -> bool:
        return not isinstance(value, str) or bool(
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        )

    @checker.checks("uri", raises=ValueError)
    def _uri(value) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and (parts.netloc or parts.path))

    return checker


@pytest.fixture(scope="module")
def schemas() -> dict:
    """Each HSDS object's schema by name, as the standard's files give them."""
    folder = STANDARD / "schema"
    if not folder.is_dir():
        pytest.fail(f"HSDS 3.0 schemas not found in {folder}", pytrace=False)
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.json"))
        if path.name != "openapi.json"
    }


@pytest.fixture(scope="module")
def validate(schemas):
    """``validate(record, "service")`` raises ValidationError naming what is wrong."""
    registry = Registry().with_resources(
        (BASE + f"{name}.json", Resource.from_contents(schema, DRAFT202012))
        for name, schema in schemas.items()
    )
    checker = _checker()

    def check(record: dict, name: str) -> None:
        validator = Draft202012Validator(
            {"$ref": BASE + f"{name}.json"}, registry=registry, format_checker=checker
        )
        validator.validate(record)

    return check


@pytest.mark.parametrize(("example", "name"), EXAMPLES.items())
def test_the_standards_examples_pass_the_validator(validate, example, name):
    validate(json.loads((STANDARD / "examples" / example).read_text()), name)


@pytest.mark.parametrize(
    ("broken", "name"),
    [
        ({"name": "Bez identyfikatora", "status": "active"}, "service"),
        ({"id": str(uuid.uuid4()), "name": "Zły stan", "status": "open"}, "service"),
        ({"id": "not-a-uuid", "name": "X", "description": ""}, "organization"),
        (
            {
                "id": str(uuid.uuid4()),
                "name": "Nested",
                "status": "active",
                "phones": [{"id": str(uuid.uuid4())}],  # a phone needs its number
            },
            "service",
        ),
        (
            {
                "id": str(uuid.uuid4()),
                "location": {"id": str(uuid.uuid4()), "location_type": "somewhere"},
            },
            "service_at_location",
        ),
    ],
)
def test_the_validator_refuses_what_breaks_the_standard(validate, broken, name):
    with pytest.raises(ValidationError):
        validate(broken, name)


# -- the API --------------------------------------------------------------------------


def _all(client, name: str, **query) -> list[dict]:
    response = client.get(f"/hsds/{name}", query_string={"per_page": 1000, **query})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["total_items"] == len(body["contents"])
    return body["contents"]


@pytest.mark.parametrize("name", LISTS)
def test_every_listed_record_validates(client, validate, name):
    records = _all(client, name, full="true")
    assert records, name
    for record in records:
        validate(record, LISTS[name])


@pytest.mark.parametrize("name", LISTS)
def test_every_record_by_id_validates(client, validate, name):
    for listed in _all(client, name):
        response = client.get(f"/hsds/{name}/{listed['id']}")
        assert response.status_code == 200
        record = response.get_json()
        validate(record, LISTS[name])
        assert record["id"] == listed["id"]


def test_demo_services_carry_their_organisation_schedule_phone_and_terms(
    client, validate
):
    services = _all(client, "services", full="true")
    ids = {s["id"] for s in services}
    assert len(ids) == len(services)
    assert all(UUID.match(i) for i in ids)
    mops = [
        s for s in services if s.get("organization", {}).get("name") == "MOPS Kraków"
    ]
    assert mops
    scheduled = [s for s in services if s["schedules"]]
    assert scheduled
    for service in scheduled:
        for schedule in service["schedules"]:
            assert schedule["freq"] == "WEEKLY"
            assert re.fullmatch(
                r"(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*", schedule["byday"]
            )
    assert any(s["phones"] for s in services)
    assert any(s["attributes"] for s in services)
    located = [sal["location"] for s in services for sal in s["service_at_locations"]]
    assert all(-90 <= loc["latitude"] <= 90 for loc in located)
    assert any(loc["addresses"] for loc in located)


def test_an_organisation_lists_the_services_it_runs(client, validate):
    for organisation in _all(client, "organizations"):
        detail = client.get(f"/hsds/organizations/{organisation['id']}").get_json()
        validate(detail, "organization")
        assert detail["services"]
        for service in detail["services"]:
            validate(service, "service")
            assert service["organization_id"] == organisation["id"]


def test_services_filter_by_organisation_term_taxonomy_and_text(client):
    services = _all(client, "services", full="true")
    organisation = services[0]["organization_id"]
    mine = _all(client, "services", organization_id=organisation)
    assert mine and all(s["organization_id"] == organisation for s in mine)
    attribute = next(a for s in services for a in s["attributes"])
    by_term = _all(client, "services", taxonomy_term_id=attribute["taxonomy_term_id"])
    assert attribute["link_id"] in {s["id"] for s in by_term}
    by_taxonomy = _all(
        client,
        "services",
        taxonomy_id=attribute["taxonomy_term"]["taxonomy_id"],
    )
    assert len(by_taxonomy) >= len(by_term)
    found = _all(client, "services", search="ugorek")
    assert [s["name"] for s in found] == [
        s["name"] for s in services if "Ugorek" in s["name"] + s.get("description", "")
    ]
    assert _all(client, "services", organization_id=str(uuid.uuid4())) == []


def test_taxonomy_terms_carry_all_three_labels_and_the_readers_language(client):
    terms = _all(client, "taxonomy_terms")
    assert all(
        t["description"].startswith("pl: ") and " | en: " in t["description"]
        for t in terms
    )
    assert {t["language"] for t in terms} == {"pl"}
    english = client.get("/hsds/taxonomy_terms?per_page=1000&lang=en").get_json()
    by_id = {t["id"]: t for t in terms}
    changed = [t for t in english["contents"] if t["name"] != by_id[t["id"]]["name"]]
    assert changed and all(t["language"] == "en" for t in english["contents"])


def test_ids_stay_the_same_from_one_request_to_the_next(client):
    assert _all(client, "services") == _all(client, "services")
    assert hsds.record_id("service", "wroclaw", 7) == hsds.record_id(
        "service", "wroclaw", 7
    )
    assert hsds.record_id("service", "wroclaw", 7) != hsds.record_id(
        "service", "krakow", 7
    )


# -- paging and errors ----------------------------------------------------------------


def test_pages_cover_every_record_once(client):
    everything = [s["id"] for s in _all(client, "services")]
    first = client.get("/hsds/services?per_page=5").get_json()
    assert first["total_items"] == len(everything)
    assert first["total_pages"] == -(-len(everything) // 5)
    assert first["first_page"] and not first["last_page"] and first["size"] == 5
    seen = []
    for number in range(1, first["total_pages"] + 1):
        body = client.get(f"/hsds/services?per_page=5&page={number}").get_json()
        assert body["page_number"] == number
        seen += [s["id"] for s in body["contents"]]
    assert body["last_page"]
    assert seen == everything
    beyond = client.get(f"/hsds/services?per_page=5&page={number + 1}").get_json()
    assert beyond["empty"] and beyond["contents"] == []


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=abc",
        "page=%C2%B2",
        "per_page=0",
        "per_page=1001",
        "per_page=99999999999999999999",
        "full=maybe",
        "format=ndjson",
        "modified_after=yesterday",
    ],
)
def test_a_parameter_that_cannot_be_used_is_a_json_400(client, query):
    response = client.get(f"/hsds/services?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400


def test_modified_after_leaves_out_older_services(client):
    assert _all(client, "services", modified_after="2999-01-01T00:00:00Z") == []
    assert len(_all(client, "services", modified_after="2000-01-01")) == len(
        _all(client, "services")
    )


def test_modified_after_reads_the_time_zone_it_is_given(client):
    newest = max(_all(client, "services"), key=lambda s: s["last_modified"])
    changed = datetime.fromisoformat(newest["last_modified"][:19])  # UTC

    def in_warsaw_summer(moment: datetime) -> str:
        return (moment + timedelta(hours=2)).isoformat() + "+02:00"

    def ids_after(moment: datetime) -> set[str]:
        found = _all(client, "services", modified_after=in_warsaw_summer(moment))
        return {s["id"] for s in found}

    assert newest["id"] in ids_after(changed - timedelta(hours=1))
    assert newest["id"] not in ids_after(changed + timedelta(hours=1))


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    "wanted", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"]
)
def test_an_unknown_id_is_a_json_404(client, name, wanted):
    response = client.get(f"/hsds/{name}/{wanted}")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


# -- what never leaves the server -----------------------------------------------------


@pytest.fixture(scope="module")
def hidden(staff_app) -> dict:
    """Features the public must not see in HSDS, each with a word of its own."""
    words = {
        key: f"zz{key}{uuid.uuid4().hex[:8]}"
        for key in ("draft", "need", "contact", "source", "archived", "operator")
    }
    new_feature(
        staff_app,
        name=f"Szkic {words['draft']}",
        status="draft",
        operator=f"Fundacja {words['operator']}",
    )
    new_feature(
        staff_app,
        "needs_resources",
        title=f"Potrzeba {words['need']}",
        kind="need",
        public=True,
    )
    resource, _ = new_feature(
        staff_app,
        "needs_resources",
        title="Zasób z kontaktem bez zgody",
        kind="resource",
        contact=f"Jan {words['contact']} 600 100 200",
        data_source=f"notatka {words['source']}",
    )
    archived, _ = new_feature(
        staff_app, name=f"Archiwum {words['archived']}", status="archived"
    )
    return {"words": words, "resource": resource}


def _everything(client) -> str:
    """Every HSDS answer, nested in full, and the data package, as one text."""
    texts = []
    for name in LISTS:
        for record in _all(client, name, full="true", full_service="true"):
            texts.append(json.dumps(record, ensure_ascii=False))
            detail = client.get(f"/hsds/{name}/{record['id']}?full_service=true")
            texts.append(detail.get_data(as_text=True))
    archive = zipfile.ZipFile(io.BytesIO(client.get("/hsds/datapackage.zip").data))
    texts += [archive.read(name).decode("utf-8") for name in archive.namelist()]
    return "\n".join(texts)


def test_drafts_needs_and_non_public_fields_never_appear(staff_app, hidden):
    text = _everything(staff_app.test_client())
    assert "Zasób z kontaktem bez zgody" in text  # the resource itself is public
    for key, word in hidden["words"].items():
        assert word not in text, key


def test_staff_get_exactly_what_the_public_gets(staff_app, hidden):
    public = _all(staff_app.test_client(), "services", full="true")
    assert _all(client_as(staff_app, "planner"), "services", full="true") == public


# -- the tabular data package ---------------------------------------------------------


@pytest.fixture(scope="module")
def package(demo_app) -> tuple[dict, dict[str, list[dict]], list[str]]:
    """The descriptor, each resource's rows, and each CSV's header."""
    response = demo_app.test_client().get("/hsds/datapackage.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    descriptor = json.loads(archive.read("datapackage.json"))
    rows, headers = {}, {}
    for resource in descriptor["resources"]:
        text = archive.read(resource["path"]).decode("utf-8")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows[resource["name"]] = list(reader)
        headers[resource["name"]] = reader.fieldnames
    assert sorted(archive.namelist()) == sorted(
        ["datapackage.json", *(r["path"] for r in descriptor["resources"])]
    )
    return descriptor, rows, headers


def _valid_cell(value: str, declared: dict) -> bool:
    kind, fmt = declared["type"], declared.get("format", "default")
    if kind == "string" and fmt == "uuid":
        return bool(UUID.match(value))
    if kind == "string" and fmt == "email":
        return "@" in value
    if kind == "string" and fmt == "uri":
        return value.startswith(("http://", "https://"))
    if kind == "number":
        return float(value) == float(value)
    if kind == "date":
        return bool(date.fromisoformat(value))
    if kind in ("datetime", "time"):
        pattern = fmt if fmt.startswith("%") else None
        assert pattern, declared
        return bool(datetime.strptime(value, pattern))
    return kind == "string"


def test_each_csv_matches_its_table_schema(package):
    descriptor, rows, headers = package
    assert descriptor["profile"] == "tabular-data-package"
    ids = {name: {row["id"] for row in found} for name, found in rows.items()}
    for resource in descriptor["resources"]:
        name, schema = resource["name"], resource["schema"]
        fields = {f["name"]: f for f in schema["fields"]}
        assert headers[name] == list(fields), name
        assert len(ids[name]) == len(rows[name]), f"{name}: ids repeat"
        for number, row in enumerate(rows[name], start=2):
            for column, value in row.items():
                declared = fields[column]
                if not value:
                    assert not declared.get("constraints", {}).get("required"), (
                        name,
                        number,
                        column,
                    )
                    continue
                assert _valid_cell(value, declared), (name, number, column, value)
                allowed = declared.get("constraints", {}).get("enum")
                assert allowed is None or value in allowed
        for key in schema["foreignKeys"]:
            (column,) = key["fields"]
            target = key["reference"]["resource"]
            for row in rows[name]:
                assert not row[column] or row[column] in ids[target], (name, column)
    assert rows["service"] and rows["organization"] and rows["taxonomy_term"]


def test_each_table_is_an_hsds_object_with_its_paths_and_columns(package, schemas):
    descriptor, _rows, _headers = package
    assert {r["name"] for r in descriptor["resources"]} <= set(schemas)
    json_types = {"number": "number", "date": "string", "datetime": "string"}
    for resource in descriptor["resources"]:
        schema = schemas[resource["name"]]
        assert resource["path"] == schema["path"]
        for field in resource["schema"]["fields"]:
            declared = schema["properties"][field["name"]]
            assert declared["type"] == json_types.get(field["type"], "string"), field
            if declared.get("format") in ("uuid", "email", "uri"):
                assert field.get("format") == declared["format"], field
        columns = {f["name"] for f in resource["schema"]["fields"]}
        assert set(schema.get("required", [])) <= columns, resource["name"]
        assert set(schema.get("tabular_required", [])) <= columns, resource["name"]


def test_the_package_holds_what_the_api_serves(client, package):
    _descriptor, rows, _headers = package
    assert {r["id"] for r in rows["service"]} == {
        s["id"] for s in _all(client, "services")
    }
    assert {r["id"] for r in rows["organization"]} == {
        o["id"] for o in _all(client, "organizations")
    }


# -- pure functions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("polski", "pl"),
        ("Ukraiński", "uk"),
        ("English", "en"),
        ("українська", "uk"),
        ("polski język migowy", "pso"),
        ("PJM", "pso"),
        ("rosyjski", "ru"),
        ("niemiecki", "de"),
        ("klingoński", None),
    ],
)
def test_languages_get_their_iso_codes_where_recognisable(written, code):
    assert hsds.language_code(written) == code


def _entry(**properties) -> hsds.Entry:
    from types import SimpleNamespace

    from layers import FieldSpec, LayerSpec

    spec = LayerSpec(
        "rooms",
        "Sale",
        "Point",
        fields=(
            FieldSpec("name", "Nazwa", role="title"),
            FieldSpec("hours", "Godziny", "hours"),
            FieldSpec("languages", "Języki", role="languages"),
        ),
    )
    service = SimpleNamespace(
        id=7, properties=properties, roles={"languages": properties.get("languages")}
    )
    return hsds.Entry("wroclaw", "Wrocław", service, spec)


def test_opening_hours_become_weekly_schedules_grouped_by_interval():
    entry = _entry(
        hours={
            "mon": [["08:00", "12:00"], ["13:00", "16:00"]],
            "tue": [["08:00", "12:00"]],
            "sat": [["20:00", "24:00"]],
        }
    )
    schedules = {
        (s["byday"], s["opens_at"], s["closes_at"])
        for s in hsds.schedule_records(entry)
    }
    assert schedules == {
        ("MO,TU", "08:00", "12:00"),
        ("MO", "13:00", "16:00"),
        ("SA", "20:00", "23:59"),  # iCalendar has no 24:00
    }


def test_free_text_languages_become_one_record_each():
    entry = _entry(languages="polski, ukraiński i angielski; PJM")
    records = hsds.language_records(entry)
    assert [(r["name"], r.get("code")) for r in records] == [
        ("polski", "pl"),
        ("ukraiński", "uk"),
        ("angielski", "en"),
        ("PJM", "pso"),
    ]


def test_the_openapi_paths_name_every_hsds_route(demo_app):
    paths = openapi_paths()
    rules = {
        re.sub(r"<(?:\w+:)?\w+>", "{id}", rule.rule)
        for rule in demo_app.url_map.iter_rules()
        if rule.endpoint.startswith("hsds.")
    }
    assert set(paths) == rules
    for path, item in paths.items():
        responses = item["get"]["responses"]
        assert "200" in responses, path
        if "{id}" in path:
            assert "404" in responses, path


def test_a_service_with_accessibility_terms_describes_its_place(staff_app, validate):
    word = f"zz{uuid.uuid4().hex[:8]}"
    new_feature(
        staff_app,
        name=f"Dostępna {word}",
        accessibility=["step_free_entrance", "accessible_toilet"],
        languages="polski, ukraiński",
        opening_hours={"mon": [["08:00", "16:00"]]},
        phone="71 123 45 67",
    )
    client = staff_app.test_client()
    (found,) = _all(client, "services", search=word, full="true")
    validate(found, "service")
    location = found["service_at_locations"][0]["location"]
    assert [a["description"] for a in location["accessibility"]] == [
        "Wejście bez schodów i progów",
        "Toaleta dostępna dla osób z niepełnosprawnościami",
    ]
    assert {a["taxonomy_term"]["code"] for a in location["attributes"]} == {
        "step_free_entrance",
        "accessible_toilet",
    }
    assert [(lang["name"], lang["code"]) for lang in found["languages"]] == [
        ("polski", "pl"),
        ("ukraiński", "uk"),
    ]
    assert found["phones"][0]["number"] == "+48711234567"  # E.164
    assert found["schedules"][0]["byday"] == "MO"
    assert NADODRZE.y == pytest.approx(location["latitude"], abs=1e-5)
