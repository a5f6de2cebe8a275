"""Recording sign-up requests, one or many at a time, with the same rules for each.

A burst of sign-ups is recorded a batch at a time: a handful of statements for the whole
batch (suppression check, insert-or-find, lock, topics, throttle) instead of a handful per
address. `subscribe()` for one address is the same code with a batch of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..models import Subscriber, SubscriberStatus, Subscription, Topic, utcnow
from . import suppression, zones
from .addresses import email_key

RESEND_INTERVAL = timedelta(minutes=10)


class MailToSend(StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    NONE = "none"


@dataclass(frozen=True)
class SignUp:
    subscriber: Subscriber | None
    mail: MailToSend


@dataclass(frozen=True)
class Request:
    """One sign-up form as accepted by the web: a normalized address, topic slugs and the
    reader's time zone (None: the list's zone)."""

    address: str
    slugs: tuple[str, ...]
    timezone: str | None = None


def subscribe_many(
    session: Session, requests: list[Request], now: datetime | None = None
) -> list[SignUp | None]:
    """Record each request; the answer shown to the visitor never depends on the result.

    Returns one SignUp per request, or None for a request whose topics are no longer all
    live (archived since the form was shown). An active subscriber's topics are not changed
    from the public form (anyone can type any address); they get a 'manage your topics'
    email instead. The same address twice in one batch is one sign-up (its last topics).

    The time zone follows the topics: a new or not-yet-confirmed (or departed) address takes
    the zone of its latest form, when that form had one; an active or paused reader's zone
    is theirs to change on the preferences page, never from the public form.
    """
    now = now or utcnow()
    live = {t.slug: t for t in session.scalars(select(Topic).where(Topic.archived_at.is_(None)))}
    wanted: dict[str, tuple[str, list[Topic], str | None]] = {}
    for request in requests:
        slugs = list(dict.fromkeys(s for s in request.slugs if s))
        if slugs and all(s in live for s in slugs):
            wanted[email_key(request.address)] = (request.address, [live[s] for s in slugs],
                                                  zones.canonical(request.timezone))
    suppressed = _blocked(session, [address for address, _, _ in wanted.values()])
    keys = [key for key in wanted if key not in suppressed]
    people = _insert_and_lock(session, {k: wanted[k][0] for k in keys},
                              {k: wanted[k][2] for k in keys}, now)
    mails: dict[str, MailToSend] = {}
    open_to_form = [k for k in keys if people[k].status not in (SubscriberStatus.ACTIVE,
                                                                 SubscriberStatus.PAUSED)]
    _replace_topics(session, {people[k].id: wanted[k][1] for k in open_to_form})
    for key in open_to_form:
        if wanted[key][2] is not None:
            people[key].timezone = wanted[key][2]
    for key in keys:
        subscriber = people[key]
        if subscriber.status in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED):
            mail = MailToSend.MANAGE
        elif subscriber.status == SubscriberStatus.BOUNCED:
            mail = MailToSend.NONE
        else:
            mail = MailToSend.CONFIRM
        mails[key] = throttle(subscriber, mail, now)
    session.flush()
    results: list[SignUp | None] = []
    answered: set[str] = set()
    for request in requests:
        key = email_key(request.address)
        if key not in wanted:
            results.append(None)
        elif key in suppressed:
            results.append(SignUp(None, MailToSend.NONE))
        elif key in answered:  # a repeat within the batch: one sign-up, one email
            results.append(SignUp(people[key], MailToSend.NONE))
        else:
            answered.add(key)
            results.append(SignUp(people[key], mails[key]))
    return results


def _blocked(session: Session, addresses: list[str]) -> set[str]:
    """Keys of the addresses a sign-up must not touch. Someone who erased their data may
    come back (a new sign-up, a new confirmation; only confirming lifts the erasure entry);
    other suppressions (complaints) are final."""
    blocked = set()
    for address in suppression.suppressed_among(session, addresses):
        entry = suppression.find(session, address)
        if entry is not None and entry.reason != suppression.ERASED:
            blocked.add(email_key(address))
    return blocked


def throttle(subscriber: Subscriber, mail: MailToSend, now: datetime) -> MailToSend:
    """At most one email per address per RESEND_INTERVAL, however often the form is sent."""
    if mail is MailToSend.NONE:
        return mail
    last = subscriber.last_mail_at
    if last is not None and last.tzinfo is None and now.tzinfo is not None:
        last = last.replace(tzinfo=now.tzinfo)
    if last is not None and now - last < RESEND_INTERVAL:
        return MailToSend.NONE
    subscriber.last_mail_at = now
    return mail


def _insert_and_lock(session: Session, addresses: dict[str, str],
                     timezones: dict[str, str | None], now: datetime
                     ) -> dict[str, Subscriber]:
    """Insert the new addresses (a concurrent insert of the same one is not an error), then
    lock every row of the batch in id order (two batches never wait on each other in a cycle)
    and read it fresh."""
    if not addresses:
        return {}
    insert_fn = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert_fn(Subscriber).on_conflict_do_nothing(index_elements=["email_key"]),
        [{"email": address, "email_key": key, "status": SubscriberStatus.PENDING,
          "timezone": timezones.get(key), "created_at": now, "updated_at": now}
         for key, address in addresses.items()],
    )
    rows = session.scalars(
        select(Subscriber).where(Subscriber.email_key.in_(list(addresses)))
        .order_by(Subscriber.id).with_for_update().execution_options(populate_existing=True)
    )
    return {s.email_key: s for s in rows}


def _replace_topics(session: Session, chosen: dict[int, list[Topic]]) -> None:
    """Each subscriber ends with exactly these live topics; archived ones stay untouched."""
    if not chosen:
        return
    live = set(session.scalars(select(Topic.id).where(Topic.archived_at.is_(None))))
    have: dict[int, set[int]] = {}
    for sid, tid in session.execute(select(Subscription.subscriber_id, Subscription.topic_id)
                                    .where(Subscription.subscriber_id.in_(list(chosen)))):
        have.setdefault(sid, set()).add(tid)
    new_rows = []
    for sid, topics in chosen.items():
        want = {t.id for t in topics}
        gone = (have.get(sid, set()) & live) - want
        if gone:
            session.execute(delete(Subscription).where(
                Subscription.subscriber_id == sid, Subscription.topic_id.in_(gone)))
        new_rows += [{"subscriber_id": sid, "topic_id": tid}
                     for tid in want - have.get(sid, set())]
    if new_rows:
        session.execute(insert(Subscription), new_rows)
    for subscriber in session.identity_map.values():
        if isinstance(subscriber, Subscriber) and subscriber.id in chosen:
            session.expire(subscriber, ["subscriptions"])
