"""The cron tick: the safety net that keeps every noun moving when a job was lost.

It resumes ended pauses, purges stale unconfirmed sign-ups, revives stale claims left by a
killed worker, starts due editions, builds the daily/weekly digests that are due (and
catch-ups) and queues a lost welcome-briefing job, keeps sending editions fed with batch jobs and finishes
them, stores the clicks and opens waiting in Redis, deletes old webhook calls, enqueues due
feed polls, the ledger archive job (old editions' rows) and the bounce mailbox poll, and
queues the sign-up jobs again when sign-ups or their emails wait (a killed worker's share
included). The jobs themselves live beside their nouns: `delivery/jobs.py`,
`delivery/archive_job.py`, `subscribers/jobs.py`, `feeds/jobs.py`, `bounces/jobs.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from . import keys
from .bounces.jobs import enqueue_mailbox_poll
from .delivery import ledger, lifecycle
from .delivery.archive_job import enqueue_archive
from .delivery.jobs import keep_sending, kick_welcomes, send_digests, start_edition_job
from .engagement.recording import drain as drain_clicks
from .engagement.recording import drain_opens
from .feeds.scheduler import enqueue_due_feeds
from .runtime import current
from .subscribers import retention
from .subscribers import service as subscribers
from .subscribers.jobs import recover as recover_signups
from .webhooks import retention as webhook_retention
from .webhooks.jobs import enqueue_due_webhooks

log = logging.getLogger(__name__)


def tick(now: datetime | None = None) -> dict[str, int]:
    runtime = current()
    s = runtime.settings
    now = now or runtime.clock()
    with runtime.session() as session:
        resumed = subscribers.resume_due_pauses(session, now, s.list_timezone)
        purged = retention.purge_unconfirmed(session, s.purge_unconfirmed_days, now)
        recovered = ledger.recover_stale(session, now, timedelta(seconds=s.stale_claim_seconds))
        due = lifecycle.due_to_start(session, now)
        webhook_calls = webhook_retention.purge(session, now, s.webhook_call_retention_days)
    with runtime.Session() as session:  # each drain commits, then acknowledges its entries
        clicks = drain_clicks(session, runtime.redis)
        drain_opens(session, runtime.redis)
    started = sum(1 for edition_id in due if start_edition_job(edition_id))
    briefed = sum(b.total for b in send_digests(runtime, now))
    if runtime.redis.zcard(keys.welcome_due(s.queue_name)):  # a lost welcome job
        kick_welcomes(runtime)
    with runtime.session() as session:
        sending = ledger.editions_sending(session)
    for edition_id in sending:
        keep_sending(runtime, edition_id, now)
    enqueue_due_feeds(runtime, now)
    archiving = enqueue_archive(runtime, now)
    enqueue_mailbox_poll(runtime)
    enqueue_due_webhooks(runtime)
    recover_signups(runtime)
    return {"started": started, "briefings": briefed, "recovered": recovered,
            "resumed_subscribers": resumed, "purged_unconfirmed": purged, "clicks": clicks,
            "purged_webhook_calls": webhook_calls, "archive_queued": archiving}


# Jobs queued before they moved beside their nouns are stored in Redis under these paths;
# a worker started fresh must still find them there.
from .delivery.jobs import send_batch_job  # noqa: E402, F401
from .subscribers.jobs import send_import_confirmations, send_subscriber_mail  # noqa: E402, F401
