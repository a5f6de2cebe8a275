"""List health: bounce and complaint rates against what mailbox providers tolerate.

Amazon SES reviews an account at 5% bounces or 0.1% complaints and pauses it at 10% or
0.5%; Gmail and Yahoo want complaints under 0.3%. Rates count the copies sent in the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..delivery import ledger
from ..models import BounceKind, BounceRecord, utcnow

WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Threshold:
    label: str
    limit: float
    level: str  # "warning" or "danger"


BOUNCE_THRESHOLDS = (Threshold("Amazon SES pauses sending", 0.10, "danger"),
                     Threshold("Amazon SES reviews the account", 0.05, "warning"))
COMPLAINT_THRESHOLDS = (Threshold("Amazon SES pauses sending", 0.005, "danger"),
                        Threshold("Gmail and Yahoo start filtering", 0.003, "danger"),
                        Threshold("Amazon SES reviews the account", 0.001, "warning"))


@dataclass(frozen=True)
class Rate:
    name: str
    count: int
    sent: int
    thresholds: tuple[Threshold, ...]

    @property
    def rate(self) -> float:
        return self.count / self.sent if self.sent else 0.0

    @property
    def passed(self) -> Threshold | None:
        """The strictest consequence this rate has reached, if any."""
        return next((t for t in self.thresholds if self.rate >= t.limit), None)

    @property
    def level(self) -> str:
        return self.passed.level if self.passed else "ok"


@dataclass(frozen=True)
class ListHealth:
    since: datetime
    sent: int
    bounces: Rate
    complaints: Rate


def list_health(session: Session, now: datetime | None = None) -> ListHealth:
    since = (now or utcnow()) - WINDOW
    sent = ledger.sent_count(session, since=since)
    counts = dict(session.execute(
        select(BounceRecord.kind, func.count(func.distinct(BounceRecord.subscriber_id)))
        .where(BounceRecord.received_at >= since, BounceRecord.subscriber_id.is_not(None),
               BounceRecord.kind.in_([BounceKind.BOUNCE, BounceKind.COMPLAINT]),
               (BounceRecord.kind != BounceKind.BOUNCE) | BounceRecord.hard.is_(True))
        .group_by(BounceRecord.kind)).all())
    return ListHealth(since, sent,
                      Rate("Hard bounces", int(counts.get(BounceKind.BOUNCE, 0)), sent,
                           BOUNCE_THRESHOLDS),
                      Rate("Complaints", int(counts.get(BounceKind.COMPLAINT, 0)), sent,
                           COMPLAINT_THRESHOLDS))


def bounce_log(session: Session, subscriber_id: int, limit: int = 100) -> list[BounceRecord]:
    """What came back about one reader, newest first."""
    return list(session.scalars(
        select(BounceRecord).where(BounceRecord.subscriber_id == subscriber_id)
        .order_by(BounceRecord.received_at.desc(), BounceRecord.id.desc()).limit(limit)))
