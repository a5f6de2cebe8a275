"""Clicks and opens are recorded in batches: the redirect only appends to a Redis stream
(fast under a burst after a big edition), and the worker's tick drains it into the tables.

Lossless and counted once (`newsletter.streams`): entries are acknowledged only after the
rows they became are committed, so a drain killed in between leaves them pending for the
next drain; each row keeps its stream entry id under a unique constraint, so entries read
again after a crash between commit and acknowledgement are not stored twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import keys, streams
from ..models import Click, ClickKind, Edition, Open, Subscriber
from ..models.delivery import copies as all_copies
from .classify import BURST_WINDOW, TOO_SOON, RawClick, classify
from .links import ClickRef

DRAIN_BATCH = 5000
GROUP = "recorders"


def push(redis: Redis, ref: ClickRef, agent: str, at: datetime) -> None:
    streams.append(redis, keys.CLICK_EVENTS, json.dumps(
        [ref.edition_id, ref.item, ref.subscriber_id, at.timestamp(), agent]))


def push_open(redis: Redis, edition_id: int, subscriber_id: int, agent: str,
              at: datetime) -> None:
    streams.append(redis, keys.OPEN_EVENTS,
                   json.dumps([edition_id, subscriber_id, at.timestamp(), agent]))


def _stream(redis: Redis, key: str, legacy_list: str) -> streams.GroupStream:
    stream = streams.GroupStream(redis, key, GROUP)
    stream.ensure_group()
    stream.take_over_dead()
    stream.adopt_list(legacy_list)  # clicks pushed by a web process older than the stream
    return stream


def _insert_new(session: Session, model: type[Click] | type[Open],
                rows: list[dict[str, Any]]) -> int:
    """Insert rows whose `event` is not stored yet; returns how many were."""
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).on_conflict_do_nothing(index_elements=["event"])
    return len(session.execute(stmt.returning(model.id), rows).all())


def drain(session: Session, redis: Redis, limit: int = DRAIN_BATCH) -> int:
    """Move up to `limit` waiting clicks into the table, classified, and commit; returns how
    many were stored."""
    stream = _stream(redis, keys.CLICK_EVENTS, keys.CLICKS)
    entries = stream.next_batch(limit)
    if not entries:
        return 0
    stored = store_clicks(session, _parse_clicks(entries))
    session.commit()
    stream.done([event for event, _ in entries])
    return stored


def _parse_clicks(entries: Sequence[tuple[str, bytes | None]]) -> list[tuple[str, RawClick]]:
    raw = []
    for event, value in entries:
        try:
            e, i, s, ts, agent = json.loads(value or b"")
            raw.append((event, RawClick(int(e), int(i), int(s),
                                        datetime.fromtimestamp(ts, UTC), str(agent))))
        except (ValueError, TypeError):  # never written by this code: dropped
            continue
    return raw


def link_topic(rendered: dict[str, Any], link: int) -> str:
    """The topic of an edition's `link`-th tracked link (its item's topic)."""
    slugs = rendered.get("topic_slugs") or []
    items = rendered.get("link_items")
    item = items[link] if items is not None and link < len(items) else link
    return slugs[item] if 0 <= item < len(slugs) else ""


def store_clicks(session: Session, events: list[tuple[str, RawClick]]) -> int:
    """Classify and insert clicks (each once per stream entry id); returns how many new rows.

    "Many links at once" is judged together with the clicks of the same copies already
    stored around the same moments, so a burst split across two drains is still a burst:
    the stored ones turn machine too.
    """
    if not events:
        return 0
    raw = [c for _, c in events]
    editions = {c.edition_id for c in raw}
    subscribers = {c.subscriber_id for c in raw}
    renders = dict(session.execute(select(Edition.id, Edition.rendered)
                                   .where(Edition.id.in_(editions))).all())
    readers = set(session.scalars(select(Subscriber.id).where(
        Subscriber.id.in_(subscribers))))  # erased since: not recorded
    c = all_copies()
    sent_at = {(e, s): at for e, s, at in session.execute(
        select(c.c.edition_id, c.c.subscriber_id, c.c.sent_at).where(
            c.c.edition_id.in_(editions),
            c.c.subscriber_id.in_(subscribers))) if at is not None}
    copies = {(c.edition_id, c.subscriber_id) for c in raw}
    nearby = [row for row in session.execute(
        select(Click.id, Click.event, Click.edition_id, Click.item, Click.subscriber_id,
               Click.clicked_at, Click.kind)
        .where(Click.edition_id.in_(editions), Click.subscriber_id.in_(subscribers),
               Click.clicked_at >= min(c.at for c in raw) - BURST_WINDOW,
               Click.clicked_at <= max(c.at for c in raw) + BURST_WINDOW))
        if (row.edition_id, row.subscriber_id) in copies]
    known = {row.event for row in nearby}
    fresh = [(event, c) for event, c in events if event not in known]
    kinds = classify([c for _, c in fresh] + [
        RawClick(r.edition_id, r.item, r.subscriber_id, r.clicked_at, r.kind) for r in nearby],
        sent_at)
    now_machine = [r.id for r, kind in zip(nearby, kinds[len(fresh):], strict=True)
                   if kind == ClickKind.MACHINE and r.kind != ClickKind.MACHINE]
    if now_machine:
        session.execute(update(Click).where(Click.id.in_(now_machine))
                        .values(kind=ClickKind.MACHINE))
    rows = []
    for (event, click), kind in zip(fresh, kinds[:len(fresh)], strict=True):
        rendered = renders.get(click.edition_id) or {}
        links = rendered.get("links") or []
        if click.subscriber_id not in readers or not 0 <= click.item < len(links):
            continue
        rows.append({"event": event, "edition_id": click.edition_id,
                     "subscriber_id": click.subscriber_id, "item": click.item,
                     "topic_slug": link_topic(rendered, click.item), "url": links[click.item],
                     "clicked_at": click.at, "kind": kind})
    return _insert_new(session, Click, rows)


def drain_opens(session: Session, redis: Redis, limit: int = DRAIN_BATCH) -> int:
    """Move waiting opens into the table and commit: machine for a proxy's or scanner's user
    agent (Apple Mail Privacy Protection, image proxies) or a fetch within seconds of
    delivery."""
    stream = _stream(redis, keys.OPEN_EVENTS, keys.OPENS)
    entries = stream.next_batch(limit)
    if not entries:
        return 0
    raw = []
    for event, value in entries:
        try:
            e, s, ts, agent = json.loads(value or b"")
            raw.append((event, int(e), int(s), datetime.fromtimestamp(ts, UTC), str(agent)))
        except (ValueError, TypeError):
            continue
    c = all_copies()
    sent_at = {(e, s): at for e, s, at in session.execute(
        select(c.c.edition_id, c.c.subscriber_id, c.c.sent_at).where(
            c.c.edition_id.in_({r[1] for r in raw}),
            c.c.subscriber_id.in_({r[2] for r in raw})))} if raw else {}
    rows = []
    for event, e, s, at, agent in raw:
        if (e, s) not in sent_at:  # no such copy (or its reader was erased since)
            continue
        delivered = sent_at[(e, s)]
        soon = delivered is not None and at - delivered < TOO_SOON
        rows.append({"event": event, "edition_id": e, "subscriber_id": s, "opened_at": at,
                     "kind": ClickKind.MACHINE if soon else agent})
    stored = _insert_new(session, Open, rows)
    session.commit()
    stream.done([event for event, _ in entries])
    return stored


def backlog(redis: Redis) -> dict[str, int]:
    """Clicks and opens not yet stored (read or not)."""
    return {"clicks": int(redis.xlen(keys.CLICK_EVENTS)),
            "opens": int(redis.xlen(keys.OPEN_EVENTS))}
