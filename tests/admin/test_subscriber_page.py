"""One subscriber's page: topics, status, history, and resend / unsubscribe / erase."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from newsletter.models import Delivery, Subscriber
from tests.factories import make_subscriber, make_topic
from tests.support.delivery import scheduled_edition


def test_the_page_shows_status_topics_and_editions_received(as_editor, db):
    world = make_topic(db, "world", name="World")
    reader = make_subscriber(db, "reader@example.com", [world])
    edition_id = scheduled_edition(db, [world], subject="Monday briefing")
    db.add(Delivery(edition_id=edition_id, subscriber_id=reader.id, topics_mask=1, status="sent"))
    db.commit()

    html = as_editor.get(f"/admin/subscribers/{reader.id}").get_data(as_text=True)
    assert "reader@example.com" in html and "World" in html
    assert ">Active</span>" in html
    assert "Monday briefing" in html


def test_the_page_shows_the_readers_zone_and_cadence(as_editor, db):
    world = make_topic(db, "world", name="World")
    weekly = make_subscriber(db, "weekly@example.com", [world], timezone="Asia/Kathmandu",
                             cadence="weekly", briefing_hour=6, briefing_weekday=4,
                             next_briefing_at=datetime(2026, 6, 12, 0, 15, tzinfo=UTC))
    plain = make_subscriber(db, "plain@example.com", [world])
    db.commit()
    html = as_editor.get(f"/admin/subscribers/{weekly.id}").get_data(as_text=True)
    assert "<dt>Time zone</dt><dd>Asia/Kathmandu</dd>" in html
    assert "<dt>Cadence</dt><dd>Weekly on Friday at 06:00</dd>" in html
    assert "<dt>Next briefing</dt><dd>2026-06-12 06:00 +0545</dd>" in html  # their clock
    html = as_editor.get(f"/admin/subscribers/{plain.id}").get_data(as_text=True)
    assert "<dt>Time zone</dt><dd>UTC <span class=\"fine\">(the list's; the reader gave none)" in html
    assert "<dt>Cadence</dt><dd>Every edition</dd>" in html


def test_the_list_links_to_each_subscriber(as_editor, db):
    reader = make_subscriber(db, "reader@example.com", [make_topic(db, "world")])
    db.commit()
    html = as_editor.get("/admin/subscribers").get_data(as_text=True)
    assert f'href="/admin/subscribers/{reader.id}"' in html


def test_resend_confirmation_sends_a_confirmation_email(as_editor, db, smtp, work):
    reader = make_subscriber(db, "new@example.com", [make_topic(db, "world")], status="pending")
    db.commit()
    response = as_editor.post(f"/admin/subscribers/{reader.id}/resend-confirmation",
                              follow_redirects=True)
    assert "A new confirmation email is on its way." in response.get_data(as_text=True)
    work()
    (message,) = smtp.inbox("new@example.com")
    assert message["Subject"].startswith("Confirm your subscription")


def test_unsubscribe_from_the_page_stops_briefings(as_editor, db):
    reader = make_subscriber(db, "reader@example.com", [make_topic(db, "world")])
    db.commit()
    as_editor.post(f"/admin/subscribers/{reader.id}/unsubscribe")
    db.expire_all()
    assert db.get(Subscriber, reader.id).status == "unsubscribed"


def test_erase_needs_the_box_ticked_and_then_removes_the_person(as_editor, db):
    reader_id = make_subscriber(db, "reader@example.com", [make_topic(db, "world")]).id
    db.commit()
    refused = as_editor.post(f"/admin/subscribers/{reader_id}/erase")
    assert refused.status_code == 422
    db.expire_all()
    assert db.scalar(select(Subscriber.id).where(Subscriber.id == reader_id)) == reader_id

    response = as_editor.post(f"/admin/subscribers/{reader_id}/erase", {"confirm": "y"})
    assert response.status_code == 302
    db.expire_all()
    assert db.scalar(select(Subscriber.id).where(Subscriber.id == reader_id)) is None


def test_an_unknown_subscriber_is_a_404_page(as_editor):
    assert as_editor.get("/admin/subscribers/999999").status_code == 404
