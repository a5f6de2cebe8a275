"""What a returned message does: only mail tied to a copy we sent changes a reader."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from newsletter.bounces.intake import take_in
from newsletter.models import BounceRecord, Subscriber, Suppression, utcnow
from newsletter.subscribers.service import is_suppressed

from .samples import arf, dsn, fixture


def status_of(db, subscriber_id: int) -> str:
    db.expire_all()
    return db.get(Subscriber, subscriber_id).status


def feed(db, runtime, raw: bytes, now=None):
    result = take_in(db, runtime.settings, raw, "test", now=now)
    db.commit()
    return result


def hard(address: str, envelope: str) -> bytes:
    return dsn([(address, "5.1.1", "550 5.1.1 user unknown")], to=envelope)


def soft(address: str, envelope: str, n: int = 0) -> bytes:
    return dsn([(address, "4.2.2", f"452 4.2.2 mailbox full (try {n})")], to=envelope).replace(
        b"Subject:", f"Message-ID: <soft-{n}@mx.example.org>\nSubject:".encode())


def test_hard_bounce_marks_the_reader_bounced_at_once(db, verp_runtime, verp, send_edition):
    sent = send_edition(2)
    email = sent.emails[0]
    result = feed(db, verp_runtime, hard(email, verp.sender(sent.subscriber_ids[email], sent.edition_id)))
    assert result.outcome == "bounced" and result.matched_by == "verp"
    assert status_of(db, sent.subscriber_ids[email]) == "bounced"
    assert status_of(db, sent.subscriber_ids[sent.emails[1]]) == "active"


def test_complaint_unsubscribes_and_suppresses(db, verp_runtime, verp, send_edition):
    sent = send_edition(1)
    email = sent.emails[0]
    result = feed(db, verp_runtime, arf(email, to=verp.sender(sent.subscriber_ids[email],
                                                             sent.edition_id)))
    assert result.outcome == "unsubscribed"
    assert status_of(db, sent.subscriber_ids[email]) == "unsubscribed"
    assert is_suppressed(db, email)


def test_complaint_matched_by_our_message_id_in_the_returned_headers(db, verp_runtime, send_edition):
    sent = send_edition(1)
    email = sent.emails[0]
    raw = arf(email, returned_headers=f"To: {email}\nMessage-ID: {sent.message_ids[email]}\n")
    result = feed(db, verp_runtime, raw)
    assert result.matched_by == "message-id"
    assert status_of(db, sent.subscriber_ids[email]) == "unsubscribed"


def test_our_message_id_for_another_address_matches_nothing(db, verp_runtime, send_edition):
    sent = send_edition(2)
    victim, other = sent.emails
    raw = dsn([(other, "5.1.1", "550 user unknown")],
              returned_headers=f"Message-ID: {sent.message_ids[victim]}\n")
    result = feed(db, verp_runtime, raw)
    assert result.matched_by == ""
    assert status_of(db, sent.subscriber_ids[victim]) == "active"


def test_soft_bounces_on_three_different_days_mark_bounced(db, verp_runtime, verp, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    envelope = verp.sender(sid, sent.edition_id)
    start = utcnow() - timedelta(days=5)
    for day in range(2):
        assert feed(db, verp_runtime, soft(email, envelope, day), start + timedelta(days=day)
                    ).outcome == "counted"
    assert status_of(db, sid) == "active"
    assert feed(db, verp_runtime, soft(email, envelope, 2), start + timedelta(days=2)).outcome == "bounced"
    assert status_of(db, sid) == "bounced"


def test_soft_bounces_on_one_day_count_as_one(db, verp_runtime, verp, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    envelope = verp.sender(sid, sent.edition_id)
    when = utcnow().replace(hour=1)
    for n in range(5):
        feed(db, verp_runtime, soft(email, envelope, n), when + timedelta(minutes=n))
    assert status_of(db, sid) == "active"


def test_soft_bounces_older_than_thirty_days_do_not_count(db, verp_runtime, verp, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    envelope = verp.sender(sid, sent.edition_id)
    now = utcnow()
    feed(db, verp_runtime, soft(email, envelope, 0), now - timedelta(days=40))
    feed(db, verp_runtime, soft(email, envelope, 1), now - timedelta(days=1))
    feed(db, verp_runtime, soft(email, envelope, 2), now)
    assert status_of(db, sid) == "active"


def test_a_delivery_notice_in_between_resets_the_soft_count(db, verp_runtime, verp, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    envelope = verp.sender(sid, sent.edition_id)
    now = utcnow()
    feed(db, verp_runtime, soft(email, envelope, 0), now - timedelta(days=3))
    feed(db, verp_runtime, soft(email, envelope, 1), now - timedelta(days=2))
    delivered = fixture("own/rfc3464_delivered.txt").replace(b"reader@example.org", email.encode()
                                                             ).replace(b"bounces+abc@news.example.com",
                                                                       envelope.encode())
    assert feed(db, verp_runtime, delivered, now - timedelta(days=1)).classification.kind == "delivered"
    feed(db, verp_runtime, soft(email, envelope, 2), now)
    assert status_of(db, sid) == "active"


def test_auto_replies_and_delivery_notices_change_nothing_but_are_kept(db, verp_runtime, verp,
                                                                       send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    envelope = verp.sender(sid, sent.edition_id)
    auto = (f"From: {email}\nTo: {envelope}\nSubject: Out of office\nAuto-Submitted: auto-replied\n\n"
            "Away.\n").encode()
    result = feed(db, verp_runtime, auto)
    assert result.classification.kind == "auto-reply" and result.outcome == "none"
    assert status_of(db, sid) == "active"
    assert db.scalar(select(BounceRecord.kind).where(BounceRecord.subscriber_id == sid)) == "auto-reply"


def test_the_same_bounce_twice_counts_once(db, verp_runtime, verp, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    raw = soft(email, verp.sender(sid, sent.edition_id), 9)
    assert feed(db, verp_runtime, raw).duplicate is False
    assert feed(db, verp_runtime, raw).duplicate is True
    assert db.scalar(select(func.count()).select_from(BounceRecord)) == 1


def test_forged_tag_is_stored_unmatched_and_changes_nothing(db, verp_runtime, verp, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    forged = f"bounces+{sent.edition_id:x}-{sid:x}-0123456789ab@news.example.test"
    result = feed(db, verp_runtime, hard(email, forged))
    assert result.matched_by == "" and result.outcome == "none"
    assert status_of(db, sid) == "active"
    row = db.scalar(select(BounceRecord))
    assert row.subscriber_id is None and row.address == email and row.hard is True
    assert db.scalar(select(func.count()).select_from(Suppression)) == 0


def test_an_auth_failure_report_is_kept_but_unsubscribes_nobody(db, verp_runtime, verp, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    raw = arf(email, to=verp.sender(sid, sent.edition_id)).replace(
        b"Feedback-Type: abuse", b"Feedback-Type: auth-failure")
    result = feed(db, verp_runtime, raw)
    assert result.classification.kind == "complaint" and result.outcome == "none"
    assert status_of(db, sid) == "active"
    assert not is_suppressed(db, email)
