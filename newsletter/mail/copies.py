"""One way a copy of an edition is built, whoever gets it: a reader, an editor's preview, a test.

`PreparedEdition` holds what every copy of one render shares (the encoded blocks, the MIME
skeleton, the Message-ID domain); `message` stamps one copy from it with the links it is
given. A batch passes each reader's signed links; a preview passes links that lead nowhere
and reads the bodies back (`bodies`), so what an editor sees are the bytes a reader gets.
`PreparedEditions` keeps the last one a worker prepared, owned by whoever sends.
"""

from __future__ import annotations

import email
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import quote

from ..config import Settings
from ..models import Edition
from .edition import EncodedEdition, RenderedEdition
from .message import MessageTemplate, feedback_id, list_key
from .message_ids import MessageIds

TEST_PREFIX = "[Test] "


@dataclass(frozen=True)
class Identity:
    """Who the mail is from and how the list is named; the same for every edition."""

    mail_from: str
    list_name: str
    list_id: str
    base_url: str
    secret_key: str | None = None  # lets a batch sign its links without re-deriving keys

    @classmethod
    def from_settings(cls, settings: Settings) -> Identity:
        return cls(mail_from=settings.mail_from, list_name=settings.list_name,
                   list_id=settings.list_id, base_url=settings.base_url,
                   secret_key=settings.secret_key)


class CopyLinks(Protocol):
    """The links a copy carries: a reader's own (subscribers.links.Links, the batch's
    BatchLinks) or, in previews and test sends, ones that act for nobody."""

    def preferences(self, subscriber_id: int, version: int = 0) -> str: ...

    def unsubscribe(self, subscriber_id: int, version: int = 0) -> str: ...

    def web_copy(self, edition_id: int, mask: int) -> str: ...


@dataclass
class PreparedEdition:
    """Everything per edition that each copy reuses: the blocks and the MIME skeleton.

    A `trial` copy (a test send) is marked in its subject and offers no List-Unsubscribe:
    nobody subscribed to it.
    """

    edition_id: int
    rendered: RenderedEdition
    template: MessageTemplate
    id_prefix: str
    ids: MessageIds
    trial: bool = False
    encoded: EncodedEdition = field(init=False)
    web_copies: dict[int, str] = field(default_factory=dict)  # one signed link per topic mask

    def __post_init__(self) -> None:
        self.encoded = EncodedEdition.of(self.rendered)

    @classmethod
    def for_readers(cls, edition_id: int, rendered: RenderedEdition, identity: Identity,
                    nonce: str = "0") -> PreparedEdition:
        """The copies readers get; `nonce` tells one start of the edition from another, so a
        restarted edition's Message-IDs are new."""
        template = MessageTemplate.build(
            subject=None,  # per copy: see EncodedEdition.copy
            mail_from=identity.mail_from,
            list_id=identity.list_id,
            feedback_id=feedback_id(f"edition-{edition_id}", identity.list_name, "edition",
                                    list_key(identity.list_id)),
        )
        return cls(edition_id, rendered, template, f"edition-{edition_id}-{nonce}",
                   MessageIds.for_sender(identity.mail_from))

    @classmethod
    def of(cls, edition: Edition, identity: Identity) -> PreparedEdition:
        """From the render `lifecycle.start` stored on a started edition."""
        stored = dict(edition.rendered or {})
        nonce = str(stored.pop("nonce", "0"))
        return cls.for_readers(edition.id, RenderedEdition.from_dict(stored), identity, nonce)

    @classmethod
    def for_trial(cls, edition_id: int, rendered: RenderedEdition,
                  identity: Identity) -> PreparedEdition:
        """A test send of an edition (or of updates not yet in one: `edition_id` 0)."""
        template = MessageTemplate.build(subject=None, mail_from=identity.mail_from,
                                         list_id=identity.list_id)
        return cls(edition_id, rendered, template, "test",
                   MessageIds.for_sender(identity.mail_from), trial=True)

    def web_copy(self, links: CopyLinks, mask: int) -> str:
        url = self.web_copies.get(mask)
        if url is None:
            url = self.web_copies[mask] = links.web_copy(self.edition_id, mask)
        return url

    def message_id(self, subscriber_id: int) -> str:
        """A reader's copy keeps its id across retries; a test copy gets a fresh one."""
        return self.ids.unique("test") if self.trial else self.ids.copy(self.id_prefix,
                                                                          subscriber_id)

    def message(self, links: CopyLinks, subscriber_id: int, email: str, mask: int, date: str,
                version: int = 0, *, click_reader: str = "", msg_id: str | None = None) -> bytes:
        """One copy's bytes. Without `click_reader` tracked links carry no reader (previews,
        test sends: nothing is recorded for them)."""
        unsubscribe = links.unsubscribe(subscriber_id, version)
        if not self.trial and self.edition_id:  # so its figures count who left through it
            unsubscribe += f"?e={self.edition_id}"
        text, html = self.encoded.stamp(mask, links.preferences(subscriber_id, version),
                                        unsubscribe, self.web_copy(links, mask), click_reader)
        subject = self.encoded.copy(mask).subject  # built once per topic combination
        return self.template.render_encoded(
            subject=TEST_PREFIX + subject if self.trial else subject,
            to=email,
            msg_id=msg_id or self.message_id(subscriber_id),
            text=text,
            html=html,
            date=date,
            list_unsubscribe=None if self.trial else f"<{header_url(unsubscribe)}>",
        )


def header_url(url: str) -> str:
    """A URL as a header may carry it: ASCII, anything else percent-encoded (RFC 3986).
    Signed links are ASCII already; a preview's stand-in link ends in '…'."""
    return url if url.isascii() else quote(url, safe=":/?#[]@!$&'()*+,;=%~")


class PreparedEditions:
    """The prepared edition a sending process reuses from batch to batch.

    One edition at a time is the common case, so only the last one is kept (memory stays
    flat); a new start of the same edition (another nonce) replaces it. Owned by the
    process's Runtime and handed to each batch, never module state.
    """

    def __init__(self) -> None:
        self._key: tuple[int, str] | None = None
        self._prepared: PreparedEdition | None = None

    def get(self, edition: Edition, identity: Identity) -> PreparedEdition:
        key = (edition.id, str((edition.rendered or {}).get("nonce", "0")))
        if self._prepared is None or self._key != key:
            self._prepared, self._key = PreparedEdition.of(edition, identity), key
        return self._prepared


def bodies(message: bytes) -> tuple[str, str]:
    """(text, html) of a copy as a mail program reads them, with plain line breaks."""
    parsed: EmailMessage = email.message_from_bytes(message, policy=policy.default)  # type: ignore[assignment]
    parts: dict[str, Any] = {}
    for kind in ("plain", "html"):
        part = parsed.get_body((kind,))
        parts[kind] = "" if part is None else part.get_content().replace("\r\n", "\n")
    return parts["plain"], parts["html"]
