"""Welcome, catch-up and daily briefings on the `make run` defaults: SQLite, embedded
Redis, .eml outbox (the same SQL as on PostgreSQL, save the slot UPDATE per group)."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select, update

from newsletter.delivery.jobs import welcome_after_confirm
from newsletter.jobs import tick
from newsletter.models import Subscriber, utcnow
from newsletter.runtime import WORKER_CLASS
from newsletter.subscribers import service
from tests.factories import make_subscriber, make_topic
from tests.support.briefings import publish


def outbox(runtime) -> list[EmailMessage]:  # noqa: ANN001
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(runtime.settings.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)]


@pytest.mark.embedded
def test_welcome_catch_up_and_daily_briefings_on_sqlite(embedded_app) -> None:
    runtime = embedded_app.extensions["newsletter"]

    def work() -> None:
        WORKER_CLASS(runtime.queues, connection=runtime.redis).work(
            burst=True, logging_level="WARNING")

    now = utcnow()
    with runtime.Session() as db:
        world = make_topic(db, "world")
        publish(db, world, "Welcome news", now - timedelta(days=1))
        ann = make_subscriber(db, "ann@example.com", [world], status="pending")
        db.commit()
        service.confirm(db, ann.id, now - timedelta(hours=5))
        db.commit()
        ann_id = ann.id
    welcome_after_confirm(runtime, ann_id)
    work()
    assert [m["Subject"] for m in outbox(runtime)] == ["Welcome: the latest on World"]

    with runtime.Session() as db:  # away for a while, then back: a one-off catch-up
        service.pause(db, ann_id, "indefinite", now=now - timedelta(hours=4))
        publish(db, world, "While away", now - timedelta(hours=3))
        service.resume(db, ann_id, now=now - timedelta(hours=2))
        db.commit()
    tick(now - timedelta(hours=2))
    work()
    assert "While away" in outbox(runtime)[-1].get_body(("plain",)).get_content()

    with runtime.Session() as db:  # now daily, due at the next tick
        db.execute(update(Subscriber).values(cadence="daily", briefing_hour=now.hour,
                                             timezone="Asia/Kathmandu",
                                             next_briefing_at=now - timedelta(minutes=1)))
        publish(db, world, "Daily news", now - timedelta(minutes=30))
        db.commit()
    tick(now)
    work()
    messages = outbox(runtime)
    assert len(messages) == 3
    assert messages[-1]["Subject"] == "Your briefing: World"
    assert "Daily news" in messages[-1].get_body(("plain",)).get_content()
    with runtime.Session() as db:
        assert db.scalar(select(Subscriber.next_briefing_at)) > now
        assert db.scalar(select(Subscriber.last_briefing_at)) == now
