"""Editor login: a per-account limit next to the per-IP one, a fresh session and CSRF token
at login, a session version so logout, disabling and a new password end every old cookie,
password changes and resets, and no common passwords."""

from __future__ import annotations

import pytest
from flask import Flask

from newsletter import create_app
from newsletter.accounts.service import authenticate
from tests.factories import make_editor
from tests.support.admin import Browser, csrf_token, log_in, submit_login
from tests.support.app import TEST_CONFIG

NEW = "plum orbit candle ferry"
COMMON = ["password1234", "qwertyuiop123", "Password123!", "iloveyou2024", "1234567890"]


def _client_at(app: Flask, address: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _copy_session(app: Flask, source):  # type: ignore[no-untyped-def]
    """A second client carrying a copy of `source`'s session cookie (a stolen cookie)."""
    other = app.test_client()
    cookie = source.get_cookie("session")
    other.set_cookie("session", cookie.value, domain=cookie.domain)
    return other


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/admin/").status_code == 200


@pytest.fixture
def strict_app(settings, redis_db, app) -> Flask:  # type: ignore[no-untyped-def]
    """The app with a low per-account limit (and the per-IP limit out of the way)."""
    return create_app(settings, {**TEST_CONFIG, "LOGIN_LIMIT_ACCOUNT": "3 per minute"})


def test_failed_logins_are_limited_per_account_whatever_the_address(strict_app, db) -> None:
    make_editor(db, "target@newsroom.example")
    make_editor(db, "bystander@newsroom.example")
    db.commit()
    for n in range(3):
        wrong = submit_login(_client_at(strict_app, f"203.0.113.{n}"), "Target@newsroom.example",
                             "not the password")
        assert wrong.status_code == 401
    blocked = submit_login(_client_at(strict_app, "198.51.100.7"), "target@newsroom.example")
    assert blocked.status_code == 429
    assert submit_login(_client_at(strict_app, "198.51.100.8"),
                        "bystander@newsroom.example").status_code == 302


def test_successful_logins_do_not_use_up_the_account_limit(strict_app, db) -> None:
    make_editor(db, "daily@newsroom.example")
    db.commit()
    for n in range(5):
        log_in(_client_at(strict_app, f"192.0.2.{n}"), "daily@newsroom.example")


def test_login_starts_a_fresh_session_and_csrf_token(app, editor) -> None:
    client = app.test_client()
    before = csrf_token(client)
    with client.session_transaction() as planted:  # anything set before login is dropped
        planted["planted"] = "by someone else"
    log_in(client, editor.email)
    with client.session_transaction() as current:
        assert "planted" not in current
    response = client.post("/admin/logout", data={"csrf_token": before})
    assert response.status_code == 400  # the pre-login token no longer counts
    assert _signed_in(client)
    assert csrf_token(client, "/admin/") != before


def test_logout_ends_every_session_of_that_editor(app, editor) -> None:
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, editor.email)
    log_in(phone, editor.email)
    stolen = _copy_session(app, laptop)
    assert _signed_in(stolen)

    Browser(laptop).post("/admin/logout")
    assert not _signed_in(laptop)
    assert not _signed_in(phone)
    assert not _signed_in(stolen)


def test_a_disabled_then_re_enabled_editor_must_log_in_again(app, as_admin, editor) -> None:
    client = app.test_client()
    log_in(client, editor.email)
    as_admin.post(f"/admin/editors/{editor.id}/active", {"active": "0"})
    as_admin.post(f"/admin/editors/{editor.id}/active", {"active": "1"})
    assert not _signed_in(client)
    log_in(client, editor.email)


def test_an_editor_changes_their_password_and_other_sessions_end(app, db, editor) -> None:
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, editor.email)
    log_in(elsewhere, editor.email)
    response = Browser(here).post("/admin/profile/password", {
        "current_password": "correct horse battery", "new_password": NEW,
        "confirm_password": NEW})
    assert response.status_code == 302
    assert _signed_in(here)
    assert not _signed_in(elsewhere)
    assert submit_login(app.test_client(), editor.email).status_code == 401
    log_in(app.test_client(), editor.email, NEW)


def test_changing_the_password_needs_the_current_one(app, db, as_editor, editor) -> None:
    response = as_editor.post("/admin/profile/password", {
        "current_password": "a wrong guess here", "new_password": NEW, "confirm_password": NEW})
    assert response.status_code == 422
    assert "current password is not right" in response.get_data(as_text=True)
    db.expire_all()
    assert authenticate(db, editor.email, "correct horse battery") is not None


def test_an_admin_resets_a_password_and_the_editor_is_signed_out(app, db, as_admin, editor
                                                                 ) -> None:
    client = app.test_client()
    log_in(client, editor.email)
    response = as_admin.post(f"/admin/editors/{editor.id}/password", {"new_password": NEW})
    assert response.status_code == 302
    assert not _signed_in(client)
    log_in(app.test_client(), editor.email, NEW)


def test_an_editor_cannot_reset_someone_elses_password(as_editor, admin_user, db) -> None:
    response = as_editor.post(f"/admin/editors/{admin_user.id}/password", {"new_password": NEW})
    assert response.status_code == 403
    db.expire_all()
    assert authenticate(db, admin_user.email, "correct horse battery") is not None


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_are_refused_everywhere(app, db, as_admin, editor, runner,
                                                 password: str) -> None:
    client = app.test_client()
    log_in(client, editor.email)
    own = Browser(client)
    change = own.post("/admin/profile/password", {
        "current_password": "correct horse battery", "new_password": password,
        "confirm_password": password})
    reset = as_admin.post(f"/admin/editors/{editor.id}/password", {"new_password": password})
    create = as_admin.post("/admin/editors", {"email": "nu@newsroom.example", "password": password,
                                              "role": "editor"})
    for response in (change, reset, create):
        assert response.status_code == 422
        assert "less common password" in response.get_data(as_text=True)
    cli = runner.invoke(args=["create-editor", "cli@newsroom.example", "--password-stdin"],
                        input=password + "\n")
    assert cli.exit_code == 2 and "less common password" in cli.output
    db.expire_all()
    assert authenticate(db, editor.email, "correct horse battery") is not None


def test_a_password_made_of_the_editors_own_address_is_refused(as_admin) -> None:
    response = as_admin.post("/admin/editors", {"email": "maria.lopez@newsroom.example",
                                                "password": "marialopez2024", "role": "editor"})
    assert response.status_code == 422
