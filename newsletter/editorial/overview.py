"""The numbers on the editors' dashboard, in one place so the page stays a thin view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import (
    Edition,
    EditionKind,
    EditionStatus,
    Feed,
    FeedStatus,
    Subscriber,
    SubscriberStatus,
    Topic,
    TopicUpdate,
    UpdateStatus,
    utcnow,
)


@dataclass
class Overview:
    subscribers: dict[str, int] = field(default_factory=dict)  # status -> count
    last_edition: Edition | None = None
    next_edition: Edition | None = None
    sending: list[Edition] = field(default_factory=list)
    feeds: int = 0
    feeds_in_error: int = 0
    topics: int = 0
    published_updates: int = 0
    recent_editions: list[Edition] = field(default_factory=list)  # newest first, no briefings

    @property
    def next_steps(self) -> list[str]:
        """What an empty install still needs, in the order to do it (names of the steps)."""
        steps = []
        if not self.topics:
            steps.append("topic")
        if not self.feeds:
            steps.append("feed")
        if not self.published_updates:
            steps.append("update")
        if self.last_edition is None and self.next_edition is None and not self.sending:
            steps.append("edition")
        if not self.subscribers.get(SubscriberStatus.ACTIVE):
            steps.append("subscriber")
        return steps


def overview(session: Session, now: datetime | None = None, recent: int = 20) -> Overview:
    now = now or utcnow()
    result = Overview()
    result.recent_editions = list(session.scalars(
        select(Edition).where(Edition.kind == EditionKind.EDITION)
        .order_by(Edition.created_at.desc()).limit(recent)))
    counts = dict(session.execute(
        select(Subscriber.status, func.count()).group_by(Subscriber.status)).all())
    result.subscribers = {status.value: int(counts.get(status.value, 0))
                          for status in SubscriberStatus}
    for status, count in counts.items():  # statuses added elsewhere (e.g. complained)
        result.subscribers.setdefault(status, int(count))
    result.last_edition = session.scalar(
        select(Edition).where(Edition.status == EditionStatus.SENT, Edition.kind == EditionKind.EDITION)
        .order_by(Edition.finished_at.desc().nulls_last(), Edition.id.desc()).limit(1))
    result.next_edition = session.scalar(
        select(Edition).where(Edition.status == EditionStatus.SCHEDULED, Edition.kind == EditionKind.EDITION)
        .order_by(Edition.send_at, Edition.id).limit(1))
    result.sending = list(session.scalars(
        select(Edition).where(Edition.status.in_([EditionStatus.SENDING, EditionStatus.PAUSED]),
                              Edition.kind == EditionKind.EDITION)
        .order_by(Edition.send_at)))
    result.feeds = session.scalar(select(func.count()).select_from(Feed)) or 0
    result.feeds_in_error = session.scalar(
        select(func.count()).select_from(Feed).where(
            Feed.disabled.is_(False),
            Feed.status.in_([FeedStatus.ERROR, FeedStatus.GONE]))) or 0
    result.topics = session.scalar(
        select(func.count()).select_from(Topic).where(Topic.archived_at.is_(None))) or 0
    result.published_updates = session.scalar(
        select(func.count()).select_from(TopicUpdate).where(
            TopicUpdate.status == UpdateStatus.PUBLISHED)) or 0
    return result
