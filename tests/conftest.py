"""Shared fixtures: apps on SQLite and PostgreSQL/PostGIS, small boundary files."""

from __future__ import annotations

import json
import os
import re
import threading
import tomllib
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import geopandas as gpd
import pytest
import sqlalchemy as sa
from shapely.geometry import Point, box

from webgis import create_app
from webgis.core.extensions import db
from webgis.database import init_db
from webgis.demo import load_demo


@contextmanager
def served(wsgi_app):
    """``wsgi_app`` served by a real WSGI server on a free local port: its address."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


PROJECT_ROOT = Path(__file__).resolve().parents[1]
BOUNDARIES_DIR = Path(
    os.environ.get(
        "WEBGIS_BOUNDARIES_DIR", PROJECT_ROOT.parent / "shared" / "boundaries"
    )
)
POSTGRES_URL = os.environ.get("WEBGIS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]
#: Headless Chromium from Debian, as every browser test runs it.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, one per test module that asks for it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _postgres_schema_url(schema: str) -> str:
    """A URL whose tables live in their own schema (PostGIS stays in public)."""
    if not POSTGRES_URL:
        pytest.skip("WEBGIS_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)")
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        # Extensions live in public, where every test schema's search path finds
        # them; made in a test schema, they would go when it is dropped.
        for extension in ("postgis", "pg_trgm"):
            connection.exec_driver_sql(
                f"CREATE EXTENSION IF NOT EXISTS {extension} SCHEMA public"
            )
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema},public')}"


def _database_url(backend: str, directory: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / (name + '.sqlite')}"
    return _postgres_schema_url(f"test_{name}")


def make_app(url: str):
    """An app for tests, pointed at ``url`` and the shared boundaries."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "WEBGIS_BOUNDARIES_DIR": BOUNDARIES_DIR,
            "SECRET_KEY": "test",
            # Throttling has its own test; elsewhere many logins come from one address.
            "WEBGIS_LOGIN_LIMIT": "1000 per minute",
            "WEBGIS_LOGIN_ADDRESS_LIMIT": "1000 per minute",
            "WEBGIS_SUGGEST_LIMIT": "1000 per minute",
        }
    )


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path):
    """A fresh app with an empty schema, on each database backend."""
    flask_app = make_app(_database_url(request.param, tmp_path, "fresh"))
    with flask_app.app_context():
        init_db()
        yield flask_app
        db.session.remove()
        db.engine.dispose()


def demo_database(backend: str, directory: Path, name: str, staff: bool = False):
    """An app on a new database with both demo cities (and the staff accounts)."""
    flask_app = make_app(_database_url(backend, directory, name))
    with flask_app.app_context():
        load_demo(BOUNDARIES_DIR)
        if staff:
            add_staff()
        db.session.remove()
    return flask_app


@pytest.fixture(scope="session", params=BACKENDS)
def demo_app(request, tmp_path_factory):
    """Both demo cities loaded once per backend; tests must not change it."""
    flask_app = demo_database(request.param, tmp_path_factory.mktemp("demo"), "demo")
    yield flask_app
    with flask_app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(demo_app):
    """A test client on the demo data."""
    return demo_app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner on a fresh database."""
    return app.test_cli_runner()


# -- small boundary files the tests write themselves ---------------------------------

#: A 2 x 1 km rectangle in central Wrocław, split into two units (EPSG:2180 metres).
WROCLAW_X, WROCLAW_Y = 360_000, 360_000


def two_units(crs: str = "EPSG:2180", **columns) -> gpd.GeoDataFrame:
    """Two adjacent 1 km squares in Wrocław with numbers, names and populations."""
    x, y = WROCLAW_X, WROCLAW_Y
    frame = gpd.GeoDataFrame(
        {
            "unit_no": [1, 2],
            "name": ["Północ", "Południe"],
            "population": [1000, 3000],
            **columns,
        },
        geometry=[box(x, y, x + 1000, y + 1000), box(x + 1000, y, x + 2000, y + 1000)],
        crs="EPSG:2180",
    )
    return frame.to_crs(crs)


def write(frame: gpd.GeoDataFrame, path: Path, **kwargs) -> Path:
    """Write a frame with pyogrio and return the path."""
    frame.to_file(path, engine="pyogrio", **kwargs)
    return path


@pytest.fixture
def two_units_file(tmp_path) -> Path:
    """A GeoPackage in EPSG:2180 with two units."""
    return write(two_units(), tmp_path / "units.gpkg")


@pytest.fixture
def point_file(tmp_path) -> Path:
    """A GeoJSON of points, which cannot be units."""
    frame = gpd.GeoDataFrame(
        {"unit_no": [1], "name": ["Punkt"]},
        geometry=[Point(17.03, 51.11)],
        crs="EPSG:4326",
    )
    return write(frame, tmp_path / "points.geojson")


def pytest_configure(config):
    """Stop at once, with a clear message, when the reference boundaries are absent."""
    if not (BOUNDARIES_DIR / "wroclaw-osiedla.geojson").is_file():
        raise pytest.UsageError(
            f"Reference boundaries not found in {BOUNDARIES_DIR}; clone the project "
            "beside shared/ or set WEBGIS_BOUNDARIES_DIR."
        )


# -- signing in as a person does: through the form, with its CSRF token ---------------

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on ``url``, as a browser would submit it."""
    page = client.get(url).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def log_in(client, email: str, password: str):
    """Sign in through the login form; returns the response."""
    token = csrf_token(client, "/login")
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )


def post_form(client, url: str, data: dict, form_url: str | None = None):
    """POST ``data`` with the CSRF token taken from ``form_url`` (default ``url``)."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={"csrf_token": token, **data})


# -- staff accounts on the demo data -------------------------------------------------

#: Test-only password, long enough for the policy.
PASSWORD = "correct-horse-battery"
STAFF = {
    "organiser_own": ("org7@test.invalid", "organiser", ["wroclaw:ZTPS-7"]),
    "organiser_other": ("orgf6@test.invalid", "organiser", ["krakow:F6"]),
    "planner": ("planner@test.invalid", "planner", []),
    "admin": ("admin@test.invalid", "admin", []),
}
#: Inside osiedle Nadodrze (no. 4), which ZTPS 7 serves (ul. Rydygiera area).
NADODRZE = Point(17.0309, 51.1202)
#: Inside osiedle Ołbin, served by ZTPS 8.
OLBIN = Point(17.045, 51.123)


def add_staff() -> None:
    """One account per role, all with :data:`PASSWORD`."""
    from webgis.accounts import users

    for email, role, refs in STAFF.values():
        users.create_user(
            email, role, email.split("@")[0], PASSWORD, users.find_areas(refs)
        )
    db.session.commit()


@pytest.fixture(scope="session", params=BACKENDS)
def staff_app(request, tmp_path_factory):
    """Demo data plus staff accounts; tests may add suggestions, users and areas."""
    directory = tmp_path_factory.mktemp("staff")
    flask_app = demo_database(request.param, directory, "staff", staff=True)
    yield flask_app
    with flask_app.app_context():
        db.engine.dispose()


def client_as(app, who: str):
    """A test client signed in as one of :data:`STAFF` (or anonymous)."""
    client = app.test_client()
    if who != "anonymous":
        response = log_in(client, STAFF[who][0], PASSWORD)
        assert response.status_code == 303, response.get_data(as_text=True)
    return client


def whole_queue(client, pages: int = 200) -> str:
    """Every page of the moderation queue, as one text.

    The session's shared demo gathers suggestions from every module, more than
    one page of the queue holds, and a new one is at the end (oldest first).
    """
    texts, url = [], "/moderation/"
    while url and len(texts) < pages:
        text = client.get(url).get_data(as_text=True)
        texts.append(text)
        following = re.search(r'<a href="([^"]+)" rel="next">', text)
        url = following[1].replace("&amp;", "&") if following else None
    return "\n".join(texts)


def new_suggestion(app, point=NADODRZE, title="Brak świetlicy dla młodzieży") -> int:
    """A public suggestion waiting in the queue; returns its id."""
    from webgis.features import moderation
    from webgis.geography import cities

    with app.app_context():
        city = cities.get_city("wroclaw")
        feature = moderation.submit_suggestion(
            city,
            "needs_resources",
            point,
            {
                "title": title,
                "kind": "need",
                "category": "free_time",
                "source_kind": "public_suggestion",
                "location_precision": "street",
            },
        )
        return feature.id


# -- thematic layers -------------------------------------------------------------------

#: A 200 m square inside Nadodrze, for area layers.
NADODRZE_AREA = box(17.029, 51.119, 17.032, 51.121)


def valid_form(spec, point=NADODRZE, **overrides) -> dict:
    """Form data a layer accepts: every required field with a valid value."""
    geometry = point if spec.geometry_type != "Polygon" else NADODRZE_AREA
    data = {
        "geometry": json.dumps(geometry.__geo_interface__),
        "status": "published",
        "location_precision": "address",
    }
    samples = {
        "text": f"Test {spec.key}",
        "year": "2013",
        "int": "12",
        "date": "2020-05-01",
        "service_area": "ZTPS-7",
    }
    for field in spec.all_fields:
        if not field.required or field.name in data:
            continue
        if field.kind == "choice":
            data[field.name] = _first_option(field)
        else:
            data[field.name] = samples.get(field.kind, "x")
    data.update(overrides)
    return data


def _first_option(field) -> str:
    if field.choices:
        return field.choices[0][0]
    with (PROJECT_ROOT / "data" / "vocabularies.toml").open("rb") as handle:
        return tomllib.load(handle)[field.vocabulary][0]["key"]


def new_feature(
    app, layer="day_centres", point=NADODRZE, status="published", **properties
) -> tuple[int, int]:
    """A feature stored by a planner; returns (feature id, its first revision id)."""
    from webgis.accounts import users
    from webgis.features import store
    from webgis.features.models import Revision
    from webgis.geography import cities

    with app.app_context():
        spec = app.extensions["webgis.layers"][layer]
        form = valid_form(spec, point)
        values = {f.name: form[f.name] for f in spec.all_fields if f.name in form}
        values.update(properties)
        planner = users.get_user_by_email(STAFF["planner"][0])
        geometry = point if spec.geometry_type != "Polygon" else NADODRZE_AREA
        feature = store.create(
            planner, cities.get_city("wroclaw"), spec, geometry, values, status
        )
        revision = db.session.scalar(
            sa.select(Revision.id).where(Revision.feature_id == feature.id)
        )
        return feature.id, revision
