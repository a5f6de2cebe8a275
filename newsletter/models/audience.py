"""Subscribers, the topics they chose, and suppressed addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .statuses import Cadence, SubscriberStatus


class Subscriber(Base):
    __tablename__ = "subscriber"
    # Never hand an erased subscriber's id to someone new: old emails still carry signed
    # links with that id. PostgreSQL sequences never reuse ids; SQLite needs AUTOINCREMENT.
    __table_args__ = (
        # the tick finds readers whose daily/weekly briefing is due with one index range
        Index("ix_subscriber_briefing_due", "cadence", "next_briefing_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    # lower-cased address: the unique key, so Ann@X.org and ann@x.org are one person
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=SubscriberStatus.PENDING, index=True)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the edition whose unsubscribe link (or one-click header) they used: its figures count
    # them exactly; NULL when they left some other way (then only estimated by a window)
    unsubscribed_edition_id: Mapped[int | None] = mapped_column(
        ForeignKey("edition.id", ondelete="SET NULL"))
    last_mail_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounce_reason: Mapped[str | None] = mapped_column(String(500))
    # Part of every signed link; raising it revokes all links sent so far (see tokens.py).
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Reader time (DESIGN.md): an IANA zone (None = the list's default zone), a cadence and,
    # for daily/weekly, the local hour (and weekday, 0 = Monday) of their briefing.
    timezone: Mapped[str | None] = mapped_column(String(64))
    cadence: Mapped[str] = mapped_column(String(8), default=Cadence.EDITION,
                                         server_default=Cadence.EDITION.value)
    briefing_hour: Mapped[int] = mapped_column(SmallInteger, default=7, server_default="7")
    briefing_weekday: Mapped[int | None] = mapped_column(SmallInteger)
    # what the reader has already been told: a digest or catch-up covers updates after this
    last_briefing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the next daily/weekly briefing is due, in UTC (kept by subscribers/, read by the tick)
    next_briefing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan"
    )

    @property
    def topic_ids(self) -> set[int]:
        return {s.topic_id for s in self.subscriptions}


class Subscription(Base):
    __tablename__ = "subscription"

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions")


class Suppression(Base):
    """Addresses that must never be mailed again; only a hash is kept after erasure."""

    __tablename__ = "suppression"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
