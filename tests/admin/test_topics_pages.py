"""Topics from the editors' pages: create, edit, archive, restore; bad input writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from newsletter.models import Topic
from tests.factories import make_subscriber, make_topic


def topic_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Topic))


def test_an_editor_creates_a_topic_and_sees_it_listed_with_its_subscriber_count(as_editor, db):
    response = as_editor.post("/admin/topics/new", {"slug": "climate", "name": "Climate",
                                                    "description": "Policy and science."})
    assert response.status_code == 302
    topic = db.scalar(select(Topic).where(Topic.slug == "climate"))
    make_subscriber(db, "a@example.com", [topic])
    make_subscriber(db, "b@example.com", [topic])
    db.commit()

    page = as_editor.get("/admin/topics").get_data(as_text=True)
    assert "Climate" in page and "Policy and science." in page
    assert '<td class="num" data-label="Active subscribers">2</td>' in page
    assert "/admin/topics/climate/feeds" in page and "/admin/topics/climate/articles" in page


def test_a_bad_slug_is_refused_with_a_message_and_nothing_is_written(as_editor, db):
    response = as_editor.post("/admin/topics/new", {"slug": "Not OK!", "name": "X"})
    assert response.status_code == 422
    assert "Slug: lowercase letters" in response.get_data(as_text=True)
    assert topic_count(db) == 0


def test_a_duplicate_slug_is_refused(as_editor, db):
    make_topic(db, "world")
    db.commit()
    response = as_editor.post("/admin/topics/new", {"slug": "world", "name": "World again"})
    assert response.status_code == 409
    assert topic_count(db) == 1


def test_editing_changes_name_and_description_but_not_the_slug(as_editor, db):
    make_topic(db, "world")
    db.commit()
    response = as_editor.post("/admin/topics/world/edit", {"name": "The World",
                                                           "description": "Everywhere."})
    assert response.status_code == 302
    db.expire_all()
    topic = db.scalar(select(Topic).where(Topic.slug == "world"))
    assert (topic.name, topic.description) == ("The World", "Everywhere.")


def test_editing_with_an_empty_name_is_refused(as_editor, db):
    make_topic(db, "world", name="World")
    db.commit()
    response = as_editor.post("/admin/topics/world/edit", {"name": "  ", "description": ""})
    assert response.status_code == 422
    db.expire_all()
    assert db.scalar(select(Topic.name).where(Topic.slug == "world")) == "World"


def test_archive_hides_a_topic_from_sign_up_and_restore_brings_it_back(as_editor, client, db):
    make_topic(db, "world", name="World News")
    db.commit()
    assert as_editor.post("/admin/topics/world/archive").status_code == 302
    assert "World News" not in client.get("/subscribe").get_data(as_text=True)
    assert as_editor.post("/admin/topics/world/restore").status_code == 302
    assert "World News" in client.get("/subscribe").get_data(as_text=True)


def test_an_unknown_topic_is_a_404(as_editor):
    assert as_editor.get("/admin/topics/nope/edit").status_code == 404
    assert as_editor.post("/admin/topics/nope/archive").status_code == 404
