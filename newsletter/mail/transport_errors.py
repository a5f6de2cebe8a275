"""The two kinds of delivery error the engine acts on (try later, give up), and how an SMTP
reply code maps to them. Shared by the transport and its pipeline."""

from __future__ import annotations

import re

_BAD_MAILBOX = re.compile(r"\b5\.1\.\d{1,3}\b")


class DeliveryError(Exception):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryFailure(DeliveryError):
    """4xx reply, dropped connection or timeout: retry later."""


class PermanentFailure(DeliveryError):
    """5xx reply: do not retry. `bounced` is true for a 5.1.x (bad mailbox) reply."""

    @property
    def bounced(self) -> bool:
        return _BAD_MAILBOX.search(str(self)) is not None


class LoginRefused(PermanentFailure):
    """The relay refused our credentials: no message can go out until SMTP_URL is fixed,
    so this is about the sender, not about any recipient."""


def classify(code: int, reply: bytes | str) -> DeliveryError:
    """4xx → TemporaryFailure, anything else → PermanentFailure, with the reply as message."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    message = f"{code} {text}".strip()
    if 400 <= code < 500:
        return TemporaryFailure(message, code)
    return PermanentFailure(message, code)
