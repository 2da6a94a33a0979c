"""Benchmark: the public service finder with 5,000 services.

Loads the demo geography into a fresh SQLite database, adds 5,000 published
day-support services at random places inside Wrocław (seeded), and times typical
finder requests through the Flask test client. Not a test: run it by hand,
    .venv/bin/python benchmarks/finder.py [--services 5000] [--repeat 30]
Target on the project's 2-core machine: median under 200 ms per request.
"""

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import shapely

from webgis import create_app
from webgis.core.extensions import db
from webgis.core.registry import layer_registry
from webgis.demo import load_demo
from webgis.features import store
from webgis.features.models import Feature
from webgis.geography import cities

BOUNDARIES = Path(__file__).resolve().parents[2] / "shared" / "boundaries"
TYPES = ["day_support_care", "self_help_club", "counselling", "pasz", "shelter"]
GROUPS = ["seniors", "children_and_youth", "unemployed", "homeless", "foreigners"]
ACCESS = ["step_free_entrance", "accessible_toilet", "induction_loop"]
STREETS = ["Leśna", "Łąkowa", "Żeromskiego", "Kościuszki", "Ślężna", "Rydygiera"]
QUERIES = {
    "no filter": "/wroclaw/services",
    "a filter (type)": "/wroclaw/services?type=self_help_club",
    "filters (group, access, open)": (
        "/wroclaw/services?group=seniors&access=step_free_entrance&day=mon&time=10:00"
    ),
    "text search": "/wroclaw/services?q=lesna",
    "near a point": "/wroclaw/services?lat=51.11&lon=17.03",
    "near a unit, text": "/wroclaw/services?from=Nadodrze&q=klub",
    "service page": None,
}


def random_points(city, count: int, rng) -> list:
    """``count`` points uniformly inside the city's units."""
    outline = shapely.union_all([u.geometry for u in city.units])
    x0, y0, x1, y1 = outline.bounds
    points: list = []
    while len(points) < count:
        candidates = shapely.points(
            rng.uniform(x0, x1, count), rng.uniform(y0, y1, count)
        )
        inside = candidates[shapely.contains(outline, candidates)]
        points.extend(inside[: count - len(points)])
    return points


def service_properties(i: int) -> dict:
    """The properties of the ``i``-th generated service (varied, deterministic)."""
    street = STREETS[i % len(STREETS)]
    return {
        "name": f"Klub nr {i} przy ul. {street}",
        "facility_type": TYPES[i % len(TYPES)],
        "operator": f"Stowarzyszenie {i % 97}",
        "target_groups": [GROUPS[i % len(GROUPS)], GROUPS[i % 3]],
        "accessibility": ACCESS[: i % 4],
        # Stored as the form stores it: the opening_hours syntax.
        "opening_hours": "Mo 08:00-16:00" if i % 2 else "",
        "languages": "polski, ukraiński" if i % 5 == 0 else "polski",
        "address": f"ul. {street} {i % 120 + 1}",
        "description": "Zajęcia, porady i wsparcie dla mieszkańców.",
        "location_precision": "address",
    }


def add_services(count: int, seed: int = 1, batch: int = 5_000) -> None:
    """Insert ``count`` published day-support services in Wrocław, in bulk.

    Rows go in through the table, a batch at a time, with the query columns the
    store would set (``store.refresh_columns``); there are no revisions, which
    the finder, the maps and the APIs do not read.
    """
    rng = np.random.default_rng(seed)
    city = cities.get_city("wroclaw")
    spec = layer_registry()["day_centres"]
    table = Feature.__table__
    rows, now = [], datetime.now(UTC).replace(tzinfo=None)
    for i, point in enumerate(random_points(city, count, rng)):
        feature = Feature(
            city_id=city.id,
            layer=spec.key,
            geometry=point,
            status="published",
            properties=service_properties(i),
        )
        store.refresh_columns(spec, feature)
        row = {c.name: getattr(feature, c.key) for c in table.columns}
        del row["id"]
        row.update(version=1, moderation_note="", created_at=now, updated_at=now)
        rows.append(row)
        if len(rows) == batch:
            _insert(rows, city.id)
            rows = []
    if rows:
        _insert(rows, city.id)
    db.session.commit()


def _insert(rows: list[dict], city_id: int) -> None:
    """Insert features and the finder's term and text rows the store keeps."""
    table = Feature.__table__
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    ids = db.session.execute(statement, rows).scalars().all()
    store.replace_listed_rows(
        [{**row, "feature_id": i} for i, row in zip(ids, rows, strict=True)],
        dict.fromkeys(ids, city_id),
    )


def demo_app(url: str):
    """The app on the database ``url``, with its tables and the demo loaded."""
    from webgis.database import init_db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WEBGIS_BOUNDARIES_DIR": BOUNDARIES,
            "SECRET_KEY": "benchmark",
        }
    )
    with app.app_context():
        init_db()
        load_demo(BOUNDARIES)
    return app


def time_requests(client, url: str, repeat: int) -> list[float]:
    """Milliseconds of ``repeat`` requests of ``url`` (after one warm-up)."""
    assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    return times


def main():
    """Build the database, then print the median and 95th percentile per query."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/bench.sqlite",
                "WEBGIS_BOUNDARIES_DIR": BOUNDARIES,
                "SECRET_KEY": "benchmark",
            }
        )
        with app.app_context():
            load_demo(BOUNDARIES)
            start = time.perf_counter()
            add_services(args.services)
            print(
                f"{args.services} services added in {time.perf_counter() - start:.1f} s"
            )
            service_id = (
                db.session.query(Feature.id).filter_by(layer="day_centres").first()[0]
            )
            db.session.remove()
        client = app.test_client()
        start = time.perf_counter()
        client.get("/wroclaw/services")
        print(
            f"first request (cold cache): {(time.perf_counter() - start) * 1000:.0f} ms"
        )
        print(f"{'query':32} {'median':>9} {'p95':>9}  ({args.repeat} requests)")
        for name, url in QUERIES.items():
            url = url or f"/wroclaw/services/{service_id}"
            times = time_requests(client, url, args.repeat)
            p95 = float(np.percentile(times, 95))
            print(f"{name:32} {statistics.median(times):7.0f} ms {p95:6.0f} ms")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
