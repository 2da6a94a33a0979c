"""Benchmark: OGC API – Features, HSDS, the sitemap and exports with many services.

Loads the demo geography, adds ``--services`` published day-support services in
Wrocław (as benchmarks/finder.py does), serves the app with waitress on 127.0.0.1
and times each request over real HTTP. Not a test: run it by hand,
    .venv/bin/python -m benchmarks.data_exchange [--services 50000] [--repeat 5]
                                                 [--database URL]
``--database`` takes an empty PostgreSQL/PostGIS database; SQLite by default.
"""

import argparse
import json
import socket
import statistics
import tempfile
import threading
import time
import urllib.request

from waitress.server import create_server

from benchmarks.finder import add_services, demo_app
from webgis.core.extensions import db

COLLECTION = "/ogc/collections/wroclaw-day_centres"
REQUESTS = {
    "OGC items, limit 10": f"{COLLECTION}/items?f=json",
    "OGC items, limit 1000": f"{COLLECTION}/items?f=json&limit=1000",
    "OGC items, offset 40000": f"{COLLECTION}/items?f=json&offset=40000",
    "OGC items, 10 % bbox": f"{COLLECTION}/items?f=json&bbox=17.0,51.09,17.05,51.12",
    "OGC items, property filter": f"{COLLECTION}/items?f=json&facility_type=pasz",
    "OGC one item": None,
    "HSDS services, page 1": "/hsds/services",
    "HSDS one service": None,
    "sitemap.xml": "/sitemap.xml",
    "layer export, CSV": "/wroclaw/layers/day_centres/export.csv",
}


def free_port() -> int:
    """A port nobody listens on, on this machine."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[float, int]:
    """Milliseconds and bytes of one GET of ``url``."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = response.read()
    return (time.perf_counter() - start) * 1000, len(body)


def main():
    """Build the database, serve it, then print median time and size per request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", help="an empty PostGIS database (URL)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database or f"sqlite:///{directory}/bench.sqlite"
        app = demo_app(url)
        with app.app_context():
            start = time.perf_counter()
            add_services(args.services)
            seconds = time.perf_counter() - start
            print(f"{args.services} services added in {seconds:.0f} s")
            db.session.remove()
        port = free_port()
        server = create_server(app, host="127.0.0.1", port=port, threads=8)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        items = fetch_json(f"{base}{COLLECTION}/items?f=json&limit=1")
        services = fetch_json(f"{base}/hsds/services?per_page=1")
        one = {
            "OGC one item": f"{COLLECTION}/items/{items['features'][0]['id']}?f=json",
            "HSDS one service": f"/hsds/services/{services['contents'][0]['id']}",
        }
        print(f"{url.split(':')[0]}, {args.repeat} requests each after one warm-up")
        for name, path in REQUESTS.items():
            target = base + (path or one[name])
            fetch(target)
            runs = [fetch(target) for _ in range(args.repeat)]
            median = statistics.median(ms for ms, _size in runs)
            print(f"  {name:28} {median:8.0f} ms {runs[0][1] / 1024:10.0f} KiB")

        with app.app_context():
            db.engine.dispose()


def fetch_json(url: str) -> dict:
    """One GET of ``url`` as JSON."""
    with urllib.request.urlopen(url, timeout=600) as response:
        return json.load(response)


if __name__ == "__main__":
    main()
