"""Accounts: passwords, signing in and out, deactivation, throttling, CLI, audit."""

from contextlib import contextmanager

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, STAFF, client_as, csrf_token, log_in, post_form
from webgis.accounts import users
from webgis.accounts.users import User
from webgis.core import audit
from webgis.core.extensions import db, limiter


def actions(app) -> list[str]:
    with app.app_context():
        return [e.action for e in audit.recent()]


def test_password_hash_never_equals_or_contains_the_password(app):
    user, password = users.create_user(
        "a@test.invalid", "planner", password="secret-password-123"
    )
    db.session.commit()
    assert user.password_hash != password
    assert password not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "argon2", "pbkdf2:"))
    other, _ = users.create_user(
        "b@test.invalid", "planner", password="secret-password-123"
    )
    assert other.password_hash != user.password_hash  # salted


def test_generated_passwords_differ_and_are_long(app):
    assert len({users.generate_password() for _ in range(20)}) == 20
    assert len(users.generate_password()) >= 16


@pytest.mark.parametrize(
    ("email", "role", "refs", "message"),
    [
        ("not-an-email", "planner", [], "Niepoprawny adres e-mail"),
        ("x@test.invalid", "wizard", [], "Nieznana rola"),
        ("x@test.invalid", "organiser", [], "co najmniej jeden obszar"),
    ],
)
def test_bad_accounts_are_refused(demo_app, email, role, refs, message):
    with demo_app.app_context():
        with pytest.raises(users.WebgisError, match=message):
            users.create_user(email, role, areas=users.find_areas(refs))
        db.session.rollback()
        assert db.session.scalar(select(User).where(User.email == email)) is None


def test_login_lands_on_own_area_and_is_audited(staff_app):
    client = staff_app.test_client()
    response = log_in(client, STAFF["organiser_own"][0], PASSWORD)
    assert response.status_code == 303 and response.location.endswith("/me")
    page = client.get("/account").get_data(as_text=True)
    assert "ZTPS 7 Nadodrze" in page and "Filia nr 6" not in page
    assert "login.success" in actions(staff_app)


def test_wrong_password_is_refused_with_a_message_and_audited(staff_app):
    client = staff_app.test_client()
    response = log_in(client, STAFF["planner"][0], "wrong password")
    assert response.status_code == 401
    assert "Nieprawidłowy e-mail lub hasło" in response.get_data(as_text=True)
    assert 'value="planner@test.invalid"' in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302
    with staff_app.app_context():
        entry = audit.recent(action="login.failure")[0]
        assert entry.actor == "planner@test.invalid" and entry.ip == "127.0.0.1"


def test_unknown_email_gets_the_same_answer(staff_app):
    response = log_in(staff_app.test_client(), "nobody@test.invalid", PASSWORD)
    assert response.status_code == 401
    assert "Nieprawidłowy e-mail lub hasło" in response.get_data(as_text=True)


def test_logout_is_a_post_and_ends_the_session(staff_app):
    client = client_as(staff_app, "planner")
    client.get("/logout", follow_redirects=True)  # a link cannot sign you out
    assert client.get("/account").status_code == 200
    response = post_form(client, "/logout", {}, form_url="/account")
    assert response.status_code == 303
    assert client.get("/account").status_code == 302
    assert "logout" in actions(staff_app)


def test_login_redirect_never_leaves_the_site(staff_app):
    client = staff_app.test_client()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": STAFF["admin"][0], "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303 and response.location == "/me"


def test_deactivated_account_cannot_log_in_and_loses_its_session(staff_app):
    with staff_app.app_context():
        users.create_user("d@test.invalid", "planner", "D", PASSWORD)
        db.session.commit()
    client = staff_app.test_client()
    assert log_in(client, "d@test.invalid", PASSWORD).status_code == 303
    with staff_app.app_context():
        user = users.get_user_by_email("d@test.invalid")
        users.save_user(user, user.email, "planner", "D", [], active=False)
    assert client.get("/account").status_code == 302
    response = log_in(staff_app.test_client(), "d@test.invalid", PASSWORD)
    assert response.status_code == 401


@contextmanager
def login_limits(app, account="1000 per minute", address="1000 per minute"):
    """Throttle failed logins of ``app`` per account and per address, then undo it."""
    saved = {
        key: app.config[key]
        for key in ("WEBGIS_LOGIN_LIMIT", "WEBGIS_LOGIN_ADDRESS_LIMIT")
    }
    app.config["WEBGIS_LOGIN_LIMIT"] = account
    app.config["WEBGIS_LOGIN_ADDRESS_LIMIT"] = address
    with app.app_context():
        limiter.reset()
    try:
        yield
    finally:
        app.config.update(saved)
        with app.app_context():
            limiter.reset()


def browser_at(app, address: str):
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_repeated_failed_logins_are_throttled_with_a_clear_message(staff_app):
    with login_limits(staff_app, account="3 per minute"):
        client = staff_app.test_client()
        codes = [
            log_in(client, STAFF["admin"][0], "nope").status_code for _ in range(3)
        ]
        assert codes == [401, 401, 401]
        response = log_in(client, STAFF["admin"][0], PASSWORD)  # even the right one
        assert response.status_code == 429
        assert "Zbyt wiele nieudanych prób logowania" in response.get_data(as_text=True)
        assert '<form method="post"' in response.get_data(as_text=True)


def test_a_locked_account_does_not_lock_colleagues_at_the_same_address(staff_app):
    with login_limits(staff_app, account="5 per minute", address="30 per minute"):
        office = browser_at(staff_app, "192.0.2.10")
        codes = [
            log_in(office, STAFF["planner"][0], "nope").status_code for _ in range(5)
        ]
        assert codes == [401] * 5
        assert log_in(office, STAFF["planner"][0], PASSWORD).status_code == 429
        # The same e-mail typed differently is the same account.
        shouted = f"  {STAFF['planner'][0].upper()} "
        assert log_in(office, shouted, PASSWORD).status_code == 429
        colleague = browser_at(staff_app, "192.0.2.10")
        assert log_in(colleague, STAFF["admin"][0], PASSWORD).status_code == 303
        # The locked person can still sign in from another place.
        home = browser_at(staff_app, "198.51.100.7")
        assert log_in(home, STAFF["planner"][0], PASSWORD).status_code == 303


def test_one_address_trying_many_accounts_is_throttled(staff_app):
    with login_limits(staff_app, account="5 per minute", address="3 per minute"):
        attacker = browser_at(staff_app, "203.0.113.5")
        codes = [
            log_in(attacker, email, "nope").status_code
            for email in ("a@test.invalid", "b@test.invalid", STAFF["planner"][0])
        ]
        assert codes == [401, 401, 401]
        response = log_in(attacker, STAFF["admin"][0], PASSWORD)
        assert response.status_code == 429
        assert "Zbyt wiele nieudanych prób logowania" in response.get_data(as_text=True)
        elsewhere = browser_at(staff_app, "198.51.100.8")
        assert log_in(elsewhere, STAFF["admin"][0], PASSWORD).status_code == 303


def test_successful_logins_do_not_count_towards_the_limit(staff_app):
    with login_limits(staff_app, account="2 per minute", address="2 per minute"):
        for _ in range(4):
            client = staff_app.test_client()
            assert log_in(client, STAFF["admin"][0], PASSWORD).status_code == 303


def test_post_without_csrf_token_is_refused(staff_app):
    client = staff_app.test_client()
    response = client.post(
        "/login", data={"email": STAFF["admin"][0], "password": PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/account").status_code == 302


def test_session_cookie_is_httponly_and_samesite(staff_app):
    client = staff_app.test_client()
    log_in(client, STAFF["admin"][0], PASSWORD)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_security_headers_and_a_map_friendly_policy(client):
    response = client.get("/wroclaw/map")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain http
    nonce = policy.split("'nonce-")[1].split("'")[0]
    page = response.get_data(as_text=True)
    # every inline script of the map carries the nonce, so the policy lets it run
    inline = page.count("<script>") + page.count(f'<script nonce="{nonce}">')
    assert page.count(f'<script nonce="{nonce}">') == inline >= 2


def test_hsts_under_https(client):
    response = client.get("/", base_url="https://mapa.example")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_cli_adds_lists_and_resets_users(runner, app):
    runner.invoke(args=["demo"])
    result = runner.invoke(
        args=[
            "users",
            "add",
            "Ola@Test.Invalid",
            "--role",
            "organiser",
            "--area",
            "wroclaw:ZTPS-7",
            "--area",
            "wroclaw:ZTPS-8",
            "--name",
            "Ola",
        ]
    )
    assert result.exit_code == 0, result.output
    first = result.output.split("hasło: ")[1].strip()
    listing = runner.invoke(args=["users", "list"]).output
    assert "ola@test.invalid\torganiser\twroclaw:ZTPS-7 wroclaw:ZTPS-8" in listing
    result = runner.invoke(args=["users", "passwd", "ola@test.invalid"])
    second = result.output.split("nowe hasło: ")[1].strip()
    assert second != first
    assert users.authenticate("ola@test.invalid", second) is not None
    assert users.authenticate("ola@test.invalid", first) is None
    assert {"users.create", "users.password"} <= set(actions(app))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "add", "x@test.invalid", "--role", "organiser"], "obszar"),
        (
            [
                "users",
                "add",
                "x@test.invalid",
                "--role",
                "organiser",
                "--area",
                "wroclaw:ZTPS-99",
            ],
            "Nie ma obszaru wroclaw:ZTPS-99",
        ),
        (["users", "add", "x@test.invalid", "--role", "king"], "Invalid value"),
        (["users", "passwd", "ghost@test.invalid"], "Nie ma użytkownika"),
    ],
)
def test_cli_refuses_bad_accounts(runner, args, message):
    runner.invoke(args=["demo"])
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and message in result.output
    assert "x@test.invalid" not in runner.invoke(args=["users", "list"]).output


def test_demo_creates_one_account_per_role_with_printed_passwords(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "hasło:" in line]
    assert len(lines) == 4
    roles = sorted(line.split()[0] for line in lines)
    assert roles == ["admin", "organiser", "organiser", "planner"]
    email, password = lines[0].split()[1], lines[0].split("hasło: ")[1]
    assert users.authenticate(email, password) is not None
    again = runner.invoke(args=["demo"]).output
    assert password not in again  # a re-run hands out new passwords
    ztps7 = users.get_user_by_email("organizator.ztps7@demo.invalid")
    assert ztps7.area_refs() == ["wroclaw:ZTPS-7"]
