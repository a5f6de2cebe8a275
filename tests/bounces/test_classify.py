"""Classification of returned mail: kind, recipient, status, hard/soft and reason."""

from __future__ import annotations

import json
import time

import pytest

from newsletter.bounces import classify
from newsletter.bounces.reasons import REASONS, is_hard

from .samples import EXPECTED, dsn, fixture, mime_bomb


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_is_classified_as_expected(name):
    got = classify(fixture(name))
    want = EXPECTED[name]
    assert got.kind == want["kind"]
    if "addresses" in want:  # flufl.bounce's samples: its own table of recipients
        assert sorted(r.address.lower() for r in got.recipients) == sorted(
            a.lower() for a in want["addresses"])
    else:
        assert [r.public() for r in got.recipients] == want["recipients"]


def test_every_reason_given_is_in_the_vocabulary():
    for name in EXPECTED:
        for recipient in classify(fixture(name)).recipients:
            assert recipient.reason in REASONS


def test_hard_is_unknown_user_or_host_moved_or_permanent_notaccept():
    assert is_hard("userunknown", "5.1.1") and is_hard("hostunknown", "5.1.2")
    assert is_hard("hasmoved", "5.1.6") and is_hard("notaccept", "5.1.10")
    assert not is_hard("notaccept", "4.3.2")
    assert not is_hard("mailboxfull", "5.2.2") and not is_hard("blocked", "5.7.1")


def test_status_in_diagnostic_refines_a_vague_status_field():
    got = classify(dsn([("a@example.org", "5.0.0", "550 5.1.1 <a@example.org>: user unknown")]))
    assert got.recipients[0].status == "5.1.1"
    assert got.recipients[0].hard is True


def test_delayed_notice_is_a_soft_bounce():
    got = classify(dsn([("a@example.org", "4.4.7", "timeout")], action="delayed"))
    assert got.kind == "bounce"
    assert got.recipients[0].status.startswith("4.")
    assert got.recipients[0].hard is False


def test_returned_message_ids_are_collected():
    got = classify(fixture("own/postfix_userunknown.txt"))
    assert "<edition-7-0.42@news.example.com>" in got.message_ids


def test_dsn_with_a_thousand_recipients_lists_them_all():
    message = dsn([(f"user{i}@example.org", "5.1.1", "550 5.1.1 user unknown") for i in range(1000)])
    got = classify(message)
    assert got.kind == "bounce"
    assert len(got.recipients) == 1000
    assert all(r.hard for r in got.recipients)


def test_twenty_megabyte_message_is_classified_from_its_report():
    message = fixture("own/postfix_userunknown.txt").replace(
        b"--2D8E21A0A3.1700000000/mail.example.com--",
        b"X-Padding: 1\n\n" + b"A" * (20 * 1024 * 1024) + b"\n--2D8E21A0A3.1700000000/mail.example.com--")
    assert len(message) > 20 * 1024 * 1024
    got = classify(message)
    assert got.kind == "bounce"
    assert [r.address for r in got.recipients] == ["nobody@example.net"]


def test_mime_bomb_of_nested_parts_gives_an_answer():
    started = time.process_time()
    got = classify(mime_bomb(3000))
    assert got.kind in ("other", "bounce")
    assert time.process_time() - started < 30  # a bound against hanging, not a timing test


def test_broken_encodings_do_not_stop_classification():
    message = (b"From: \xff\xfe <MAILER-DAEMON@x.example>\nSubject: =?x-unknown?B?////?= \xc3\x28\n"
               b"Content-Type: text/plain; charset=x-nonsense\n"
               b"Content-Transfer-Encoding: quoted-printable\n\n"
               b"<who@example.org>: 550 5.1.1 user unknown =ZZ=\xff\n")
    got = classify(message)
    assert got.kind == "bounce"
    assert got.recipients[0].address == "who@example.org"
    assert got.recipients[0].reason == "userunknown"


def test_undecodable_base64_body_is_other_not_an_error():
    message = (b"From: someone@example.org\nSubject: hello\nContent-Type: text/plain; charset=zz\n"
               b"Content-Transfer-Encoding: base64\n\n!!!notbase64\xff\xfe\n")
    assert classify(message).kind == "other"


def test_json_line_has_the_documented_shape():
    line = json.loads(classify(fixture("own/gmail_userunknown.txt")).json_line("x.eml"))
    assert line == {"file": "x.eml", "kind": "bounce", "recipients": [
        {"address": "gone.reader@gmail.com", "status": "5.1.1", "hard": True,
         "reason": "userunknown"}]}


def test_mangled_messages_always_get_an_answer():
    """Truncated, bit-flipped and padded copies of every fixture: never an exception."""
    import random

    rng = random.Random(7)
    originals = [fixture(name) for name in sorted(EXPECTED)]
    for _ in range(400):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randrange(1, 30)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(1, len(data))]
        assert classify(bytes(data)).kind in ("bounce", "complaint", "auto-reply", "delivered", "other")
