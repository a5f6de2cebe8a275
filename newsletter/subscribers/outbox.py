"""The outgoing_mail table: every query on it lives here.

Rows are claimed for a live process, a batch at a time (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so two workers never claim the same row), and each is marked done in its own
short commit right after the server accepted the message: a worker killed mid-batch
leaves only the message that was on the wire in doubt, and that one is sent again (a
confirmation twice is better than none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, exists, or_, select, text, update
from sqlalchemy.orm import Session

from ..models import OutgoingMail, Subscriber, SubscriberStatus, utcnow

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=1)
KEEP_DONE = timedelta(days=2)  # request ids are remembered this long (see intake.record)
WANTED = {
    "confirm": {SubscriberStatus.PENDING, SubscriberStatus.UNSUBSCRIBED},
    "manage": {SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED},
}


@dataclass(frozen=True)
class Letter:
    id: int
    subscriber_id: int
    kind: str
    email: str
    status: str
    attempts: int
    token_version: int

    @property
    def wanted(self) -> bool:
        """Still worth sending (nobody confirms twice or gets mail after leaving)."""
        return self.status in WANTED.get(self.kind, set())


def add(session: Session, subscriber_id: int, kind: str) -> None:
    session.add(OutgoingMail(subscriber_id=subscriber_id, kind=kind, created_at=utcnow()))


def _due(now: datetime):  # noqa: ANN202 - a SQL condition
    return (OutgoingMail.done_at.is_(None)) & or_(
        OutgoingMail.next_attempt_at.is_(None), OutgoingMail.next_attempt_at <= now)


def claimers(session: Session) -> list[str]:
    """Names of the processes holding unsent rows (to check which of them still live)."""
    return list(session.scalars(select(OutgoingMail.claimed_by).distinct().where(
        OutgoingMail.done_at.is_(None), OutgoingMail.claimed_by.is_not(None))))


def claim(session: Session, me: str, dead: list[str], limit: int,
          now: datetime | None = None) -> list[Letter]:
    """Take up to `limit` due rows that are free, ours (from a failed job) or a dead process's."""
    now = now or utcnow()
    owners = OutgoingMail.claimed_by.in_([me, *dead])
    ids = list(session.scalars(
        select(OutgoingMail.id).where(_due(now), or_(OutgoingMail.claimed_by.is_(None), owners))
        .order_by(OutgoingMail.id).limit(limit).with_for_update(skip_locked=True)))
    if not ids:
        return []
    session.execute(update(OutgoingMail).where(OutgoingMail.id.in_(ids)).values(claimed_by=me))
    rows = session.execute(
        select(OutgoingMail.id, OutgoingMail.subscriber_id, OutgoingMail.kind, Subscriber.email,
               Subscriber.status, OutgoingMail.attempts, Subscriber.token_version)
        .join(Subscriber, Subscriber.id == OutgoingMail.subscriber_id)
        .where(OutgoingMail.id.in_(ids)).order_by(OutgoingMail.id))
    return [Letter(*row) for row in rows]


def mark_done(session: Session, letter_id: int, now: datetime | None = None) -> None:
    """Its own commit, flushed to the database without waiting for the disk (the row is
    worth a fast commit: a database crash at worst re-sends a confirmation)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))
    session.execute(update(OutgoingMail).where(OutgoingMail.id == letter_id)
                    .values(done_at=now or utcnow(), claimed_by=None))
    session.commit()


_DONE_NO_SYNC_WAIT = (
    "WITH no_sync_wait AS (SELECT set_config('synchronous_commit', 'off', true))"
    " UPDATE outgoing_mail SET done_at = %(now)s, claimed_by = NULL"
    " FROM no_sync_wait WHERE id = %(id)s"
)


class DoneMarks:
    """Marks letters done for one mail job, each in its own commit as soon as the server
    accepted the letter (what keeps a killed worker to one letter in doubt).

    On PostgreSQL the job holds one connection in autocommit and each mark is a single
    statement that turns off the wait for the disk for its own transaction: one round trip
    and no ORM, where `mark_done` takes four (SET, UPDATE, COMMIT and the session's BEGIN).
    It was half of a confirmation's worker CPU during a sign-up burst.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._conn: Connection | None = None
        bind = session.get_bind()
        if bind.dialect.name == "postgresql":
            self._conn = bind.connect().execution_options(isolation_level="AUTOCOMMIT")

    def done(self, letter_id: int, now: datetime | None = None) -> None:
        if self._conn is None:
            mark_done(self.session, letter_id, now)
        else:
            self._conn.exec_driver_sql(_DONE_NO_SYNC_WAIT, {"now": now or utcnow(),
                                                            "id": letter_id})

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def retry_later(session: Session, letter: Letter, now: datetime | None = None) -> bool:
    """A 4xx or a dropped connection: try again later, or give up after MAX_ATTEMPTS."""
    now = now or utcnow()
    attempts = letter.attempts + 1
    values: dict[str, object] = {"attempts": attempts, "claimed_by": None,
                                 "next_attempt_at": now + RETRY_AFTER * attempts}
    if attempts >= MAX_ATTEMPTS:
        values["done_at"] = now
    session.execute(update(OutgoingMail).where(OutgoingMail.id == letter.id).values(**values))
    session.commit()
    return attempts < MAX_ATTEMPTS


def release(session: Session, me: str) -> None:
    """Hand back what this process claimed but did not send (a job stopping early)."""
    session.execute(update(OutgoingMail).where(
        OutgoingMail.claimed_by == me, OutgoingMail.done_at.is_(None)).values(claimed_by=None))
    session.commit()


def waiting(session: Session, now: datetime | None = None) -> bool:
    """Is any row due and held by nobody? (Rows of a dead claimer: see claimers.)"""
    return bool(session.scalar(select(exists().where(
        _due(now or utcnow()), OutgoingMail.claimed_by.is_(None)))))


def purge(session: Session, now: datetime | None = None) -> int:
    """Forget rows done long ago."""
    result = session.execute(delete(OutgoingMail).where(
        OutgoingMail.done_at < (now or utcnow()) - KEEP_DONE))
    return result.rowcount or 0  # type: ignore[attr-defined]
