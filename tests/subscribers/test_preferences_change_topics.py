"""The preference page checks and unchecks topics, says what changed, and nothing else moves."""

from __future__ import annotations

from sqlalchemy import select

from newsletter.editorial.topics import archive_topic
from newsletter.models import SubscriberStatus, Topic
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_topic
from tests.subscribers.pages import post_form, token


def slugs(db, row) -> set[str]:  # type: ignore[no-untyped-def]
    db.refresh(row)
    return set(db.scalars(select(Topic.slug).where(Topic.id.in_(row.topic_ids))))


def test_check_and_uncheck_including_a_topic_added_later(client, db, reader) -> None:
    make_topic(db, "science", name="Science")
    db.commit()
    page = f"/preferences/{token(Purpose.PREFERENCES, reader.id)}"
    assert 'value="science"' in client.get(page).get_data(as_text=True)
    response = post_form(client, page, {"topics": ["climate", "science"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Added: Climate, Science." in html and "Removed: World." in html
    assert slugs(db, reader) == {"climate", "science"}
    assert reader.status == SubscriberStatus.ACTIVE


def test_saving_without_changes_says_so(client, db, reader) -> None:
    page = f"/preferences/{token(Purpose.PREFERENCES, reader.id)}"
    html = post_form(client, page, {"topics": ["world"]}).get_data(as_text=True)
    assert "Saved. Nothing changed." in html
    assert slugs(db, reader) == {"world"}


def test_unchecking_everything_is_allowed(client, db, reader) -> None:
    page = f"/preferences/{token(Purpose.PREFERENCES, reader.id)}"
    assert post_form(client, page, {}).status_code == 200
    assert slugs(db, reader) == set()
    assert reader.status == SubscriberStatus.ACTIVE


def test_a_subscription_to_an_archived_topic_is_not_dropped_by_saving(client, db, reader) -> None:
    old = make_topic(db, "old-news", name="Old news")
    reader.subscriptions.append(type(reader.subscriptions[0])(topic_id=old.id))
    db.commit()
    archive_topic(db, "old-news")
    db.commit()
    page = f"/preferences/{token(Purpose.PREFERENCES, reader.id)}"
    html = post_form(client, page, {"topics": ["world", "climate"]}).get_data(as_text=True)
    assert "Removed" not in html
    assert slugs(db, reader) == {"world", "climate", "old-news"}


def test_an_unknown_topic_is_refused_and_nothing_changes(client, db, reader) -> None:
    page = f"/preferences/{token(Purpose.PREFERENCES, reader.id)}"
    response = post_form(client, page, {"topics": ["climate", "made-up"]})
    assert response.status_code == 422
    assert "Unknown topic: made-up" in response.get_data(as_text=True)
    assert slugs(db, reader) == {"world"}
