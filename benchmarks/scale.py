r"""Benchmark: the finder, the maps and the APIs at 1,000 to 200,000 services.

For each size it builds a database (the demo plus that many published day-support
services in Wrocław, benchmarks/finder.py's generator), starts ``webgis serve`` on
127.0.0.1 in its own process and measures over real HTTP:

- the first request after start, and the server's memory (RSS) at the end;
- the finder (no filter, a common word, a rare word, type, near a point) and the
  layer and OGC APIs (``limit=1000``, a 10 % bbox, one item) at 1, 8 and 32
  concurrent clients: median, p95 and requests per second;
- the city map page in headless Chromium: HTML bytes, time to ``load`` and until
  its points are drawn;
- ``webgis --help``.

With ``--pygeoapi URL`` (an empty PostGIS database) it also installs pygeoapi in its
own venv, serves the same features from its PostgreSQL provider (a view over our
table in that database, filled by the same generator when the app runs on SQLite)
with waitress and 8 threads, and alternates the same API requests between the two.

It prints every target of issue #12 with the measured value. Not a test: run by
hand (a 200,000 run takes several minutes), e.g.
    .venv/bin/python -m benchmarks.scale --services 1000,10000,50000
    .venv/bin/python -m benchmarks.scale --services 50000 \
        --pygeoapi postgresql+psycopg://user:pw@127.0.0.1/empty_db
    (add ``--database`` with the same URL to run the app on PostGIS too)
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.data_exchange import free_port
from benchmarks.finder import BOUNDARIES, add_services, demo_app
from webgis.core.extensions import db

ROOT = Path(__file__).resolve().parents[1]
WEBGIS = Path(sys.executable).with_name("webgis")
COLLECTION = "/ogc/collections/wroclaw-day_centres/items"
#: A tenth of Wrocław's extent, around the centre.
BBOX = "17.00,51.09,17.06,51.12"
CITY_BBOX = "16.80,51.04,17.18,51.21"
FINDER = {
    "finder, no filter": "/wroclaw/services",
    "finder, text": "/wroclaw/services?q=lesna",
    # A word few services hold (5 of 50,000): a scan in title order reads them all.
    "finder, rare word": "/wroclaw/services?q=4711",
    "finder, type": "/wroclaw/services?type=pasz",
    "finder, near a point": "/wroclaw/services?lat=51.11&lon=17.03",
}
API = {
    "layer API, limit 1000": "/api/wroclaw/layers/day_centres?limit=1000",
    "OGC items, limit 1000": f"{COLLECTION}?f=json&limit=1000",
    "OGC items, 10 % bbox": f"{COLLECTION}?f=json&limit=1000&bbox={BBOX}",
    "map layer, whole city": f"/wroclaw/map/layers/day_centres?bbox={CITY_BBOX}",
}


def get(url: str) -> tuple[float, int]:
    """Milliseconds and bytes of one GET (gzip accepted, as browsers do)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        body = response.read()
    return (time.perf_counter() - start) * 1000, len(body)


def load(url: str, clients: int, count: int) -> tuple[float, float, float]:
    """Median and p95 (ms) and requests per second of ``count`` GETs by ``clients``.

    A request that fails is reported and counted out, not retried.
    """
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda _i: _timed(url), range(count)))
    seconds = time.perf_counter() - start
    times = sorted(ms for ms in answers if ms is not None)
    if len(times) < count:
        print(f"    ({count - len(times)} of {count} requests failed)")
    if not times:
        return float("nan"), float("nan"), 0.0
    return (
        statistics.median(times),
        times[int(0.95 * (len(times) - 1))],
        len(times) / seconds,
    )


def _timed(url: str) -> float | None:
    try:
        return get(url)[0]
    except OSError as problem:
        print(f"    {url}: {problem!r}")
        return None


class Server:
    """``webgis serve`` in its own process on a free port."""

    def __init__(self, database: str):
        self.port = free_port()
        environment = {
            **os.environ,
            "DATABASE_URL": database,
            "WEBGIS_BOUNDARIES_DIR": str(BOUNDARIES),
            "SECRET_KEY": "benchmark",
            "WEBGIS_TILES_URL": "",
        }
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(WEBGIS), "serve", "--port", str(self.port)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz-none", timeout=1)
            except urllib.error.HTTPError:
                break  # it answers (404): it is up
            except OSError:
                if time.perf_counter() - started > 60:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.05)
        self.ready_after = time.perf_counter() - started

    def rss_mib(self) -> tuple[float, float]:
        """Resident memory now and at its peak (MiB)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines())
        return (
            int(fields["VmRSS"].split()[0]) / 1024,
            int(fields["VmHWM"].split()[0]) / 1024,
        )

    def stop(self) -> None:
        """End the process."""
        self.process.terminate()
        self.process.wait(timeout=30)


def build(database: str, services: int) -> None:
    """An empty schema, the demo and ``services`` generated services."""
    app = demo_app_fresh(database)
    with app.app_context():
        start = time.perf_counter()
        add_services(services)
        print(f"  {services:,} services added in {time.perf_counter() - start:.0f} s")
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk load: without
            # statistics the planner guesses, and the first minutes measure that.
            with db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as connection:
                connection.execute(db.text("VACUUM ANALYZE"))
        db.session.remove()
        db.engine.dispose()


def demo_app_fresh(database: str):
    """The demo on ``database``, emptied first (a PostGIS database is reused)."""
    from webgis import create_app

    if database.startswith("postgresql"):
        app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "x"})
        with app.app_context():
            with db.engine.begin() as connection:
                # pygeoapi's view of an earlier run holds on to the table.
                connection.execute(db.text("DROP VIEW IF EXISTS bench_services"))
                # Without its tables the schema's revision would say "current".
                connection.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
            db.drop_all()
            db.engine.dispose()
    return demo_app(database)


def chromium_map(base: str) -> tuple[int, float, float] | None:
    """HTML bytes, ms to ``load`` and ms until the layer is drawn, in Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        start = time.perf_counter()
        response = page.goto(f"{base}/wroclaw/map", wait_until="load")
        loaded = (time.perf_counter() - start) * 1000
        page.wait_for_selector(".folium-map[data-layer-day_centres]", state="attached")
        drawn = (time.perf_counter() - start) * 1000
        size = len(response.body())
        browser.close()
    return size, loaded, drawn


def help_seconds() -> float:
    """Wall time of ``webgis --help`` in a new process."""
    start = time.perf_counter()
    subprocess.run([str(WEBGIS), "--help"], check=True, capture_output=True)
    return time.perf_counter() - start


def measure(base: str, clients: list[int], count: int, results: dict) -> None:
    """Every request at every concurrency; figures go into ``results``."""
    one = f"{COLLECTION}/{first_id(base)}?f=json"
    for name, path in {**FINDER, **API, "OGC one item": one}.items():
        get(base + path)  # warm
        for level in clients:
            median, p95, rate = load(base + path, level, max(count, level))
            results[(name, level)] = (median, p95, rate)
            print(
                f"  {name:26} {level:3} clients: median {median:7.1f} ms, "
                f"p95 {p95:7.1f} ms, {rate:7.1f} req/s"
            )


def first_id(base: str) -> int:
    """The id of one published service."""
    import json

    with urllib.request.urlopen(f"{base}{COLLECTION}?f=json&limit=1") as response:
        return json.load(response)["features"][0]["id"]


def verdict(name: str, value: float, target: float, unit: str, less=True) -> None:
    """One target line: measured value, target, met or missed."""
    met = value < target if less else value >= target
    word = "met" if met else "MISSED"
    sign = "<" if less else "≥"
    print(f"  target {name}: {value:.2f} {unit} ({sign} {target:g}) — {word}")


def main():
    """Build, serve and measure each size; print the figures and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", default="1000,10000,50000")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--database", help="an empty PostGIS database (URL)")
    parser.add_argument("--pygeoapi", metavar="URL", help="a PostGIS database for it")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    verdict("webgis --help", help_seconds(), 1, "s")
    for services in [int(n) for n in args.services.split(",")]:
        with tempfile.TemporaryDirectory() as directory:
            database = args.database or f"sqlite:///{directory}/scale.sqlite"
            print(f"{services:,} services on {database.split(':')[0]}")
            build(database, services)
            server = Server(database)
            try:
                cold, _size = get(server.base + FINDER["finder, no filter"])
                print(f"  server up after {server.ready_after:.2f} s")
                print(f"  first request after start (finder): {cold:.0f} ms")
                results: dict = {}
                measure(server.base, clients, args.requests, results)
                shown = chromium_map(server.base)
                if shown:
                    print(
                        f"  map page: {shown[0] / 1024:.0f} KiB HTML, load "
                        f"{shown[1]:.0f} ms, points drawn {shown[2]:.0f} ms"
                    )
                rss, peak = server.rss_mib()
                print(f"  server memory: {rss:.0f} MiB now, {peak:.0f} MiB at peak")
                if args.pygeoapi:
                    from benchmarks.pygeoapi_side import side_by_side

                    if args.pygeoapi != database:
                        build(args.pygeoapi, services)  # the same features
                    side_by_side(args.pygeoapi, server.base)
                print_targets(services, results, shown, cold)
            finally:
                server.stop()


def print_targets(services: int, results: dict, shown, cold: float) -> None:
    """The targets of the issue that apply at this size."""
    single = [results[(name, 1)][1] for name in FINDER if (name, 1) in results]
    worst = max(single, default=float("nan"))
    print(f"  targets at {services:,}:")
    if services >= 50_000:
        limit = 50 if services < 200_000 else 100
        verdict("finder p95, one client", worst, limit, "ms")
        if shown:
            verdict("map HTML", shown[0] / 1024, 300, "KiB")
            verdict("points drawn", shown[2] / 1000, 1.5, "s")
    verdict("first request after start", cold / 1000, 1, "s")


if __name__ == "__main__":
    main()
