"""Retention: unconfirmed sign-ups are purged after 30 days (a setting, run by the tick);
the data export lists what we sent; pages opened by a personal link are never cached."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from newsletter.jobs import tick
from newsletter.models import BounceRecord, Subscriber, utcnow
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import post_form, token
from tests.support.delivery import Sender, bulk_subscribers, scheduled_edition, start


def _remaining(db) -> set[str]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return set(db.scalars(select(Subscriber.email)))


def test_the_tick_purges_sign_ups_never_confirmed_after_30_days(runtime, db) -> None:
    topic = make_topic(db)
    now = utcnow()
    make_subscriber(db, "stale@example.com", [topic], status="pending",
                    created_at=now - timedelta(days=31))
    make_subscriber(db, "recent@example.com", [topic], status="pending",
                    created_at=now - timedelta(days=29))
    make_subscriber(db, "resent@example.com", [topic], status="pending",
                    created_at=now - timedelta(days=60), last_mail_at=now - timedelta(days=2))
    make_subscriber(db, "left-unconfirmed@example.com", [topic], status="unsubscribed",
                    created_at=now - timedelta(days=40), confirmed_at=None)
    make_subscriber(db, "old-reader@example.com", [topic], status="unsubscribed",
                    created_at=now - timedelta(days=400))
    db.commit()

    assert tick(now)["purged_unconfirmed"] == 2
    assert _remaining(db) == {"recent@example.com", "resent@example.com",
                              "old-reader@example.com"}


def test_the_purge_window_is_a_setting(runtime, db) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, purge_unconfirmed_days=7)
    now = utcnow()
    make_subscriber(db, "week@example.com", [make_topic(db)], status="pending",
                    created_at=now - timedelta(days=8))
    db.commit()
    tick(now)
    assert _remaining(db) == set()


def test_the_export_lists_deliveries_bounces_and_the_last_mail_date(runtime, client, db, smtp
                                                                    ) -> None:
    topic = make_topic(db)
    [email] = bulk_subscribers(db, 1, [topic], prefix="exported")
    edition_id = scheduled_edition(db, [topic], subject="Tuesday briefing")
    start(runtime, edition_id)
    Sender(runtime, smtp.url).drain(edition_id)
    row = db.scalars(select(Subscriber).where(Subscriber.email == email)).one()
    db.add(BounceRecord(digest="d" * 64, source="api", kind="bounce", address=email,
                        status="4.2.2", reason="mailboxfull", hard=False,
                        subscriber_id=row.id, edition_id=edition_id))
    db.commit()
    assert len(smtp.inbox(email)) == 1

    page = f"/preferences/{token(Purpose.PREFERENCES, row.id)}"
    data = json.loads(post_form(client, page, {}, action=f"{page}/export").get_data(as_text=True))
    [delivery] = data["deliveries"]
    assert delivery["edition_id"] == edition_id and delivery["status"] == "sent"
    assert delivery["sent_at"] and data["last_mail_at"] == delivery["sent_at"]
    [bounce] = data["bounces"]
    assert (bounce["kind"], bounce["reason"], bounce["edition_id"]) == (
        "bounce", "mailboxfull", edition_id)


@pytest.mark.parametrize("purpose", list(Purpose))
def test_pages_opened_by_a_personal_link_are_never_cached(client, db, purpose: Purpose) -> None:
    row = make_subscriber(db, "private@example.com", [make_topic(db)], status="pending")
    db.commit()
    response = client.get(f"/{purpose.value}/{token(purpose, row.id)}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_even_a_refused_personal_link_is_not_cached(client) -> None:
    response = client.get("/preferences/forged.token")
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"


def test_the_export_download_is_not_cached(client, db) -> None:
    row = make_subscriber(db, "dl@example.com", [make_topic(db)])
    db.commit()
    page = f"/preferences/{token(Purpose.PREFERENCES, row.id)}"
    response = post_form(client, page, {}, action=f"{page}/export")
    assert response.headers["Cache-Control"] == "no-store"
