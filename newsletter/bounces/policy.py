"""What a matched bounce or complaint does to a reader, and when an edition stops itself.

Hard bounce: bounced at once. Complaint: unsubscribed and suppressed at once. Soft bounces
add up: `soft_limit` of them on different days within `window`, with no delivery notice
in between, mark the reader bounced. Auto-replies and delivery notices change nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..delivery import ledger
from ..errors import InvalidTransition
from ..models import BounceKind, BounceRecord, Edition, EditionStatus, Subscriber
from ..subscribers import service as subscribers


@dataclass(frozen=True)
class BouncePolicy:
    soft_limit: int = 3
    window: timedelta = timedelta(days=30)
    pause_rate: float = 0.05
    pause_min_copies: int = 200

    @classmethod
    def from_settings(cls, settings: object) -> BouncePolicy:
        return cls(soft_limit=getattr(settings, "bounce_soft_limit", 3),
                   pause_rate=getattr(settings, "bounce_pause_rate", 0.05))


def apply(session: Session, subscriber: Subscriber, row: BounceRecord, policy: BouncePolicy,
          now: datetime) -> str:
    """Act on one matched record; returns the outcome kept on the record."""
    if row.kind == BounceKind.COMPLAINT:
        subscribers.complain(session, subscriber.id, now)
        return "unsubscribed"
    if row.kind != BounceKind.BOUNCE:
        return "none"
    if row.hard:
        subscribers.mark_bounced(session, subscriber.id, _why(row))
        if row.edition_id is not None:
            pause_if_bouncing(session, row.edition_id, policy)
        return "bounced"
    if soft_days(session, subscriber.id, policy, now) >= policy.soft_limit:
        subscribers.mark_bounced(session, subscriber.id, f"{policy.soft_limit} soft bounces: "
                                 + _why(row))
        return "bounced"
    return "counted"


def _why(row: BounceRecord) -> str:
    return f"{row.status} {row.reason}: {row.diagnostic}".strip()[:500]


def soft_days(session: Session, subscriber_id: int, policy: BouncePolicy, now: datetime) -> int:
    """Different days with a soft bounce in the window, since the last delivery notice."""
    since = now - policy.window
    delivered = session.scalar(
        select(func.max(BounceRecord.received_at)).where(
            BounceRecord.subscriber_id == subscriber_id,
            BounceRecord.kind == BounceKind.DELIVERED)
    )
    if delivered is not None and delivered > since:
        since = delivered
    times = session.scalars(
        select(BounceRecord.received_at).where(
            BounceRecord.subscriber_id == subscriber_id,
            BounceRecord.kind == BounceKind.BOUNCE,
            BounceRecord.hard.is_(False),
            BounceRecord.received_at > since,
            BounceRecord.received_at <= now,
        )
    )
    return len({t.date() for t in times})


@dataclass(frozen=True)
class EditionBounces:
    sent: int
    bounced: int
    hard: int
    complained: int

    @property
    def bounce_rate(self) -> float:
        return self.bounced / self.sent if self.sent else 0.0

    @property
    def hard_rate(self) -> float:
        return self.hard / self.sent if self.sent else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complained / self.sent if self.sent else 0.0

    def as_dict(self) -> dict[str, object]:
        return {"bounced": self.bounced, "complained": self.complained,
                "hard_bounced": self.hard, "bounce_rate": round(self.bounce_rate, 4),
                "complaint_rate": round(self.complaint_rate, 4)}


def edition_bounces(session: Session, edition_id: int) -> EditionBounces:
    """Readers of this edition whose copy bounced (hard or soft) or who complained."""
    rows = dict(session.execute(
        select(BounceRecord.kind, func.count(func.distinct(BounceRecord.subscriber_id)))
        .where(BounceRecord.edition_id == edition_id, BounceRecord.subscriber_id.is_not(None))
        .group_by(BounceRecord.kind)
    ).all())
    hard = session.scalar(
        select(func.count(func.distinct(BounceRecord.subscriber_id))).where(
            BounceRecord.edition_id == edition_id, BounceRecord.kind == BounceKind.BOUNCE,
            BounceRecord.hard.is_(True), BounceRecord.subscriber_id.is_not(None))
    ) or 0
    sent = ledger.sent_count(session, edition_id=edition_id)
    return EditionBounces(int(sent), int(rows.get(BounceKind.BOUNCE, 0)), int(hard),
                          int(rows.get(BounceKind.COMPLAINT, 0)))


def pause_if_bouncing(session: Session, edition_id: int, policy: BouncePolicy) -> bool:
    """Pause a sending edition whose hard-bounce rate passed the limit (after enough copies)."""
    counts = edition_bounces(session, edition_id)
    if counts.sent < policy.pause_min_copies or counts.hard_rate <= policy.pause_rate:
        return False
    status = session.scalar(select(Edition.status).where(Edition.id == edition_id))
    if status != EditionStatus.SENDING:
        return False
    from ..delivery import lifecycle

    with contextlib.suppress(InvalidTransition):
        lifecycle.pause(session, edition_id, reason=(
            f"paused: {counts.hard_rate:.1%} of {counts.sent} copies bounced hard "
            f"(limit {policy.pause_rate:.1%})"))
        return True
    return False
