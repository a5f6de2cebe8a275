"""Clicks on tracked links: what was clicked in which edition, by whom, and by what kind of
client. No IP address and no user agent are kept, only the class ("human" or "machine")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Click(Base):
    __tablename__ = "click"
    __table_args__ = (
        Index("ix_click_edition_kind", "edition_id", "kind"),
        Index("ix_click_subscriber", "subscriber_id"),
        Index("ix_click_event", "event", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"))
    item: Mapped[int] = mapped_column(Integer)
    topic_slug: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(8))  # ClickKind
    # the Redis stream entry it came from: read again after a crash, it is not stored twice
    event: Mapped[str | None] = mapped_column(String(40))


class Open(Base):
    """A copy's open pixel was fetched (only when OPEN_TRACKING is on). Apple's Mail Privacy
    Protection and other image proxies fetch every pixel: those count as "machine"."""

    __tablename__ = "email_open"
    __table_args__ = (
        Index("ix_email_open_edition_kind", "edition_id", "kind"),
        Index("ix_email_open_subscriber", "subscriber_id"),
        Index("ix_email_open_event", "event", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(8))  # ClickKind
    # the Redis stream entry it came from: read again after a crash, it is not stored twice
    event: Mapped[str | None] = mapped_column(String(40))


class ListSetting(Base):
    """A setting of the list an admin chose in /admin/settings (name -> value); it overrides
    the environment's default for that setting (today: click and open tracking)."""

    __tablename__ = "list_setting"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
