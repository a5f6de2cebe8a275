"""See an edition as one reader gets it, and send a test copy, through the sending pipeline.

Both use the edition's stored render when it has been started (exactly what went out), or
render it now. Every copy is built by `PreparedEdition.message`, the code that builds each
reader's copy, with links that act for nobody; a preview reads the bodies back from those
bytes, so an editor sees what the reader got minus the links that act for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formatdate

from sqlalchemy.orm import Session

from ..config import Settings
from ..delivery import ledger
from ..errors import NewsletterError, NotFound, ValidationError
from ..mail.copies import Identity, PreparedEdition, bodies
from ..mail.edition import RenderedEdition, render_edition, render_items, update_context
from ..mail.postman import Postman
from ..mail.transport import DeliveryError
from ..models import Edition, TopicUpdate
from ..subscribers.addresses import normalize_email
from ..subscribers.links import Links
from ..subscribers.service import find_by_email, topics_by_slug

PREVIEW_TO = "reader@preview.invalid"  # a preview is never sent; its To is never shown


class TrialSendFailed(NewsletterError):
    """The mail server refused or could not be reached: not the editor's input."""

    status_code = 502


@dataclass(frozen=True)
class Preview:
    html: str
    text: str
    mask: int
    description: str


@dataclass(frozen=True)
class StandInLinks:
    """The links of a copy no reader gets (`mail.copies.CopyLinks`).

    A reader's links act for them without a login; an editor looking at their copy must not
    be able to open, copy or forward them, so previews carry preferences and unsubscribe
    links that lead nowhere, and test sends the sign-up page. The web copy names no reader,
    so both carry the edition's real one (the archive when there is no edition yet).
    """

    preferences_url: str
    unsubscribe_url: str
    archive_url: str
    links: Links | None = None  # signs web copy links; None: not an edition yet

    @classmethod
    def masked(cls, settings: Settings) -> StandInLinks:
        base = settings.base_url
        return cls(f"{base}/preferences/…", f"{base}/unsubscribe/…", f"{base}/archive",
                   Links.from_settings(settings))

    @classmethod
    def signup(cls, settings: Settings, *, edition: bool) -> StandInLinks:
        base = settings.base_url
        return cls(f"{base}/subscribe", f"{base}/subscribe", f"{base}/archive",
                   Links.from_settings(settings) if edition else None)

    def preferences(self, subscriber_id: int, version: int = 0) -> str:
        return self.preferences_url

    def unsubscribe(self, subscriber_id: int, version: int = 0) -> str:
        return self.unsubscribe_url

    def web_copy(self, edition_id: int, mask: int) -> str:
        return self.archive_url if self.links is None else self.links.web_copy(edition_id, mask)


def rendered_for(edition: Edition, settings: Settings) -> RenderedEdition:
    if edition.rendered:
        data = dict(edition.rendered)
        data.pop("nonce", None)
        return RenderedEdition.from_dict(data)
    return render_edition(edition, list_name=settings.list_name, base_url=settings.base_url)


def preview_for_subscriber(session: Session, edition: Edition, raw_email: str,
                           settings: Settings) -> Preview:
    """The copy this subscriber got (ledger mask) or would get (their topics now), with
    their personal links masked."""
    subscriber = find_by_email(session, normalize_email(raw_email))
    if subscriber is None:
        raise NotFound("No subscriber with that address.")
    mask = ledger.copy_mask(session, edition.id, subscriber.id)
    if mask is None:
        mask = ledger.mask_for(ledger.topic_masks(session, edition.id), subscriber.topic_ids)
        note = f"{subscriber.email} ({subscriber.status}) with the topics they follow now"
    else:
        note = f"the copy sent to {subscriber.email}"
    return _preview(edition, settings, mask, note, subscriber.id)


def preview_for_topics(session: Session, edition: Edition, slugs: list[str],
                       settings: Settings) -> Preview:
    """A reader who follows exactly these topics (all of the edition's when none given)."""
    masks = ledger.topic_masks(session, edition.id)
    if slugs:
        mask = ledger.mask_for(masks, (t.id for t in topics_by_slug(session, slugs)))
        note = "a reader of " + ", ".join(slugs)
    else:
        mask = (1 << len(edition.items)) - 1
        note = "a reader of every topic in this edition"
    return _preview(edition, settings, mask, note)


def _preview(edition: Edition, settings: Settings, mask: int, note: str,
             subscriber_id: int = 0) -> Preview:
    prepared = PreparedEdition.for_readers(edition.id, rendered_for(edition, settings),
                                           Identity.from_settings(settings))
    data = prepared.message(StandInLinks.masked(settings), subscriber_id, PREVIEW_TO, mask,
                            formatdate(usegmt=True))
    text, html = bodies(data)
    return Preview(html, text, mask, note)


def send_test(settings: Settings, postman: Postman, subject: str | None,
              updates: list[TopicUpdate], raw_address: str, kicker: str = "") -> str:
    """One copy with every update to any address, marked as a test; returns the Message-ID.

    Renders with the edition pipeline (MJML, premailer, stamp, the same MIME assembly) so
    the test shows what subscribers will get; its links point to the sign-up page.
    `subject` None is the automatic subject of a reader of every topic.
    """
    address = normalize_email(raw_address)
    if not updates:
        raise ValidationError("Choose at least one topic update.", field="updates")
    rendered = render_items(subject, [update_context(u) for u in updates],
                            list_name=settings.list_name, base_url=settings.base_url, kicker=kicker)
    prepared = PreparedEdition.for_trial(0, rendered, Identity.from_settings(settings))
    return _send(prepared, StandInLinks.signup(settings, edition=False), postman,
                 (1 << len(updates)) - 1, address)


def send_test_of_edition(settings: Settings, postman: Postman, edition: Edition,
                         raw_address: str) -> str:
    address = normalize_email(raw_address)
    prepared = PreparedEdition.for_trial(edition.id, rendered_for(edition, settings),
                                         Identity.from_settings(settings))
    return _send(prepared, StandInLinks.signup(settings, edition=True), postman,
                 (1 << len(edition.items)) - 1, address)


def _send(prepared: PreparedEdition, links: StandInLinks, postman: Postman, mask: int,
          address: str) -> str:
    msg_id = prepared.message_id(0)
    data = prepared.message(links, 0, address, mask, formatdate(usegmt=True), msg_id=msg_id)
    try:
        with postman:
            postman.send(address, data)
    except DeliveryError as exc:
        raise TrialSendFailed(f"The mail server did not take the test message: {exc}") from exc
    return msg_id
