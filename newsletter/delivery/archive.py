"""Keep the delivery ledger bounded: an edition sent (or cancelled) more than
DELIVERY_ARCHIVE_DAYS ago has its rows moved to `delivery_archive`, one narrow row per copy.

The ledger's working columns and four indexes (row id, claim and retry times, the stored
Message-ID) make a sent copy 460 bytes on PostgreSQL before a VACUUM (bench/ledger.py); an
archived copy keeps what is still asked of it (who got which items, when, with what outcome)
in ~100 bytes (two indexes: by edition, by reader). The Message-ID of a sent copy is rebuilt from the
edition's head and tail around the subscriber id, so late bounces still match. Readers go
through `models.delivery.copies()`, which spans both tables.

The move runs in an RQ job (delivery/archive_job.py), never in the tick, and in chunks of
DELIVERY_ARCHIVE_CHUNK copies, each one transaction (INSERT … SELECT, then DELETE, of one
subscriber-id range of the (edition_id, subscriber_id) unique index): no transaction is
long, and a run killed anywhere leaves every copy in exactly one of the two tables (a
chunk is committed whole or not at all). The `archived_edition` row, with the Message-ID
head and tail, is written first, in its own transaction, so `copies()` (which joins it)
sees every moved copy from the first chunk on; an edition is due again until none of its
rows is left in the ledger, so the next run carries on where a killed one stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, String, case, cast, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from .. import defaults
from ..models import (
    ArchivedDelivery,
    ArchivedEdition,
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
)


def due(session: Session, now: datetime, days: int, limit: int = 1) -> list[int]:
    """Editions finished (sent or cancelled) more than `days` ago whose rows are not all in
    the archive yet: never started, or started and left part-way by a killed run."""
    cutoff = now - timedelta(days=days)
    return list(session.scalars(
        select(Edition.id)
        .where(Edition.status.in_([EditionStatus.SENT, EditionStatus.CANCELLED]),
               func.coalesce(Edition.finished_at, Edition.send_at) < cutoff,
               or_(~exists().where(ArchivedEdition.edition_id == Edition.id),
                   exists().where(Delivery.edition_id == Edition.id)))
        .order_by(Edition.id).limit(limit)))


def begin(session: Session, edition_id: int, now: datetime) -> ArchivedEdition:
    """The edition's `archived_edition` row (kept if a run began it already), with the
    parts of its copies' Message-IDs around the subscriber id, read off one sent copy."""
    started = session.get(ArchivedEdition, edition_id)
    if started is not None:
        return started
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
    started = ArchivedEdition(edition_id=edition_id, archived_at=now, copies=0,
                              message_head=head, message_tail=tail)
    session.add(started)
    session.flush()
    return started


def move_chunk(session: Session, started: ArchivedEdition, after: int, limit: int
               ) -> tuple[int, int | None]:
    """Move the edition's next `limit` copies (subscriber id above `after`) to the archive:
    (copies moved, the last subscriber id moved; None when none was left). The caller
    commits: the chunk is one transaction."""
    if session.get_bind().dialect.name == "postgresql":
        return _move_chunk_pg(session, started, after, limit)
    edition_id = started.edition_id
    ids = (select(Delivery.subscriber_id)
           .where(Delivery.edition_id == edition_id, Delivery.subscriber_id > after)
           .order_by(Delivery.subscriber_id).limit(limit).subquery())
    last = session.scalar(select(func.max(ids.c.subscriber_id)))
    if last is None:
        return 0, None
    chunk = (Delivery.edition_id == edition_id, Delivery.subscriber_id > after,
             Delivery.subscriber_id <= last)
    head, tail = started.message_head, started.message_tail
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
        .where(*chunk)))
    moved = session.execute(delete(Delivery).where(*chunk)
                            .execution_options(synchronize_session=False)).rowcount or 0
    session.execute(update(ArchivedEdition).where(ArchivedEdition.edition_id == edition_id)
                    .values(copies=ArchivedEdition.copies + moved)
                    .execution_options(synchronize_session=False))
    return moved, last


# PostgreSQL: the chunk in one statement: one range scan of the (edition_id, subscriber_id)
# index picks the rows' physical addresses, the DELETE reaches them by address (a TID scan)
# and hands them to the INSERT (RETURNING): each row is read once, where the three range
# scans SQLite runs (the chunk's last id, INSERT … SELECT, DELETE) read it three times.
_MOVE_CHUNK_PG = """
WITH picked AS MATERIALIZED (
  SELECT ctid FROM delivery WHERE edition_id = %(edition)s AND subscriber_id > %(after)s
  ORDER BY subscriber_id LIMIT %(limit)s),
moved AS (
  DELETE FROM delivery WHERE ctid = ANY(ARRAY(SELECT ctid FROM picked))
    AND edition_id = %(edition)s
  RETURNING edition_id, subscriber_id, topics_mask, status, attempts, sent_at, last_error,
    message_id),
kept AS (
  INSERT INTO delivery_archive (edition_id, subscriber_id, topics_mask, status, attempts,
    sent_at, last_error, message_id)
  SELECT edition_id, subscriber_id, topics_mask, status, attempts, sent_at, last_error,
    -- stored only when it is not head + subscriber id + tail (never, normally)
    CASE WHEN message_id IS DISTINCT FROM (CASE WHEN status = 'sent'
      THEN %(head)s::text || subscriber_id::text || %(tail)s::text END)
    THEN message_id END
  FROM moved RETURNING subscriber_id),
counted AS (
  UPDATE archived_edition SET copies = copies + (SELECT count(*) FROM kept)
  WHERE edition_id = %(edition)s)
SELECT count(*), max(subscriber_id) FROM kept
"""


def _move_chunk_pg(session: Session, started: ArchivedEdition, after: int, limit: int
                   ) -> tuple[int, int | None]:
    moved, last = session.connection().exec_driver_sql(_MOVE_CHUNK_PG, {
        "edition": started.edition_id, "after": after, "limit": limit,
        "head": started.message_head, "tail": started.message_tail}).one()
    return int(moved), last


@dataclass(frozen=True)
class Moved:
    copies: int  # moved by this call
    complete: bool  # no row of the edition is left in the ledger


def archive_edition(session: Session, edition_id: int, now: datetime,
                    chunk: int = defaults.ARCHIVE_CHUNK,
                    go_on: Callable[[], bool] | None = None) -> Moved:
    """Move one edition's ledger rows to the archive, committing after each chunk of
    `chunk` copies. `go_on()` is asked after each commit: False stops there (the job's
    lock was lost or its time is up), and a later call carries on."""
    started = begin(session, edition_id, now)
    session.commit()
    total, after = 0, -1
    while True:
        moved, last = move_chunk(session, started, after, chunk)
        session.commit()
        if last is None:
            return Moved(total, True)
        total, after = total + moved, last
        if go_on is not None and not go_on():
            return Moved(total, False)


def reclaim(engine: Engine) -> None:
    """PostgreSQL: VACUUM (ANALYZE) the ledger once an edition's rows are gone, outside
    any transaction (an autocommit connection): the heap space and the emptied index pages
    are free for the next edition's fan-out at once, rather than when autovacuum comes by
    (bench/ledger.py measures both). SQLite reuses freed pages by itself."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) delivery")
