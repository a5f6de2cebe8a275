"""Bounce and complaint counts per edition, and the edition that pauses itself."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from newsletter.bounces.intake import take_in
from newsletter.models import Delivery, Edition, Subscriber
from tests.factories import make_topic
from tests.support.delivery import bulk_subscribers, scheduled_edition, start

from .samples import arf, dsn


def test_edition_status_counts_bounced_and_complained_copies(client, db, auth, verp, send_edition,
                                                             verp_runtime):
    sent = send_edition(4)
    a, b = sent.emails[:2]
    take_in(db, verp_runtime.settings, dsn([(a, "5.1.1", "user unknown")],
                                           to=verp.sender(sent.subscriber_ids[a], sent.edition_id)),
            "test")
    take_in(db, verp_runtime.settings, arf(b, to=verp.sender(sent.subscriber_ids[b],
                                                             sent.edition_id)), "test")
    db.commit()
    body = client.get(f"/api/v1/editions/{sent.edition_id}", headers=auth).json
    assert body["bounced"] == 1 and body["complained"] == 1
    assert body["bounce_rate"] == 0.25 and body["complaint_rate"] == 0.25


def sending_edition(db, runtime, copies: int) -> tuple[int, dict[str, int]]:
    """An edition in 'sending' whose `copies` deliveries all went out."""
    topic = make_topic(db)
    emails = bulk_subscribers(db, copies, [topic], prefix="bulk")
    edition_id = scheduled_edition(db, [topic])
    start(runtime, edition_id)
    db.execute(update(Delivery).where(Delivery.edition_id == edition_id).values(status="sent"))
    db.commit()
    ids = dict(db.execute(select(Subscriber.email, Subscriber.id)).all())
    return edition_id, {e: ids[e] for e in emails}


def bounce_back(db, runtime, verp, edition_id: int, people: dict[str, int], count: int) -> None:
    for email in list(people)[:count]:
        take_in(db, runtime.settings, dsn([(email, "5.1.1", "550 5.1.1 user unknown")],
                                          to=verp.sender(people[email], edition_id)), "test")
        db.commit()


def edition_status(db, edition_id: int) -> str:
    db.expire_all()
    return db.scalar(select(Edition.status).where(Edition.id == edition_id))


@pytest.mark.slow
def test_edition_pauses_itself_when_hard_bounces_pass_the_rate(db, verp_runtime, verp):
    edition_id, people = sending_edition(db, verp_runtime, 200)
    bounce_back(db, verp_runtime, verp, edition_id, people, 10)  # 5.0%: not past 5%
    assert edition_status(db, edition_id) == "sending"
    bounce_back(db, verp_runtime, verp, edition_id, dict(list(people.items())[10:]), 1)
    assert edition_status(db, edition_id) == "paused"
    db.expire_all()
    assert "bounced hard" in db.get(Edition, edition_id).pause_reason


def test_edition_does_not_pause_before_two_hundred_copies(db, verp_runtime, verp):
    edition_id, people = sending_edition(db, verp_runtime, 40)
    bounce_back(db, verp_runtime, verp, edition_id, people, 20)
    assert edition_status(db, edition_id) == "sending"
