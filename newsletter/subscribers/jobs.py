"""The sign-up job: everything that depends on an address's history runs here, not in the request.

The web form only validates and enqueues, so its answer and its timing are the same for a
new, pending, active, unsubscribed or suppressed address (no account probing).
"""

from __future__ import annotations

import logging

from rq import Retry

from ..errors import ValidationError
from ..jobs import send_subscriber_mail
from ..runtime import Runtime, current
from . import service

log = logging.getLogger(__name__)
MAIL_RETRY = Retry(max=4, interval=[30, 120, 600, 1800])
SIGNUP_RETRY = Retry(max=3, interval=[10, 60, 300])


def enqueue_signup(runtime: Runtime, address: str, slugs: list[str]) -> None:
    runtime.queue.enqueue(record_signup, address, slugs, retry=SIGNUP_RETRY)


def enqueue_mail(runtime: Runtime, subscriber_id: int, kind: str) -> None:
    runtime.queue.enqueue(send_subscriber_mail, subscriber_id, kind, retry=MAIL_RETRY)


def record_signup(address: str, slugs: list[str]) -> str:
    """Record the request and enqueue the right email (confirm, manage, or none)."""
    runtime = current()
    with runtime.session() as session:
        try:
            signup = service.subscribe(session, address, slugs)
        except ValidationError as exc:  # e.g. a topic archived since the form was sent
            log.info("sign-up dropped: %s", exc.message)
            return "invalid"
        subscriber_id = signup.subscriber.id if signup.subscriber else None
    if subscriber_id is not None and signup.mail is not service.MailToSend.NONE:
        enqueue_mail(runtime, subscriber_id, signup.mail.value)
    return signup.mail.value


def enqueue_link_request(runtime: Runtime, address: str) -> None:
    runtime.queue.enqueue(send_new_link, address, retry=SIGNUP_RETRY)


def send_new_link(address: str) -> str:
    """A new preferences or confirmation link for whoever owns this address (if anyone)."""
    runtime = current()
    with runtime.session() as session:
        try:
            subscriber_id, mail = service.request_new_link(session, address)
        except ValidationError:
            return "invalid"
    if subscriber_id is not None and mail is not service.MailToSend.NONE:
        enqueue_mail(runtime, subscriber_id, mail.value)
    return mail.value
