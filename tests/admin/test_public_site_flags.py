"""Editors choose per topic and per edition whether it appears on the public site."""

from __future__ import annotations

from newsletter.models import Edition, Topic
from tests.factories import make_topic, make_update
from tests.site.helpers import sent_edition


def test_unticking_show_on_public_site_takes_the_topic_page_down(as_editor, app, db):
    make_topic(db, "internal", name="Internal")
    db.commit()
    client = app.test_client()
    assert client.get("/topics/internal").status_code == 200
    form = as_editor.get("/admin/topics/internal/edit").get_data(as_text=True)
    assert 'name="public" value="1" checked' in form
    response = as_editor.post("/admin/topics/internal/edit",
                              data={"name": "Internal", "description": ""})
    assert response.status_code == 302
    db.expire_all()
    assert db.query(Topic).filter_by(slug="internal").one().public is False
    assert client.get("/topics/internal").status_code == 404


def test_a_new_topic_is_public_by_default(as_editor, db):
    form = as_editor.get("/admin/topics/new").get_data(as_text=True)
    assert 'name="public" value="1" checked' in form
    as_editor.post("/admin/topics/new", data={"slug": "fresh", "name": "Fresh", "public": "1"})
    assert db.query(Topic).filter_by(slug="fresh").one().public is True


def test_an_edition_can_be_kept_off_the_archive_and_listed_again(as_editor, app, db):
    topic = make_topic(db, "world")
    edition = sent_edition(db, [make_update(db, topic, "World headline")], "World briefing")
    db.commit()
    client = app.test_client()
    assert "World briefing" in client.get("/archive").get_data(as_text=True)
    as_editor.post(f"/admin/editions/{edition.id}/public", data={"public": "0"})
    db.expire_all()
    assert db.get(Edition, edition.id).public is False
    assert "World briefing" not in client.get("/archive").get_data(as_text=True)
    assert client.get(f"/archive/{edition.id}").status_code == 404
    as_editor.post(f"/admin/editions/{edition.id}/public", data={"public": "1"})
    assert "World briefing" in client.get("/archive").get_data(as_text=True)
