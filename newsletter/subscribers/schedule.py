"""When a reader's next briefing comes: what the preferences page tells them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    Edition,
    EditionItem,
    EditionStatus,
    Subscriber,
    SubscriberStatus,
    Topic,
    TopicUpdate,
    utcnow,
)


@dataclass(frozen=True)
class NextBriefing:
    send_at: datetime
    topics: list[str]  # names of this reader's topics in that edition, in editorial order


def next_briefing(session: Session, subscriber: Subscriber, now: datetime | None = None
                  ) -> NextBriefing | None:
    """The first scheduled edition that carries one of the reader's topics and would reach them.

    None when they would get nothing: not active (or paused past every scheduled edition),
    no topics, or nothing scheduled on their topics yet.
    """
    now = now or utcnow()
    if subscriber.status not in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED):
        return None
    if subscriber.status == SubscriberStatus.PAUSED:
        if subscriber.paused_until is None:
            return None
        now = max(now, subscriber.paused_until)
    topic_ids = list(subscriber.topic_ids)
    if not topic_ids:
        return None
    rows = session.execute(
        select(Edition.id, Edition.send_at, Topic.name)
        .join(EditionItem, EditionItem.edition_id == Edition.id)
        .join(TopicUpdate, TopicUpdate.id == EditionItem.update_id)
        .join(Topic, Topic.id == TopicUpdate.topic_id)
        .where(Edition.status == EditionStatus.SCHEDULED, Edition.send_at >= now,
               TopicUpdate.topic_id.in_(topic_ids))
        .order_by(Edition.send_at, Edition.id, EditionItem.position)
    ).all()
    if not rows:
        return None
    first_id, send_at = rows[0][0], rows[0][1]
    names = list(dict.fromkeys(name for edition_id, _, name in rows if edition_id == first_id))
    return NextBriefing(send_at, names)
