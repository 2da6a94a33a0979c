"""Several processes: three app servers on one PostGIS and one Redis act as one site.

The module starts a Redis of its own (Debian's ``redis-server`` on a free port, no
persistence), prepares one PostgreSQL schema (migrations, both demo cities, staff
accounts, one day-support centre) and starts three ``webgis serve`` processes with
the same ``SECRET_KEY``, database and limiter store. The test client is the
load balancer: it sends each request to the process it names, or request i to
process i % 3. Nothing leaves 127.0.0.1; every process is stopped at the end.

What a city's IT department needs to hold when one process is not enough: a
sign-in and a form's CSRF token from one process are valid on the others, failed
logins are counted for the whole site, an edit is seen everywhere at once, and a
process killed in the middle of writes loses nothing it confirmed.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import (
    BOUNDARIES_DIR,
    CSRF,
    PASSWORD,
    POSTGRES_URL,
    STAFF,
    _postgres_schema_url,
    add_staff,
    make_app,
    new_feature,
    valid_form,
)
from webgis.core.extensions import db
from webgis.core.registry import discover_layers
from webgis.demo import load_demo

WEBGIS = Path(sys.executable).with_name("webgis")
SCHEMA = "test_processes"
#: Seconds any one request may take; a hung process fails the test, not CI.
TIMEOUT = 10
#: Failed logins allowed per account and address, for the whole site.
LOGIN_LIMIT = 5
OLD_TITLE = "Świetlica Wieloprocesowa Stara"
NEW_TITLE = "Świetlica Wieloprocesowa Nowa"
SEARCH = "/wroclaw/services?q=Wieloprocesowa"
#: Writes sent in the kill test, and after how many answers one process is killed.
WRITES, KILL_AFTER, WRITERS = 60, 20, 4
PLANNER = STAFF["planner"][0]
#: prctl(2): a signal the child gets when its parent dies.
PR_SET_PDEATHSIG = 1


def _unavailable(what: str) -> None:
    """Skip when the caller opted out of the PostGIS tests; otherwise fail loudly."""
    if os.environ.get("WEBGIS_TEST_POSTGRES") == "skip":
        pytest.skip(f"{what} (WEBGIS_TEST_POSTGRES=skip)")
    pytest.fail(
        f"{what}: run `bash scripts/test.sh`, which provides it, or set "
        "WEBGIS_TEST_POSTGRES=skip to leave the several-processes test out",
        pytrace=False,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_the_test() -> None:
    """In the child: be killed if the test process dies before its teardown (Linux)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _start(command: list[str], **options) -> subprocess.Popen:
    return subprocess.Popen(
        command, stdin=subprocess.DEVNULL, preexec_fn=_die_with_the_test, **options
    )


def _stop(process: subprocess.Popen) -> None:
    """End a process this module started, and reap it (no orphan, no zombie)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait(timeout=10)


# -- one Redis, one database -----------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A Redis of this module's own on a free local port, without persistence."""
    server = shutil.which("redis-server")
    if server is None:
        _unavailable("redis-server is not installed")
    import redis

    port = _free_port()
    directory = tmp_path_factory.mktemp("redis")
    process = _start(
        [server, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        + ["--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, "redis-server ended at its start"
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def database_url():
    """One PostGIS schema, prepared once: what `webgis demo` and `users add` leave.

    Returns its URL and the id of a published day-support centre the finder lists.
    """
    if not POSTGRES_URL:
        _unavailable("WEBGIS_TEST_POSTGRES_URL is not set")
    url = _postgres_schema_url(SCHEMA)
    app = make_app(url)
    with app.app_context():
        load_demo(BOUNDARIES_DIR)  # migrations first (webgis db upgrade), then data
        add_staff()
        db.session.remove()
    feature_id, _revision = new_feature(app, "day_centres", name=OLD_TITLE)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    yield url, feature_id
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    engine.dispose()


# -- three processes and the client that balances them ---------------------------------


@dataclass
class Site:
    """Three app processes serving one site; the test client is their balancer."""

    bases: list[str]
    processes: list[subprocess.Popen]
    logs: list[Path]
    feature_id: int
    database: str
    turns: itertools.count = field(default_factory=itertools.count)

    def url(self, process: int, path: str) -> str:
        """``path`` on one process (0, 1, 2: A, B, C)."""
        return self.bases[process] + path

    def next_url(self, path: str) -> str:
        """``path`` on the next process in turn (round-robin)."""
        return self.url(next(self.turns) % len(self.bases), path)

    def log(self, process: int) -> str:
        """The end of a process's log, for a failure's message."""
        return self.logs[process].read_text(errors="replace")[-3000:]


def _environment(database: str, redis: str) -> dict:
    """The same settings for every process, as a deployment gives them."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WEBGIS_", "RATELIMIT_"))
        and key not in ("SECRET_KEY", "DATABASE_URL")
    }
    environment.update(
        DATABASE_URL=database,
        SECRET_KEY="one-key-for-every-process-" + "s" * 38,
        RATELIMIT_STORAGE_URI=redis,
        WEBGIS_PROCESSES="3",
        WEBGIS_LOGIN_LIMIT=f"{LOGIN_LIMIT} per minute",
        # The per-account count is the one under test; the others stay out of it.
        WEBGIS_LOGIN_ADDRESS_LIMIT="1000 per minute",
        WEBGIS_SUGGEST_LIMIT="1000 per minute",
        WEBGIS_BOUNDARIES_DIR=str(BOUNDARIES_DIR),
        WEBGIS_TILES_URL="",
    )
    return environment


def _wait_until_ready(site: Site, deadline: float) -> None:
    for index, base in enumerate(site.bases):
        for path in ("/healthz", "/readyz"):
            while True:
                assert site.processes[index].poll() is None, site.log(index)
                try:
                    if requests.get(base + path, timeout=TIMEOUT).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert time.monotonic() < deadline, f"{base}{path}\n{site.log(index)}"
                time.sleep(0.1)


@pytest.fixture(scope="module")
def site(database_url, redis_url, tmp_path_factory):
    """Three `webgis serve --threads 4` processes, ready; stopped at the end."""
    database, feature_id = database_url
    directory = tmp_path_factory.mktemp("processes")
    environment = _environment(database, redis_url)
    ports = [_free_port() for _ in range(3)]
    logs = [directory / f"process-{name}.log" for name in "ABC"]
    processes = []
    try:
        for port, log in zip(ports, logs, strict=True):
            with log.open("w") as output:
                processes.append(
                    _start(
                        [str(WEBGIS), "serve", "--port", str(port), "--threads", "4"],
                        env=environment,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
        site = Site(
            [f"http://127.0.0.1:{port}" for port in ports],
            processes,
            logs,
            feature_id,
            database,
        )
        _wait_until_ready(site, time.monotonic() + 60)
        yield site
    finally:
        for process in processes:
            _stop(process)


# -- what a browser does ---------------------------------------------------------------


def _token(page: str) -> str:
    match = CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _form_token(browser: requests.Session, url: str) -> str:
    """The CSRF token of the form at ``url`` (and the session cookie with it)."""
    page = browser.get(url, timeout=TIMEOUT)
    assert page.status_code == 200, url
    return _token(page.text)


def _sign_in(browser, form_url: str, post_url: str, password=PASSWORD, email=PLANNER):
    """Sign in with the form served at ``form_url``, posted to ``post_url``."""
    return browser.post(
        post_url,
        data={
            "email": email,
            "password": password,
            "csrf_token": _form_token(browser, form_url),
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def _signed_in(site: Site, process: int = 0) -> requests.Session:
    browser = requests.Session()
    signed = _sign_in(browser, site.url(process, "/login"), site.url(process, "/login"))
    assert signed.status_code == 303, site.log(process)
    return browser


#: The layer every write goes to, as the app declares it (for its form's fields).
DAY_CENTRES = discover_layers(["layers"])["day_centres"]


# -- the checks ------------------------------------------------------------------------

STAFF_PAGE = "/wroclaw/layers/day_centres/new"


def test_a_sign_in_on_one_process_is_valid_on_the_others(site):
    anonymous = requests.get(
        site.url(1, STAFF_PAGE), allow_redirects=False, timeout=TIMEOUT
    )
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]

    browser = _signed_in(site, 0)
    for process in (1, 2):
        page = browser.get(
            site.url(process, STAFF_PAGE), allow_redirects=False, timeout=TIMEOUT
        )
        assert page.status_code == 200, (process, page.headers.get("Location"))
        account = browser.get(site.url(process, "/account"), timeout=TIMEOUT)
        assert account.status_code == 200 and PLANNER in account.text


def test_a_csrf_token_from_one_process_is_accepted_by_another(site):
    browser = requests.Session()
    signed = _sign_in(browser, site.url(0, "/login"), site.url(1, "/login"))
    assert signed.status_code == 303, site.log(1)

    # A staff form served by B, saved through C.
    token = _form_token(browser, site.url(1, STAFF_PAGE))
    form = valid_form(DAY_CENTRES, name="Placówka z formularza procesu B")
    saved = browser.post(
        site.url(2, STAFF_PAGE),
        data={**form, "csrf_token": token},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert saved.status_code == 303, site.log(2)
    # The check is alive on C: a token it cannot verify saves nothing.
    forged = browser.post(
        site.url(2, STAFF_PAGE),
        data={**form, "csrf_token": token[:-4] + "AAAA"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert forged.status_code == 400


def test_failed_logins_are_counted_for_the_whole_site(site):
    """Failures spread over A, B and C hit one limit, as on one process."""
    browser = requests.Session()
    email = STAFF["admin"][0]
    answers = []
    for _attempt in range(LOGIN_LIMIT + 3):
        url = site.next_url("/login")
        answers.append(_sign_in(browser, url, url, "wrong-" + PASSWORD, email))
    statuses = [answer.status_code for answer in answers]
    # Per process, each would have allowed five: 15 failures a minute.
    assert statuses == [401] * LOGIN_LIMIT + [429] * 3, statuses
    assert "Zbyt wiele nieudanych prób logowania" in answers[-1].text
    # The right password waits too, on every process.
    for process in range(3):
        url = site.url(process, "/login")
        assert _sign_in(browser, url, url, email=email).status_code == 429


def _title_in_item(browser, site: Site, process: int, feature_id: int) -> str:
    collection = site.url(process, "/ogc/collections/wroclaw-day_centres")
    item = browser.get(f"{collection}/items/{feature_id}?f=json", timeout=TIMEOUT)
    assert item.status_code == 200, item.text
    return item.json()["properties"]["name"]


def test_an_edit_on_one_process_is_seen_on_the_others_at_once(site):
    feature_id, public = site.feature_id, requests.Session()
    detail = f"/wroclaw/layers/day_centres/{feature_id}"
    # B and C have served the old version: their finders hold it in their caches.
    for process in (1, 2):
        assert OLD_TITLE in public.get(site.url(process, SEARCH), timeout=TIMEOUT).text
        assert OLD_TITLE in public.get(site.url(process, detail), timeout=TIMEOUT).text
        assert _title_in_item(public, site, process, feature_id) == OLD_TITLE

    editor = _signed_in(site, 0)
    page = editor.get(site.url(0, f"{detail}/edit"), timeout=TIMEOUT).text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    form = valid_form(DAY_CENTRES, name=NEW_TITLE)
    saved = editor.post(
        site.url(0, f"{detail}/edit"),
        data={**form, "version": version, "csrf_token": _token(page)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert saved.status_code == 303, site.log(0)

    for process in (1, 2):
        found = public.get(site.url(process, SEARCH), timeout=TIMEOUT).text
        assert NEW_TITLE in found and OLD_TITLE not in found, process
        shown = public.get(site.url(process, detail), timeout=TIMEOUT).text
        assert NEW_TITLE in shown and OLD_TITLE not in shown, process
        service = public.get(
            site.url(process, f"/wroclaw/services/{feature_id}"), timeout=TIMEOUT
        )
        assert NEW_TITLE in service.text, process
        assert _title_in_item(public, site, process, feature_id) == NEW_TITLE


@dataclass
class Writes:
    """What the writers were told: confirmed titles, refusals, failed connections."""

    confirmed: dict[str, int] = field(default_factory=dict)  # title → process
    refused: list[tuple[str, int]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    broken: list[BaseException] = field(default_factory=list)  # a writer's own bug
    answered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)

    def answer(self, title: str, process: int, status: int) -> None:
        with self.lock:
            self.answered += 1
            if status == 303:
                self.confirmed[title] = process
            else:
                self.refused.append((title, status))
            if self.answered >= KILL_AFTER:
                self.enough.set()


def _writer(site, cookies, form, numbers, writes: Writes) -> None:
    try:
        _write(site, cookies, form, numbers, writes)
    except BaseException as error:
        writes.broken.append(error)
        raise


def _write(site, cookies, form, numbers, writes: Writes) -> None:
    browser = requests.Session()
    browser.cookies.update(cookies)
    token = _form_token(browser, site.url(0, STAFF_PAGE))
    for number in numbers:
        process, title = number % 3, f"Zapis {number:03d} w trakcie awarii"
        try:
            answer = browser.post(
                site.url(process, STAFF_PAGE),
                data={**form, "name": title, "csrf_token": token},
                allow_redirects=False,
                timeout=TIMEOUT,
            )
        except requests.RequestException:
            # Refused connection, or one cut off by the kill: not confirmed.
            with writes.lock:
                writes.failed.append(title)
            continue
        writes.answer(title, process, answer.status_code)


def _stored_titles(database: str) -> set[str]:
    engine = sa.create_engine(database)
    with engine.connect() as connection:
        titles = connection.exec_driver_sql(
            "SELECT properties->>'name' FROM features WHERE layer = 'day_centres'"
        ).scalars()
        found = set(titles)
    engine.dispose()
    return found


def test_killing_a_process_loses_no_confirmed_write(site):
    """Writes go round A, B, C; C is killed midway. Runs last: C stays dead."""
    signed = _signed_in(site, 0)
    form = valid_form(DAY_CENTRES)
    writes = Writes()
    writers = [
        threading.Thread(
            target=_writer,
            args=(site, signed.cookies, form, range(i, WRITES, WRITERS), writes),
            daemon=True,
        )
        for i in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    assert writes.enough.wait(30), "the writers got no answers"
    site.processes[2].send_signal(signal.SIGKILL)
    for writer in writers:
        writer.join(timeout=60)
    assert not any(writer.is_alive() for writer in writers)

    assert writes.broken == []
    assert site.processes[2].wait(timeout=10) == -signal.SIGKILL
    assert writes.refused == [], writes.refused
    # C's share after the kill failed; A and B went on confirming.
    assert writes.failed, "no write reached the killed process"
    assert len(writes.confirmed) + len(writes.failed) == WRITES
    assert {0, 1} <= set(writes.confirmed.values())
    stored = _stored_titles(site.database)
    lost = sorted(set(writes.confirmed) - stored)
    assert lost == [], lost
    for process in (0, 1):
        assert requests.get(site.url(process, "/readyz"), timeout=TIMEOUT).ok
