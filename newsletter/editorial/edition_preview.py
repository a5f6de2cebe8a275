"""See an edition as one reader gets it, and send a test copy, through the sending pipeline.

Both use the edition's stored render when it has been started (exactly what went out),
or render it now; each copy is stamped with `RenderedEdition.stamp` like a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formatdate

from sqlalchemy.orm import Session

from ..config import Settings
from ..delivery import ledger
from ..errors import NewsletterError, NotFound, ValidationError
from ..mail.edition import RenderedEdition, render_edition, render_items, update_context
from ..mail.message import MessageTemplate
from ..mail.message_ids import MessageIds
from ..mail.postman import Postman
from ..mail.transport import DeliveryError
from ..models import Edition, TopicUpdate
from ..subscribers.addresses import normalize_email
from ..subscribers.links import Links
from ..subscribers.service import find_by_email, topics_by_slug
from ..subscribers.tokens import Tokens

TEST_PREFIX = "[Test] "


class TrialSendFailed(NewsletterError):
    """The mail server refused or could not be reached: not the editor's input."""

    status_code = 502


@dataclass(frozen=True)
class Preview:
    html: str
    text: str
    mask: int
    description: str


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
    text, html = rendered_for(edition, settings).stamp(mask, *masked_links(settings),
                                                       web_copy_link(settings, edition, mask))
    return Preview(html, text, mask, note)


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
    text, html = rendered_for(edition, settings).stamp(mask, *masked_links(settings),
                                                       web_copy_link(settings, edition, mask))
    return Preview(html, text, mask, note)


def web_copy_link(settings: Settings, edition: Edition, mask: int) -> str:
    """A web copy names no reader, so previews can carry the real one."""
    return Links(Tokens(settings.secret_key), settings.base_url).web_copy(edition.id, mask)


def masked_links(settings: Settings) -> tuple[str, str]:
    """(preferences, unsubscribe) links shown in previews instead of a reader's own.

    A reader's links act for them without a login; an editor looking at their copy must
    not be able to open, copy or forward them, so previews carry links that lead nowhere.
    """
    base = settings.base_url
    return f"{base}/preferences/…", f"{base}/unsubscribe/…"


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
    return _send(settings, postman, rendered, (1 << len(updates)) - 1, address)


def send_test_of_edition(settings: Settings, postman: Postman, edition: Edition,
                         raw_address: str) -> str:
    address = normalize_email(raw_address)
    rendered = rendered_for(edition, settings)
    mask = (1 << len(edition.items)) - 1
    return _send(settings, postman, rendered, mask, address, web_copy_link(settings, edition, mask))


def _send(settings: Settings, postman: Postman, rendered: RenderedEdition, mask: int,
          address: str, web_copy: str | None = None) -> str:
    signup = f"{settings.base_url}/subscribe"
    text, html = rendered.stamp(mask, signup, signup, web_copy or f"{settings.base_url}/archive")
    template = MessageTemplate.build(subject=TEST_PREFIX + rendered.lines(mask).subject,
                                     mail_from=settings.mail_from, list_id=settings.list_id)
    msg_id = MessageIds.for_sender(settings.mail_from).unique("test")
    data = template.render(to=address, msg_id=msg_id, text=text, html=html,
                           date=formatdate(usegmt=True), list_unsubscribe=None)
    try:
        with postman:
            postman.send(address, data)
    except DeliveryError as exc:
        raise TrialSendFailed(f"The mail server did not take the test message: {exc}") from exc
    return msg_id
