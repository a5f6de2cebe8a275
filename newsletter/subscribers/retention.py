"""What we keep about a reader, and for how long.

A sign-up nobody confirmed is an address someone typed: it is deleted after
UNCONFIRMED_DAYS (a setting; the cron tick runs the purge). The data export lists what
we did with an address too: every copy we sent or tried to send, every bounce or
complaint that came back, and when we last mailed it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ..delivery import ledger
from ..models import BounceRecord, Subscriber, SubscriberStatus, utcnow

DEFAULT_UNCONFIRMED_DAYS = 30


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def activity(session: Session, subscriber: Subscriber) -> dict[str, Any]:
    """The mail side of a reader's data: deliveries, bounces and the last mail date."""
    deliveries = ledger.copies_of(session, subscriber.id)
    bounces = session.scalars(
        select(BounceRecord).where(BounceRecord.subscriber_id == subscriber.id)
        .order_by(BounceRecord.id)
    ).all()
    sent = [d.sent_at for d, _ in deliveries if d.sent_at] + \
        ([subscriber.last_mail_at] if subscriber.last_mail_at else [])
    return {
        "last_mail_at": _iso(max(sent) if sent else None),
        "deliveries": [
            {"edition_id": d.edition_id, "subject": subject, "status": d.status,
             "attempts": d.attempts, "sent_at": _iso(d.sent_at), "last_error": d.last_error}
            for d, subject in deliveries
        ],
        "bounces": [
            {"received_at": _iso(b.received_at), "kind": b.kind, "status": b.status,
             "reason": b.reason, "hard": b.hard, "edition_id": b.edition_id,
             "outcome": b.outcome}
            for b in bounces
        ],
    }


def purge_unconfirmed(session: Session, days: int, now: datetime | None = None) -> int:
    """Delete sign-ups never confirmed within `days` of their last confirmation email.

    Never-confirmed readers who one-click unsubscribed go too; nobody who ever
    confirmed is touched. `days` <= 0 turns the purge off.
    """
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    ids = select(Subscriber.id).where(
        Subscriber.confirmed_at.is_(None),
        Subscriber.status.in_([SubscriberStatus.PENDING, SubscriberStatus.UNSUBSCRIBED]),
        Subscriber.created_at < cutoff,
        or_(Subscriber.last_mail_at.is_(None), Subscriber.last_mail_at < cutoff),
    )
    result = session.execute(delete(Subscriber).where(Subscriber.id.in_(ids))
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
