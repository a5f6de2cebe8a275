"""From, List-Id and Feedback-ID as they arrive at the mail server, for plain and accented
list names and for a bare or named MAIL_FROM."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage

import pytest

from newsletter.config import Settings
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import sign_up
from tests.support.delivery import Sender, scheduled_edition, start

FEEDBACK_ID = re.compile(rb"Feedback-ID: ([^\s:]+:){3}[^\s:]+")


@pytest.fixture
def sender_config() -> dict[str, str]:
    return {"mail_from": "briefing@news.example.test", "list_name": "The Briefing"}


@pytest.fixture
def settings(tmp_path, postgres_url, redis_url, smtp, sender_config) -> Settings:
    return Settings.from_env(
        instance=tmp_path / "instance", database_url=postgres_url, redis_url=redis_url,
        smtp_url=smtp.url, base_url="https://news.example.test",
        secret_key="test-secret-key-not-for-production", smtp_rate=None, **sender_config,
    )


def send_edition(db, runtime, smtp) -> bytes:  # type: ignore[no-untyped-def]
    world = make_topic(db, "world")
    make_subscriber(db, "ann@example.com", [world])
    db.commit()
    edition_id = scheduled_edition(db, [world])
    start(runtime, edition_id)
    Sender(runtime, smtp.url).drain(edition_id)
    (received,) = smtp.messages
    return received.data


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def raw_header(data: bytes, name: bytes) -> bytes:
    """The header as sent, its folded continuation lines included."""
    head = data.split(b"\r\n\r\n", 1)[0]
    match = re.search(rb"(?im)^" + name + rb":([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head)
    assert match, name
    return match.group(0)


def test_feedback_id_is_four_colon_separated_fields_without_spaces(db, runtime, smtp):
    data = send_edition(db, runtime, smtp)
    line = raw_header(data, b"Feedback-ID")

    assert FEEDBACK_ID.fullmatch(line), line
    campaign, customer, kind, sender_id = line.split(b": ", 1)[1].split(b":")
    assert campaign.startswith(b"edition-")
    assert (customer, kind, sender_id) == (b"The-Briefing", b"edition", b"briefing.news.example.test")


def test_a_bare_mail_from_gets_the_list_name_as_display_name(db, runtime, smtp):
    data = send_edition(db, runtime, smtp)

    assert raw_header(data, b"From") == b"From: The Briefing <briefing@news.example.test>"
    (address,) = parse(data)["From"].addresses
    assert (address.display_name, address.addr_spec) == ("The Briefing",
                                                          "briefing@news.example.test")


@pytest.mark.parametrize("sender_config", [{
    "mail_from": "briefing@news.example.test", "list_name": "Le Café du Matin, édition « Monde »",
}])
def test_an_accented_list_name_is_encoded_in_from_list_id_and_kept_out_of_feedback_id(
    db, runtime, smtp
):
    data = send_edition(db, runtime, smtp)
    head = data.split(b"\r\n\r\n", 1)[0]
    message = parse(data)

    assert head.isascii()
    assert b"=?utf-8?" in raw_header(data, b"From")
    (address,) = message["From"].addresses
    assert address.display_name == "Le Café du Matin, édition « Monde »"
    assert address.addr_spec == "briefing@news.example.test"
    assert str(message["List-Id"]) == "Le Café du Matin, édition « Monde » <briefing.news.example.test>"
    line = raw_header(data, b"Feedback-ID")
    assert FEEDBACK_ID.fullmatch(line), line
    assert line.split(b":")[2] == b"Le-Cafe-du-Matin-edition-Monde"


@pytest.mark.parametrize("sender_config", [{
    "mail_from": "Editors' Desk <desk@news.example.test>", "list_name": "The Briefing",
}])
def test_a_display_name_given_in_mail_from_is_kept(db, runtime, smtp):
    data = send_edition(db, runtime, smtp)

    (address,) = parse(data)["From"].addresses
    assert (address.display_name, address.addr_spec) == ("Editors' Desk", "desk@news.example.test")


@pytest.mark.parametrize("sender_config", [{
    "mail_from": "briefing@news.example.test", "list_name": 'The "Morning", Briefing',
}])
def test_the_confirmation_email_carries_the_quoted_list_name_too(client, db, smtp, work):
    make_topic(db, "world")
    db.commit()
    sign_up(client, "new@example.com", ["world"])
    work()
    (received,) = smtp.messages

    assert raw_header(received.data, b"From") == (
        b'From: "The \\"Morning\\", Briefing" <briefing@news.example.test>')
    (address,) = parse(received.data)["From"].addresses
    assert address.display_name == 'The "Morning", Briefing'
