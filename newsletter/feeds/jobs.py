"""The RQ job for one feed, and the locked poll that the job, the API and the CLI share."""

from __future__ import annotations

import logging

import httpx

from ..errors import NotFound
from ..runtime import Runtime, current
from . import locks
from .service import PollResult, poll_feed
from .settings import FeedSettings

log = logging.getLogger(__name__)


def locked_poll(runtime: Runtime, feed_id: int, token: str | None = None, *,
                client: httpx.Client | None = None) -> PollResult | None:
    """Poll under the feed's lock; None when someone else holds it (queued or running).

    `token` is the lock taken when the job was enqueued; without one we take our own.
    """
    fs = FeedSettings.from_settings(runtime.settings)
    redis = runtime.redis
    if token is None or not locks.holds(redis, feed_id, token):
        token = locks.acquire(redis, feed_id, fs.lock_seconds + fs.job_timeout)
        if token is None:
            return None
    locks.set_progress(redis, feed_id, "running")
    result: PollResult | None = None
    try:
        with runtime.Session() as session:
            result = poll_feed(session, feed_id, fs, client=client)
        return result
    finally:
        locks.release(redis, feed_id, token)
        locks.set_progress(redis, feed_id, "done", result.as_dict() if result else None)


def poll_feed_job(feed_id: int, lock_token: str | None = None) -> dict[str, object]:
    """RQ entry point: takes the feed id (and the enqueue-time lock token), returns the result."""
    runtime = current()
    try:
        result = locked_poll(runtime, feed_id, lock_token)
    except NotFound:
        return {"feed_id": feed_id, "status": "missing"}
    if result is None:
        return {"feed_id": feed_id, "status": "busy"}
    return result.as_dict()
