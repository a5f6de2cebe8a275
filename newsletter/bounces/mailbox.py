"""The BOUNCE_MAILBOX poller: fetch returned mail over IMAPS or POP3S and take it in.

`imaps://user:pass@host[:port]/INBOX` (add `?move=Folder` to move handled mail instead of
deleting it) or `pop3s://user:pass@host[:port]`. A message is deleted or moved only after
`handle` returned, i.e. after its records were committed; if storing fails the message
stays in the mailbox and the next poll tries again.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import poplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)
MAX_PER_POLL = 500
TIMEOUT = 60


@dataclass
class PollResult:
    handled: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Mailbox:
    scheme: str
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    move_to: str | None = None

    @classmethod
    def parse(cls, url: str) -> Mailbox:
        parts = urlsplit(url)
        if parts.scheme not in ("imaps", "pop3s"):
            raise ValueError("BOUNCE_MAILBOX must be imaps://… or pop3s://… (TLS only)")
        if not parts.hostname or not parts.username:
            raise ValueError("BOUNCE_MAILBOX needs user, password and host")
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        move = parse_qs(parts.query).get("move", [None])[0]
        return cls(parts.scheme, parts.hostname, parts.port or (993 if parts.scheme == "imaps" else 995),
                   unquote(parts.username), unquote(parts.password or ""), folder, move)


def poll(url: str, handle: Callable[[bytes], object], *, ssl_context: ssl.SSLContext | None = None,
         limit: int = MAX_PER_POLL) -> PollResult:
    """Fetch up to `limit` messages; each is removed only once `handle` has returned."""
    box = Mailbox.parse(url)
    context = ssl_context or ssl.create_default_context()
    if box.scheme == "imaps":
        return _poll_imap(box, handle, context, limit)
    return _poll_pop3(box, handle, context, limit)


def _poll_imap(box: Mailbox, handle: Callable[[bytes], object], context: ssl.SSLContext,
               limit: int) -> PollResult:
    result = PollResult()
    conn = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=context, timeout=TIMEOUT)
    try:
        conn.login(box.user, box.password)
        status, _ = conn.select(_quote(box.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {box.folder!r}")
        _, data = conn.uid("SEARCH", "UNDELETED")
        uids = (data[0] or b"").split()[:limit]
        for uid in uids:
            _, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple) and len(p) > 1), None)
            if raw is None:
                continue
            try:
                handle(raw)
            except Exception:  # noqa: BLE001 - keep the message for the next poll, go on
                log.exception("returned message %s not stored; left in the mailbox", uid)
                result.failed += 1
                continue
            if box.move_to:
                conn.uid("COPY", uid, _quote(box.move_to))
            conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
            result.handled += 1
        conn.expunge()
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
    return result


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _poll_pop3(box: Mailbox, handle: Callable[[bytes], object], context: ssl.SSLContext,
               limit: int) -> PollResult:
    result = PollResult()
    conn = poplib.POP3_SSL(box.host, box.port, context=context, timeout=TIMEOUT)
    try:
        conn.user(box.user)
        conn.pass_(box.password)
        count, _ = conn.stat()
        for number in range(1, min(count, limit) + 1):
            _, lines, _ = conn.retr(number)
            try:
                handle(b"\r\n".join(lines) + b"\r\n")
            except Exception:  # noqa: BLE001 - keep the message for the next poll, go on
                log.exception("returned message %s not stored; left in the mailbox", number)
                result.failed += 1
                continue
            conn.dele(number)
            result.handled += 1
        conn.quit()  # deletions take effect only now, after every handled message was stored
    except BaseException:
        conn.close()
        raise
    return result
