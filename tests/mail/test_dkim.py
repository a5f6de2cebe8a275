"""DKIM: an edition copy signed with a configured key verifies, and the signature covers
List-Unsubscribe, List-Unsubscribe-Post and Feedback-ID (dkimpy's default list does not)."""

from __future__ import annotations

import base64
import re
import subprocess

import dkim

from newsletter.delivery.sender import send_batch
from newsletter.jobs import identity, links
from newsletter.mail.dkim import DkimSigner
from newsletter.mail.transport import SMTPTransport
from tests.factories import make_topic
from tests.support.delivery import Sender, bulk_subscribers, scheduled_edition, start


def test_a_signed_edition_copy_verifies_and_covers_the_list_headers(db, runtime, smtp, tmp_path):
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    public_der = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                                check=True, capture_output=True).stdout
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der)
    topics = [make_topic(db, "world")]
    bulk_subscribers(db, 2, topics)
    edition_id = scheduled_edition(db, topics)
    start(runtime, edition_id)
    sender = Sender(runtime, smtp.url)

    send_batch(runtime.Session, runtime.redis, edition_id, SMTPTransport(smtp.url),
               identity(runtime), links(runtime), sender.settings,
               signer=DkimSigner("mail", "news.example.test", str(key)))

    assert len(smtp.messages) == 2
    for received in smtp.messages:
        def dns(name: bytes, timeout: int = 5) -> bytes:
            assert name == b"mail._domainkey.news.example.test."
            return record

        assert dkim.verify(received.data, dnsfunc=dns)
        signature = received.message["DKIM-Signature"]
        signed = set(re.search(r"\bh=([^;]+)", signature).group(1).replace(" ", "")
                     .replace("\r\n", "").lower().split(":"))
        assert {"from", "to", "subject", "date", "message-id", "list-unsubscribe",
                "list-unsubscribe-post", "list-id", "feedback-id"} <= signed
