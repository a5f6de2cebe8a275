"""Control characters and odd values in any admin form or query are a 4xx, never a 500."""

from __future__ import annotations

import pytest

from tests.factories import make_topic, make_update

NUL = "bad\x00value"


@pytest.fixture
def newsroom(db):
    topic = make_topic(db, "world")
    update = make_update(db, topic)
    db.commit()
    return update


@pytest.mark.parametrize("path, data", [
    ("/admin/topics/new", {"slug": NUL, "name": NUL, "description": NUL}),
    ("/admin/topics/world/edit", {"name": NUL, "description": NUL}),
    ("/admin/topics/world/updates/new", {"headline": NUL, "lede": NUL, "bullets": NUL,
                                         "status": NUL, "featured": NUL, "article_count": NUL,
                                         "source_url": NUL, "source_title": NUL}),
    ("/admin/topics/world/updates/preview", {"headline": NUL, "source_minutes": NUL}),
    ("/admin/editions/new", {"subject": NUL, "updates": NUL, "send_at": NUL, "timezone": NUL}),
    ("/admin/editions", {"subject": NUL, "updates": "1", "send_at": NUL, "timezone": NUL,
                         "nonce": NUL}),
    ("/admin/editions/test", {"subject": "s", "updates": "1", "send_now": "1",
                              "timezone": "UTC", "test_email": NUL}),
    ("/admin/editors", {"email": NUL, "name": NUL, "password": NUL, "role": NUL}),
    ("/admin/editors", {"email": "ok@newsroom.example", "name": NUL,
                        "password": "a long password", "role": "editor"}),
    ("/admin/tokens", {"name": NUL}),
])
def test_forms_refuse_control_characters_cleanly(as_admin, newsroom, path, data):
    response = as_admin.post(path, data)
    assert response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize("path", [
    "/admin/subscribers?q=bad%00value", "/admin/subscribers?status=bad%00",
    "/admin/subscribers/export.csv?q=bad%00value", "/admin/updates?topic=bad%00",
    "/admin/topics/bad%00/edit", "/admin/topics/" + "x" * 300 + "/updates/new",
    "/admin/editions/1/preview?email=bad%00@example.com",
    "/admin/editions/1/preview?topics=bad%00", "/admin/editions?page=-1",
    "/admin/subscribers?page=99999999999",
])
def test_queries_refuse_control_characters_cleanly(as_admin, newsroom, db, path):
    from datetime import timedelta

    from newsletter.editorial.editions import create_edition
    from newsletter.models import utcnow

    create_edition(db, "S", [newsroom.id], utcnow() + timedelta(hours=1))
    db.commit()
    response = as_admin.get(path)
    assert response.status_code < 500, (path, response.status_code)
