"""Every kind of mail leaves through the one postman: the same envelope sender for all."""

from __future__ import annotations

import dataclasses

import pytest

from newsletter.config import Settings
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
    assert {m.mail_from for m in smtp.messages} == {BOUNCES}
    assert all(m.message["From"] == runtime.settings.mail_from for m in smtp.messages)
