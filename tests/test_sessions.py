"""Server-side sessions: logout, password resets and changes sign a cookie out."""

import hashlib

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, client_as, log_in, post_form
from webgis.accounts import users
from webgis.accounts.users import UserSession
from webgis.core import audit
from webgis.core.extensions import db
from webgis.web.security import SESSION_TOKEN

NEW_PASSWORD = "a-brand-new-passphrase"


def new_user(app, email: str) -> int:
    """A planner of its own, so changing its password spares the shared accounts."""
    with app.app_context():
        user, _ = users.create_user(email, "planner", email.split("@")[0], PASSWORD)
        db.session.commit()
        return user.id


def signed_in(app, email: str, password: str = PASSWORD):
    """A new browser signed in as ``email``."""
    client = app.test_client()
    response = log_in(client, email, password)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def replay(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def assert_signed_out(client):
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.location
    response = client.get("/moderation/")
    assert response.status_code == 302 and "/login" in response.location


def change_password(client, current, new, repeated=None):
    return post_form(
        client,
        "/account/password",
        {
            "current_password": current,
            "new_password": new,
            "new_password_repeated": new if repeated is None else repeated,
        },
    )


def test_replayed_cookie_after_logout_is_refused(staff_app):
    new_user(staff_app, "replay@test.invalid")
    client = signed_in(staff_app, "replay@test.invalid")
    copy = replay(staff_app, client)
    assert copy.get("/account").status_code == 200  # the copy works while signed in
    assert post_form(client, "/logout", {}, form_url="/account").status_code == 303
    assert_signed_out(replay(staff_app, copy))
    assert_signed_out(client)


def test_signing_in_again_ends_the_browsers_previous_session(staff_app):
    new_user(staff_app, "again@test.invalid")
    client = signed_in(staff_app, "again@test.invalid")
    earlier = replay(staff_app, client)
    assert log_in(client, "again@test.invalid", PASSWORD).status_code == 303
    assert client.get("/account").status_code == 200
    assert_signed_out(earlier)


def test_session_token_is_stored_only_as_a_hash(staff_app):
    user_id = new_user(staff_app, "hash@test.invalid")
    client = signed_in(staff_app, "hash@test.invalid")
    with client.session_transaction() as session:
        token = session[SESSION_TOKEN]
    with staff_app.app_context():
        stored = db.session.scalars(
            select(UserSession.token_hash).where(UserSession.user_id == user_id)
        ).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in stored


def test_admin_password_reset_signs_the_user_out(staff_app):
    user_id = new_user(staff_app, "reset@test.invalid")
    first = signed_in(staff_app, "reset@test.invalid")
    second = signed_in(staff_app, "reset@test.invalid")
    admin = client_as(staff_app, "admin")
    response = post_form(
        admin, f"/admin/users/{user_id}/password", {}, f"/admin/users/{user_id}"
    )
    assert response.status_code == 303
    assert_signed_out(first)
    assert_signed_out(second)
    assert admin.get("/account").status_code == 200  # the admin's own stays
    response = log_in(staff_app.test_client(), "reset@test.invalid", PASSWORD)
    assert response.status_code == 401


def test_password_reset_from_the_command_line_signs_the_user_out(staff_app):
    new_user(staff_app, "cli@test.invalid")
    client = signed_in(staff_app, "cli@test.invalid")
    runner = staff_app.test_cli_runner()
    result = runner.invoke(args=["users", "passwd", "cli@test.invalid"])
    assert result.exit_code == 0, result.output
    assert_signed_out(client)


def test_reactivated_account_does_not_revive_its_old_sessions(staff_app):
    new_user(staff_app, "back@test.invalid")
    client = signed_in(staff_app, "back@test.invalid")
    with staff_app.app_context():
        user = users.get_user_by_email("back@test.invalid")
        users.save_user(user, user.email, "planner", "Back", [], active=False)
    assert_signed_out(client)
    with staff_app.app_context():
        user = users.get_user_by_email("back@test.invalid")
        users.save_user(user, user.email, "planner", "Back", [], active=True)
    assert_signed_out(client)
    assert signed_in(staff_app, "back@test.invalid").get("/account").status_code == 200


def test_a_live_session_of_a_deactivated_account_is_refused(staff_app):
    user_id = new_user(staff_app, "off-now@test.invalid")
    client = signed_in(staff_app, "off-now@test.invalid")
    with staff_app.app_context():
        # Switched off behind the application's back: the session record survives.
        db.session.get(users.User, user_id).active = False
        db.session.commit()
    assert_signed_out(client)


def test_account_page_links_to_the_password_form(staff_app):
    page = client_as(staff_app, "planner").get("/account").get_data(as_text=True)
    assert 'href="/account/password"' in page


def test_password_form_needs_a_signed_in_user(staff_app):
    response = staff_app.test_client().get("/account/password")
    assert response.status_code == 302 and "/login" in response.location


def test_changing_own_password_signs_out_other_sessions_only(staff_app):
    new_user(staff_app, "change@test.invalid")
    here = signed_in(staff_app, "change@test.invalid")
    elsewhere = signed_in(staff_app, "change@test.invalid")
    form = here.get("/account/password")
    assert form.status_code == 200 and 'autocomplete="current-password"' in (
        form.get_data(as_text=True)
    )
    response = change_password(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303 and response.location.endswith("/account")
    page = here.get("/account").get_data(as_text=True)
    assert "Hasło zostało zmienione" in page
    assert_signed_out(elsewhere)
    assert signed_in(staff_app, "change@test.invalid", NEW_PASSWORD)
    response = log_in(staff_app.test_client(), "change@test.invalid", PASSWORD)
    assert response.status_code == 401
    with staff_app.app_context():
        entry = audit.recent(action="account.password")[0]
        assert entry.target == "change@test.invalid"
        assert entry.actor == "change@test.invalid"
        logged = " ".join(f"{e.target} {e.detail} {e.actor}" for e in audit.recent())
        assert NEW_PASSWORD not in logged and PASSWORD not in logged


@pytest.mark.parametrize(
    ("current", "new", "repeated", "message"),
    [
        ("not-my-password", NEW_PASSWORD, NEW_PASSWORD, "Obecne hasło jest nieprawid"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "powtórzenie się różnią"),
        (PASSWORD, "short", "short", "co najmniej 10 znaków"),
        (PASSWORD, "", "", "To pole jest wymagane"),
    ],
    ids=["wrong-current", "mismatch", "too-short", "empty"],
)
def test_bad_password_change_is_refused_and_changes_nothing(
    staff_app, request, current, new, repeated, message
):
    email = f"refused-{request.node.callspec.id}@test.invalid"
    new_user(staff_app, email)
    here = signed_in(staff_app, email)
    elsewhere = signed_in(staff_app, email)
    response = change_password(here, current, new, repeated)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 200
    with staff_app.app_context():
        assert users.authenticate(email, PASSWORD) is not None
        assert users.authenticate(email, new) is None
        changes = audit.recent(action="account.password")
        assert email not in [entry.target for entry in changes]
