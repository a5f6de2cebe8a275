"""Which feeds are due, and enqueuing their polls without ever polling one twice at once.

The feed's lock (locks.py) is taken when it is queued and released when its poll ends. The
tick appends due feeds to a Redis list and enqueues one job per `batch_size` of them; each job
takes feeds from the list (one job start and one HTTP client for many feeds; inside,
`concurrency` feeds are fetched at once, so a slow or dead feed holds one thread, not a
worker). "Poll now" enqueues a job for its one feed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .. import keys
from ..models import Feed, utcnow
from ..runtime import Runtime
from .fetch import make_client
from .jobs import locked_poll, poll_due_job, poll_feed_job
from .locks import PROGRESS_SECONDS, acquire, acquire_many, mark_queued, release, release_many, set_progress
from .service import PollResult
from .settings import FeedSettings

log = logging.getLogger(__name__)


def due_feed_ids(session: Session, now: datetime | None, *,
                 among: list[int] | None = None) -> list[int]:
    """Enabled feeds whose next attempt has come (every enabled feed when now is None),
    optionally only among some ids."""
    query = select(Feed.id).where(Feed.disabled.is_(False))
    if now is not None:
        query = query.where(or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now))
    if among is not None:
        query = query.where(Feed.id.in_(among))
    return list(session.scalars(query.order_by(Feed.next_poll_at.nulls_first(), Feed.id)))


def enqueue_poll(runtime: Runtime, feed_id: int) -> bool:
    """Enqueue a poll unless one is already queued or running; True when enqueued."""
    fs = FeedSettings.from_settings(runtime.settings)
    token = acquire(runtime.redis, feed_id, fs.lock_seconds + fs.job_timeout)
    if token is None:
        return False
    set_progress(runtime.redis, feed_id, "queued")
    try:
        runtime.queue.enqueue(poll_feed_job, feed_id, token, job_timeout=fs.job_timeout,
                              result_ttl=PROGRESS_SECONDS, failure_ttl=24 * 3600)
    except Exception:
        release(runtime.redis, feed_id, token)
        raise
    return True


def enqueue_due(runtime: Runtime, feed_ids: list[int], now: datetime | None = None) -> int:
    """Lock the feeds not already queued or running, append the ones still due to the due
    list in the given order and enqueue enough poll jobs to take them all; returns how many
    were queued.

    Due-ness is read again once the locks are held: a poll that ended between the caller's
    query and our lock has moved its feed's next attempt (it commits before it unlocks), and
    must not be followed by a second poll of the same feed.
    """
    fs = FeedSettings.from_settings(runtime.settings)
    locked = acquire_many(runtime.redis, feed_ids, fs.lock_seconds + fs.due_job_timeout)
    if not locked:
        return 0
    try:
        with runtime.Session() as session:
            still_due = set(due_feed_ids(session, now or utcnow(), among=list(locked)))
        polled = {i: t for i, t in locked.items() if i not in still_due}
        if polled:
            release_many(runtime.redis, polled)
        queued = [i for i in locked if i in still_due]
        if not queued:
            return 0
        mark_queued(runtime.redis, queued)
        runtime.redis.rpush(keys.FEEDS_DUE, *(f"{i}:{locked[i]}" for i in queued))
        for _ in range(-(-len(queued) // max(1, fs.batch_size))):
            runtime.queue.enqueue(poll_due_job, job_timeout=fs.due_job_timeout,
                                  result_ttl=PROGRESS_SECONDS, failure_ttl=24 * 3600)
    except Exception:
        release_many(runtime.redis, locked)  # a job that finds an entry anyway takes a new lock
        raise
    return len(queued)


def enqueue_due_feeds(runtime: Runtime, now: datetime | None = None) -> int:
    """Called by the cron tick: due feeds in batch jobs; returns how many feeds were enqueued."""
    with runtime.Session() as session:
        due = due_feed_ids(session, now or utcnow())
    queued = enqueue_due(runtime, due, now) if due else 0
    if due:
        log.info("feed poll round: %s due, %s queued (%s already queued or running)",
                 len(due), queued, len(due) - queued)
    return queued


def poll_now(runtime: Runtime, *, every: bool = False, concurrency: int = 4
             ) -> Iterator[tuple[int, PollResult | None]]:
    """Poll due feeds (or every enabled one) in this process, `concurrency` at a time, each
    under its lock: (feed id, result), or None for a feed someone else is polling."""
    fs = FeedSettings.from_settings(runtime.settings)
    with runtime.Session() as session:
        ids = due_feed_ids(session, None if every else utcnow())
    with make_client(fs) as client, ThreadPoolExecutor(concurrency) as pool:
        yield from zip(ids, pool.map(lambda i: locked_poll(runtime, i, client=client), ids),
                       strict=True)
