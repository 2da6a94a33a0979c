"""The public API says what it offers, in an OpenAPI document its answers keep to.

Schemathesis reads the app's own document, generates requests for every operation
(valid ones, and invalid ones where an operation takes parameters) and checks the
answers through the WSGI interface: never a server error, always what the document
promises (status, content type, headers, body schema).
"""

from __future__ import annotations

import sys
import time
import types

import pytest
import schemathesis
from flask import Blueprint
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_app
from webgis.database import init_db
from webgis.web import openapi

#: Cases per operation and generation mode: enough to vary the city, the
#: conditional headers and invalid values, few enough for well under a minute.
EXAMPLES = 20
#: No server error, and every answer as documented: its status, content type,
#: headers and body.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _document(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_openapi_document_is_valid_openapi_3(demo_app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", demo_app)
    schema.validate()
    assert schema.raw_schema["openapi"].startswith("3.0.")


def test_every_public_json_endpoint_under_api_is_documented(demo_app):
    paths = set(_document(demo_app.test_client())["paths"])
    layers = list(demo_app.extensions["webgis.layers"])
    missing = []
    for rule in demo_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint == "api.index":
            continue
        path = rule.rule.replace("<city_code>", "{city}").replace(
            "<int:feature_id>", "{id}"
        )
        expanded = (
            [path.replace("<layer_key>", key) for key in layers]
            if "<layer_key>" in path
            else [path]
        )
        missing += [p for p in expanded if p not in paths]
    assert missing == []


def test_each_layer_is_documented_with_its_public_fields_only(demo_app):
    paths = _document(demo_app.test_client())["paths"]
    for key, spec in demo_app.extensions["webgis.layers"].items():
        answer = paths[f"/api/{{city}}/layers/{key}"]["get"]["responses"]["200"]
        collection = answer["content"]["application/geo+json"]["schema"]
        feature = collection["properties"]["features"]["items"]
        properties = feature["properties"]["properties"]
        public = {f.name for f in spec.all_fields if f.public}
        internal = {f.name for f in spec.all_fields if not f.public}
        assert public <= set(properties["properties"])
        assert not internal & set(properties["properties"])
        # Anything else in an answer is a schema violation, not a quiet leak.
        assert properties["additionalProperties"] is False


def test_city_parameter_lists_the_installations_cities(demo_app):
    operation = _document(demo_app.test_client())["paths"]["/api/{city}/units"]["get"]
    city = next(p for p in operation["parameters"] if p["name"] == "city")
    assert sorted(city["schema"]["enum"]) == ["krakow", "wroclaw"]


def _run(operation, mode: GenerationMode) -> list[int]:
    """Generate cases of ``operation`` and check each answer; their statuses."""
    statuses = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        # The WSGI client does not decompress; compression has its own tests.
        response = case.call(headers={"Accept-Encoding": "identity"})
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    check()
    return statuses


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_schema(demo_app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", demo_app)
    failures, checked, started = [], [], time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        modes = [GenerationMode.POSITIVE]
        if list(operation.iter_parameters()):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                statuses = _run(operation, mode)
            except Unsatisfiable:
                continue  # no value of its parameters is invalid (any text is)
            # Schemathesis's failures are a BaseExceptionGroup; all are reported.
            except (Exception, BaseExceptionGroup) as failure:
                failures.append(f"{operation.label} ({mode.value}): {failure}")
            else:
                checked.append((operation.label, mode.value, sorted(set(statuses))))
    print(f"{len(checked)} runs passed in {time.monotonic() - started:.1f} s")
    assert failures == [], "\n\n".join(failures)
    labels = {label for label, _mode, _statuses in checked}
    assert {"GET /api/cities", "GET /api/{city}/units"} <= labels


# -- the builder -----------------------------------------------------------------------


def _module_with_paths(name: str, paths: dict, monkeypatch) -> Blueprint:
    """A views module exposing ``openapi_paths``, as an API module of the app."""
    module = types.ModuleType(name)
    module.__file__ = __file__
    module.openapi_paths = lambda: paths
    monkeypatch.setitem(sys.modules, name, module)
    return Blueprint(name.rsplit(".", 1)[-1], name)


@pytest.fixture
def bare_app(tmp_path):
    """An app on an empty SQLite database; tests may register blueprints on it."""
    app = make_app(f"sqlite:///{tmp_path / 'bare.sqlite'}")
    with app.app_context():
        init_db()
    return app


OTHER_PATHS = {
    "/other/things": {
        "get": {
            "summary": "<script>alert(1)</script> Rzeczy",
            "responses": {"200": {"description": "Rzeczy."}},
        }
    }
}


def test_a_blueprint_module_with_openapi_paths_is_documented(bare_app, monkeypatch):
    bare_app.register_blueprint(
        _module_with_paths("webgis_test_other", OTHER_PATHS, monkeypatch)
    )
    paths = _document(bare_app.test_client())["paths"]
    assert paths["/other/things"] == OTHER_PATHS["/other/things"]
    assert "/api/cities" in paths


def test_two_modules_describing_one_operation_is_refused(bare_app, monkeypatch):
    clash = {"/api/cities": {"get": {"responses": {"200": {"description": "x"}}}}}
    bare_app.register_blueprint(
        _module_with_paths("webgis_test_clash", clash, monkeypatch)
    )
    with bare_app.test_request_context("/api/openapi.json"):
        with pytest.raises(openapi.DocumentConflict, match="GET /api/cities"):
            openapi.document()


def test_modules_may_add_methods_to_a_path_another_documents():
    paths = {"/x": {"get": {"responses": {}}}}
    openapi.merge_paths(paths, {"/x": {"head": {"responses": {}}}}, "other")
    assert set(paths["/x"]) == {"get", "head"}


def test_a_city_free_installation_has_a_valid_city_parameter(bare_app):
    document = _document(bare_app.test_client())
    city = document["paths"]["/api/{city}/units"]["get"]["parameters"][0]
    # An empty enum is not valid OpenAPI; without cities any code is a 404.
    assert city["schema"] == {"type": "string"}
    schemathesis.openapi.from_dict(document).validate()


# -- the page for people ---------------------------------------------------------------


def test_api_page_lists_operations_in_polish_and_links_the_document(client):
    response = client.get("/api/")
    page = response.get_data(as_text=True).replace("<wbr>", "")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Publiczne API" in page
    assert 'href="/api/openapi.json"' in page
    assert 'href="/api/cities"' in page
    assert "/api/{city}/units" in page
    assert 'href="/api/wroclaw/units"' in page


def test_api_page_escapes_what_modules_describe(bare_app, monkeypatch):
    bare_app.register_blueprint(
        _module_with_paths("webgis_test_hostile", OTHER_PATHS, monkeypatch)
    )
    page = bare_app.test_client().get("/api/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Rzeczy" in page
