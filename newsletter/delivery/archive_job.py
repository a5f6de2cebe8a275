"""The ledger archive as an RQ job: the tick enqueues it when editions are due, one runs at
a time, and it never holds the tick (scheduled editions, feed polls, digests go on).

The lock is one Redis key (keys.DELIVERY_ARCHIVE). The tick sets it to "queued TOKEN"
(SET NX) and enqueues the job with that token; the job turns it into
"running TOKEN NAME", NAME being its process's heartbeat name (claims.py). A job whose token
no longer holds the key stops: another run took over. A job killed with SIGKILL leaves the
key behind; as soon as its process's heartbeat expires (a few seconds) the tick takes the
key over and enqueues a new run, which carries on where the dead one stopped (archive.py
commits per chunk, so nothing was lost or doubled). A queued job that is lost (Redis
restarted) is replaced once the queued key expires.

A run works for at most JOB_SECONDS, then lets go: the next tick queues the rest behind
the batches that wait meanwhile. After an edition is fully moved it vacuums the ledger on
PostgreSQL (archive.reclaim): why, with the figures, in README "Sending: what a crash
costs, and a ledger that stays bounded".
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime

from redis import Redis

from .. import claims, keys
from ..runtime import Runtime, current
from . import archive

log = logging.getLogger(__name__)
KEY = keys.DELIVERY_ARCHIVE
QUEUED_SECONDS = 3600  # a queued job may wait behind an edition's batches this long
RUNNING_SECONDS = 3600  # backstop only: a dead runner is replaced once its heartbeat stops
JOB_SECONDS = 60.0  # then the run stops after its current chunk; the next tick continues
JOB_TIMEOUT = 7200  # RQ's limit: 60 s of chunks and a VACUUM of the whole ledger fit inside
EDITIONS_PER_JOB = 10

# KEYS[1] = the lock; ARGV = expected value, new value (or "" to delete), seconds
_SWAP = """
local held = redis.call('get', KEYS[1])
if held ~= ARGV[1] and not (ARGV[1] == '' and not held) then return 0 end
if ARGV[2] == '' then redis.call('del', KEYS[1]) else
  redis.call('set', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3])) end
return 1
"""


def _swap(redis: Redis, expected: str, new: str, seconds: int = RUNNING_SECONDS) -> bool:
    """Compare-and-set of the lock ("" expected: absent; "" new: delete)."""
    return bool(redis.eval(_SWAP, 1, KEY, expected, new, seconds))


def _free(redis: Redis) -> bool:
    """Whether no run is queued or alive; a dead runner's key is removed on the way."""
    held = redis.get(KEY)
    if held is None:
        return True
    value = held.decode()
    parts = value.split(" ")
    if parts[0] != "running" or len(parts) != 3 or claims.alive(redis, [parts[2]]):
        return False
    log.warning("delivery archive: the run in %s died; the next run carries on", parts[2])
    return _swap(redis, value, "")


def enqueue_archive(runtime: Runtime, now: datetime) -> int:
    """The tick's share: queue one archive run when editions are due and no run is queued
    or alive; how many editions were handed to it."""
    days = runtime.settings.delivery_archive_days
    if days <= 0 or not _free(runtime.redis):
        return 0
    with runtime.Session() as session:
        due = archive.due(session, now, days, EDITIONS_PER_JOB)
    if not due:
        return 0
    token = secrets.token_hex(8)
    if not runtime.redis.set(KEY, f"queued {token}", nx=True, ex=QUEUED_SECONDS):
        return 0
    try:
        runtime.queue.enqueue(archive_job, due, token, job_timeout=JOB_TIMEOUT,
                              result_ttl=3600, failure_ttl=86400)
    except Exception:
        _swap(runtime.redis, f"queued {token}", "")
        raise
    return len(due)


def archive_job(edition_ids: list[int], token: str) -> dict[str, int]:
    """Move these editions' ledger rows to the archive, chunk by chunk, while this run
    holds the lock and for at most JOB_SECONDS; {"moved": copies, "editions": finished}."""
    runtime = current()
    redis = runtime.redis
    mine = f"running {token} {claims.my_name(redis)}"
    if not (_swap(redis, f"queued {token}", mine) or _swap(redis, "", mine)):
        log.info("delivery archive: another run holds the lock; this one stops")
        return {"moved": 0, "editions": 0}
    deadline = time.monotonic() + JOB_SECONDS
    moved = finished = 0
    stop = ""

    def go_on() -> bool:
        nonlocal stop
        if not _swap(redis, mine, mine):
            stop = "another run took the lock over"
        elif time.monotonic() > deadline:
            stop = f"{JOB_SECONDS:.0f} s used"
        return not stop

    try:
        for edition_id in edition_ids:
            began = time.monotonic()
            with runtime.Session() as session:
                result = archive.archive_edition(
                    session, edition_id, runtime.clock(),
                    chunk=runtime.settings.delivery_archive_chunk, go_on=go_on)
            moved += result.copies
            if not result.complete:
                log.info("delivery archive: edition %s, %s copies moved; %s, the next tick"
                         " carries on", edition_id, f"{result.copies:,}", stop)
                break
            finished += 1
            log.info("delivery archive: edition %s, %s copies moved in %.1f s", edition_id,
                     f"{result.copies:,}", time.monotonic() - began)
        if finished:
            archive.reclaim(runtime.engine)
    finally:
        _swap(redis, mine, "")
    return {"moved": moved, "editions": finished}
