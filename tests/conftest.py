"""Shared fixtures: apps on SQLite and PostgreSQL/PostGIS, small boundary files."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import geopandas as gpd
import pytest
import sqlalchemy as sa
from shapely.geometry import Point, box

from webgis import create_app
from webgis.database import init_db
from webgis.demo import load_demo
from webgis.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BOUNDARIES_DIR = Path(
    os.environ.get(
        "WEBGIS_BOUNDARIES_DIR", PROJECT_ROOT.parent / "shared" / "boundaries"
    )
)
POSTGRES_URL = os.environ.get("WEBGIS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]


def _postgres_schema_url(schema: str) -> str:
    """A URL whose tables live in their own schema (PostGIS stays in public)."""
    if not POSTGRES_URL:
        pytest.skip("WEBGIS_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)")
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
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


@pytest.fixture(scope="session", params=BACKENDS)
def demo_app(request, tmp_path_factory):
    """Both demo cities loaded once per backend; tests must not change it."""
    url = _database_url(request.param, tmp_path_factory.mktemp("demo"), "demo")
    flask_app = make_app(url)
    with flask_app.app_context():
        load_demo(BOUNDARIES_DIR)
        db.session.remove()
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
