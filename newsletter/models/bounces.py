"""Returned mail as kept: one row per (returned message, recipient), matched or not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class BounceRecord(Base):
    """A bounce, complaint, auto-reply or delivery notice about one address.

    `digest` identifies the returned message (its Message-ID or content, or a provider's
    event id), so receiving it again adds nothing. subscriber_id and edition_id are set only
    when the message is tied to a copy we sent; the rest is kept as unmatched.
    """

    __tablename__ = "bounce"
    __table_args__ = (
        UniqueConstraint("digest", "address"),
        Index("ix_bounce_subscriber_received", "subscriber_id", "received_at"),
        Index("ix_bounce_edition_kind", "edition_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(254), default="")
    status: Mapped[str] = mapped_column(String(16), default="")
    reason: Mapped[str] = mapped_column(String(32), default="")
    hard: Mapped[bool] = mapped_column(Boolean, default=False)
    diagnostic: Mapped[str] = mapped_column(Text, default="")
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriber.id", ondelete="SET NULL"))
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("edition.id", ondelete="SET NULL"))
    # how it was tied to a copy: "verp", "message-id" or "" (unmatched)
    matched_by: Mapped[str] = mapped_column(String(16), default="")
    # what it did: "bounced", "unsubscribed", "counted", "none"
    outcome: Mapped[str] = mapped_column(String(16), default="none")
    subject: Mapped[str] = mapped_column(String(300), default="")
