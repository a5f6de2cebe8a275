"""Outgoing webhooks: the endpoints editors register, and the outbox of calls to make."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .statuses import WebhookCallStatus


class WebhookEndpoint(Base):
    """A URL that gets a signed POST for each chosen event (`events` is space-separated)."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the first failed call since the last one that worked; a day of nothing but failures
    # disables the endpoint (its calls wait, unsent, until an admin enables it again)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")

    @property
    def event_list(self) -> list[str]:
        return self.events.split()


class WebhookCall(Base):
    """One event for one endpoint: the outbox row, written in the same transaction as the
    change it reports, so an event is never lost between the change and the call.

    `body` is fixed when the event happens, so every retry sends the same bytes. A worker
    leases a due row by moving `next_attempt_at` past its timeout before it calls out: a
    worker killed mid-call leaves the row due again once the lease runs out.
    """

    __tablename__ = "webhook_call"
    __table_args__ = (
        Index("ix_webhook_call_due", "status", "next_attempt_at"),
        Index("ix_webhook_call_endpoint_created", "endpoint_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=WebhookCallStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    last_response: Mapped[str] = mapped_column(String(500), default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
