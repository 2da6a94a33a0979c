"""`webgis serve` under concurrent load: every request answered, the server alive.

Thirty-two clients ask for the finder with gzip, as browsers do. On CPython 3.11
this crashed the server with a segmentation fault until the cyclic collector was
moved between requests (see webgis.core.collection). Traffic goes to 127.0.0.1
only, and the test stops by itself: a bounded number of requests, each with a
time limit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import BOUNDARIES_DIR, demo_database
from webgis.core.extensions import db

CLIENTS, REQUESTS = 32, 400


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within a minute")


@pytest.fixture(scope="module")
def served_demo(tmp_path_factory):
    """`webgis serve` in its own process, on a demo SQLite file."""
    directory = tmp_path_factory.mktemp("serve")
    app = demo_database("sqlite", directory, "serve")
    with app.app_context():
        url = str(db.engine.url)
        db.engine.dispose()
    port = _free_port()
    command = Path(sys.executable).with_name("webgis")
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "WEBGIS_BOUNDARIES_DIR": str(BOUNDARIES_DIR),
        "SECRET_KEY": "load-test",
        "WEBGIS_TILES_URL": "",
    }
    # A file, not a pipe: a full pipe would stall the server's log writes.
    log = directory / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(command), "serve", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/", server, log)
        yield base, server, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def _status(url: str) -> int | str:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
            return answer.status
    except OSError as error:
        return type(error).__name__


def test_thirty_two_clients_on_the_finder_all_get_answers(served_demo):
    base, server, log = served_demo
    url = f"{base}/wroclaw/services"
    with ThreadPoolExecutor(CLIENTS) as clients:
        statuses = list(clients.map(_status, [url] * REQUESTS))
    assert server.poll() is None, f"the server died: {log.read_text()[-3000:]}"
    failed = [s for s in statuses if s != 200]
    assert not failed, f"{len(failed)} of {REQUESTS} requests failed: {failed[:5]}"
