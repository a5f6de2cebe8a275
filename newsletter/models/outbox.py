"""Subscriber mail waiting to leave (confirm, manage topics): the transactional outbox.

A row is written in the same transaction as the sign-up that calls for it, so a mail is
never decided without being recorded, nor recorded for a sign-up that rolled back. Sending
claims rows for a live process (`claimed_by`) and stamps `done_at` as soon as the server
accepted each message (or when it is no longer wanted); rows whose claimer died are
claimed again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class OutgoingMail(Base):
    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_unsent", "done_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    # the sign-up request (stream entry id) that called for it: recording it twice is a no-op
    request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # sent, or no longer wanted (confirmed or erased meanwhile, refused for good)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
