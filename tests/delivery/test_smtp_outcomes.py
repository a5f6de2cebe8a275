"""What each SMTP answer does to a delivery: 4xx retries with backoff, 5xx fails (5.1.x bounces
the address), a dropped connection is reopened, and a bad failure rate pauses the edition;
the same with and without PIPELINING."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from newsletter.models import Edition, Subscriber, utcnow
from tests.support.delivery import delivery_of, statuses
from tests.support.smtp import SmtpSink


@pytest.fixture(params=["serial", "pipelining"])
def smtp(request: pytest.FixtureRequest) -> Iterator[SmtpSink]:
    """Each behaviour against a server without PIPELINING (a message at a time) and one
    with it, as production relays offer (copies back to back, replies read a copy later)."""
    sink = SmtpSink(pipelining=request.param == "pipelining").start()
    yield sink
    sink.stop()


def test_a_4xx_reply_is_retried_later_with_backoff(runtime, smtp, sender, edition_factory):
    edition_id, emails = edition_factory(3)
    smtp.handler.failures[emails[1]] = "451 4.3.0 try again later"
    before = utcnow()

    sender.drain(edition_id)

    row = delivery_of(runtime, edition_id, emails[1])
    assert row.status == "pending" and row.attempts == 1
    assert "451 4.3.0" in row.last_error
    assert before + timedelta(seconds=60) <= row.next_attempt_at <= utcnow() + timedelta(seconds=60)
    assert sender.batch(edition_id).claimed == 0  # not due yet
    assert smtp.inbox(emails[1]) == []

    smtp.handler.failures.clear()
    sender.now = utcnow() + timedelta(seconds=61)
    sender.drain(edition_id)

    row = delivery_of(runtime, edition_id, emails[1])
    assert row.status == "sent" and row.attempts == 2
    assert len(smtp.inbox(emails[1])) == 1
    with runtime.Session() as s:
        assert s.get(Edition, edition_id).status == "sent"


def test_a_retried_copy_keeps_its_message_id(runtime, smtp, sender, edition_factory):
    edition_id, emails = edition_factory(1)
    smtp.handler.failures[emails[0]] = "drop"
    sender.configure(retry_delays=(0, 0))
    sender.batch(edition_id)
    assert delivery_of(runtime, edition_id, emails[0]).status == "pending"

    smtp.handler.failures.clear()
    sender.batch(edition_id)

    (message,) = smtp.inbox(emails[0])
    row = delivery_of(runtime, edition_id, emails[0])
    assert row.status == "sent" and row.attempts == 2
    assert message["Message-ID"] == row.message_id


def test_a_delivery_fails_after_its_last_retry(runtime, smtp, sender, edition_factory):
    edition_id, emails = edition_factory(2)
    smtp.handler.failures[emails[0]] = "452 4.2.2 mailbox full"
    sender.configure(retry_delays=(0, 0))

    for _ in range(3):  # first try + two retries
        sender.drain(edition_id)

    row = delivery_of(runtime, edition_id, emails[0])
    assert row.status == "failed" and row.attempts == 3
    assert "452 4.2.2" in row.last_error
    assert statuses(runtime, edition_id) == {"sent": 1, "failed": 1}
    with runtime.Session() as s:
        assert s.get(Edition, edition_id).status == "sent"


def test_a_5xx_reply_fails_at_once_with_the_reply_recorded(runtime, smtp, sender, edition_factory):
    edition_id, emails = edition_factory(3)
    smtp.handler.failures[emails[2]] = "554 5.7.1 message refused by policy"

    sender.drain(edition_id)

    row = delivery_of(runtime, edition_id, emails[2])
    assert row.status == "failed" and row.attempts == 1
    assert "554 5.7.1 message refused by policy" in row.last_error
    with runtime.Session() as s:
        assert s.query(Subscriber).filter_by(email=emails[2]).one().status == "active"
    assert [len(smtp.inbox(e)) for e in emails] == [1, 1, 0]


def test_a_5_1_x_reply_marks_the_address_bounced(runtime, smtp, sender, edition_factory):
    edition_id, emails = edition_factory(2)
    smtp.handler.failures[emails[0]] = "550 5.1.1 no such user here"

    sender.drain(edition_id)

    assert delivery_of(runtime, edition_id, emails[0]).status == "failed"
    with runtime.Session() as s:
        subscriber = s.query(Subscriber).filter_by(email=emails[0]).one()
        assert subscriber.status == "bounced"
        assert s.query(Subscriber).filter_by(email=emails[1]).one().status == "active"


def test_a_dropped_connection_is_reopened_and_the_batch_goes_on(runtime, smtp, sender,
                                                                  edition_factory):
    edition_id, emails = edition_factory(6)
    smtp.handler.failures[emails[2]] = "drop"

    (result, *_) = sender.drain(edition_id)

    assert [len(smtp.inbox(e)) for e in emails] == [1, 1, 0, 1, 1, 1]
    assert result.sent == 5 and result.retried == 1
    row = delivery_of(runtime, edition_id, emails[2])
    assert row.status == "pending" and row.next_attempt_at is not None
    assert "connection" in row.last_error


def test_an_edition_pauses_itself_when_most_recent_sends_fail(runtime, smtp, sender,
                                                               edition_factory):
    edition_id, emails = edition_factory(40)
    for address in emails[:30]:
        smtp.handler.failures[address] = "550 5.7.1 blocked"
    sender.configure(batch_size=40, flush_every=5, failure_pause_window=10,
                     failure_pause_ratio=0.5)

    (result,) = sender.drain(edition_id)

    assert result.stopped and "failure rate" in result.stopped
    with runtime.Session() as s:
        edition = s.get(Edition, edition_id)
        assert edition.status == "paused" and "failed" in edition.pause_reason
    counts = statuses(runtime, edition_id)
    # pipelined, the next copy's envelope was already out when the 10th failure was written:
    # it is settled (refused too), not given back unanswered
    in_flight = 1 if smtp.handler.pipelining else 0
    assert counts["failed"] == 10 + in_flight and counts["pending"] == 30 - in_flight
    assert "sending" not in counts
    assert sender.batch(edition_id).claimed == 0  # paused: nothing more goes out
    assert smtp.messages == []
