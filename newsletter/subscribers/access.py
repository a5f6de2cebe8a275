"""Which subscriber a link opens: version checks, revoking links, and the one-day undo.

A signed link proves who it was made for, not that it is still wanted: an unsubscribe URL
sits in every email's headers and may be seen by anyone the email reaches. So links carry
the subscriber's token_version (raised to revoke them all), and the "undo" offered right
after unsubscribing is a separate short-lived token bound to that one unsubscribe.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from .. import defaults
from ..errors import NotFound
from ..models import Subscriber, SubscriberStatus
from . import timing
from .tokens import UNDO, Claim, InvalidToken, Purpose, RevokedToken, Tokens

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNDO_USED = "This undo link has expired or was already used."


def token_holder(session: Session, claim: Claim) -> Subscriber:
    """The subscriber a verified token names, if the token is of their current generation."""
    subscriber = session.get(Subscriber, claim.subscriber_id)
    if subscriber is None:
        raise NotFound("We could not find this subscription. It may have been erased.")
    if subscriber.token_version != claim.version:
        raise RevokedToken()
    return subscriber


def open_link(session: Session, tokens: Tokens, purpose: Purpose, token: str) -> Subscriber:
    """Signature, age and generation checked in one place for every page a link opens."""
    return token_holder(session, tokens.claim(purpose, token))


def revoke_links(session: Session, subscriber_id: int) -> Subscriber:
    """Every confirm, preferences and unsubscribe link sent so far stops working.

    The next email carries links of the new generation.
    """
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise NotFound("No such subscriber.")
    subscriber.token_version += 1
    session.flush()
    return subscriber


def _stamp(moment: datetime) -> int:
    """Microseconds since the epoch: exact, so one unsubscribe has one stamp."""
    return (moment.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)


def undo_token(tokens: Tokens, subscriber: Subscriber) -> str | None:
    """The token for the page shown right after unsubscribing (None if there is nothing to undo)."""
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED or subscriber.unsubscribed_at is None:
        return None
    return tokens.make_undo(subscriber.id, subscriber.token_version,
                            _stamp(subscriber.unsubscribed_at))


def undo_unsubscribe(session: Session, tokens: Tokens, subscriber: Subscriber,
                     token: str, list_zone: str = defaults.LIST_TIMEZONE) -> bool:
    """Resubscribe without a new confirmation, once, within a day, for a confirmed address.

    False (nothing changed) when the token is missing, expired, of an older unsubscribe
    (so already used) or of another reader; the caller then offers double opt-in instead.
    """
    if not token or subscriber.status != SubscriberStatus.UNSUBSCRIBED \
            or subscriber.unsubscribed_at is None or subscriber.confirmed_at is None:
        return False
    try:
        claim = tokens.claim(UNDO, token)
    except InvalidToken:
        return False
    if claim != (subscriber.id, subscriber.token_version, _stamp(subscriber.unsubscribed_at)):
        return False
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.unsubscribed_at = None
    timing.reschedule(subscriber, list_zone)
    session.flush()
    return True
