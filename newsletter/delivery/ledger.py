"""The delivery table as a ledger: fan-out, claims, outcomes and counts, in bulk SQL.

Every statement here touches many rows at once; nothing loops over subscribers in Python
except over a claimed batch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Exists,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..models import (
    ArchivedDelivery,
    Delivery,
    DeliveryStatus,
    Edition,
    EditionItem,
    Subscriber,
    TopicUpdate,
    UTCDateTime,
)
from ..models.delivery import copies
from ..subscribers.audience import audience
from .waves import Schedule


@dataclass(frozen=True)
class Claimed:
    id: int
    subscriber_id: int
    topics_mask: int
    attempts: int


@dataclass(frozen=True)
class Counts:
    total: int
    sent: int
    failed: int
    pending: int
    cancelled: int
    skipped: int = 0  # local delivery: late readers the editor chose to skip (not in total)

    def as_dict(self) -> dict[str, int]:
        return {"total": self.total, "sent": self.sent, "failed": self.failed,
                "pending": self.pending, "skipped": self.skipped}


def mask_for(masks: dict[int, int], topic_ids: Iterable[int]) -> int:
    """The items a reader of these topics gets, from `topic_masks`."""
    mask = 0
    for topic_id in topic_ids:
        mask |= masks.get(topic_id, 0)
    return mask


def copy_mask(session: Session, edition_id: int, subscriber_id: int) -> int | None:
    """The items in the copy this subscriber was sent (None: not in the fan-out)."""
    c = copies()
    return session.scalar(select(c.c.topics_mask).where(
        c.c.edition_id == edition_id, c.c.subscriber_id == subscriber_id))


def readers_per_topic(session: Session, edition_id: int, topic_ids: Iterable[int]
                      ) -> dict[int, int]:
    """topic id → how many copies of the fanned-out edition carry that topic's items."""
    masks = topic_masks(session, edition_id)
    ids = [tid for tid in topic_ids if tid in masks]
    if not ids:
        return {}
    c = copies()
    columns = [func.coalesce(func.sum(case((c.c.topics_mask.op("&")(masks[tid]) != 0, 1),
                                           else_=0)), 0) for tid in ids]
    row = session.execute(select(*columns).where(
        c.c.edition_id == edition_id, c.c.status != DeliveryStatus.SKIPPED)).one()
    return {tid: int(n) for tid, n in zip(ids, row, strict=True)}


@dataclass(frozen=True)
class Problem:
    """A copy that failed or waits for a retry, with the server's last answer."""

    email: str
    status: str
    attempts: int
    error: str
    next_attempt_at: datetime | None


def problems(session: Session, edition_id: int, limit: int = 100) -> list[Problem]:
    """Failed copies and ones waiting for a retry, oldest first."""
    rows = session.execute(
        select(Subscriber.email, Delivery.status, Delivery.attempts, Delivery.last_error,
               Delivery.next_attempt_at)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.edition_id == edition_id, Delivery.last_error.is_not(None),
               Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.PENDING]))
        .order_by(Delivery.id).limit(limit)
    ).all()
    if not rows:  # an archived edition: its failed copies kept their last answer
        archived = ArchivedDelivery
        rows = session.execute(
            select(Subscriber.email, archived.status, archived.attempts, archived.last_error,
                   literal(None, UTCDateTime))
            .join(Subscriber, Subscriber.id == archived.subscriber_id)
            .where(archived.edition_id == edition_id, archived.last_error.is_not(None),
                   archived.status == DeliveryStatus.FAILED)
            .order_by(archived.subscriber_id).limit(limit)
        ).all()
    return [Problem(*r) for r in rows]


def topic_masks(session: Session, edition_id: int) -> dict[int, int]:
    """topic id → bit mask of the edition items about that topic (bit = item position)."""
    masks: dict[int, int] = {}
    rows = session.execute(
        select(EditionItem.position, TopicUpdate.topic_id)
        .join(TopicUpdate, TopicUpdate.id == EditionItem.update_id)
        .where(EditionItem.edition_id == edition_id)
    )
    for position, topic_id in rows:
        masks[topic_id] = masks.get(topic_id, 0) | (1 << position)
    return masks


def fan_out(session: Session, edition_id: int, schedule: Schedule | None = None) -> int:
    """One INSERT … SELECT: a pending row per reader in the audience of the edition's topics.

    With a local-delivery `schedule`, each row's next_attempt_at is that reader's moment (a
    CASE over the zone values present, never a loop over readers) and late readers the
    editor chose to skip get a `skipped` row. Returns the copies to send (skipped ones not
    counted).
    """
    masks = topic_masks(session, edition_id)
    if not masks:
        return 0
    reach = audience(list(masks)).subquery()
    mask_expr = case(
        *((reach.c.topic_id == tid, literal(mask)) for tid, mask in masks.items()), else_=0
    )
    columns = [
        literal(edition_id).label("edition_id"),
        reach.c.subscriber_id,
        func.sum(mask_expr).label("topics_mask"),
        literal(DeliveryStatus.PENDING.value).label("status"),
        literal(0).label("attempts"),
    ]
    names = ["edition_id", "subscriber_id", "topics_mask", "status", "attempts"]
    source = select(*columns).group_by(reach.c.subscriber_id)
    if schedule is not None:
        zone = Subscriber.timezone

        def per_zone(attr: str, type_: object) -> object:
            default = getattr(schedule.default, attr)
            whens = [(zone == name, literal(getattr(slot, attr), type_))
                     for name, slot in schedule.slots.items()]
            return case(*whens, else_=literal(default, type_)) if whens else literal(default, type_)

        columns[3] = per_zone("status", String()).label("status")
        columns.append(per_zone("next_attempt_at", UTCDateTime()).label("next_attempt_at"))
        columns.append(per_zone("reason", Text()).label("last_error"))
        names += ["next_attempt_at", "last_error"]
        source = (select(*columns)
                  .join(Subscriber, Subscriber.id == reach.c.subscriber_id)
                  # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT with a JOIN
                  .where(reach.c.subscriber_id.is_not(None))
                  .group_by(reach.c.subscriber_id, Subscriber.timezone))
    return _insert(session, edition_id, source, names)


def copy_of(edition_id: Any, subscriber_id: Any) -> Exists:
    """Whether this reader was in the edition's fan-out, in the ledger or archived (what
    copy_mask answers, as an expression to put inside another statement)."""
    c = copies()
    return select(literal(1)).select_from(c).where(
        c.c.edition_id == edition_id, c.c.subscriber_id == subscriber_id).exists()


def received(update_id: Any, subscriber_id: Any) -> Exists:
    """Whether a copy carrying this update went, or is on its way, to this reader (any
    edition or briefing): what a catch-up leaves out. Correlates to the caller's columns.

    From the few editions that carried the update to this reader's row in each, one probe
    of the (edition_id, subscriber_id) unique index apiece: never a scan of the ledger.
    """
    copy = (select(literal(1)).select_from(Delivery)
            .where(Delivery.edition_id == EditionItem.edition_id,
                   Delivery.subscriber_id == subscriber_id,
                   Delivery.status.in_([DeliveryStatus.SENT, DeliveryStatus.SENDING,
                                        DeliveryStatus.PENDING]),
                   Delivery.topics_mask.op("&")(
                       literal(1, BigInteger).op("<<")(EditionItem.position)) != 0)
            .correlate_except(Delivery).exists())  # the reader comes from two levels up
    return (select(literal(1)).select_from(EditionItem)
            .where(EditionItem.update_id == update_id, copy)
            .correlate_except(EditionItem).exists())


def fan_out_masks(session: Session, edition_id: int, masks: Select[tuple[int, int]]) -> int:
    """One INSERT … SELECT: a pending row per (subscriber id, topics mask) that `masks`
    yields (the digest and welcome briefings, whose masks are built per reader in SQL)."""
    reach = masks.subquery()
    source = select(
        literal(edition_id).label("edition_id"),
        reach.c[0].label("subscriber_id"),
        reach.c[1].label("topics_mask"),
        literal(DeliveryStatus.PENDING.value).label("status"),
        literal(0).label("attempts"),
    ).where(reach.c[0].is_not(None))  # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
    return _insert(session, edition_id, source)


def _insert(session: Session, edition_id: int, source: Select[Any],
            names: list[str] | None = None) -> int:
    """Insert the rows `source` yields (columns `names`); the edition's copies to send."""
    names = names or ["edition_id", "subscriber_id", "topics_mask", "status", "attempts"]
    dialect_insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        dialect_insert(Delivery)
        .from_select(names, source)
        .on_conflict_do_nothing(index_elements=["edition_id", "subscriber_id"])
    )
    session.execute(stmt)
    total = session.scalar(
        select(func.count()).select_from(Delivery).where(
            Delivery.edition_id == edition_id, Delivery.status != DeliveryStatus.SKIPPED)
    )
    return int(total or 0)


def claim(session: Session, edition_id: int, limit: int, now: datetime) -> list[Claimed]:
    """Atomically take up to `limit` due rows; concurrent workers skip each other's rows.

    Due is "no time set" (first attempts, in id order) or "time come" (retries and
    local-delivery waves, earliest first), taken in that order by two range scans: of the
    partial index ix_delivery_claim (edition, id; only pending rows with no time set), so
    an at-once edition's claim starts at its next pending row however many are sent, and
    of ix_delivery_due. One scan of `next_attempt_at IS NULL OR … <= now` in id order reads
    past every pending row of later waves (a local edition keeps most of its rows pending
    for hours), and an id-order walk of the primary key past every sent one:
    bench/local_waves.py measures them.
    """
    rows = _claim(session, edition_id, limit, now, Delivery.next_attempt_at.is_(None),
                  Delivery.id)
    if len(rows) < limit:  # earliest time first: the index order, so the scan stops at `limit`
        rows += _claim(session, edition_id, limit - len(rows), now,
                       Delivery.next_attempt_at <= now, Delivery.next_attempt_at)
    return sorted(rows, key=lambda c: c.id)


def _claim(session: Session, edition_id: int, limit: int, now: datetime, due_when: Any,
           order: Any) -> list[Claimed]:
    due = (
        select(Delivery.id)
        .where(
            Delivery.edition_id == edition_id,
            # written into the SQL, not bound: a prepared statement's generic plan must
            # see that the partial index's `status = 'pending'` holds
            Delivery.status == literal(DeliveryStatus.PENDING.value, literal_execute=True),
            due_when,
        )
        .order_by(order)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if session.bind.dialect.name == "postgresql":
        # A materialized CTE runs the LIMIT … SKIP LOCKED once. Inside `id IN (subquery)` the
        # planner may pick a nested-loop semi join that rescans the subquery per outer row,
        # and then the UPDATE takes every due row of the edition, not `limit` of them.
        picked = due.cte("due").prefix_with("MATERIALIZED")
        target = Delivery.id == picked.c.id
    else:  # SQLite has one writer at a time; the subquery is evaluated once
        target = Delivery.id.in_(due.scalar_subquery())
    stmt = (
        update(Delivery)
        .where(target, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, claimed_at=now, attempts=Delivery.attempts + 1)
        .returning(Delivery.id, Delivery.subscriber_id, Delivery.topics_mask, Delivery.attempts)
        .execution_options(synchronize_session=False)
    )
    return [Claimed(*r) for r in session.execute(stmt).all()]


def mark_sent(session: Session, ids: list[int], now: datetime,
              message_id_parts: tuple[str, str]) -> None:
    """Sent, with the Message-ID each copy carried (`MessageIds.copy` written in SQL)."""
    if not ids:
        return
    head, tail = message_id_parts
    message_id = literal(head) + cast(Delivery.subscriber_id, String) + literal(tail)
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.SENT, sent_at=now, message_id=message_id, last_error=None)
        .execution_options(synchronize_session=False)
    )


# One round trip for the common flush on PostgreSQL: the copies are marked sent, the commit
# is told not to wait for the WAL sync (set_config(…, true) is SET LOCAL), the edition's status
# is read back. Plain SQL: SQLAlchemy's per-statement work was most of a flush's CPU.
_SENT_AND_STATUS = (
    "WITH no_sync_wait AS (SELECT set_config('synchronous_commit', 'off', true)),"
    " done AS (UPDATE delivery SET status = 'sent', sent_at = %(now)s,"
    " message_id = %(head)s || subscriber_id::text || %(tail)s, last_error = NULL"
    " WHERE id = ANY(%(ids)s) AND status = 'sending')"
    " SELECT edition.status FROM edition, no_sync_wait WHERE edition.id = %(edition)s"
)


def mark_sent_read_status(session: Session, ids: list[int], now: datetime,
                          message_id_parts: tuple[str, str], edition_id: int) -> str | None:
    """PostgreSQL: `mark_sent` and the edition's status in one statement, committed without
    waiting for the disk (a crash of PostgreSQL itself may forget it: the rows stay claimed
    and are sent again, never lost). Other databases: the two statements."""
    if session.get_bind().dialect.name != "postgresql":
        mark_sent(session, ids, now, message_id_parts)
        return session.scalar(select(Edition.status).where(Edition.id == edition_id))
    return mark_sent_read_status_on(session.connection(), ids, now, message_id_parts,
                                    edition_id)


def mark_sent_read_status_on(conn: Connection, ids: list[int], now: datetime,
                             message_id_parts: tuple[str, str], edition_id: int) -> str | None:
    """The PostgreSQL statement of `mark_sent_read_status` on a connection: in autocommit
    it is its own transaction, one round trip for a whole flush."""
    head, tail = message_id_parts
    return conn.exec_driver_sql(_SENT_AND_STATUS, {
        "now": now, "head": head, "tail": tail, "ids": ids, "edition": edition_id}).scalar()


def mark_failed(session: Session, failures: dict[int, str]) -> None:
    """One executemany: each row keeps its own error text."""
    if failures:
        session.connection().execute(
            update(Delivery)
            .where(Delivery.id == bindparam("row_id"))
            .values(status=DeliveryStatus.FAILED, last_error=bindparam("error")),
            [{"row_id": i, "error": e[:2000]} for i, e in failures.items()],
        )


def mark_cancelled(session: Session, ids: list[int], reason: str) -> None:
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(status=DeliveryStatus.CANCELLED, last_error=reason)
            .execution_options(synchronize_session=False)
        )


def schedule_retry(session: Session, retries: dict[int, tuple[datetime, str]]) -> None:
    """One executemany: each row keeps its own retry time and error text."""
    if retries:
        session.connection().execute(
            update(Delivery)
            .where(Delivery.id == bindparam("row_id"))
            .values(status=DeliveryStatus.PENDING, next_attempt_at=bindparam("when"),
                    last_error=bindparam("error")),
            [{"row_id": i, "when": w, "error": e[:2000]} for i, (w, e) in retries.items()],
        )


def release(session: Session, ids: list[int], *, refund_attempt: bool = True,
            not_before: datetime | None = None) -> None:
    """Give claimed rows back (pause, or a batch stopped early) without counting a try."""
    if ids:
        values: dict[str, object] = {"status": DeliveryStatus.PENDING, "claimed_at": None,
                                     "next_attempt_at": not_before}
        if refund_attempt:
            values["attempts"] = Delivery.attempts - 1
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def heartbeat(session: Session, ids: list[int], now: datetime) -> None:
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SENDING)
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )


def recover_stale(session: Session, now: datetime, stale_after: timedelta) -> int:
    """Rows claimed by a worker that died go back to pending (they may be sent twice)."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < now - stale_after)
        .values(status=DeliveryStatus.PENDING, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def cancel_pending(session: Session, edition_id: int) -> int:
    result = session.execute(
        update(Delivery)
        .where(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error="edition cancelled")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def counts(session: Session, edition_id: int) -> Counts:
    c = copies()  # an archived edition keeps its figures
    rows = dict(
        session.execute(
            select(c.c.status, func.count())
            .where(c.c.edition_id == edition_id)
            .group_by(c.c.status)
        ).all()
    )
    sent = rows.get(DeliveryStatus.SENT, 0)
    failed = rows.get(DeliveryStatus.FAILED, 0)
    cancelled = rows.get(DeliveryStatus.CANCELLED, 0)
    pending = rows.get(DeliveryStatus.PENDING, 0) + rows.get(DeliveryStatus.SENDING, 0)
    return Counts(sent + failed + pending + cancelled, sent, failed, pending, cancelled,
                  rows.get(DeliveryStatus.SKIPPED, 0))


def zone_counts(session: Session, edition_id: int) -> dict[tuple[str | None, str], int]:
    """(reader's stored zone, row status) → rows: the waves of a fanned-out edition."""
    rows = session.execute(
        select(Subscriber.timezone, Delivery.status, func.count())
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.edition_id == edition_id)
        .group_by(Subscriber.timezone, Delivery.status)
    )
    return {(zone, status): int(n) for zone, status, n in rows}


def _count(session: Session, *where: object) -> int:
    return int(session.scalar(select(func.count()).select_from(Delivery).where(*where)) or 0)


def due_pending(session: Session, edition_id: int, now: datetime) -> int:
    """Pending rows whose time has come: two index range counts, as the claim reads them."""
    pending = (Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING)
    return (_count(session, *pending, Delivery.next_attempt_at.is_(None))
            + _count(session, *pending, Delivery.next_attempt_at <= now))


def next_retry_at(session: Session, edition_id: int) -> datetime | None:
    return session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            and_(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING)
        )
    )


def unfinished(session: Session, edition_id: int) -> int:
    return _count(
        session,
        Delivery.edition_id == edition_id,
        Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
    )


def editions_sending(session: Session) -> list[int]:
    return list(session.scalars(select(Edition.id).where(Edition.status == "sending")))


def history(session: Session, subscriber_id: int, limit: int = 50) -> list[tuple[Any, Edition]]:
    """One reader's copies (status, attempts, sent_at, last_error; archived ones too),
    newest edition first: what their page in the admin lists."""
    c = copies()
    return [(row, row.Edition) for row in session.execute(
        select(c.c.edition_id, c.c.status, c.c.attempts, c.c.sent_at, c.c.last_error, Edition)
        .join(Edition, Edition.id == c.c.edition_id)
        .where(c.c.subscriber_id == subscriber_id)
        .order_by(Edition.send_at.desc(), Edition.id.desc()).limit(limit)
    ).all()]


def copies_of(session: Session, subscriber_id: int) -> list[tuple[Any, str]]:
    """Every copy of an edition we sent or tried to send this reader (archived ones too:
    edition_id, status, attempts, sent_at, last_error), oldest edition first, with the
    edition's subject (their data export)."""
    c = copies()
    return [(row, row.subject) for row in session.execute(
        select(c.c.edition_id, c.c.status, c.c.attempts, c.c.sent_at, c.c.last_error,
               Edition.subject)
        .join(Edition, Edition.id == c.c.edition_id)
        .where(c.c.subscriber_id == subscriber_id).order_by(c.c.edition_id)
    ).all()]


def has_copy(session: Session, edition_id: int, subscriber_id: int) -> bool:
    """Whether this reader is in the edition's fan-out (a returned message names a copy),
    archived or not."""
    c = copies()
    return session.scalar(select(c.c.subscriber_id).where(
        c.c.edition_id == edition_id, c.c.subscriber_id == subscriber_id)
        .limit(1)) is not None


@dataclass(frozen=True)
class SentCopy:
    subscriber_id: int
    edition_id: int
    email: str


def copy_by_message_id(session: Session, message_ids: list[str]) -> SentCopy | None:
    """The copy one of these Message-IDs was written on (a returned message quotes them)."""
    row = session.execute(
        select(Delivery.subscriber_id, Delivery.edition_id, Subscriber.email)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.message_id.in_(message_ids)).limit(1)
    ).first() or _archived_copy(session, message_ids)
    return SentCopy(*row) if row else None


# an edition copy's Message-ID: <edition-EDITION-NONCE.SUBSCRIBER@domain> (mail/message_ids.py)
_COPY_ID = re.compile(r"^<edition-(\d{1,9})-[^.@<>]*\.(\d{1,9})@")


def _archived_copy(session: Session, message_ids: list[str]) -> Any:
    """A copy of an archived edition with one of these Message-IDs: the archive keeps the
    id's head and tail per edition, so the edition and subscriber are read off the id and
    then the whole id must equal what that copy carried."""
    c = copies()
    for message_id in message_ids:
        found = _COPY_ID.search(message_id)
        if found is None:
            continue
        row = session.execute(
            select(c.c.subscriber_id, c.c.edition_id, Subscriber.email)
            .join(Subscriber, Subscriber.id == c.c.subscriber_id)
            .where(c.c.edition_id == int(found[1]), c.c.subscriber_id == int(found[2]),
                   c.c.message_id == message_id)
        ).first()
        if row is not None:
            return row
    return None


def latest_copy_to(session: Session, email_key: str) -> SentCopy | None:
    """The last copy sent to this address (its email_key): what a provider's event is about
    when it names nothing else."""
    c = copies()
    row = session.execute(
        select(c.c.subscriber_id, c.c.edition_id, Subscriber.email)
        .join(Subscriber, Subscriber.id == c.c.subscriber_id)
        .where(Subscriber.email_key == email_key, c.c.status == DeliveryStatus.SENT)
        .order_by(c.c.sent_at.desc()).limit(1)
    ).first()
    return SentCopy(*row) if row else None


def sent_count(session: Session, *, edition_id: int | None = None,
               since: datetime | None = None) -> int:
    """Copies sent: of one edition, or of all since a moment (bounce and complaint rates)."""
    c = copies()  # archived editions' copies count too
    where = [c.c.status == DeliveryStatus.SENT]
    if edition_id is not None:
        where.append(c.c.edition_id == edition_id)
    if since is not None:
        where.append(c.c.sent_at >= since)
    return int(session.scalar(select(func.count()).select_from(c).where(*where)) or 0)
