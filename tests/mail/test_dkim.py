"""DKIM: with DKIM_* configured, every kind of mail the service sends leaves signed.

Signatures are checked with dkimpy on the bytes the SMTP sink received, against the public
key of the configured private key; edition copies also cover List-Unsubscribe,
List-Unsubscribe-Post and Feedback-ID (dkimpy's default header list does not).
"""

from __future__ import annotations

import base64
import dataclasses
import re
import subprocess
from pathlib import Path

import dkim
import pytest

from newsletter.config import Settings
from tests.support.outgoing import KINDS, a_confirmation, an_edition_copy
from tests.support.smtp import SmtpSink

SELECTOR, DOMAIN = "mail", "news.example.test"


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """(private key file, the TXT record a receiver would find in DNS)."""
    key = tmp_path_factory.mktemp("dkim") / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    public_der = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                                check=True, capture_output=True).stdout
    return key, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der)


@pytest.fixture
def settings(settings: Settings, dkim_key: tuple[Path, bytes]) -> Settings:
    return dataclasses.replace(settings, dkim_selector=SELECTOR, dkim_domain=DOMAIN,
                               dkim_key_path=str(dkim_key[0]))


def verified(data: bytes, record: bytes) -> bool:
    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode()
        return record

    return dkim.verify(data, dnsfunc=dns)


def signed_headers(data: bytes) -> set[str]:
    signature = re.search(rb"^DKIM-Signature:(.*?)\r\n(?! )", data, re.S | re.M).group(1)
    names = re.search(rb"\bh=([^;]+)", signature).group(1)
    return set(re.sub(rb"\s", b"", names).decode().lower().split(":"))


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_mail_is_dkim_signed_when_dkim_is_configured(
        kind, db, runtime, smtp: SmtpSink, dkim_key):  # noqa: ANN001
    KINDS[kind](db, runtime)
    assert smtp.messages, f"no {kind} was sent"
    for received in smtp.messages:
        assert received.data.startswith(b"DKIM-Signature:")
        assert verified(received.data, dkim_key[1])
        assert {"from", "to", "subject", "date", "message-id"} <= signed_headers(received.data)


def test_a_signed_edition_copy_covers_the_list_headers(db, runtime, smtp, dkim_key):
    an_edition_copy(db, runtime)
    assert len(smtp.messages) == 2
    for received in smtp.messages:
        assert verified(received.data, dkim_key[1])
        assert {"list-id", "list-unsubscribe", "list-unsubscribe-post",
                "feedback-id"} <= signed_headers(received.data)


def test_a_tampered_copy_fails_verification(db, runtime, smtp, dkim_key):
    """The check above can fail: change one signed header and dkimpy refuses it."""
    a_confirmation(db, runtime)
    data = smtp.messages[0].data.replace(b"Subject: Confirm", b"Subject: Confirn", 1)
    assert data != smtp.messages[0].data
    assert not verified(data, dkim_key[1])
