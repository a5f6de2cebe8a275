"""Ways out for a finished message: SMTP (plain, STARTTLS, implicit TLS) or an outbox folder.

A transport is opened once per batch and reused for every message in it; errors are
reduced to two kinds the delivery engine acts on: try later, or give up.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
import time
import uuid
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Protocol
from urllib.parse import unquote, urlsplit

from ..instance import private_dir, write_new
from .pipeline import Letter, Lost, Outcome, Pipeline
from .transport_errors import (
    DeliveryError,
    LoginRefused,
    PermanentFailure,
    TemporaryFailure,
)
from .transport_errors import classify as _classify

# re-exported: the engine and the tests import the error kinds from here
__all__ = ["DeliveryError", "LoginRefused", "Outcome", "PermanentFailure", "TemporaryFailure"]


class Transport(Protocol):
    def __enter__(self) -> Transport: ...
    def __exit__(self, *exc: object) -> None: ...
    def send(self, sender: str, recipient: str, data: bytes) -> None: ...


class OutboxTransport:
    """Writes each message as an .eml file: the default when SMTP_URL is unset."""

    def __init__(self, folder: Path) -> None:
        self.folder = private_dir(folder)

    def __enter__(self) -> OutboxTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def check(self) -> str:
        """Can mail be written? Used by the admin settings page."""
        probe = self.folder / f".check-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
        return f"writing .eml files to {self.folder}"

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.eml"
        tmp = self.folder / f".{name}.tmp"
        envelope = f"X-Envelope-From: <{sender}>\r\nX-Envelope-To: <{recipient}>\r\n"
        write_new(tmp, envelope.encode("ascii") + data)  # 0600: mail is personal data
        os.replace(tmp, self.folder / name)  # readers never see half a file


class SMTPTransport:
    """One reused SMTP connection; reconnects once when the server drops it."""

    def __init__(self, url: str, timeout: float = 30.0, local_hostname: str | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtp+starttls", "smtps"}:
            raise ValueError(f"SMTP_URL scheme must be smtp, smtp+starttls or smtps: {url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname or "localhost"
        self.port = parts.port or {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.local_hostname = local_hostname
        self._ssl_context = ssl_context
        self._conn: smtplib.SMTP | None = None
        self._pipeline = Pipeline()

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """Certificate and host name checks stay on (the default context); built only for TLS."""
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _connect(self) -> smtplib.SMTP:
        conn: smtplib.SMTP | None = None
        try:
            if self.scheme == "smtps":
                conn = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self.ssl_context,
                    local_hostname=self.local_hostname,
                )
            else:
                conn = smtplib.SMTP(
                    self.host, self.port, timeout=self.timeout, local_hostname=self.local_hostname
                )
                if self.scheme == "smtp+starttls":
                    conn.starttls(context=self.ssl_context)
            conn.ehlo_or_helo_if_needed()
            if self.username:
                conn.login(self.username, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            _close_quietly(conn)
            raise LoginRefused(f"SMTP login refused: {exc.smtp_code}", exc.smtp_code) from exc
        except (OSError, smtplib.SMTPException) as exc:
            _close_quietly(conn)
            raise TemporaryFailure(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        return conn

    def __enter__(self) -> SMTPTransport:
        return self

    def check(self) -> str:
        """Connect, greet, log in and quit: tells an admin whether SMTP_URL works."""
        self._conn = self._connect()
        self.close()
        return f"connected to {self.host}:{self.port} ({self.scheme})" + (
            f" and logged in as {self.username}" if self.username else "")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._pipeline.busy():  # the server may be waiting for content: no QUIT
            self._pipeline = Pipeline()
            self._drop()
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                self._conn.close()
            self._conn = None

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        if self._pipeline.busy():  # its replies would be read as this message's
            raise RuntimeError("submitted messages are still owed replies: drain() first")
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            try:
                _transact(self._conn, sender, recipient, data)
                return
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = exc.recipients.get(recipient, (550, b"refused"))
                self._reset()
                raise _classify(code, reply) from exc
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                self._reset()
                raise _classify(exc.smtp_code, exc.smtp_error) from exc
            except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
                self._drop()
                if attempt == 2:
                    raise TemporaryFailure(f"connection lost: {exc}") from exc

    def submit(self, sender: str, recipient: str, data: bytes, tag: object = None, *,
               dot_safe: bool = False) -> list[Outcome]:
        """Hand over one message; returns the outcomes that became known, in any order,
        each with the `tag` its message was submitted with (`drain` returns the rest).

        With PIPELINING this returns without waiting for this message: its envelope has
        gone out behind the previous message's content, and the caller's work until the
        next call overlaps the server's. Each message keeps `send`'s guarantees: a 4xx is
        a TemporaryFailure, a 5xx a PermanentFailure, and when the connection drops or the
        server says 421, the message whose reply it died waiting for goes again once on a
        new connection (a second loss is a TemporaryFailure), and those behind it go again
        without losing a try. Without PIPELINING it is `send`: the outcome comes at once.
        `dot_safe` says no line of `data` starts with a dot, so it needs no dot-stuffing and
        no search for one (an edition copy: quoted-printable with leading dots encoded)."""
        if not _usable(sender) or not _usable(recipient):
            return [(tag, PermanentFailure("553 unusable address", 553))]
        if self._conn is None:
            try:
                self._conn = self._connect()
            except DeliveryError as exc:
                return [(tag, exc)]
        letter = Letter(tag, sender, recipient, data, dot_safe)
        if not self._conn.has_extn("pipelining"):
            return [self._send_tagged(letter)]
        return self._push(deque([letter]))

    def drain(self) -> list[Outcome]:
        """Send what is held and wait for every reply owed: the outcomes not yet returned."""
        return self._push(deque())

    def _send_tagged(self, letter: Letter) -> Outcome:
        try:
            self.send(letter.sender, letter.recipient, letter.data)
        except DeliveryError as exc:
            return letter.tag, exc
        return letter.tag, None

    def _push(self, todo: deque[Letter]) -> list[Outcome]:
        """Exchange until `todo` is out (one letter may stay owed) or, empty, until nothing
        is owed. A lost connection settles what it had answered; what it had not goes again
        on a new one if it went out only once (a second loss is a TemporaryFailure)."""
        outcomes: list[Outcome] = []
        draining = not todo
        while todo or (draining and self._pipeline.busy()):
            if self._conn is None:
                try:
                    self._conn = self._connect()
                except DeliveryError as exc:  # LoginRefused included: nothing can go
                    return outcomes + [(letter.tag, exc) for letter in todo]
                if not self._conn.has_extn("pipelining"):
                    return outcomes + [self._send_tagged(letter) for letter in todo]
            letter = todo.popleft() if todo else None
            try:
                outcomes += self._pipeline.exchange(self._conn, letter)
            except Lost as lost:
                self._drop()
                outcomes += lost.outcomes
                again = list(lost.behind)
                for blamed in lost.blamed:
                    if blamed.tries >= 2:
                        outcomes.append((blamed.tag, TemporaryFailure(str(lost))))
                    else:
                        blamed.tries += 1
                        again.insert(0, blamed)
                todo.extendleft(reversed(again))
        return outcomes

    def _reset(self) -> None:
        try:
            if self._conn is not None:
                self._conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        self._conn = None


def _close_quietly(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        with contextlib.suppress(OSError):
            conn.close()


def _usable(address: str) -> bool:
    """No line breaks or angle brackets (they would end or forge a command); ASCII only."""
    return address.isascii() and not any(c in address for c in "\r\n<>")


_LINE_START_DOT = re.compile(rb"(?m)^\.")
_EXPECTED = ((250,), (250, 251), (354,))


def _transact(conn: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """MAIL, RCPT, DATA and the message for one recipient.

    Like smtplib's sendmail, without its per-message costs: no address re-parsing, no regex
    pass over the body unless a line starts with a dot (never, for our quoted-printable
    messages), and with PIPELINING (RFC 2920) the three commands go out in one write, so a
    message costs two round trips instead of four.
    """
    if not _usable(sender) or not _usable(recipient):
        raise smtplib.SMTPRecipientsRefused({recipient: (553, b"unusable address")})
    commands = (f"MAIL FROM:<{sender}>", f"RCPT TO:<{recipient}>", "DATA")
    if conn.has_extn("pipelining"):
        conn.send(("\r\n".join(commands) + "\r\n").encode("ascii"))
        replies = []
        for _ in commands:
            replies.append(conn.getreply())
            if replies[-1][0] == 421:
                break
    else:
        replies = []
        for command, ok in zip(commands, _EXPECTED, strict=True):
            replies.append(conn.docmd(command))
            if replies[-1][0] not in ok:
                break
    for step, (code, reply) in enumerate(replies):
        if code in _EXPECTED[step]:
            continue
        if code == 421:
            conn.close()
            raise smtplib.SMTPServerDisconnected(f"{code} {reply!r}")
        if len(replies) == 3 and replies[2][0] == 354:  # DATA accepted anyway: send nothing
            conn.send(b".\r\n")
            conn.getreply()
        if step == 0:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        if step == 1:
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        raise smtplib.SMTPDataError(code, reply)
    if data.startswith(b".") or b"\n." in data:
        data = _LINE_START_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    conn.send(data + b".\r\n")
    code, reply = conn.getreply()
    if code != 250:
        if code == 421:
            conn.close()
            raise smtplib.SMTPServerDisconnected(f"{code} {reply!r}")
        raise smtplib.SMTPDataError(code, reply)


def open_transport(smtp_url: str | None, outbox: Path, timeout: float = 30.0) -> Transport:
    if smtp_url:
        return SMTPTransport(smtp_url, timeout=timeout)
    return OutboxTransport(outbox)
