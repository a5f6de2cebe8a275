"""Which feeds are due, and enqueuing one RQ job per feed without ever polling one twice at once.

A Redis lock per feed (SET NX EX) is taken when the job is enqueued and released by the job,
so a feed waiting in the queue or running is not enqueued again by the next tick or by the
"poll now" button. The lock expires on its own if a worker dies. Each feed is its own job,
with its own timeout, so a slow or dead feed holds one worker slot at most.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime

from redis import Redis
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import Feed, utcnow
from ..runtime import Runtime
from .settings import FeedSettings

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 3600
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


def lock_key(feed_id: int) -> str:
    return f"nl:feed:{feed_id}:lock"


def progress_key(feed_id: int) -> str:
    return f"nl:feed:{feed_id}:progress"


def acquire(redis: Redis, feed_id: int, seconds: int) -> str | None:
    token = secrets.token_hex(8)
    return token if redis.set(lock_key(feed_id), token, nx=True, ex=seconds) else None


def holds(redis: Redis, feed_id: int, token: str) -> bool:
    value = redis.get(lock_key(feed_id))
    return value is not None and value.decode() == token


def release(redis: Redis, feed_id: int, token: str) -> None:
    redis.eval(_RELEASE, 1, lock_key(feed_id), token)


def set_progress(redis: Redis, feed_id: int, state: str,
                 result: dict[str, object] | None = None) -> None:
    """queued → running → done, with the poll result: what the admin page shows while it waits."""
    value = {"state": state, "at": utcnow().isoformat(), "result": result}
    redis.set(progress_key(feed_id), json.dumps(value), ex=PROGRESS_SECONDS)


def get_progress(redis: Redis, feed_id: int) -> dict[str, object]:
    raw = redis.get(progress_key(feed_id))
    if not raw:
        return {"state": "idle", "at": None, "result": None}
    return json.loads(raw)


def due_feed_ids(session: Session, now: datetime | None) -> list[int]:
    """Enabled feeds whose next attempt has come (every enabled feed when now is None)."""
    query = select(Feed.id).where(Feed.disabled.is_(False))
    if now is not None:
        query = query.where(or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now))
    return list(session.scalars(query.order_by(Feed.next_poll_at.nulls_first(), Feed.id)))


def enqueue_poll(runtime: Runtime, feed_id: int) -> bool:
    """Enqueue a poll unless one is already queued or running; True when enqueued."""
    from .jobs import poll_feed_job

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
