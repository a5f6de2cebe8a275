"""The preferences page says the status in words and when the next briefing comes."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from newsletter.editorial.editions import create_edition
from newsletter.models import utcnow
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic, make_update
from tests.subscribers.pages import token


def _page(client, subscriber_id: int) -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/preferences/{token(Purpose.PREFERENCES, subscriber_id)}").get_data(
        as_text=True)


def test_the_next_briefing_is_the_first_scheduled_edition_on_the_readers_topics(client, db):
    world, climate = make_topic(db, "world", name="World"), make_topic(db, "climate", name="Climate")
    reader = make_subscriber(db, "reader@example.com", [climate])
    when = (utcnow() + timedelta(days=2)).replace(hour=7, minute=30, second=0, microsecond=0)
    create_edition(db, "Only world", [make_update(db, world).id], when - timedelta(days=1))
    create_edition(db, "Both", [make_update(db, world).id, make_update(db, climate).id], when)
    db.commit()

    page = _page(client, reader.id)
    assert (f"Your next briefing: <strong>{when.strftime('%A %-d %B at 07:30')}</strong> "
            "(UTC, the list's time zone)") in page
    assert "with Climate." in page


def test_the_next_briefing_is_said_on_the_readers_own_clock(client, db):
    world = make_topic(db, "world", name="World")
    reader = make_subscriber(db, "reader@example.com", [world], timezone="Asia/Kathmandu")
    when = (utcnow() + timedelta(days=2)).replace(hour=7, minute=30, second=0, microsecond=0)
    create_edition(db, "Soon", [make_update(db, world).id], when)
    db.commit()
    local = when.astimezone(ZoneInfo("Asia/Kathmandu"))  # 13:15 there
    assert (f"<strong>{local.strftime('%A %-d %B at 13:15')}</strong> (your time, Asia/Kathmandu)"
            in _page(client, reader.id))


def test_a_local_time_edition_is_said_at_its_local_time_on_the_readers_clock(client, db):
    world = make_topic(db, "world", name="World")
    reader = make_subscriber(db, "reader@example.com", [world], timezone="Asia/Kathmandu")
    when = (utcnow() + timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
    edition = create_edition(db, "Local", [make_update(db, world).id], when)
    edition.delivery, edition.local_time, edition.timezone = "local", "07:00", "UTC"
    db.commit()
    assert (f"<strong>{when.strftime('%A %-d %B at 07:00')}</strong> (your time, Asia/Kathmandu)"
            in _page(client, reader.id))


def test_without_a_scheduled_edition_the_page_says_so(client, db):
    reader = make_subscriber(db, "reader@example.com", [make_topic(db, "world")])
    db.commit()
    assert "No edition is scheduled on your topics yet" in _page(client, reader.id)


def test_statuses_are_said_in_words(client, db):
    topic = make_topic(db, "world")
    pending = make_subscriber(db, "p@example.com", [topic], status="pending")
    paused = make_subscriber(db, "z@example.com", [topic], status="paused")
    db.commit()
    page = _page(client, pending.id)
    assert "Waiting for confirmation" in page and "press the button in the confirmation email" in page
    page = _page(client, paused.id)
    assert ">Paused</span>" in page and "until you resume" in page
    assert ">paused<" not in page and ">pending<" not in page


def test_a_reader_paused_until_they_resume_is_told_how_to_get_the_next_briefing(client, db):
    world = make_topic(db, "world")
    reader = make_subscriber(db, "z@example.com", [world], status="paused")
    create_edition(db, "Soon", [make_update(db, world).id], utcnow() + timedelta(days=1))
    db.commit()
    page = _page(client, reader.id)
    assert "Resume to get the next briefing on your topics." in page
    assert "No edition is scheduled" not in page
