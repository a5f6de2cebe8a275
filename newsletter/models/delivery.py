"""The delivery ledger: one row per (edition, subscriber), owned by delivery/ledger.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
