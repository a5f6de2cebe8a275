"""Messages back to back on one SMTP connection (RFC 2920 PIPELINING).

A message content may start a command group, so each write carries the previous message's
content and final dot and the next message's MAIL, RCPT and DATA: one round trip per message
instead of two. Between that write and reading its replies the caller is free: it stamps the
next copy and writes outcomes to the ledger while the server reads this one.

The server answers strictly in order, so the replies owed are kept as a queue of (kind,
letter) and each reply is attributed by its position, never guessed from its text.
At most one message content is ever unanswered on the wire.
"""

from __future__ import annotations

import re
import smtplib
from collections import deque
from dataclasses import dataclass
from enum import Enum

from .transport_errors import DeliveryError, classify

_LINE_START_DOT = re.compile(rb"(?m)^\.")


class Owed(Enum):
    RSET = "rset"  # after a refused envelope: the next MAIL must not meet an open transaction
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"  # 354 lets the content go, in the next write
    DOT = "dot"  # the final reply: this letter's outcome
    VOID = "void"  # the empty dot after a 354 to a refused envelope: nothing to attribute


@dataclass(eq=False)
class Letter:
    """One message to one recipient; `tag` is the caller's (a ledger row) and comes back
    with the outcome. `tries` counts the connections its envelope went out on."""

    tag: object
    sender: str
    recipient: str
    data: bytes
    dot_safe: bool = False  # the caller knows no line starts with a dot: skip the search
    tries: int = 1
    error: DeliveryError | None = None  # its envelope or DATA command was refused

    def content(self) -> tuple[bytes, bytes]:
        """The message as it goes after the 354, dot-stuffed, and its CRLF-ended final dot.

        Looking for a line-start dot costs ~0.1 ms of CPU on a 64 KB copy (a third of a
        worker's CPU per copy), so an edition copy, which has none by construction, says so."""
        data = self.data
        if not self.dot_safe and (data.startswith(b".") or b"\n." in data):
            data = _LINE_START_DOT.sub(b"..", data)
        return data, (b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n")

    def envelope(self) -> bytes:
        return (f"MAIL FROM:<{self.sender}>\r\nRCPT TO:<{self.recipient}>\r\nDATA\r\n"
                ).encode("ascii")


# (tag, None) for a message the server accepted; (tag, the error) otherwise
Outcome = tuple[object, DeliveryError | None]


class Lost(Exception):
    """The connection ended (a drop, a timeout or a 421) with replies still owed.

    `outcomes` were settled before it ended. `blamed` is the message whose reply the
    connection died waiting for: this connection counts as one of its tries (its content may
    have arrived). `behind` went out after it, or not at all, and were never reached: they
    lose no try. Both, in this order, go again on a new connection."""

    def __init__(self, reason: str, outcomes: list[Outcome], blamed: list[Letter],
                 behind: list[Letter]) -> None:
        super().__init__(reason)
        self.outcomes, self.blamed, self.behind = outcomes, blamed, behind


class Pipeline:
    """The replies one connection owes us, in order. `exchange` reads them all, then
    writes what they allow in one go: the content whose DATA got 354, and a new envelope."""

    def __init__(self) -> None:
        self.owed: deque[tuple[Owed, Letter | None]] = deque()
        self.reset_needed = False

    def busy(self) -> bool:
        return bool(self.owed)

    def exchange(self, conn: smtplib.SMTP, letter: Letter | None) -> list[Outcome]:
        """Settle what the server answered, send the next group; raises Lost."""
        outcomes: list[Outcome] = []
        ready: Letter | None = None  # its DATA got 354: the content goes now
        void: Letter | None = None  # a refused envelope whose DATA got 354 anyway
        while self.owed:
            kind, owner = self.owed[0]
            try:
                code, reply = conn.getreply()
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                raise self._lost(f"connection lost: {exc}", outcomes, letter) from exc
            if code == 421:  # the server is closing: what it did not answer is unknown
                raise self._lost(f"connection lost: 421 {reply!r}", outcomes, letter)
            self.owed.popleft()
            if owner is None or kind is Owed.VOID:
                continue
            if kind is Owed.DOT:
                outcomes.append((owner.tag, None if code == 250 else classify(code, reply)))
            elif kind in (Owed.MAIL, Owed.RCPT):
                if code not in (250, 251) and owner.error is None:  # 251: will forward
                    owner.error = classify(code, reply)
            elif kind is Owed.DATA:
                if code != 354 and owner.error is None:
                    owner.error = classify(code, reply)
                if owner.error is None:
                    ready = owner
                else:
                    outcomes.append((owner.tag, owner.error))
                    self.reset_needed = True
                    if code == 354:
                        void = owner
        parts: list[bytes] = []
        if ready is not None:
            parts.extend(ready.content())
            self.owed.append((Owed.DOT, ready))
        if void is not None:
            parts.append(b".\r\n")
            self.owed.append((Owed.VOID, void))
        if letter is not None:
            if self.reset_needed:
                parts.append(b"RSET\r\n")
                self.owed.append((Owed.RSET, None))
                self.reset_needed = False
            parts.append(letter.envelope())
            self.owed.extend(((Owed.MAIL, letter), (Owed.RCPT, letter), (Owed.DATA, letter)))
        if parts:
            try:
                conn.sock.sendall(b"".join(parts))  # type: ignore[union-attr]
            except (OSError, AttributeError) as exc:  # AttributeError: smtplib closed it
                raise self._lost(f"connection lost: {exc}", outcomes, None) from exc
        return outcomes

    def _lost(self, reason: str, outcomes: list[Outcome], letter: Letter | None) -> Lost:
        waiting: list[Letter] = []
        seen: set[int] = set()
        for kind, owner in self.owed:
            if owner is None or kind is Owed.VOID or id(owner) in seen:
                continue
            seen.add(id(owner))
            if owner.error is not None:  # refused before the end: that is its outcome
                outcomes.append((owner.tag, owner.error))
            else:
                waiting.append(owner)
        if letter is not None:
            waiting.append(letter)
        self.owed.clear()
        self.reset_needed = False
        return Lost(reason, outcomes, waiting[:1], waiting[1:])
