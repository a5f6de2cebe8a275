"""Logged-in clients for the editors' pages (real login form, real CSRF tokens)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.factories import make_editor

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/admin/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    token = csrf_token(client)
    response = client.post("/admin/login", data={"email": email, "password": password,
                                                 "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


class Browser:
    """A test client that sends the CSRF token with every form, like the pages do."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_token(client, "/admin/")

    def get(self, path: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, **kw):  # type: ignore[no-untyped-def]
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kw)


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


SEED_ARTICLES = [
    ("France 24", "Blinken, Lavrov to hold fresh talks on Ukraine crisis as UK’s Johnson heads to Kyiv", 3),
    ("Financial Times", "US and Russia clash at the UN over Ukraine", 5),
    ("The Washington Post", "Diplomacy continues behind the scenes", 6),
    ("The New York Times", "What Russia wants from NATO", 7),
    ("Reuters", "Troops remain massed on the border", 2),
]


def make_inbox(session, topic, articles=SEED_ARTICLES):  # type: ignore[no-untyped-def]
    """Articles a feed brought in for this topic (newest first in the inbox)."""
    from datetime import timedelta

    from newsletter.models import Article, utcnow

    now = utcnow()
    rows = []
    for i, (outlet, title, minutes) in enumerate(articles):
        url = f"https://news.example/{topic.slug}/{i}"
        rows.append(Article(
            topic_id=topic.id, guid=url, url=url, canonical_url=url, title=title, outlet=outlet,
            summary="", image_url=f"https://img.example/{topic.slug}-{i}.jpg",
            reading_minutes=minutes, published_at=now - timedelta(hours=i),
        ))
    session.add_all(rows)
    session.flush()
    return rows
