"""Repeated sign-ups for one address send at most one email per interval."""

from __future__ import annotations

from datetime import timedelta

from newsletter.models import utcnow
from newsletter.subscribers.service import RESEND_INTERVAL, MailToSend, subscribe
from tests.factories import make_topic


def test_a_second_request_within_the_interval_sends_nothing(db) -> None:
    make_topic(db, "world")
    now = utcnow()
    assert subscribe(db, "a@example.com", ["world"], now=now).mail is MailToSend.CONFIRM
    later = now + RESEND_INTERVAL - timedelta(seconds=1)
    assert subscribe(db, "A@example.com", ["world"], now=later).mail is MailToSend.NONE
    after = now + RESEND_INTERVAL + timedelta(seconds=1)
    assert subscribe(db, "a@example.com", ["world"], now=after).mail is MailToSend.CONFIRM


def test_the_throttle_holds_through_the_form(client, db, smtp, work) -> None:
    from tests.subscribers.pages import sign_up

    make_topic(db, "world")
    db.commit()
    for _ in range(4):
        assert sign_up(client, "busy@example.com", ["world"]).status_code == 200
    work()
    assert len(smtp.inbox("busy@example.com")) == 1
