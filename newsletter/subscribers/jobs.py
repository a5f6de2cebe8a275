"""Subscribers' jobs: record sign-ups a batch at a time, then send the mail they call for
(confirm, manage topics), and the one-off mail a reader asks for.

The web form only validates and appends to the sign-up stream (see intake), so its answer
and its timing are the same for a new, pending, active, unsubscribed or suppressed
address (no account probing). Both jobs run on the sign-up queue, which workers listen to
after the main one, and each stops after JOB_SECONDS and queues its own continuation: a
burst never holds the tick, an edition or a feed poll back by more than one short job.

A job is queued only when none is waiting (a Redis flag set with NX and cleared when the
job starts), so 200 sign-ups a second make a handful of jobs, not 200.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from rq import Retry

from .. import keys
from ..bounces.verp import Copy
from ..claims import alive, my_name
from ..errors import NotFound, ValidationError
from ..mail.postman import Postman
from ..mail.transactional import build_transactional
from ..mail.transport import DeliveryError, LoginRefused, PermanentFailure, TemporaryFailure
from ..models import SubscriberStatus
from ..runtime import Runtime, current
from . import intake, outbox, requests, service
from .links import Links

log = logging.getLogger(__name__)
SIGNUP_BATCH = 500  # sign-ups recorded per transaction
MAIL_BATCH = 200  # rows claimed at a time; one SMTP connection serves the whole job
JOB_SECONDS = 2.0  # then the job queues its continuation and lets other queues go first
GATHER_SECONDS = 0.5  # in a burst, a job starts recording this long after the last one ended
BURST_GAP_SECONDS = 1.0  # a job starting within this of the last one's end is in a burst
KICK_TTL = 120  # a lost job (Redis restarted) is queued again by the tick after this
SIGNUP_RETRY = Retry(max=3, interval=[10, 60, 300])


def _kick_key(runtime: Runtime, job: Callable[[], int]) -> str:
    return keys.job_waiting(runtime.settings.queue_name, job.__name__)


def kick(runtime: Runtime, job: Callable[[], int]) -> bool:
    """Queue `job` unless one is already waiting; True when queued."""
    if runtime.redis.set(_kick_key(runtime, job), "1", nx=True, ex=KICK_TTL):
        _enqueue(runtime, job)
        return True
    return False


def _enqueue(runtime: Runtime, job: Callable[[], int]) -> None:
    runtime.signup_queue.enqueue(job, job_timeout=600, result_ttl=60, failure_ttl=86400)


def accept_signup(runtime: Runtime, address: str, slugs: list[str],
                  timezone: str | None = None) -> None:
    """The request's whole share of a sign-up: one round trip to Redis, rarely an enqueue
    (the sign-up form sends the same commands inside its rate limits' round trip)."""
    pipe = runtime.redis.pipeline(transaction=False)
    for command in signup_commands(runtime, address, slugs, timezone):
        pipe.execute_command(*command)
    after_accepting(runtime, pipe.execute())


def signup_commands(runtime: Runtime, address: str, slugs: list[str],
                    timezone: str | None = None) -> list[tuple[str | int, ...]]:
    """The Redis commands that accept a sign-up, for the web to send in the same round trip
    as its rate limits: append it to the stream, and raise the job flag unless raised.
    Pass their replies to `after_accepting`."""
    entry = intake.fields(address, slugs, timezone)
    return [("XADD", intake.stream_key(runtime.settings.queue_name), "*",
             *(word for pair in entry.items() for word in pair)),
            ("SET", _kick_key(runtime, record_signups), "1", "NX", "EX", KICK_TTL)]


def after_accepting(runtime: Runtime, replies: list[object]) -> None:
    """Queue the recording job when this sign-up raised the flag (none was waiting)."""
    if replies[1]:
        _enqueue(runtime, record_signups)


def record_signups() -> int:
    """Record waiting sign-ups a batch per transaction; returns how many entries were read."""
    runtime = current()
    # Cleared first: a worker killed from here on leaves no flag saying a job waits, so the
    # tick queues the next one at once (`recover`). What arrives while this one gathers
    # queues that next job, which then gathers in its turn.
    runtime.redis.delete(_kick_key(runtime, record_signups))
    stream = intake.Stream(runtime.redis, intake.stream_key(runtime.settings.queue_name))
    _gather(runtime, stream)
    stream.ensure_group()
    stream.take_over_dead()
    deadline = time.monotonic() + JOB_SECONDS
    read = 0
    while entries := stream.next_batch(SIGNUP_BATCH):
        with runtime.session() as session:
            mails = intake.record(session, entries)
        stream.done([e.id for e in entries])
        read += len(entries)
        if mails:
            kick(runtime, send_outgoing_mail)
        if time.monotonic() >= deadline:
            kick(runtime, record_signups)  # more may wait: continue after the main queue
            break
    runtime.redis.set(keys.signups_recorded_at(runtime.settings.queue_name), str(time.time()),
                      px=int(BURST_GAP_SECONDS * 1000))
    return read


def _gather(runtime: Runtime, stream: intake.Stream) -> None:
    """In a burst, let sign-ups gather until GATHER_SECONDS after the last job ended (or a
    full batch waits) before recording them.

    Without it, at 200 sign-ups/s each job found a handful of entries, and the per-batch
    statements and job overhead made 12,000 sign-ups cost the worker 35–38 and PostgreSQL
    13–17 CPU-seconds (bench/signup.py): CPU the web's answers wait for on a 2-core machine.
    Gathering for 0.5 s: 27–30 and 11 (0.25 s: 33–35 and 12–13). The first sign-up after a
    quiet spell is recorded at once; in a burst a confirmation leaves at most GATHER_SECONDS
    later, and the main queue (tick, editions) waits at most as long."""
    ended = runtime.redis.get(keys.signups_recorded_at(runtime.settings.queue_name))
    if ended is None:
        return
    until = float(ended) + GATHER_SECONDS
    while (left := until - time.time()) > 0 and stream.backlog() < SIGNUP_BATCH:
        time.sleep(min(left, 0.05))


def send_outgoing_mail() -> int:
    """Send waiting subscriber mail through the postman, over one SMTP connection; returns
    how many were sent."""
    runtime = current()
    runtime.redis.delete(_kick_key(runtime, send_outgoing_mail))
    me = my_name(runtime.redis)
    deadline = time.monotonic() + JOB_SECONDS
    sent = 0
    with contextlib.ExitStack() as stack, runtime.Session() as session:
        marks = outbox.DoneMarks(session)
        stack.callback(marks.close)
        postman: Postman | None = None
        try:
            while True:
                holders = [n for n in outbox.claimers(session) if n != me]
                dead = sorted(set(holders) - alive(runtime.redis, holders))
                letters = outbox.claim(session, me, dead, MAIL_BATCH)
                session.commit()
                if not letters:
                    break
                if postman is None:
                    postman = stack.enter_context(runtime.postman())
                topics = service.topic_names_of(session, [x.subscriber_id for x in letters])
                session.commit()
                for letter in letters:
                    sent += _send_one(runtime, session, marks, postman, letter,
                                      topics.get(letter.subscriber_id, []))
                if time.monotonic() >= deadline:
                    break
        finally:
            session.rollback()
            outbox.release(session, me)
        if time.monotonic() >= deadline and outbox.waiting(session):
            kick(runtime, send_outgoing_mail)
    return sent


def _send_one(runtime: Runtime, session, marks: outbox.DoneMarks,  # noqa: ANN001
              postman: Postman, letter: outbox.Letter, topics: list[str]) -> int:
    if not letter.wanted:  # confirmed, left or bounced since it was asked for
        marks.done(letter.id)
        return 0
    _, data = _subscriber_mail(runtime, letter.subscriber_id, letter.email, letter.kind,
                               letter.token_version, message_key=f"m{letter.id}",
                               topics=topics)
    try:
        postman.send(letter.email, data, copy=Copy(letter.subscriber_id))
    except TemporaryFailure as exc:
        if not outbox.retry_later(session, letter):
            log.warning("%s mail to subscriber %s given up: %s", letter.kind,
                        letter.subscriber_id, exc)
        return 0
    except LoginRefused:
        raise  # about us, not the reader: nothing can go out until SMTP_URL is fixed
    except PermanentFailure as exc:
        log.warning("%s mail to subscriber %s refused: %s", letter.kind, letter.subscriber_id, exc)
        marks.done(letter.id)
        return 0
    marks.done(letter.id)
    return 1


def recover(runtime: Runtime) -> None:
    """From the tick: queue the jobs again if work waits and no job is queued for it.

    This is also how the share of a killed worker is taken over: once its heartbeat is gone,
    the next tick queues the jobs and they claim what it held.
    """
    stream = intake.Stream(runtime.redis, intake.stream_key(runtime.settings.queue_name))
    if stream.backlog():  # new entries, or entries held by a process (maybe a dead one)
        kick(runtime, record_signups)
    with runtime.session() as session:
        holders = outbox.claimers(session)
        if outbox.waiting(session) or set(holders) - alive(runtime.redis, holders):
            kick(runtime, send_outgoing_mail)
        outbox.purge(session)


def enqueue_mail(runtime: Runtime, subscriber_id: int, kind: str) -> None:
    """One email decided by a view (expired link, undo): it leaves through the outbox and
    the mail job too, so every subscriber email has the same path and the same guarantees."""
    with runtime.session() as session:
        outbox.add(session, subscriber_id, kind)
    kick(runtime, send_outgoing_mail)


def enqueue_link_request(runtime: Runtime, address: str) -> None:
    request_id = requests.stash(runtime.redis, {"address": address})
    runtime.signup_queue.enqueue(send_new_link, request_id, retry=SIGNUP_RETRY)


def send_new_link(request_id: str) -> str:
    """A new preferences or confirmation link for whoever owns this address (if anyone)."""
    runtime = current()
    if "@" in request_id:  # queued by the previous release, which passed the address
        request: dict | None = {"address": request_id}  # type: ignore[type-arg]
    else:
        request = requests.load(runtime.redis, request_id)
    if request is None:
        return "expired"
    with runtime.session() as session:
        try:
            subscriber_id, mail = service.request_new_link(session, request["address"])
        except ValidationError:
            requests.discard(runtime.redis, request_id)
            return "invalid"
        if subscriber_id is not None and mail is not service.MailToSend.NONE:
            outbox.add(session, subscriber_id, mail.value)  # decided and recorded together
    requests.discard(runtime.redis, request_id)
    if subscriber_id is not None and mail is not service.MailToSend.NONE:
        kick(runtime, send_outgoing_mail)
    return mail.value


def record_signup(address: str, slugs: list[str]) -> None:
    """A sign-up job queued by the previous release (one job per address): into the stream."""
    accept_signup(current(), address, slugs)


def send_subscriber_mail(subscriber_id: int, kind: str) -> str | None:
    """Confirmation or 'manage your topics' email; returns the Message-ID."""
    runtime = current()
    with runtime.session() as session:
        try:
            subscriber = service.get_subscriber(session, subscriber_id)
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
                  for sid, r in service.addresses(session, subscriber_ids).items()
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
    link = Links.from_settings(s)
    urls = {
        "action": link.confirm(subscriber_id, version) if kind == "confirm"
        else link.preferences(subscriber_id, version),
        "preferences": link.preferences(subscriber_id, version),
        "unsubscribe": link.unsubscribe(subscriber_id, version),
    }
    if topics is None:  # batch senders look them up for the whole batch at once
        with runtime.Session() as session:
            topics = service.topic_names(session, subscriber_id)
    return build_transactional(
        kind, to=to, subscriber_id=subscriber_id, urls=urls, list_name=s.list_name,
        base_url=s.base_url, mail_from=s.mail_from, list_id=s.list_id, topics=topics,
        message_key=message_key,
    )
