"""The delivery ledger: one row per (edition, subscriber), owned by delivery/ledger.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Subquery,
    Text,
    UniqueConstraint,
    case,
    cast,
    func,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime
from .statuses import DeliveryStatus


class Delivery(Base):
    """One row per (edition, subscriber): the ledger that makes sending exact and restartable."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("edition_id", "subscriber_id"),
        # the claim and the due count look for pending rows whose time has come; local
        # delivery leaves most rows of an edition pending for hours (later waves)
        Index("ix_delivery_due", "edition_id", "status", "next_attempt_at"),
        # an at-once edition's claim: its next first attempts in id order, never a walk
        # past the copies already sent (only pending rows with no time set are in it)
        Index("ix_delivery_claim", "edition_id", "id",
              postgresql_where=text("status = 'pending' AND next_attempt_at IS NULL"),
              sqlite_where=text("status = 'pending' AND next_attempt_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"))
    # bit i set = the i-th item of the edition goes to this subscriber (snapshot at fan-out)
    topics_mask: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)


class ArchivedEdition(Base):
    """An edition whose ledger rows were moved to `delivery_archive` (delivery/archive.py):
    when, and the parts of its copies' Message-IDs around the subscriber id, so a late
    bounce quoting one is still matched without storing ~50 bytes of id per copy."""

    __tablename__ = "archived_edition"

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"),
                                            primary_key=True)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    copies: Mapped[int] = mapped_column(default=0)
    message_head: Mapped[str | None] = mapped_column(String(255))
    message_tail: Mapped[str | None] = mapped_column(String(255))


class ArchivedDelivery(Base):
    """One copy of an archived edition, without the ledger's working columns (claim, retry
    time, row id): what the reader's history, the data export, stats, late bounces, opens
    and clicks still ask about: ~100 bytes with its indexes on PostgreSQL, a ledger row ~310."""

    __tablename__ = "delivery_archive"
    __table_args__ = (Index("ix_delivery_archive_subscriber", "subscriber_id"),)

    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"),
                                            primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"),
                                               primary_key=True)
    topics_mask: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)  # kept for copies that were not sent
    message_id: Mapped[str | None] = mapped_column(String(255))  # only when not head+id+tail


def copies() -> Subquery:
    """Every copy of every edition, in the ledger or archived, as one selectable with the
    columns readers ask about (edition_id, subscriber_id, topics_mask, status, attempts,
    sent_at, last_error, message_id): history, the data export, stats, bounce matching,
    opens and clicks read this, so archiving an edition changes none of their answers.

    Filters on it reach both halves (PostgreSQL and SQLite push them into a UNION ALL), so
    a lookup by edition or by subscriber still uses each table's index."""
    archived = ArchivedDelivery
    derived = case((archived.status == DeliveryStatus.SENT,
                    ArchivedEdition.message_head + cast(archived.subscriber_id, String)
                    + ArchivedEdition.message_tail), else_=None)
    return union_all(
        select(Delivery.edition_id, Delivery.subscriber_id, Delivery.topics_mask, Delivery.status,
               Delivery.attempts, Delivery.sent_at, Delivery.last_error, Delivery.message_id),
        select(archived.edition_id, archived.subscriber_id, archived.topics_mask,
               archived.status, archived.attempts, archived.sent_at, archived.last_error,
               func.coalesce(archived.message_id, derived).label("message_id"))
        .join(ArchivedEdition, ArchivedEdition.edition_id == archived.edition_id),
    ).subquery("copies")
