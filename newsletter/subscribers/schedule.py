"""When a reader's next briefing comes: what the preferences page tells them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import defaults
from ..models import (
    Cadence,
    DeliveryMode,
    Edition,
    EditionItem,
    EditionStatus,
    Subscriber,
    SubscriberStatus,
    Topic,
    TopicUpdate,
    utcnow,
)
from . import reader_time, timing


@dataclass(frozen=True)
class NextBriefing:
    send_at: datetime  # UTC
    topics: list[str]  # names of this reader's topics in that edition, in editorial order
    local: datetime  # send_at on the reader's own clock
    zone: str  # the reader's zone (the list's when they gave none)
    cadence: str = Cadence.EDITION  # daily/weekly: a digest of what is new on `topics`


def next_briefing(session: Session, subscriber: Subscriber, now: datetime | None = None,
                  list_zone: str = defaults.LIST_TIMEZONE) -> NextBriefing | None:
    """The reader's next briefing, on their own clock.

    Daily and weekly readers: their next slot (see timing.upcoming). Everyone else: the
    first scheduled edition that carries one of the reader's topics and would reach them
    (a local-time edition reaches them at its local time on their clock).
    None when they would get nothing: not active (or paused past every scheduled edition),
    no topics, or nothing scheduled on their topics yet.
    """
    now = now or utcnow()
    if subscriber.status not in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED):
        return None
    zone = reader_time.zone_of(subscriber.timezone, list_zone)
    topic_ids = list(subscriber.topic_ids)
    if not topic_ids:
        return None
    if subscriber.cadence in timing.BRIEFED:
        slot = timing.upcoming(subscriber, list_zone, now)
        if slot is None:
            return None
        names = list(session.scalars(select(Topic.name).where(
            Topic.id.in_(topic_ids), Topic.archived_at.is_(None))
            .order_by(Topic.position, Topic.name)))
        return NextBriefing(slot, names, slot.astimezone(zone), zone.key, subscriber.cadence)
    if subscriber.status == SubscriberStatus.PAUSED:
        if subscriber.paused_until is None:
            return None
        now = max(now, subscriber.paused_until)
    rows = session.execute(
        select(Edition.id, Edition.send_at, Edition.delivery, Edition.local_time,
               Edition.timezone, Topic.name)
        .join(EditionItem, EditionItem.edition_id == Edition.id)
        .join(TopicUpdate, TopicUpdate.id == EditionItem.update_id)
        .join(Topic, Topic.id == TopicUpdate.topic_id)
        .where(Edition.status == EditionStatus.SCHEDULED, Edition.send_at >= now - LOCAL_SPREAD,
               TopicUpdate.topic_id.in_(topic_ids))
        .order_by(Edition.send_at, Edition.id, EditionItem.position)
    ).all()
    moments: dict[int, datetime] = {}
    names: dict[int, list[str]] = {}
    for edition_id, send_at, delivery, local_time, edition_zone, name in rows:
        if edition_id not in moments:
            moments[edition_id] = _reaches(send_at, delivery, local_time, edition_zone, zone)
        names.setdefault(edition_id, [])
        if name not in names[edition_id]:
            names[edition_id].append(name)
    coming = sorted((at, eid) for eid, at in moments.items() if at >= now)
    if not coming:
        return None
    at, first_id = coming[0]
    return NextBriefing(at, names[first_id], at.astimezone(zone), zone.key)


# A local-time edition scheduled on a day reaches readers up to a day either side of its
# send_at (UTC-12 to UTC+14); those are looked at too, then kept only if still to come.
LOCAL_SPREAD = timedelta(hours=27)


def _reaches(send_at: datetime, delivery: str, local_time: str | None, edition_zone: str,
             zone: ZoneInfo) -> datetime:
    """When an edition reaches a reader in `zone`: send_at, or for a local-time edition its
    local time on the reader's clock on the delivery date (send_at's date on the editor's
    clock, as delivery/ plans the waves)."""
    if delivery != DeliveryMode.LOCAL or not local_time:
        return send_at
    try:
        at = time.fromisoformat(local_time)
        day = send_at.astimezone(ZoneInfo(edition_zone or "UTC")).date()
    except (ValueError, ZoneInfoNotFoundError):
        return send_at
    return reader_time.local_moment(day, at, zone)
