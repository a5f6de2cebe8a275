"""A Redis lock per feed (SET NX EX) and the poll's progress for the admin page.

The lock is taken when a poll is enqueued and released by the job, so a feed waiting in the
queue or running is not enqueued again by the next tick or by the "poll now" button; it
expires on its own if a worker dies.
"""

from __future__ import annotations

import json
import secrets

from redis import Redis

from .. import keys
from ..models import utcnow

PROGRESS_SECONDS = 3600
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


def acquire(redis: Redis, feed_id: int, seconds: int) -> str | None:
    token = secrets.token_hex(8)
    return token if redis.set(keys.feed_lock(feed_id), token, nx=True, ex=seconds) else None


def acquire_many(redis: Redis, feed_ids: list[int], seconds: int) -> dict[int, str]:
    """Lock several feeds in one round trip; returns the tokens of the feeds we locked
    (those already queued or running are left out)."""
    tokens = {feed_id: secrets.token_hex(8) for feed_id in feed_ids}
    with redis.pipeline(transaction=False) as pipe:
        for feed_id, token in tokens.items():
            pipe.set(keys.feed_lock(feed_id), token, nx=True, ex=seconds)
        taken = pipe.execute()
    return {f: t for (f, t), ok in zip(tokens.items(), taken, strict=True) if ok}


def mark_queued(redis: Redis, feed_ids: list[int]) -> None:
    """set_progress(…, "queued") for several feeds in one round trip."""
    queued = json.dumps({"state": "queued", "at": utcnow().isoformat(), "result": None})
    with redis.pipeline(transaction=False) as pipe:
        for feed_id in feed_ids:
            pipe.set(keys.feed_progress(feed_id), queued, ex=PROGRESS_SECONDS)
        pipe.execute()


def release_many(redis: Redis, tokens: dict[int, str]) -> None:
    with redis.pipeline(transaction=False) as pipe:
        for feed_id, token in tokens.items():
            pipe.eval(_RELEASE, 1, keys.feed_lock(feed_id), token)
        pipe.execute()


def holds(redis: Redis, feed_id: int, token: str) -> bool:
    value = redis.get(keys.feed_lock(feed_id))
    return value is not None and value.decode() == token


def release(redis: Redis, feed_id: int, token: str) -> None:
    redis.eval(_RELEASE, 1, keys.feed_lock(feed_id), token)


def set_progress(redis: Redis, feed_id: int, state: str,
                 result: dict[str, object] | None = None) -> None:
    """queued → running → done, with the poll result: what the admin page shows while it waits."""
    value = {"state": state, "at": utcnow().isoformat(), "result": result}
    redis.set(keys.feed_progress(feed_id), json.dumps(value), ex=PROGRESS_SECONDS)


def get_progress(redis: Redis, feed_id: int) -> dict[str, object]:
    raw = redis.get(keys.feed_progress(feed_id))
    if not raw:
        return {"state": "idle", "at": None, "result": None}
    return json.loads(raw)
