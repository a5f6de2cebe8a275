"""Suppression entries are an HMAC under a server key, not a guessable plain hash; a person
who erased their data may come back through a fresh confirmation (new consent)."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import func, select

from newsletter.models import Subscriber, SubscriberStatus, Suppression
from newsletter.subscribers.importer import import_subscribers
from newsletter.subscribers.service import is_suppressed
from newsletter.subscribers.tokens import Purpose
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import post_form, sign_up, token


def erase(client, subscriber_id: int) -> None:  # type: ignore[no-untyped-def]
    page = f"/preferences/{token(Purpose.PREFERENCES, subscriber_id)}"
    assert post_form(client, page, {"confirm": "y"}, action=f"{page}/erase").status_code == 200


def confirm_link(smtp, address: str) -> str:  # type: ignore[no-untyped-def]
    [mail] = smtp.inbox(address)
    text = mail.get_body(("plain",)).get_content()
    return re.search(r"https://news\.example\.test(/confirm/[^\s]+)", text).group(1)


def test_the_suppression_entry_cannot_be_found_by_hashing_the_address(client, db) -> None:
    row = make_subscriber(db, "private@example.com", [make_topic(db)])
    db.commit()
    erase(client, row.id)
    [kept] = db.scalars(select(Suppression)).all()
    plain = hashlib.sha256(b"private@example.com").hexdigest()
    assert kept.email_hash != plain and len(kept.email_hash) == 64
    assert is_suppressed(db, "Private@Example.com")


def test_a_legacy_plain_hash_still_suppresses_and_is_rewritten_as_keyed(db) -> None:
    plain = hashlib.sha256(b"old@example.com").hexdigest()
    db.add(Suppression(email_hash=plain, reason="erased"))
    db.commit()
    report = import_subscribers(db, ["email,topics", "old@example.com,world"], "active") \
        if make_topic(db, "world") else None
    assert report.suppressed == 1
    db.commit()
    [kept] = db.scalars(select(Suppression)).all()
    assert kept.email_hash != plain
    assert is_suppressed(db, "old@example.com")
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_after_erasure_signing_up_again_sends_a_fresh_confirmation(client, db, smtp, work) -> None:
    row = make_subscriber(db, "gone@example.com", [make_topic(db, "world")])
    db.commit()
    erase(client, row.id)

    assert "Check your inbox" in sign_up(client, "Gone@example.com", ["world"]).get_data(
        as_text=True)
    work()
    [back] = db.scalars(select(Subscriber)).all()
    assert back.id != row.id and back.status == SubscriberStatus.PENDING
    assert back.confirmed_at is None
    assert is_suppressed(db, "gone@example.com")  # nothing is sent but the confirmation

    post_form(client, confirm_link(smtp, "gone@example.com"), {})
    db.refresh(back)
    assert back.status == SubscriberStatus.ACTIVE and back.confirmed_at is not None
    assert not is_suppressed(db, "gone@example.com")


def test_an_unconfirmed_comeback_does_not_let_an_import_re_add_an_erased_address(
    client, db, work
) -> None:
    row = make_subscriber(db, "gone@example.com", [make_topic(db, "world")])
    db.commit()
    erase(client, row.id)
    sign_up(client, "gone@example.com", ["world"])  # someone typed the address; nobody confirmed
    work()
    report = import_subscribers(db, ["email,topics", "gone@example.com,world"], "active")
    assert report.suppressed == 1


def test_a_complaint_suppression_still_refuses_sign_ups(client, db, smtp, work) -> None:
    from newsletter.subscribers.service import suppress

    make_topic(db, "world")
    suppress(db, "angry@example.com", reason="complaint")
    db.commit()
    sign_up(client, "angry@example.com", ["world"])
    work()
    assert smtp.messages == []
