"""Admins manage editor accounts; every editor manages their own API tokens."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from newsletter.models import Editor
from tests.support.admin import log_in, submit_login


def test_an_admin_adds_an_editor_who_can_then_log_in(as_admin, app, db):
    response = as_admin.post("/admin/editors", {"email": "new@newsroom.example", "name": "Nia",
                                                "password": "a long password", "role": "editor"})
    assert response.status_code == 302
    log_in(app.test_client(), "new@newsroom.example", "a long password")


def test_bad_editor_input_is_refused_and_nothing_is_written(as_admin, db):
    before = db.scalar(select(func.count()).select_from(Editor))
    for data, message in [
        ({"email": "x@newsroom.example", "password": "short"}, "at least 10"),
        ({"email": "nope", "password": "a long password"}, "not valid"),
        ({"email": "y@newsroom.example", "password": "a long password", "role": "owner"}, "admin or editor"),
        ({"email": "admin@newsroom.example", "password": "a long password"}, "already exists"),
    ]:
        response = as_admin.post("/admin/editors", data)
        assert 400 <= response.status_code < 500
        assert message in response.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Editor)) == before


def test_a_disabled_editor_is_logged_out_and_cannot_log_in(as_admin, as_editor, editor, app):
    assert as_editor.get("/admin/").status_code == 200
    assert as_admin.post(f"/admin/editors/{editor.id}/active", {"active": "0"}).status_code == 302
    assert as_editor.get("/admin/").status_code == 302  # the open session ends
    client = app.test_client()
    response = submit_login(client, editor.email)
    assert response.status_code == 401


def test_an_admin_cannot_disable_themselves(as_admin, admin_user):
    response = as_admin.post(f"/admin/editors/{admin_user.id}/active", {"active": "0"})
    assert response.status_code == 422


def test_an_editor_creates_a_token_that_works_on_the_api_and_can_revoke_it(as_editor, client):
    response = as_editor.post("/admin/tokens", {"name": "CMS"})
    assert response.status_code == 201
    token = re.search(r'id="new-token">([^<]+)<', response.get_data(as_text=True)).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/topics", headers=headers).status_code == 200
    token_id = re.search(r'/admin/tokens/(\d+)/revoke', as_editor.get("/admin/tokens")
                         .get_data(as_text=True)).group(1)
    assert as_editor.post(f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/topics", headers=headers).status_code == 401


def test_a_token_needs_a_name_and_others_tokens_cannot_be_revoked(as_editor, as_admin):
    assert as_editor.post("/admin/tokens", {"name": ""}).status_code == 422
    as_admin.post("/admin/tokens", {"name": "admin's"})
    assert as_editor.post("/admin/tokens/1/revoke").status_code == 404


def test_the_add_editor_form_defaults_to_the_editor_role(as_admin):
    html = as_admin.get("/admin/editors").get_data(as_text=True)
    assert '<option value="editor" selected>' in html
    assert '<option value="admin" >' in html or '<option value="admin">' in html
