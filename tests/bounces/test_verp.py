"""VERP: every copy leaves with its own signed envelope sender; forged tags read as nothing."""

from __future__ import annotations

from newsletter.bounces.verp import Verp
from newsletter.models import Subscriber
from newsletter.subscribers.jobs import send_subscriber_mail
from tests.factories import make_subscriber

from .conftest import ENVELOPE


def test_each_edition_copy_leaves_with_its_own_signed_envelope_sender(send_edition, smtp, verp):
    sent = send_edition(3)
    senders = {m.rcpt_tos[0]: m.mail_from for m in smtp.messages}
    assert sorted(senders) == sorted(sent.emails)
    assert len(set(senders.values())) == 3
    for email, envelope in senders.items():
        assert envelope.startswith("bounces+") and envelope.endswith("@news.example.test")
        copy = verp.read(envelope)
        assert copy is not None
        assert (copy.edition_id, copy.subscriber_id) == (sent.edition_id, sent.subscriber_ids[email])


def test_forged_or_altered_tag_names_no_copy(verp):
    real = verp.sender(41, 7)
    tag = real.split("+", 1)[1].split("@")[0]
    altered = real.replace(tag, tag.replace("-29-", "-2a-"))
    assert verp.read(altered) is None
    assert verp.read("bounces+7-29-000000000000@news.example.test") is None
    assert Verp(ENVELOPE, "another-secret").read(real) is None
    assert verp.read(real.upper()).subscriber_id == 41  # case changed in transit still reads


def test_envelope_local_part_stays_within_64_octets():
    verp = Verp(ENVELOPE, "k")
    longest = verp.sender(2**63 - 1, 2**63 - 1)
    assert len(longest.split("@")[0]) <= 64
    too_long = Verp("b" * 40 + "@news.example.test", "k").sender(2**63 - 1, 2**63 - 1)
    assert too_long == "b" * 40 + "@news.example.test"


def test_confirmation_mail_carries_a_tag_for_the_reader(db, verp_runtime, smtp, verp):
    subscriber: Subscriber = make_subscriber(db, "new@example.org", status="pending")
    db.commit()
    send_subscriber_mail(subscriber.id, "confirm")
    [message] = smtp.messages
    copy = verp.read(message.mail_from)
    assert copy is not None and copy.subscriber_id == subscriber.id and copy.edition_id is None
