"""Clicks are recorded in batches: the redirect only appends to a Redis list (fast under a
burst after a big edition), and the worker's tick drains it into the `click` table."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import keys
from ..models import Click, ClickKind, Delivery, Edition, Open, Subscriber
from .classify import TOO_SOON, RawClick, classify
from .links import ClickRef

DRAIN_BATCH = 5000


def push(redis: Redis, ref: ClickRef, agent: str, at: datetime) -> None:
    redis.rpush(keys.CLICKS, json.dumps([ref.edition_id, ref.item, ref.subscriber_id,
                                         at.timestamp(), agent]))


def push_open(redis: Redis, edition_id: int, subscriber_id: int, agent: str,
              at: datetime) -> None:
    redis.rpush(keys.OPENS, json.dumps([edition_id, subscriber_id, at.timestamp(), agent]))


def _take(redis: Redis, limit: int, key: str = keys.CLICKS) -> list[bytes]:
    """Read and remove in one transaction: a crash after this loses at most one batch's
    rows in flight, never counts one twice."""
    pipe = redis.pipeline(transaction=True)
    pipe.lrange(key, 0, limit - 1)
    pipe.ltrim(key, limit, -1)
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


def drain_opens(session: Session, redis: Redis, limit: int = DRAIN_BATCH) -> int:
    """Move waiting opens into the table: machine for a proxy's or scanner's user agent
    (Apple Mail Privacy Protection, image proxies) or a fetch within seconds of delivery."""
    raw = []
    for item in _take(redis, limit, keys.OPENS):
        try:
            e, s, ts, agent = json.loads(item)
            raw.append((int(e), int(s), datetime.fromtimestamp(ts, UTC), str(agent)))
        except (ValueError, TypeError):
            continue
    if not raw:
        return 0
    readers = {r for _, r, _, _ in raw}
    sent_at = {(e, s): at for e, s, at in session.execute(
        select(Delivery.edition_id, Delivery.subscriber_id, Delivery.sent_at).where(
            Delivery.edition_id.in_({e for e, _, _, _ in raw}),
            Delivery.subscriber_id.in_(readers)))}
    rows = []
    for e, s, at, agent in raw:
        if (e, s) not in sent_at:  # no such copy (or its reader was erased since)
            continue
        delivered = sent_at[(e, s)]
        soon = delivered is not None and at - delivered < TOO_SOON
        rows.append(Open(edition_id=e, subscriber_id=s, opened_at=at,
                         kind=ClickKind.MACHINE if soon else agent))
    session.add_all(rows)
    session.flush()
    return len(rows)
