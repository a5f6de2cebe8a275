"""A topic's figures: click rate in its last editions, and its readers over time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..editorial.topics import get_topic
from ..models import (
    Click,
    ClickKind,
    DeliveryStatus,
    Edition,
    Subscriber,
    SubscriberStatus,
    Subscription,
)
from ..models.delivery import copies

LAST_EDITIONS = 10


def topic_figures(session: Session, slug: str) -> dict[str, Any]:
    topic = get_topic(session, slug)
    editions = []
    rows = session.execute(
        select(Edition.id, Edition.subject, Edition.started_at, Edition.rendered)
        .where(Edition.started_at.is_not(None)).order_by(Edition.started_at.desc())
        .limit(LAST_EDITIONS * 5)).all()
    for edition_id, subject, started_at, rendered in rows:
        slugs = (rendered or {}).get("topic_slugs") or []
        if slug not in slugs:
            continue
        bit = 1 << slugs.index(slug)
        c = copies()
        delivered = session.scalar(select(func.count()).select_from(c).where(
            c.c.edition_id == edition_id, c.c.status == DeliveryStatus.SENT,
            c.c.topics_mask.op("&")(bit) != 0)) or 0
        clickers = session.scalar(select(func.count(func.distinct(Click.subscriber_id))).where(
            Click.edition_id == edition_id, Click.topic_slug == slug,
            Click.kind == ClickKind.HUMAN)) or 0
        editions.append({"id": edition_id, "subject": subject,
                         "date": started_at.date().isoformat(), "delivered": delivered,
                         "readers_clicked": clickers,
                         "click_rate": round(clickers / delivered, 4) if delivered else 0.0})
        if len(editions) == LAST_EDITIONS:
            break
    joined = session.scalars(
        select(Subscription.created_at).join(Subscriber)
        .where(Subscription.topic_id == topic.id, Subscriber.status == SubscriberStatus.ACTIVE)
        .order_by(Subscription.created_at)).all()
    weeks: dict[str, int] = {}
    for n, when in enumerate(joined, start=1):
        monday = (when - timedelta(days=when.weekday())).date().isoformat()
        weeks[monday] = n  # readers (following it now) who had joined by that week
    return {"slug": topic.slug, "name": topic.name, "editions": list(reversed(editions)),
            "readers": [{"week": w, "readers": n} for w, n in weeks.items()]}
