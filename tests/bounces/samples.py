"""Returned messages built in code: the awkward ones (huge, nested, broken, crowded)."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED: dict[str, dict] = json.loads((FIXTURES / "expected.json").read_text())


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def dsn(recipients: list[tuple[str, str, str]], *, to: str = "bounces@news.example.com",
        returned_headers: str = "", action: str = "failed") -> bytes:
    """A multipart/report DSN; recipients are (address, status, diagnostic)."""
    blocks = "".join(
        f"Final-Recipient: rfc822; {address}\nAction: {action}\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; {diagnostic}\n\n"
        for address, status, diagnostic in recipients
    )
    original = (f"--z\nContent-Type: text/rfc822-headers\n\n{returned_headers}\n"
                if returned_headers else "")
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\nTo: {to}\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=z\n\n"
        "--z\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
        "--z\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
        f"{blocks}{original}--z--\n"
    ).encode()


def arf(recipient: str, *, to: str = "fbl@news.example.com", returned_headers: str = "") -> bytes:
    return (
        f"From: feedback@arf.example.org\nTo: {to}\nSubject: complaint\nMIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=feedback-report; boundary=f\n\n"
        "--f\nContent-Type: text/plain\n\nAn abuse report.\n"
        "--f\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\n"
        f"Original-Rcpt-To: <{recipient}>\n\n"
        f"--f\nContent-Type: text/rfc822-headers\n\n{returned_headers}\n--f--\n"
    ).encode()


def mime_bomb(depth: int) -> bytes:
    head = b"From: MAILER-DAEMON@x.example\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n"
    body = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
                    for i in range(depth))
    body += b"Content-Type: text/plain\r\n\r\nx\r\n"
    body += b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    return head + body
