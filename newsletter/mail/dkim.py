"""Optional DKIM signing; the header list is explicit because dkimpy's default omits
List-Unsubscribe-Post and Feedback-ID, which receivers need signed for one-click."""

from __future__ import annotations

from pathlib import Path

import dkim

SIGNED_HEADERS = [
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
    b"list-id", b"list-unsubscribe", b"list-unsubscribe-post", b"feedback-id",
]


class DkimSigner:
    def __init__(self, selector: str, domain: str, key_path: str) -> None:
        self.selector = selector.encode()
        self.domain = domain.encode()
        self.key = Path(key_path).read_bytes()

    def sign(self, message: bytes) -> bytes:
        present = {line.split(b":", 1)[0].strip().lower()
                   for line in message.split(b"\r\n\r\n", 1)[0].split(b"\r\n") if b":" in line}
        headers = [h for h in SIGNED_HEADERS if h in present]
        signature = dkim.sign(
            message, self.selector, self.domain, self.key, include_headers=headers,
            linesep=b"\r\n",
        )
        return signature + message
