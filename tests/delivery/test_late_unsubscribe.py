"""Someone who leaves after the fan-out is not mailed: their row is cancelled at send time."""

from __future__ import annotations

from sqlalchemy import select

from newsletter.delivery import lifecycle
from newsletter.delivery.jobs import enqueue_batches
from newsletter.editorial.editions import create_edition
from newsletter.models import Delivery, Subscriber, utcnow
from newsletter.subscribers.service import pause, unsubscribe
from tests.factories import make_subscriber, make_topic, make_update


def test_people_who_leave_or_pause_after_fan_out_are_skipped(runtime, db, smtp, work):
    world = make_topic(db, "world")
    update = make_update(db, world)
    stay, leave, rest = (make_subscriber(db, f"{n}@example.com", [world])
                         for n in ("stay", "leave", "rest"))
    edition = create_edition(db, "Today", [update.id], utcnow())
    db.commit()
    s = runtime.settings
    assert lifecycle.start(db, edition.id, list_name=s.list_name, base_url=s.base_url) == 3
    unsubscribe(db, leave.id)
    pause(db, rest.id, "1")
    db.commit()

    enqueue_batches(runtime, edition.id, 1)
    work()

    assert [r for m in smtp.messages for r in m.rcpt_tos] == ["stay@example.com"]
    errors = dict(db.execute(select(Subscriber.email, Delivery.last_error)
                             .join(Delivery, Delivery.subscriber_id == Subscriber.id)).all())
    assert errors == {"stay@example.com": None,
                      "leave@example.com": "subscriber is unsubscribed",
                      "rest@example.com": "subscriber is paused"}
