"""Logged-in clients for the editors' pages (real login form, real CSRF tokens)."""

from __future__ import annotations

import pytest

from tests.factories import make_editor
from tests.support.admin import Browser, log_in


@pytest.fixture
def editor(db):
    person = make_editor(db, "editor@newsroom.example", name="Erin Editor")
    db.commit()
    return person


@pytest.fixture
def admin_user(db):
    person = make_editor(db, "admin@newsroom.example", role="admin", name="Ada Admin")
    db.commit()
    return person


@pytest.fixture
def as_editor(app, editor) -> Browser:
    client = app.test_client()
    log_in(client, editor.email)
    return Browser(client)


@pytest.fixture
def as_admin(app, admin_user) -> Browser:
    client = app.test_client()
    log_in(client, admin_user.email)
    return Browser(client)
