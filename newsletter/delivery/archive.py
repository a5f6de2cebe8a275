"""Keep the delivery ledger bounded: an edition sent (or cancelled) more than
DELIVERY_ARCHIVE_DAYS ago has its rows moved to `delivery_archive`, one narrow row per copy.

The ledger's working columns and indexes (row id, claim and retry times, the stored
Message-ID) make a sent copy ~310 bytes on PostgreSQL (bench/ledger.py: 308 MB per million
rows, indexes included); an archived copy keeps what is still asked of it (who got which
items, when, with what outcome) in ~100 bytes (two indexes: by edition, by reader). The
Message-ID of a sent copy is rebuilt from the edition's head and tail around the subscriber id, so late
bounces still match. Readers go through `models.delivery.copies()`, which spans both tables.

The tick archives at most one edition per run (an INSERT … SELECT and a DELETE, one
transaction; ~70 s per million copies on this shared machine): the delivery table then holds
only the last DELIVERY_ARCHIVE_DAYS of editions. VACUUM (autovacuum, soon after the DELETE)
gives the heap back and recycles the empty index pages once no older transaction can see
them, so the table levels off near one edition's size above what is live.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, case, cast, delete, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from ..models import (
    ArchivedDelivery,
    ArchivedEdition,
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
)


def due(session: Session, now: datetime, days: int, limit: int = 1) -> list[int]:
    """Editions finished (sent or cancelled) more than `days` ago and not archived yet."""
    cutoff = now - timedelta(days=days)
    return list(session.scalars(
        select(Edition.id)
        .where(Edition.status.in_([EditionStatus.SENT, EditionStatus.CANCELLED]),
               func.coalesce(Edition.finished_at, Edition.send_at) < cutoff,
               ~exists().where(ArchivedEdition.edition_id == Edition.id))
        .order_by(Edition.id).limit(limit)))


def archive_edition(session: Session, edition_id: int, now: datetime) -> int:
    """Move one edition's ledger rows to the archive; how many copies moved."""
    sample = session.execute(
        select(Delivery.subscriber_id, Delivery.message_id)
        .where(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.SENT,
               Delivery.message_id.is_not(None)).limit(1)).first()
    head = tail = None
    if sample is not None:
        marker = f".{sample.subscriber_id}@"
        cut = sample.message_id.rfind(marker)
        if cut >= 0:
            head, tail = sample.message_id[:cut + 1], sample.message_id[cut + len(marker) - 1:]
    derived = (case((Delivery.status == DeliveryStatus.SENT,
                     literal(head) + cast(Delivery.subscriber_id, String) + literal(tail)),
                    else_=None)
               if head is not None else literal(None, String))
    session.execute(insert(ArchivedDelivery).from_select(
        ["edition_id", "subscriber_id", "topics_mask", "status", "attempts", "sent_at",
         "last_error", "message_id"],
        select(Delivery.edition_id, Delivery.subscriber_id, Delivery.topics_mask,
               Delivery.status, Delivery.attempts, Delivery.sent_at, Delivery.last_error,
               # stored only when it is not head + subscriber id + tail (never, normally)
               case((Delivery.message_id.is_distinct_from(derived), Delivery.message_id),
                    else_=None))
        .where(Delivery.edition_id == edition_id)))
    moved = session.execute(delete(Delivery).where(Delivery.edition_id == edition_id)
                            .execution_options(synchronize_session=False)).rowcount or 0
    session.add(ArchivedEdition(edition_id=edition_id, archived_at=now, copies=moved,
                                message_head=head, message_tail=tail))
    session.flush()
    return moved


def archive_due(session: Session, now: datetime, days: int, limit: int = 1) -> int:
    """What the tick runs: archive up to `limit` due editions; copies moved. days <= 0: off."""
    if days <= 0:
        return 0
    return sum(archive_edition(session, edition_id, now)
               for edition_id in due(session, now, days, limit))
