"""Clicks are recorded in batches: the redirect only appends to a Redis list (fast under a
burst after a big edition), and the worker's tick drains it into the `click` table."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import keys
from ..models import Click, Delivery, Edition, Subscriber
from .classify import RawClick, classify
from .links import ClickRef

DRAIN_BATCH = 5000


def push(redis: Redis, ref: ClickRef, agent: str, at: datetime) -> None:
    redis.rpush(keys.CLICKS, json.dumps([ref.edition_id, ref.item, ref.subscriber_id,
                                         at.timestamp(), agent]))


def _take(redis: Redis, limit: int) -> list[bytes]:
    """Read and remove in one transaction: a crash after this loses at most one batch's
    rows in flight, never counts one twice."""
    pipe = redis.pipeline(transaction=True)
    pipe.lrange(keys.CLICKS, 0, limit - 1)
    pipe.ltrim(keys.CLICKS, limit, -1)
    items, _ = pipe.execute()
    return list(items)


def drain(session: Session, redis: Redis, limit: int = DRAIN_BATCH) -> int:
    """Move waiting clicks into the table (classified); returns how many were stored.
    The caller commits."""
    raw = []
    for item in _take(redis, limit):
        try:
            e, i, s, ts, agent = json.loads(item)
            raw.append(RawClick(int(e), int(i), int(s), datetime.fromtimestamp(ts, UTC),
                                str(agent)))
        except (ValueError, TypeError):
            continue
    if not raw:
        return 0
    editions = {c.edition_id for c in raw}
    renders = dict(session.execute(select(Edition.id, Edition.rendered)
                                   .where(Edition.id.in_(editions))).all())
    readers = set(session.scalars(select(Subscriber.id).where(
        Subscriber.id.in_({c.subscriber_id for c in raw}))))  # erased since: not recorded
    sent_at = {(e, s): at for e, s, at in session.execute(
        select(Delivery.edition_id, Delivery.subscriber_id, Delivery.sent_at).where(
            Delivery.edition_id.in_(editions),
            Delivery.subscriber_id.in_({c.subscriber_id for c in raw}))) if at is not None}
    kinds = classify(raw, sent_at)
    rows = []
    for click, kind in zip(raw, kinds, strict=True):
        rendered = renders.get(click.edition_id) or {}
        links, slugs = rendered.get("links") or [], rendered.get("topic_slugs") or []
        if click.subscriber_id not in readers or not 0 <= click.item < len(links):
            continue
        rows.append(Click(edition_id=click.edition_id, subscriber_id=click.subscriber_id,
                          item=click.item, topic_slug=slugs[click.item] if click.item < len(slugs)
                          else "", url=links[click.item], clicked_at=click.at, kind=kind))
    session.add_all(rows)
    session.flush()
    return len(rows)
