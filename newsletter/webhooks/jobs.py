"""Webhook calls as an RQ job: the tick enqueues one when calls are due, one runs at a time."""

from __future__ import annotations

import logging

from .. import keys
from ..models import utcnow
from ..runtime import Runtime, current
from .dispatch import BATCH, DispatchResult, deliver_due, has_due

log = logging.getLogger(__name__)
LOCK_SECONDS = 900
MAX_BATCHES = 20  # then the next tick carries on, so one job never runs for ever


def enqueue_due_webhooks(runtime: Runtime) -> bool:
    """Enqueue a dispatch job when calls are due and none is queued or running (the lock
    expires if a worker dies, and the leases bring its calls back)."""
    with runtime.Session() as session:
        if not has_due(session, utcnow()):
            return False
    if not runtime.redis.set(keys.WEBHOOK_DISPATCH, "queued", nx=True, ex=LOCK_SECONDS):
        return False
    runtime.queue.enqueue(dispatch_webhooks_job, job_timeout=LOCK_SECONDS)
    return True


def dispatch_webhooks_job() -> dict[str, int]:
    runtime = current()
    total = DispatchResult()
    try:
        for _ in range(MAX_BATCHES):
            result = deliver_due(runtime.Session,
                                 allow_private=runtime.settings.feeds_allow_private)
            total.delivered += result.delivered
            total.retrying += result.retrying
            total.failed += result.failed
            if result.delivered + result.retrying + result.failed < BATCH:
                break
    finally:
        runtime.redis.delete(keys.WEBHOOK_DISPATCH)
    if total.retrying or total.failed:
        log.info("webhooks: %s delivered, %s to retry, %s given up", total.delivered,
                 total.retrying, total.failed)
    return total.__dict__
