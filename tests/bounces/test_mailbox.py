"""The BOUNCE_MAILBOX poller against a real dovecot (IMAPS and POP3S on 127.0.0.1)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from newsletter.bounces.jobs import LOCK_KEY, enqueue_mailbox_poll, poll_mailbox
from newsletter.models import BounceRecord, Subscriber
from tests.support.dovecot import Dovecot

from .samples import dsn, fixture

pytestmark = pytest.mark.slow


@pytest.fixture
def dovecot():
    with Dovecot() as server:
        yield server


def configured(runtime, url: str):
    runtime.settings = dataclasses.replace(runtime.settings, bounce_mailbox=url)
    return runtime


def records(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(BounceRecord))


def test_imap_poll_stores_each_message_then_deletes_it(db, verp_runtime, verp, send_edition, dovecot):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    dovecot.deliver(dsn([(email, "5.1.1", "550 5.1.1 user unknown")],
                        to=verp.sender(sid, sent.edition_id)),
                    fixture("own/autoreply_rfc3834.txt"))
    result = poll_mailbox(configured(verp_runtime, dovecot.url("imaps", "/INBOX")),
                          dovecot.client_context())
    assert (result.handled, result.failed) == (2, 0)
    assert dovecot.count() == 0
    assert records(db) == 2
    assert db.get(Subscriber, sid).status == "bounced"


def test_imap_poll_can_move_handled_mail_to_a_folder(db, runtime, dovecot):
    conn = dovecot.imap()
    conn.create("Handled")
    conn.logout()
    dovecot.deliver(fixture("own/qmail_nomailbox.txt"))
    poll_mailbox(configured(runtime, dovecot.url("imaps", "/INBOX?move=Handled")),
                 dovecot.client_context())
    assert dovecot.count() == 0 and dovecot.count("Handled") == 1
    assert records(db) == 1


def test_pop3_poll_stores_each_message_then_deletes_it(db, runtime, dovecot):
    dovecot.deliver(fixture("own/qmail_nomailbox.txt"), fixture("own/gmail_userunknown.txt"))
    result = poll_mailbox(configured(runtime, dovecot.url("pop3s")), dovecot.client_context())
    assert result.handled == 2
    assert dovecot.count() == 0
    assert records(db) == 2


def test_a_message_that_cannot_be_stored_stays_in_the_mailbox(db, runtime, dovecot, monkeypatch):
    from newsletter.bounces import jobs

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(jobs, "take_in", broken)
    dovecot.deliver(fixture("own/qmail_nomailbox.txt"))
    result = poll_mailbox(configured(runtime, dovecot.url("imaps", "/INBOX")),
                          dovecot.client_context())
    assert (result.handled, result.failed) == (0, 1)
    assert dovecot.count() == 1
    assert records(db) == 0


def test_a_certificate_we_do_not_trust_is_refused(db, runtime, dovecot):
    import ssl

    dovecot.deliver(fixture("own/qmail_nomailbox.txt"))
    with pytest.raises(ssl.SSLError):
        poll_mailbox(configured(runtime, dovecot.url("imaps", "/INBOX")))  # system CAs only
    assert dovecot.count() == 1


def test_the_tick_enqueues_one_poll_at_a_time(runtime):
    configured(runtime, "imaps://u:p@127.0.0.1:1/INBOX")
    assert enqueue_mailbox_poll(runtime) is True
    assert enqueue_mailbox_poll(runtime) is False
    assert runtime.queue.count == 1
    runtime.redis.delete(LOCK_KEY)
