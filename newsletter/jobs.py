"""RQ job entry points. They take ids only and find their resources with runtime.current().

The cron tick is the safety net: it starts due editions, revives stale claims left by a
killed worker, re-enqueues batches that nobody is working on and resumes ended pauses.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from sqlalchemy import select

from .bounces.verp import Copy
from .delivery import editions, ledger
from .delivery.sender import Identity, send_batch
from .delivery.settings import SendSettings
from .errors import NotFound
from .mail.transactional import build_transactional
from .mail.transport import DeliveryError
from .models import Edition, EditionStatus, SubscriberStatus, utcnow
from .runtime import Runtime, current
from .subscribers import service as subscribers
from .subscribers.links import Links
from .subscribers.tokens import Tokens

log = logging.getLogger(__name__)
BATCH_TIMEOUT = 3600


def identity(runtime: Runtime) -> Identity:
    s = runtime.settings
    return Identity(mail_from=s.mail_from, list_name=s.list_name, list_id=s.list_id,
                    base_url=s.base_url, secret_key=s.secret_key)


def links(runtime: Runtime) -> Links:
    return Links(Tokens(runtime.settings.secret_key), runtime.settings.base_url)


def _queued_key(edition_id: int) -> str:
    return f"nl:edition:{edition_id}:queued"


def schedule_edition(runtime: Runtime, edition: Edition) -> None:
    """Enqueue the start at send_at (RQ scheduler); the tick starts it too if this is lost."""
    if edition.send_at <= utcnow():
        runtime.queue.enqueue(start_edition_job, edition.id, job_timeout=600)
    else:
        runtime.queue.enqueue_at(edition.send_at, start_edition_job, edition.id, job_timeout=600)


def enqueue_batches(runtime: Runtime, edition_id: int, count: int) -> None:
    if count <= 0:
        return
    runtime.redis.incrby(_queued_key(edition_id), count)
    runtime.redis.expire(_queued_key(edition_id), 7 * 24 * 3600)
    for _ in range(count):
        runtime.queue.enqueue(send_batch_job, edition_id, job_timeout=BATCH_TIMEOUT)


def start_edition_job(edition_id: int) -> int:
    runtime = current()
    s = runtime.settings
    with runtime.session() as session:
        total = editions.start(session, edition_id, list_name=s.list_name, base_url=s.base_url)
        if total:
            log.info("edition %s: started, %s copies to send", edition_id, f"{total:,}")
        elif session.get(Edition, edition_id).status == EditionStatus.SENT:
            log.info("edition %s: no active reader follows its topics; nothing to send", edition_id)
    if total:
        enqueue_batches(runtime, edition_id, math.ceil(total / s.batch_size))
    return total


def send_batch_job(edition_id: int) -> dict[str, object]:
    runtime = current()
    s = runtime.settings
    runtime.redis.decr(_queued_key(edition_id))
    result = send_batch(
        runtime.Session, runtime.redis, edition_id, runtime.postman(),
        identity(runtime), links(runtime), SendSettings.from_settings(s),
    )
    if result.retried:
        log.info("edition %s: %s copies deferred by the mail server; next retry wave at %s",
                 edition_id, f"{result.retried:,}",
                 result.next_retry.strftime("%H:%M:%S UTC") if result.next_retry else "once due")
    if result.next_retry is not None:
        runtime.queue.enqueue_at(result.next_retry, send_batch_job, edition_id,
                                 job_timeout=BATCH_TIMEOUT)
    return {"claimed": result.claimed, "sent": result.sent, "failed": result.failed,
            "retried": result.retried, "stopped": result.stopped}


def resume_edition(runtime: Runtime, edition_id: int) -> Edition:
    """Resume and make sure someone works on it again."""
    with runtime.session() as session:
        edition = editions.resume(session, edition_id)
    if edition.status == EditionStatus.SENDING:
        with runtime.session() as session:
            due = ledger.due_pending(session, edition_id, utcnow())
        enqueue_batches(runtime, edition_id, math.ceil(due / runtime.settings.batch_size))
    else:
        schedule_edition(runtime, edition)
    return edition


def tick(now: datetime | None = None) -> dict[str, int]:
    runtime = current()
    s = runtime.settings
    now = now or utcnow()
    started = 0
    with runtime.session() as session:
        resumed = subscribers.resume_due_pauses(session, now)
        recovered = ledger.recover_stale(session, now, timedelta(seconds=s.stale_claim_seconds))
        due = list(session.scalars(select(Edition.id).where(
            Edition.status == EditionStatus.SCHEDULED, Edition.send_at <= now)))
        sending = ledger.editions_sending(session)
    for edition_id in due:
        started += 1 if start_edition_job(edition_id) else 0
    for edition_id in sending:
        with runtime.session() as session:
            waiting = ledger.due_pending(session, edition_id, now)
            if editions.finish_if_done(session, edition_id, now):
                log.info("%s; finished", editions.summary(session, edition_id))
        queued = int(runtime.redis.get(_queued_key(edition_id)) or 0)
        if waiting and queued <= 0:
            enqueue_batches(runtime, edition_id, math.ceil(waiting / s.batch_size))
    _poll_due_feeds(runtime, now)
    _recover_signups(runtime)
    _poll_bounce_mailbox(runtime)
    return {"started": started, "recovered": recovered, "resumed_subscribers": resumed}


def _poll_bounce_mailbox(runtime: Runtime) -> None:
    from .bounces.jobs import enqueue_mailbox_poll

    enqueue_mailbox_poll(runtime)


def _poll_due_feeds(runtime: Runtime, now: datetime) -> None:
    from .feeds.scheduler import enqueue_due_feeds

    enqueue_due_feeds(runtime, now)


def _recover_signups(runtime: Runtime) -> None:
    from .subscribers.jobs import recover

    recover(runtime)


def send_subscriber_mail(subscriber_id: int, kind: str) -> str | None:
    """Confirmation or 'manage your topics' email; returns the Message-ID."""
    runtime = current()
    with runtime.session() as session:
        try:
            subscriber = subscribers.get_subscriber(session, subscriber_id)
        except NotFound:  # erased meanwhile: nothing to send
            return None
        to, version = subscriber.email, subscriber.token_version
    message_id, data = _subscriber_mail(runtime, subscriber_id, to, kind, version)
    try:
        with runtime.postman() as postman:
            postman.send(to, data, copy=Copy(subscriber_id))
    except DeliveryError:
        log.exception("could not send %s mail to subscriber %s", kind, subscriber_id)
        raise
    log.info("%s mail sent to subscriber %s", "confirmation" if kind == "confirm" else kind,
             subscriber_id)
    return message_id


def send_import_confirmations(subscriber_ids: list[int]) -> int:
    """Confirmation emails for imported pending people, over one connection per batch.

    Anyone who confirmed, left or was erased since the import is skipped.
    """
    runtime = current()
    with runtime.session() as session:
        people = [(sid, r.email, r.token_version)
                  for sid, r in ledger.recipients(session, subscriber_ids).items()
                  if r.status == SubscriberStatus.PENDING]
    sent = 0
    with runtime.postman() as postman:
        for subscriber_id, to, version in people:
            _, data = _subscriber_mail(runtime, subscriber_id, to, "confirm", version)
            try:
                postman.send(to, data, copy=Copy(subscriber_id))
                sent += 1
            except DeliveryError as exc:  # one refused address must not stop the others
                log.warning("import confirmation to subscriber %s not sent: %s", subscriber_id, exc)
    log.info("import: %s of %s confirmation mails sent", sent, len(people))
    return sent


def _subscriber_mail(runtime: Runtime, subscriber_id: int, to: str, kind: str,
                     version: int = 0, message_key: str | None = None,
                     topics: list[str] | None = None) -> tuple[str, bytes]:
    """(Message-ID, bytes) of a confirmation or 'manage your topics' email."""
    s = runtime.settings
    link = links(runtime)
    urls = {
        "action": link.confirm(subscriber_id, version) if kind == "confirm"
        else link.preferences(subscriber_id, version),
        "preferences": link.preferences(subscriber_id, version),
        "unsubscribe": link.unsubscribe(subscriber_id, version),
    }
    if topics is None:  # batch senders look them up for the whole batch at once
        with runtime.Session() as session:
            topics = subscribers.topic_names(session, subscriber_id)
    return build_transactional(
        kind, to=to, subscriber_id=subscriber_id, urls=urls, list_name=s.list_name,
        base_url=s.base_url, mail_from=s.mail_from, list_id=s.list_id, topics=topics,
        message_key=message_key,
    )
