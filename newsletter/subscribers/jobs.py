"""Subscribers' jobs: the sign-up, and the one-off mail a reader gets (confirm, manage).

Everything that depends on an address's history runs in the sign-up job, not in the
request: the web form only validates and enqueues, so its answer and its timing are the
same for a new, pending, active, unsubscribed or suppressed address (no account probing).
"""

from __future__ import annotations

import logging

from rq import Retry

from ..bounces.verp import Copy
from ..errors import NotFound, ValidationError
from ..mail.transactional import build_transactional
from ..mail.transport import DeliveryError
from ..models import SubscriberStatus
from ..runtime import Runtime, current
from . import requests, service
from .links import Links

log = logging.getLogger(__name__)
MAIL_RETRY = Retry(max=4, interval=[30, 120, 600, 1800])
SIGNUP_RETRY = Retry(max=3, interval=[10, 60, 300])


def enqueue_signup(runtime: Runtime, address: str, slugs: list[str]) -> None:
    request_id = requests.stash(runtime.redis, {"address": address, "slugs": slugs})
    runtime.queue.enqueue(record_signup, request_id, retry=SIGNUP_RETRY)


def enqueue_mail(runtime: Runtime, subscriber_id: int, kind: str) -> None:
    runtime.queue.enqueue(send_subscriber_mail, subscriber_id, kind, retry=MAIL_RETRY)


def record_signup(request_id: str) -> str:
    """Record the request and enqueue the right email (confirm, manage, or none)."""
    runtime = current()
    request = requests.load(runtime.redis, request_id)
    if request is None:
        return "expired"
    with runtime.session() as session:
        try:
            signup = service.subscribe(session, request["address"], request["slugs"])
        except ValidationError as exc:  # e.g. a topic archived since the form was sent
            log.info("sign-up dropped: %s", exc.message)
            requests.discard(runtime.redis, request_id)
            return "invalid"
        subscriber_id = signup.subscriber.id if signup.subscriber else None
    requests.discard(runtime.redis, request_id)
    if subscriber_id is not None and signup.mail is not service.MailToSend.NONE:
        enqueue_mail(runtime, subscriber_id, signup.mail.value)
    return signup.mail.value


def enqueue_link_request(runtime: Runtime, address: str) -> None:
    request_id = requests.stash(runtime.redis, {"address": address})
    runtime.queue.enqueue(send_new_link, request_id, retry=SIGNUP_RETRY)


def send_new_link(request_id: str) -> str:
    """A new preferences or confirmation link for whoever owns this address (if anyone)."""
    runtime = current()
    request = requests.load(runtime.redis, request_id)
    if request is None:
        return "expired"
    with runtime.session() as session:
        try:
            subscriber_id, mail = service.request_new_link(session, request["address"])
        except ValidationError:
            requests.discard(runtime.redis, request_id)
            return "invalid"
    requests.discard(runtime.redis, request_id)
    if subscriber_id is not None and mail is not service.MailToSend.NONE:
        enqueue_mail(runtime, subscriber_id, mail.value)
    return mail.value


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
                     version: int = 0) -> tuple[str, bytes]:
    """(Message-ID, bytes) of a confirmation or 'manage your topics' email."""
    s = runtime.settings
    link = Links.from_settings(s)
    urls = {
        "action": link.confirm(subscriber_id, version) if kind == "confirm"
        else link.preferences(subscriber_id, version),
        "preferences": link.preferences(subscriber_id, version),
        "unsubscribe": link.unsubscribe(subscriber_id, version),
    }
    with runtime.Session() as session:
        topics = service.topic_names(session, subscriber_id)
    return build_transactional(
        kind, to=to, subscriber_id=subscriber_id, urls=urls, list_name=s.list_name,
        base_url=s.base_url, mail_from=s.mail_from, list_id=s.list_id, topics=topics,
    )
