"""Privacy: a subscriber downloads their data as JSON, or erases it; erasure keeps only a hash."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from newsletter.models import Subscriber, Subscription, Suppression
from newsletter.subscribers.service import is_suppressed
from newsletter.subscribers.suppression import derive_key, keyed_hash
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import post_form, token


def test_export_is_a_json_download_of_everything_we_hold(client, db) -> None:
    world = make_topic(db, "world", name="World")
    make_topic(db, "climate")
    row = make_subscriber(db, "Ann@example.com", [world])
    db.commit()
    page = f"/preferences/{token(Purpose.PREFERENCES, row.id)}"
    response = post_form(client, page, {}, action=f"{page}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data(as_text=True))
    assert data["email"] == "Ann@example.com"
    assert data["status"] == "active"
    assert data["topics"] == [{"slug": "world", "name": "World"}]
    assert data["confirmed_at"] and data["created_at"]
    assert set(data) == {"email", "status", "topics", "created_at", "confirmed_at",
                         "unsubscribed_at", "paused_until", "last_mail_at", "deliveries",
                         "bounces", "clicks", "opens", "timezone", "cadence", "briefing_hour",
                         "briefing_weekday", "last_briefing_at", "next_briefing_at"}
    assert (data["timezone"], data["cadence"], data["briefing_hour"]) == (None, "edition", 7)


def test_export_holds_the_readers_zone_and_cadence(client, db) -> None:
    row = make_subscriber(db, "tz@example.com", [make_topic(db, "world")],
                          timezone="Asia/Kathmandu", cadence="weekly", briefing_hour=6,
                          briefing_weekday=4)
    db.commit()
    page = f"/preferences/{token(Purpose.PREFERENCES, row.id)}"
    data = json.loads(post_form(client, page, {}, action=f"{page}/export").get_data(as_text=True))
    assert {k: data[k] for k in ("timezone", "cadence", "briefing_hour", "briefing_weekday")} == {
        "timezone": "Asia/Kathmandu", "cadence": "weekly", "briefing_hour": 6,
        "briefing_weekday": 4}


def test_erase_deletes_the_subscriber_and_keeps_only_a_keyed_hash(client, db, settings) -> None:
    row = make_subscriber(db, "Gone@Example.com", [make_topic(db)])
    db.commit()
    page = f"/preferences/{token(Purpose.PREFERENCES, row.id)}"
    response = post_form(client, page, {"confirm": "y"}, action=f"{page}/erase")
    assert response.status_code == 200
    assert "Your data is erased" in response.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 0
    assert db.scalar(select(func.count()).select_from(Subscription)) == 0
    [kept] = db.scalars(select(Suppression)).all()
    assert kept.email_hash == keyed_hash(derive_key(settings.secret_key), "gone@example.com")
    assert "gone" not in kept.email_hash.lower()
    assert is_suppressed(db, "GONE@example.com")
    assert client.get(page).status_code == 404


def test_erase_needs_the_box_ticked(client, db) -> None:
    row = make_subscriber(db, "careful@example.com", [make_topic(db)])
    db.commit()
    page = f"/preferences/{token(Purpose.PREFERENCES, row.id)}"
    response = post_form(client, page, {}, action=f"{page}/erase")
    assert response.status_code == 422
    assert "Tick the box" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 1


def test_a_later_import_does_not_re_add_an_erased_address(client, db) -> None:
    from newsletter.subscribers.importer import import_subscribers

    row = make_subscriber(db, "gone@example.com", [make_topic(db, "world")])
    db.commit()
    page = f"/preferences/{token(Purpose.PREFERENCES, row.id)}"
    post_form(client, page, {"confirm": "y"}, action=f"{page}/erase")

    report = import_subscribers(db, ["email,topics", "GONE@example.com,world",
                                     "kept@example.com,world"], "active")
    db.commit()
    assert report.suppressed == 1
    assert db.scalars(select(Subscriber.email)).all() == ["kept@example.com"]
