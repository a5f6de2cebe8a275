"""Who an edition reaches: the one definition of "active readers of these topics".

Apart from the service so the delivery ledger can build its fan-out on it without depending
on everything else the subscriber service does (which reads the ledger for a reader's data
export).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..models import Cadence, Subscriber, SubscriberStatus, Subscription


def audience(topic_ids: Any = None, *, editions: bool = True) -> Select[tuple[int, int]]:
    """(subscriber id, topic id) of every subscription that reaches a reader: an active
    subscriber following the topic (of `topic_ids`, a list or a subquery, when given).

    The one definition behind the reach estimate, the counts per topic and the fan-out.
    With `editions` (the default: fan-out and estimates) only readers on the `edition`
    cadence count: daily and weekly readers get their briefing instead (delivery/briefings).
    """
    query = (select(Subscription.subscriber_id, Subscription.topic_id)
             .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
             .where(Subscriber.status == SubscriberStatus.ACTIVE))
    if editions:
        query = query.where(Subscriber.cadence == Cadence.EDITION)
    if topic_ids is not None:
        query = query.where(Subscription.topic_id.in_(topic_ids))
    return query


def count_audience_by_zone(session: Session, topic_ids: Any) -> dict[str | None, int]:
    """Readers of these topics per stored time zone (None: the list's zone): local delivery's
    waves, one GROUP BY over the same audience the fan-out reaches."""
    reach = audience(topic_ids).with_only_columns(
        Subscription.subscriber_id, Subscriber.timezone).distinct().subquery()
    rows = session.execute(select(reach.c.timezone, func.count()).group_by(reach.c.timezone))
    return {zone: int(n) for zone, n in rows}
