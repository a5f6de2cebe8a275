"""Every Message-ID the service writes, under the domain of the From address.

Edition copies get a stable id per (edition render, subscriber), so a retry reuses it and
returned mail can be matched to the copy; one-off mail gets a random one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from .message import format_sender


@dataclass(frozen=True)
class MessageIds:
    domain: str

    @classmethod
    def for_sender(cls, mail_from: str) -> MessageIds:
        """From 'Name <addr@domain>' or 'addr@domain' (MAIL_FROM)."""
        return cls(format_sender(mail_from)[1].rsplit("@", 1)[1])

    def unique(self, label: str) -> str:
        """A fresh id for one email sent once (confirmation, test copy)."""
        return f"<{label}.{secrets.token_hex(8)}@{self.domain}>"

    def copy_parts(self, prefix: str) -> tuple[str, str]:
        """What goes before and after the subscriber id in a copy's id (the ledger writes
        the same ids in SQL from these parts)."""
        return f"<{prefix}.", f"@{self.domain}>"

    def copy(self, prefix: str, subscriber_id: int) -> str:
        head, tail = self.copy_parts(prefix)
        return f"{head}{subscriber_id}{tail}"
