"""Which feeds are due, and enqueuing one RQ job per feed without ever polling one twice at once.

The feed's lock (locks.py) is taken when the job is enqueued and released by the job. Each
feed is its own job, with its own timeout, so a slow or dead feed holds one worker slot at
most.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import Feed, utcnow
from ..runtime import Runtime
from .fetch import make_client
from .jobs import locked_poll, poll_feed_job
from .locks import PROGRESS_SECONDS, acquire, release, set_progress
from .service import PollResult
from .settings import FeedSettings

log = logging.getLogger(__name__)


def due_feed_ids(session: Session, now: datetime | None) -> list[int]:
    """Enabled feeds whose next attempt has come (every enabled feed when now is None)."""
    query = select(Feed.id).where(Feed.disabled.is_(False))
    if now is not None:
        query = query.where(or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now))
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


def enqueue_due_feeds(runtime: Runtime, now: datetime | None = None) -> int:
    """Called by the cron tick: one job per due feed; returns how many were enqueued."""
    with runtime.Session() as session:
        due = due_feed_ids(session, now or utcnow())
    queued = sum(1 for feed_id in due if enqueue_poll(runtime, feed_id))
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
