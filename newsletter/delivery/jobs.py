"""RQ jobs of the sending side: start an edition, send its batches, keep it moving.

They take ids only and find their resources with runtime.current(), so they never depend
on Flask; the cron tick (newsletter/jobs.py) calls `start_edition_job` and `keep_sending`
as its safety net.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

from redis.exceptions import RedisError

from .. import defaults, keys
from ..config import Settings
from ..engagement import tracking
from ..engagement.links import ClickSigner
from ..engagement.tracking import Tracking
from ..mail.copies import Identity
from ..models import Edition, EditionStatus, utcnow
from ..runtime import Runtime, current
from ..subscribers.links import Links
from . import briefings, ledger, lifecycle
from .sender import send_batch
from .settings import SendSettings

log = logging.getLogger(__name__)


def enqueue_start(runtime: Runtime, edition: Edition) -> None:
    """Enqueue the start at send_at (RQ scheduler); the tick starts it too if this is lost.

    Only the queue side: editors' editions are created and committed first by
    `editorial.scheduling.schedule_edition`, which calls this.
    """
    timeout = defaults.START_JOB_TIMEOUT
    at = edition.starts_at or edition.send_at  # local delivery starts at its first wave
    if at <= runtime.clock():
        runtime.queue.enqueue(start_edition_job, edition.id, job_timeout=timeout)
    else:
        runtime.queue.enqueue_at(at, start_edition_job, edition.id, job_timeout=timeout)



def enqueue_batches(runtime: Runtime, edition_id: int, count: int) -> None:
    if count <= 0:
        return
    runtime.redis.incrby(keys.edition_queued(edition_id), count)
    runtime.redis.expire(keys.edition_queued(edition_id), defaults.EDITION_STATE_TTL)
    for _ in range(count):
        runtime.queue.enqueue(send_batch_job, edition_id, job_timeout=defaults.BATCH_JOB_TIMEOUT)


WELCOME_BATCH = 10_000  # readers gathered into one welcome briefing run
WELCOME_KICK_TTL = 120  # a lost job is queued again by the tick after this


def briefing_rendering(settings: Settings,
                       chosen: Tracking | None = None) -> briefings.Rendering:
    """How briefings render: the list, its links and tracking, as lifecycle.start does
    (`chosen`: the tracking in force; without it the environment's default)."""
    signer = ClickSigner(settings.secret_key)
    chosen = chosen or Tracking(settings.click_tracking, settings.open_tracking)
    return briefings.Rendering(
        settings.list_name, settings.base_url,
        track=signer.link_path if chosen.clicks else None,
        pixel=signer.open_path if chosen.opens else None)


def send_digests(runtime: Runtime, now: datetime) -> list[briefings.Built]:
    """The tick's share: build the digests due at `now` (one transaction) and queue their
    batches once committed; the tick's keep_sending tops up any that get lost."""
    s = runtime.settings
    rendering = briefing_rendering(s, tracking.current(runtime.Session, s))
    with runtime.session() as session:
        built = briefings.build_digests(session, now, rendering, s.list_timezone)
    for b in built:
        log.info("digest edition %s: %s readers' briefings to send", b.edition_id,
                 f"{b.total:,}")
        enqueue_batches(runtime, b.edition_id, math.ceil(b.total / s.batch_size))
    return built


def welcome_after_confirm(runtime: Runtime, subscriber_id: int) -> None:
    """A reader just confirmed: queue them for the welcome briefing (WELCOME_BRIEFING) and
    make sure one gathering job waits; thousands of confirmations make a handful of jobs."""
    if not runtime.settings.welcome_briefing:
        return
    try:
        runtime.redis.zadd(keys.welcome_due(runtime.settings.queue_name),
                           {str(subscriber_id): utcnow().timestamp()})
        kick_welcomes(runtime)
    except RedisError:  # the confirmation stands; only the welcome is lost
        log.exception("subscriber %s: confirmed, but the welcome briefing could not be queued",
                      subscriber_id)


def kick_welcomes(runtime: Runtime) -> bool:
    """Queue the welcome job unless one waits already (cleared when it starts)."""
    flag = keys.job_waiting(runtime.settings.queue_name, send_welcome_briefings.__name__)
    if runtime.redis.set(flag, "1", nx=True, ex=WELCOME_KICK_TTL):
        runtime.queue.enqueue(send_welcome_briefings, job_timeout=defaults.START_JOB_TIMEOUT,
                              result_ttl=60)
        return True
    return False


def send_welcome_briefings() -> int:
    """Gather every reader waiting for a welcome into one welcome edition (one render, one
    INSERT … SELECT) and queue its batches; returns how many readers were gathered."""
    runtime = current()
    s = runtime.settings
    queue_key = keys.welcome_due(s.queue_name)
    runtime.redis.delete(keys.job_waiting(s.queue_name, send_welcome_briefings.__name__))
    ids = [int(i) for i in runtime.redis.zrange(queue_key, 0, WELCOME_BATCH - 1)]
    if not ids:
        return 0
    if not s.welcome_briefing:  # switched off since they were queued
        runtime.redis.zrem(queue_key, *ids)
        return 0
    rendering = briefing_rendering(s, tracking.current(runtime.Session, s))
    with runtime.session() as session:
        built = briefings.build_welcomes(session, ids, utcnow(), rendering)
    if built is None:  # another worker is building one; these ids wait for the next run
        kick_welcomes(runtime)
        return 0
    runtime.redis.zrem(queue_key, *ids)  # after the commit: a crash before it only repeats
    for b in built:
        log.info("welcome edition %s: %s new readers", b.edition_id, f"{b.total:,}")
        enqueue_batches(runtime, b.edition_id, math.ceil(b.total / s.batch_size))
    if runtime.redis.zcard(queue_key):
        kick_welcomes(runtime)
    return len(ids)


def start_edition_job(edition_id: int) -> int:
    runtime = current()
    s = runtime.settings
    chosen = tracking.current(runtime.Session, s)
    with runtime.session() as session:
        signer = ClickSigner(s.secret_key)
        total = lifecycle.start(session, edition_id, list_name=s.list_name, base_url=s.base_url,
                                now=runtime.clock(), list_timezone=s.list_timezone,
                                track=signer.link_path if chosen.clicks else None,
                                pixel=signer.open_path if chosen.opens else None)
        if total:
            log.info("edition %s: started, %s copies to send", edition_id, f"{total:,}")
        elif session.get(Edition, edition_id).status == EditionStatus.SENT:
            log.info("edition %s: no active reader follows its topics; nothing to send", edition_id)
    if total:
        # batches for the rows due now; a local edition's later waves are fed by the tick
        # (keep_sending) and by each batch's follow-up at the next due time
        with runtime.session() as session:
            due = ledger.due_pending(session, edition_id, runtime.clock())
        enqueue_batches(runtime, edition_id, math.ceil(due / s.batch_size))
    return total


def send_batch_job(edition_id: int) -> dict[str, object]:
    runtime = current()
    s = runtime.settings
    runtime.redis.decr(keys.edition_queued(edition_id))
    result = send_batch(
        runtime.Session, runtime.redis, edition_id, runtime.postman(),
        Identity.from_settings(s), Links.from_settings(s), SendSettings.from_settings(s),
        clock=runtime.clock, editions=runtime.prepared_editions,
    )
    if result.retried:
        log.info("edition %s: %s copies deferred by the mail server; next retry wave at %s",
                 edition_id, f"{result.retried:,}",
                 result.next_retry.strftime("%H:%M:%S UTC") if result.next_retry else "once due")
    if result.next_retry is not None:
        runtime.queue.enqueue_at(result.next_retry, send_batch_job, edition_id,
                                 job_timeout=defaults.BATCH_JOB_TIMEOUT)
    return {"claimed": result.claimed, "sent": result.sent, "failed": result.failed,
            "retried": result.retried, "stopped": result.stopped}


def resume_edition(runtime: Runtime, edition_id: int) -> Edition:
    """Resume and make sure someone works on it again."""
    with runtime.session() as session:
        edition = lifecycle.resume(session, edition_id)
    if edition.status == EditionStatus.SENDING:
        with runtime.session() as session:
            due = ledger.due_pending(session, edition_id, runtime.clock())
        enqueue_batches(runtime, edition_id, math.ceil(due / runtime.settings.batch_size))
    else:
        enqueue_start(runtime, edition)
    return edition


def keep_sending(runtime: Runtime, edition_id: int, now: datetime) -> None:
    """Finish a sending edition that is done, or enqueue batches when rows wait and no
    batch job is queued (a lost job, a retry wave that came due)."""
    with runtime.session() as session:
        waiting = ledger.due_pending(session, edition_id, now)
        if lifecycle.finish_if_done(session, edition_id, now):
            log.info("%s; finished", lifecycle.summary(session, edition_id))
    queued = int(runtime.redis.get(keys.edition_queued(edition_id)) or 0)
    if waiting and queued <= 0:
        enqueue_batches(runtime, edition_id, math.ceil(waiting / runtime.settings.batch_size))
