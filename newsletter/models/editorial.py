"""Topics, what editors write about them (topic updates) and the editions that carry them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .statuses import DeliveryMode, EditionKind, EditionStatus, UpdateStatus


class Topic(Base):
    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(default=0)
    # shown on the public site (topic page, home, feeds, archive); editors can keep one off it
    public: Mapped[bool] = mapped_column(default=True, server_default=true())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    updates: Mapped[list[TopicUpdate]] = relationship(back_populates="topic")


class TopicUpdate(Base):
    """One briefing block in the seed format: headline, UPDATE lede, bullets, BACKGROUND."""

    __tablename__ = "topic_update"
    # the latest published update of a topic is one index probe, however long its history
    __table_args__ = (Index("ix_topic_update_latest", "topic_id", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"), index=True)
    headline: Mapped[str] = mapped_column(String(300))
    lede: Mapped[str] = mapped_column(Text, default="")
    bullets: Mapped[list[str]] = mapped_column(JSON, default=list)
    background: Mapped[list[str]] = mapped_column(JSON, default=list)
    article_count: Mapped[int | None] = mapped_column(Integer)
    featured_index: Mapped[int | None] = mapped_column(Integer)
    curator_name: Mapped[str] = mapped_column(String(120), default="")
    curator_image_url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), default=UpdateStatus.PUBLISHED)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("editor.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    topic: Mapped[Topic] = relationship(back_populates="updates")
    sources: Mapped[list[UpdateSource]] = relationship(
        back_populates="update", order_by="UpdateSource.position", cascade="all, delete-orphan"
    )

    @property
    def featured(self) -> UpdateSource | None:
        if self.featured_index is None or not 0 <= self.featured_index < len(self.sources):
            return None
        return self.sources[self.featured_index]

    @property
    def outlets(self) -> list[str]:
        """Distinct outlets as the seed lists them: the other sources first, the featured
        article's outlet (already on its card) last."""
        featured = self.featured
        ordered = [s for s in self.sources if s is not featured]
        if featured is not None:
            ordered.append(featured)
        return list(dict.fromkeys(s.outlet for s in ordered if s.outlet))

    @property
    def total_articles(self) -> int:
        return self.article_count if self.article_count is not None else len(self.sources)


class UpdateSource(Base):
    """A source article cited by an update; copied so the email never changes after sending."""

    __tablename__ = "update_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(
        ForeignKey("topic_update.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("article.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(500))
    outlet: Mapped[str] = mapped_column(String(200), default="")
    image_url: Mapped[str | None] = mapped_column(String(2000))
    reading_minutes: Mapped[int] = mapped_column(default=1)

    update: Mapped[TopicUpdate] = relationship(back_populates="sources")


class Edition(Base):
    __tablename__ = "edition"
    __table_args__ = (Index("ix_edition_status_send_at", "status", "send_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The subject as shown to editors and in the archive. With auto_subject each copy gets
    # its own (the reader's first headline + N more); this one is then a reader of all topics.
    subject: Mapped[str] = mapped_column(String(300))
    auto_subject: Mapped[bool] = mapped_column(default=False, server_default=false())
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[str] = mapped_column(String(16), default=EditionStatus.SCHEDULED)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("editor.id", ondelete="SET NULL"))
    total: Mapped[int] = mapped_column(default=0)
    rendered: Mapped[dict | None] = mapped_column(JSON)
    pause_reason: Mapped[str | None] = mapped_column(String(500))
    # listed in the public archive once sent; readers' own "View in browser" copies work anyway
    public: Mapped[bool] = mapped_column(default=True, server_default=true())
    # editor's edition, or a digest/welcome briefing the service built (DESIGN.md, Reader time)
    kind: Mapped[str] = mapped_column(String(8), default=EditionKind.EDITION,
                                      server_default=EditionKind.EDITION.value)
    # at_time: everyone at send_at; local: each reader at local_time ("HH:MM") on send_at's
    # date in their own zone, readers whose moment has passed handled as late_readers says
    delivery: Mapped[str] = mapped_column(String(8), default=DeliveryMode.AT_TIME,
                                          server_default=DeliveryMode.AT_TIME.value)
    local_time: Mapped[str | None] = mapped_column(String(5))
    late_readers: Mapped[str | None] = mapped_column(String(8))
    # when the worker starts it (render once + fan-out): send_at, or for local delivery the
    # first wave's moment (or the confirmation, if that moment had passed); None = send_at
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    items: Mapped[list[EditionItem]] = relationship(
        back_populates="edition", order_by="EditionItem.position", cascade="all, delete-orphan"
    )


class EditionItem(Base):
    """Which update goes into an edition, in editorial order (its bit in a delivery's mask)."""

    __tablename__ = "edition_item"
    __table_args__ = (UniqueConstraint("edition_id", "update_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    update_id: Mapped[int] = mapped_column(ForeignKey("topic_update.id"))
    position: Mapped[int] = mapped_column(default=0)

    edition: Mapped[Edition] = relationship(back_populates="items")
    update: Mapped[TopicUpdate] = relationship()
