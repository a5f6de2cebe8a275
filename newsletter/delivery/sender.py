"""Send one batch of an edition: claim rows, stamp each message, push it out, record outcomes.

Knows nothing of HTTP or Flask: it takes a session factory, an edition id, a transport
and settings (the listmonk split). MJML and premailer never run here.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import formatdate
from typing import cast

from redis import Redis
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session, sessionmaker

from ..bounces.verp import Copy
from ..errors import InvalidTransition
from ..mail.copies import Identity, PreparedEdition, PreparedEditions
from ..mail.postman import Postman
from ..mail.transport import LoginRefused, Outcome, PermanentFailure, TemporaryFailure
from ..models import Edition, EditionStatus, SubscriberStatus, utcnow
from ..subscribers import service as subscribers
from ..subscribers.links import Links
from . import ledger, lifecycle
from .batch_links import BatchLinks
from .settings import SendSettings
from .throttle import FailureWindow

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    stopped: str | None = None
    next_retry: datetime | None = None


@dataclass
class _Heartbeat:
    """Refresh our claims a few times per stale window, not at every flush (it is an UPDATE of
    every row still in the batch)."""

    last: datetime
    every: timedelta

    def waiting(self, now: datetime) -> bool:
        return now - self.last >= self.every

    def due(self, now: datetime) -> bool:
        if not self.waiting(now):
            return False
        self.last = now
        return True


@dataclass
class _Outcomes:
    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    retry: dict[int, tuple[datetime, str]] = field(default_factory=dict)
    bounced: list[int] = field(default_factory=list)

    def flags(self) -> list[bool]:
        return [False] * len(self.sent) + [True] * (len(self.failed) + len(self.retry))

    def __len__(self) -> int:
        return len(self.sent) + len(self.failed) + len(self.retry)

    def sent_only(self) -> bool:
        return bool(self.sent) and not (self.failed or self.retry or self.bounced)

    def take(self) -> _Outcomes:
        """What is held, leaving this one empty (not replaced: a send in progress may
        hold a reference while an SMTP_RATE wait flushes)."""
        taken = _Outcomes(self.sent, self.failed, self.retry, self.bounced)
        self.sent, self.failed, self.retry, self.bounced = [], {}, {}, []
        return taken


# an outcome flush commits without waiting for the WAL sync (see Batch._flush)
_NO_SYNC_WAIT = text("SET LOCAL synchronous_commit = off")


def send_batch(
    sessions: sessionmaker[Session],
    redis: Redis,
    edition_id: int,
    postman: Postman,
    identity: Identity,
    links: Links,
    settings: SendSettings,
    *,
    clock: Callable[[], datetime] = utcnow,
    editions: PreparedEditions | None = None,
    timer: Callable[[], float] = time.monotonic,
) -> BatchResult:
    """Claim up to `batch_size` rows of the edition and send them (what send_batch_job runs).

    `editions` is the sending process's cache (Runtime.prepared_editions), so a worker
    prepares an edition once, not once a batch; without it this batch prepares its own.
    """
    return Batch(sessions, redis, edition_id, postman, identity, links, settings, clock,
                 editions, timer).run()


class Batch:
    """One claimed batch of an edition: its rows, the outcomes not yet written, and whether
    to stop (a paused or cancelled edition, a refused login, a failing relay).

    Outcomes are written every `flush_every` copies, or sooner when the oldest unwritten one
    would otherwise wait more than `flush_seconds` after the server's reply: a worker killed
    with SIGKILL re-sends only what the ledger does not know was sent, so these two bound
    the duplicates of a crash (count) and how stale the ledger can be (time).
    """

    def __init__(self, sessions: sessionmaker[Session], redis: Redis, edition_id: int,
                 postman: Postman, identity: Identity, links: Links, settings: SendSettings,
                 clock: Callable[[], datetime] = utcnow,
                 editions: PreparedEditions | None = None,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self.sessions = sessions
        self.editions = editions or PreparedEditions()
        self.edition_id = edition_id
        self.postman = postman
        self.identity = identity
        self.settings = settings
        self.clock = clock
        self.timer = timer  # monotonic seconds, for the age of unwritten outcomes
        self.oldest: float | None = None  # when the oldest unwritten outcome came back
        self.last_send = 0.0  # seconds the last copy took: how long the next one may take
        self.held_stop: str | None = None  # a stop found by a flush during an SMTP_RATE wait
        self.autocommit: Connection | None = None  # PostgreSQL: see _autocommit
        self.result = BatchResult()
        self.window = FailureWindow(redis, edition_id, settings.failure_pause_window,
                                    settings.failure_pause_ratio,
                                    hold=settings.failure_pause_window // 2)
        self.links = BatchLinks(links, identity.secret_key)
        self.beat = _Heartbeat(clock(), timedelta(seconds=settings.stale_claim_seconds / 4))
        self.outcomes = _Outcomes()
        self.rows: list[ledger.Claimed] = []
        self.people: dict[int, subscribers.Recipient] = {}
        self.done: set[int] = set()  # rows with an outcome (skipped ones included)
        self.transient_streak = 0
        self.date = formatdate(usegmt=True)

    def run(self) -> BatchResult:
        if not self._claim():
            return self.result
        try:
            self._send_all()
        finally:
            if self.autocommit is not None:
                self.autocommit.close()
        self.window.release()
        with self.sessions() as session:
            self.result.next_retry = ledger.next_retry_at(session, self.edition_id)
            _finish(session, self.edition_id, self.clock)
        return self.result

    def _send_all(self) -> None:
        """Stamp, submit, note what came back, flush when due. With a pipelining server a
        copy's reply is read at the next submit, so stamping that copy and flushing the
        ledger happen while the server reads this one (mail/pipeline.py)."""
        with self.postman:
            for row in self.rows:
                if row.id in self.done:  # skipped: the reader left or paused
                    continue
                began = self.timer()
                stop = self._send(row)
                if stop is None:
                    now = self.timer()
                    self.last_send = now - began
                    stop = self._checkpoint(now)
                if stop:
                    self._stop(stop)
                    break
            else:
                stop = self._settle()
                if stop:
                    self._stop(stop)
                else:
                    self._flush()

    def _autocommit(self) -> Connection | None:
        """PostgreSQL: one connection in autocommit for the batch's common flushes, so a
        flush is one round trip (no pool checkout, BEGIN or COMMIT of its own)."""
        if self.autocommit is None:
            engine = self.sessions.kw.get("bind")
            if engine is not None and engine.dialect.name == "postgresql":
                self.autocommit = engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT")
        return self.autocommit

    def _claim(self) -> bool:
        """Claim rows and skip, in one statement per status, readers no longer active."""
        with self.sessions() as session:
            edition = session.get(Edition, self.edition_id)
            if edition is None or edition.status != EditionStatus.SENDING or not edition.rendered:
                self.result.stopped = "edition is not sending"
                return False
            self.prepared: PreparedEdition = self.editions.get(edition, self.identity)
            self.rows = ledger.claim(session, self.edition_id, self.settings.batch_size,
                                     self.clock())
            session.commit()
            self.result.claimed = len(self.rows)
            if not self.rows:
                _finish(session, self.edition_id, self.clock)
                return False
            self.people = subscribers.addresses(session, [r.subscriber_id for r in self.rows])
            inactive = {r.id: self.people.get(r.subscriber_id, ("", "erased"))[1]
                        for r in self.rows
                        if self.people.get(r.subscriber_id, ("", ""))[1] != SubscriberStatus.ACTIVE}
            for status in set(inactive.values()):
                ledger.mark_cancelled(session, [i for i, s in inactive.items() if s == status],
                                      f"subscriber is {status}")
            session.commit()
        self.result.skipped = len(inactive)
        self.done.update(inactive)
        return True

    def _send(self, row: ledger.Claimed) -> str | None:
        """Stamp one copy and hand it to the postman; note every outcome that came back
        (this copy's, or earlier ones' when the server pipelines). A reason to stop when
        the relay refused our login."""
        email, _status, version = self.people[row.subscriber_id]
        try:
            data = self.prepared.message(
                self.links, row.subscriber_id, email, row.topics_mask, self.date, version,
                click_reader=self.links.click_reader(self.edition_id, row.subscriber_id))
            # dot_safe: a copy's bodies are quoted-printable pieces with any line-start dot
            # encoded (mail/message.py qp_piece), its header lines start with a name or a fold
            replies = self.postman.submit(email, data, tag=row,
                                          copy=Copy(row.subscriber_id, self.edition_id),
                                          before_wait=self._before_rate_wait, dot_safe=True)
        except (UnicodeEncodeError, ValueError) as exc:  # built or signed: nothing went out
            self.outcomes.failed[row.id] = f"cannot build message: {exc}"
            self._replied()
            self.done.add(row.id)
            return None
        return self._note(replies)

    def _settle(self) -> str | None:
        """Wait for the replies still owed (the last copy's, with a pipelining server)."""
        return self._note(self.postman.drain())

    def _replied(self) -> None:
        if self.oldest is None:
            self.oldest = self.timer()

    def _note(self, replies: list[Outcome]) -> str | None:
        """Record each copy's outcome by its row; a refused login keeps its row (not the
        reader's fault: the edition pauses and the row is given back)."""
        outcomes, refused = self.outcomes, None
        for tag, error in replies:
            row = cast(ledger.Claimed, tag)  # the tag each copy was submitted with
            if isinstance(error, LoginRefused):
                refused = error
                continue
            if error is None:
                outcomes.sent.append(row.id)
                self.transient_streak = 0
            elif isinstance(error, TemporaryFailure):
                self.transient_streak += 1
                delays = self.settings.retry_delays
                if row.attempts > len(delays):
                    outcomes.failed[row.id] = f"gave up after {row.attempts} tries: {error}"
                else:
                    when = self.clock() + timedelta(seconds=delays[row.attempts - 1])
                    outcomes.retry[row.id] = (when, str(error))
            else:
                outcomes.failed[row.id] = str(error)
                if isinstance(error, PermanentFailure) and error.bounced:
                    outcomes.bounced.append(row.subscriber_id)
            self.done.add(row.id)
        if len(outcomes):
            self._replied()
        if refused is None:
            return None
        reason = f"paused: {refused}; check SMTP_URL"
        with self.sessions.begin() as session, contextlib.suppress(InvalidTransition):
            lifecycle.pause(session, self.edition_id, reason=reason)
            log.warning("%s; %s", lifecycle.summary(session, self.edition_id), reason)
        return reason

    def _before_rate_wait(self) -> None:
        """SMTP_RATE is about to make us sleep: finish the copies already submitted and
        write what we hold first (the copy in hand still goes; a pause or cancel found here
        stops the batch right after it)."""
        self.held_stop = self._settle() or self.held_stop
        if len(self.outcomes):
            self.held_stop = self._flush() or self.held_stop

    def _checkpoint(self, now: float) -> str | None:
        """Flush every `flush_every` outcomes; sooner when waiting for the next copy (as
        long as the last one took: a slow relay, an SMTP_RATE wait) would leave the oldest
        unwritten outcome older than `flush_seconds`; and in time to keep the claims fresh
        at slow SMTP_RATEs (else a live batch would look stale and be sent twice). Stop when
        the relay keeps deferring."""
        if self.held_stop:
            return self.held_stop
        settings = self.settings
        overdue = (self.oldest is not None
                   and now - self.oldest + self.last_send >= settings.flush_seconds)
        if (len(self.outcomes) >= settings.flush_every or overdue
                or self.beat.waiting(self.clock())):
            stop = self._flush()
            if stop:
                return stop
        if self.transient_streak >= self.settings.consecutive_transient_limit:
            return "the mail server keeps deferring; the rest of the batch waits for a retry"
        return None

    def _stop(self, reason: str) -> None:
        """Finish the copies already submitted (they are on the wire or their envelope is:
        they go, as the copy in hand always did), write what we have and give back the rows
        not sent, as the edition now wants."""
        self._settle()
        self._flush()
        left = [r.id for r in self.rows if r.id not in self.done]
        retry = self.settings.retry_delays[0] if self.settings.retry_delays else 60
        with self.sessions.begin() as session:
            current = session.get(Edition, self.edition_id, populate_existing=True).status
            if current == EditionStatus.CANCELLED:
                ledger.mark_cancelled(session, left, "edition cancelled")
            elif current == EditionStatus.PAUSED:
                ledger.release(session, left)
                if reason.startswith("edition was"):  # paused by an editor meanwhile
                    log.info("%s; paused", lifecycle.summary(session, self.edition_id))
            else:
                ledger.release(session, left, not_before=self.clock() + timedelta(seconds=retry))
        self.result.stopped = reason

    def _write(self, session: Session, outcomes: _Outcomes, now: datetime,
               parts: tuple[str, str]) -> str | None:
        """Every kind of outcome, the claims' heartbeat when due; the edition's status."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(_NO_SYNC_WAIT)
        if outcomes.sent:
            ledger.mark_sent(session, outcomes.sent, now, parts)
        ledger.mark_failed(session, outcomes.failed)
        ledger.schedule_retry(session, outcomes.retry)
        for subscriber_id in outcomes.bounced:  # rare: a 5.1.x answer at RCPT time
            subscribers.mark_bounced(session, subscriber_id, "hard bounce (5.1.x)")
        if self.beat.due(now):
            ledger.heartbeat(session, [r.id for r in self.rows if r.id not in self.done], now)
        return session.scalar(select(Edition.status).where(Edition.id == self.edition_id))

    def _flush(self) -> str | None:
        """Write outcomes in bulk, keep our claims fresh, and say whether to stop.

        On PostgreSQL the commit does not wait for the WAL to reach the disk: once it
        returns the outcomes are in PostgreSQL, so a worker killed after it re-sends none of
        them; only a crash of PostgreSQL itself could drop the last fraction of a second of
        flushes, and those rows are then still claimed, come back as stale and are sent again
        (duplicates, never a lost copy). Flushing every 20 copies would otherwise wait for a
        disk sync 5 times as often as every 100 did."""
        outcomes = self.outcomes.take()
        self.oldest = None
        now = self.clock()
        prepared = self.prepared
        parts = prepared.ids.copy_parts(prepared.id_prefix)
        common = outcomes.sent_only() and not self.beat.waiting(now)
        if common and self._autocommit() is not None:
            status = ledger.mark_sent_read_status_on(self.autocommit, outcomes.sent, now, parts,
                                                     self.edition_id)
        else:
            with self.sessions.begin() as session:
                if common:
                    status = ledger.mark_sent_read_status(session, outcomes.sent, now, parts,
                                                          self.edition_id)
                else:
                    status = self._write(session, outcomes, now, parts)
        self.result.sent += len(outcomes.sent)
        self.result.failed += len(outcomes.failed)
        self.result.retried += len(outcomes.retry)
        if self.window.record(outcomes.flags()):
            # already paused: by an editor meanwhile, or by this batch before it settled
            # the copies it had in flight
            with self.sessions.begin() as session, contextlib.suppress(InvalidTransition):
                lifecycle.pause(session, self.edition_id,
                               reason="paused: too many failed deliveries")
                log.warning("%s; paused: too many failed deliveries",
                            lifecycle.summary(session, self.edition_id, now))
            return "paused: failure rate over the limit"
        if status != EditionStatus.SENDING:
            return f"edition was {status}"
        return None


def _finish(session: Session, edition_id: int, clock: Callable[[], datetime]) -> None:
    if lifecycle.finish_if_done(session, edition_id, clock()):
        log.info("%s; finished", lifecycle.summary(session, edition_id))
    session.commit()
