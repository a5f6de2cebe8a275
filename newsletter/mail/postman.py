"""The one way mail leaves the service.

Edition batches, confirmation and import mail and editors' test sends all hand finished
bytes to a `Postman` built from Settings, so every message gets the same DKIM signature,
the same envelope sender and the same SMTP_RATE budget, whoever wrote it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from redis import Redis

from ..config import Settings
from .dkim import DkimSigner
from .message import format_sender
from .rate import RateLimiter
from .transport import DeliveryError, Outcome, Transport, open_transport

if TYPE_CHECKING:
    from ..bounces.verp import Copy

# the envelope sender for one copy (the edition and reader it went to, or None for mail
# to no reader); a VERP return path names the copy so returned mail can be tied to it
ReturnPath = Callable[["Copy | None"], str]


def signer_from(settings: Settings) -> DkimSigner | None:
    """A DKIM signer when DKIM_SELECTOR, DKIM_DOMAIN and DKIM_PRIVATE_KEY are all set."""
    if settings.dkim_key_path and settings.dkim_selector and settings.dkim_domain:
        return DkimSigner(settings.dkim_selector, settings.dkim_domain, settings.dkim_key_path)
    return None


def verp_return_path(settings: Settings) -> ReturnPath | None:
    """With ENVELOPE_FROM set, each copy to a reader leaves as bounces+TAG@domain (signed);
    mail to no reader (a test send) leaves with ENVELOPE_FROM itself."""
    if not settings.envelope_from:
        return None
    from ..bounces.verp import Verp  # the bounces package is only needed when VERP is on

    verp = Verp(settings.envelope_from, settings.secret_key)
    plain = settings.envelope_from

    def return_path(copy: Copy | None) -> str:
        return verp.sender(copy.subscriber_id, copy.edition_id) if copy else plain

    return return_path


class Postman:
    """Signs, picks the envelope sender, waits for the shared rate limit, then sends.

    Used as a context manager around a run of messages so that they share one
    connection: `with postman: postman.send(to, data)`.
    """

    def __init__(self, transport: Transport, *, envelope_from: str,
                 signer: DkimSigner | None = None, limiter: RateLimiter | None = None,
                 return_path: ReturnPath | None = None) -> None:
        self.transport = transport
        self.envelope_from = envelope_from
        self.signer = signer
        self.limiter = limiter
        self.return_path = return_path

    @classmethod
    def from_settings(cls, settings: Settings, redis: Redis | None = None, *,
                      transport: Transport | None = None) -> Postman:
        """The postman every process builds: SMTP_URL (or the outbox), DKIM_*, ENVELOPE_FROM
        (else the From address) and SMTP_RATE shared through `redis`."""
        limiter = RateLimiter(redis, settings.smtp_rate) if redis is not None else None
        return cls(
            transport or open_transport(settings.smtp_url, settings.outbox, settings.smtp_timeout),
            envelope_from=settings.envelope_from or format_sender(settings.mail_from)[1],
            signer=signer_from(settings),
            limiter=limiter,
            return_path=verp_return_path(settings),
        )

    def envelope_for(self, copy: Copy | None = None) -> str:
        """The SMTP envelope sender (where bounces go) for one copy."""
        if self.return_path is not None:
            return self.return_path(copy)
        return self.envelope_from

    def send(self, recipient: str, data: bytes, *, copy: Copy | None = None,
             before_wait: Callable[[], None] | None = None) -> None:
        """Sign and send one message; raises the transport's DeliveryError kinds.

        `copy` says which edition and reader this is, for a VERP envelope sender;
        `before_wait` runs when SMTP_RATE makes this message wait for its turn.
        """
        if self.signer is not None:
            data = self.signer.sign(data)
        if self.limiter is not None:
            self.limiter.wait(before_wait)
        self.transport.send(self.envelope_for(copy), recipient, data)

    def submit(self, recipient: str, data: bytes, *, tag: object, copy: Copy | None = None,
               before_wait: Callable[[], None] | None = None, dot_safe: bool = False
               ) -> list[Outcome]:
        """Like `send`, but the transport may still be busy with this message when it
        returns (SMTP PIPELINING): the outcomes that became known come back, each with the
        `tag` its message was submitted with, and `drain` returns the rest. A transport
        that cannot pipeline sends at once, and this message's outcome is in the list.
        `dot_safe`: no line of `data` starts with a dot (a DKIM header keeps that true)."""
        if self.signer is not None:
            data = self.signer.sign(data)
        if self.limiter is not None:
            self.limiter.wait(before_wait)
        sender = self.envelope_for(copy)
        submit = getattr(self.transport, "submit", None)
        if submit is not None:
            return submit(sender, recipient, data, tag, dot_safe=dot_safe)
        try:
            self.transport.send(sender, recipient, data)
        except DeliveryError as exc:
            return [(tag, exc)]
        return [(tag, None)]

    def drain(self) -> list[Outcome]:
        """Wait for every submitted message's reply: the outcomes not returned yet."""
        drain = getattr(self.transport, "drain", None)
        return drain() if drain is not None else []

    def __enter__(self) -> Postman:
        self.transport.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.transport.__exit__(exc_type, exc, tb)
