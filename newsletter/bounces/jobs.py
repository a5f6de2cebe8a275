"""The mailbox poll as an RQ job: the tick enqueues it, one runs at a time."""

from __future__ import annotations

import logging
import ssl

from .. import keys
from ..runtime import Runtime, current
from .intake import take_in
from .mailbox import PollResult, poll

log = logging.getLogger(__name__)
LOCK_KEY = keys.BOUNCE_MAILBOX_POLL
LOCK_SECONDS = 600


def enqueue_mailbox_poll(runtime: Runtime) -> bool:
    """Enqueue a poll unless one is queued or running (the lock expires if a worker dies)."""
    if not runtime.settings.bounce_mailbox:
        return False
    if not runtime.redis.set(LOCK_KEY, "queued", nx=True, ex=LOCK_SECONDS):
        return False
    runtime.queue.enqueue(poll_mailbox_job, job_timeout=LOCK_SECONDS)
    return True


def poll_mailbox_job(ssl_context: ssl.SSLContext | None = None) -> dict[str, int]:
    runtime = current()
    try:
        return poll_mailbox(runtime, ssl_context).__dict__
    finally:
        runtime.redis.delete(LOCK_KEY)


def poll_mailbox(runtime: Runtime, ssl_context: ssl.SSLContext | None = None) -> PollResult:
    """Take in every message in BOUNCE_MAILBOX; each is committed before it is removed."""
    url = runtime.settings.bounce_mailbox
    if not url:
        return PollResult()

    def handle(raw: bytes) -> None:
        with runtime.session() as session:  # commits here, before the mailbox forgets it
            take_in(session, runtime.settings, raw, "mailbox")

    result = poll(url, handle, ssl_context=ssl_context)
    if result.handled or result.failed:
        log.info("bounce mailbox: %s handled, %s left for later", result.handled, result.failed)
    return result
