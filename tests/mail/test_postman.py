"""Every kind of mail leaves through the one postman, so every kind gets ENVELOPE_FROM:
with VERP on, a copy to a reader carries that reader's signed tag; a test send, to nobody
on the list, leaves with the plain address."""

from __future__ import annotations

import dataclasses

import pytest

from newsletter.bounces.verp import Verp
from newsletter.config import Settings
from newsletter.models import Subscriber
from tests.support.outgoing import KINDS
from tests.support.smtp import SmtpSink

BOUNCES = "bounces@news.example.test"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, envelope_from=BOUNCES)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_mail_leaves_with_the_configured_envelope_sender(
        kind, db, runtime, smtp: SmtpSink):  # noqa: ANN001
    KINDS[kind](db, runtime)
    assert smtp.messages, f"no {kind} was sent"
    verp = Verp(BOUNCES, runtime.settings.secret_key)
    for message in smtp.messages:
        assert message.message["From"] == runtime.settings.mail_from
        if kind.startswith("test"):
            assert message.mail_from == BOUNCES
            continue
        copy = verp.read(message.mail_from)
        assert copy is not None, message.mail_from
        assert db.get(Subscriber, copy.subscriber_id).email == message.rcpt_tos[0]
