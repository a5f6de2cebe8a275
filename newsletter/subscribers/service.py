"""What a subscriber can do: sign up, confirm, choose topics, pause, leave, export, erase.

Functions take a session and plain values, return models and raise errors from
newsletter.errors; the caller commits and decides which email to enqueue.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .. import defaults
from ..engagement.stats import reader_clicks, reader_opens
from ..errors import NotFound, ValidationError
from ..models import Cadence, Click, Open, Subscriber, SubscriberStatus, Subscription, Topic, utcnow
from ..webhooks import events as webhooks
from . import retention, suppression, timing
from .addresses import email_key, normalize_email
from .audience import audience
from .signups import RESEND_INTERVAL, MailToSend, Request, SignUp, subscribe_many, throttle

__all__ = ["RESEND_INTERVAL", "MailToSend", "SignUp",  # recorded in signups.py
           "audience"]  # in audience.py

MAX_SLUG = 100
MAX_TOPICS = 200
PAUSE_CHOICES = {"1": timedelta(weeks=1), "4": timedelta(weeks=4), "indefinite": None}


@dataclass(frozen=True)
class TopicChange:
    added: list[str]
    removed: list[str]


def topics_by_slug(session: Session, slugs: list[str]) -> list[Topic]:
    """Live topics for these slugs, in the order given; unknown slugs are an error."""
    wanted = list(dict.fromkeys(s.strip() for s in slugs if s and s.strip()))
    if not wanted:
        return []
    # Slugs that cannot exist (NUL bytes, absurd length) never reach the database driver.
    plausible = [s for s in wanted if len(s) <= MAX_SLUG and "\x00" not in s]
    found = {
        t.slug: t
        for t in session.scalars(
            select(Topic).where(Topic.slug.in_(plausible), Topic.archived_at.is_(None))
        )
    } if plausible else {}
    unknown = [s for s in wanted if s not in found]
    if unknown:
        raise _unknown_topics(unknown)
    return [found[s] for s in wanted]


def _unknown_topics(unknown: list[str]) -> ValidationError:
    shown = ", ".join(u[:64].replace("\x00", "") for u in unknown[:5])
    return ValidationError(f"Unknown topic: {shown}. Choose from the list.", field="topics")


def check_slugs(slugs: list[str], live: Collection[str]) -> list[str]:
    """The chosen slugs, each once, all among `live`; or ValidationError (field "topics")."""
    if len(slugs) > MAX_TOPICS:
        raise ValidationError("Too many topics in one request.", field="topics")
    wanted = list(dict.fromkeys(s.strip() for s in slugs if s and s.strip()))
    unknown = [s for s in wanted if s not in live]
    if unknown:
        raise _unknown_topics(unknown)
    if not wanted:
        raise ValidationError("Choose at least one topic.", field="topics")
    return wanted


def is_suppressed(session: Session, address: str) -> bool:
    return suppression.find(session, address) is not None


def topic_names(session: Session, subscriber_id: int) -> list[str]:
    """Names of the live topics a subscriber follows, in the site's order (for their emails)."""
    return topic_names_of(session, [subscriber_id]).get(subscriber_id, [])


def topic_names_of(session: Session, subscriber_ids: list[int]) -> dict[int, list[str]]:
    """topic_names for many subscribers in one query (a batch of confirmations)."""
    names: dict[int, list[str]] = {}
    for sid, name in session.execute(
        select(Subscription.subscriber_id, Topic.name)
        .join(Topic, Subscription.topic_id == Topic.id)
        .where(Subscription.subscriber_id.in_(subscriber_ids), Topic.archived_at.is_(None))
        .order_by(Topic.position, Topic.name)
    ):
        names.setdefault(sid, []).append(name)
    return names


def find_by_email(session: Session, address: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.email_key == email_key(address)))


def get_subscriber(session: Session, subscriber_id: int) -> Subscriber:
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise NotFound("We could not find this subscription. It may have been erased.")
    return subscriber


def check_signup(session: Session, raw_email: str, slugs: list[str]) -> tuple[str, list[Topic]]:
    """The normalized address and the chosen live topics, or ValidationError.

    Looks at nothing about the address's history, so the web form can run it in the
    request and leave the rest (which does depend on history) to a job.
    """
    address = normalize_email(raw_email)
    if len(slugs) > MAX_TOPICS:
        raise ValidationError("Too many topics in one request.", field="topics")
    topics = topics_by_slug(session, slugs)
    if not topics:
        raise ValidationError("Choose at least one topic.", field="topics")
    return address, topics


def subscribe(
    session: Session, raw_email: str, slugs: list[str], now: datetime | None = None,
    timezone: str | None = None,
) -> SignUp:
    """One sign-up (CLI, tests): validates like the form, then records it as a batch of one."""
    address, topics = check_signup(session, raw_email, slugs)
    request = Request(address, tuple(t.slug for t in topics), timezone)
    result = subscribe_many(session, [request], now)[0]
    if result is None:  # cannot happen after check_signup, short of a concurrent archive
        raise ValidationError("Choose at least one topic.", field="topics")
    return result


def request_confirmation(
    session: Session, subscriber_id: int, now: datetime | None = None
) -> MailToSend:
    """A fresh confirmation email for an expired link, if the address still needs one."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.status not in (
        SubscriberStatus.PENDING, SubscriberStatus.UNSUBSCRIBED
    ):
        return MailToSend.NONE
    mail = throttle(subscriber, MailToSend.CONFIRM, now or utcnow())
    session.flush()
    return mail


def request_new_link(session: Session, raw_email: str, now: datetime | None = None
                     ) -> tuple[int | None, MailToSend]:
    """Someone with a broken or lost link asks for a new one by typing their address.

    Readers get their 'manage your topics' email, people who never confirmed (or left) a
    fresh confirmation; anyone else gets nothing. The caller answers the same either way.
    """
    subscriber = find_by_email(session, normalize_email(raw_email))
    if subscriber is None or is_suppressed(session, subscriber.email):
        return None, MailToSend.NONE
    if subscriber.status in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED):
        mail = MailToSend.MANAGE
    elif subscriber.status in (SubscriberStatus.PENDING, SubscriberStatus.UNSUBSCRIBED):
        mail = MailToSend.CONFIRM
    else:
        return None, MailToSend.NONE
    mail = throttle(subscriber, mail, now or utcnow())
    session.flush()
    return subscriber.id, mail


def _lock(session: Session, subscriber_id: int) -> Subscriber:
    """The subscriber row, locked until commit and freshly read (topics included).

    Two requests for the same person (double-clicked sign-up, two tabs saving topics)
    then run one after the other instead of both rewriting the same subscription rows.
    SQLite has no row locks and serializes writers anyway.
    """
    subscriber = session.scalar(
        select(Subscriber).where(Subscriber.id == subscriber_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if subscriber is None:
        raise NotFound("We could not find this subscription. It may have been erased.")
    session.expire(subscriber, ["subscriptions"])
    return subscriber


def _replace_topics(session: Session, subscriber: Subscriber, topics: list[Topic]) -> TopicChange:
    """Make the live topics exactly `topics`; subscriptions to archived topics stay untouched."""
    live = set(session.scalars(select(Topic.id).where(Topic.archived_at.is_(None))))
    current = {s.topic_id: s for s in subscriber.subscriptions if s.topic_id in live}
    wanted = {t.id for t in topics}
    removed = [s for tid, s in current.items() if tid not in wanted]
    for sub in removed:
        subscriber.subscriptions.remove(sub)
    added = [t for t in topics if t.id not in current]
    for topic in added:
        subscriber.subscriptions.append(Subscription(topic_id=topic.id))
    session.flush()
    names = {t.id: t.name for t in session.scalars(select(Topic).where(Topic.id.in_(current)))}
    return TopicChange(
        added=[t.name for t in added], removed=[names.get(s.topic_id, "") for s in removed]
    )


def confirm(session: Session, subscriber_id: int, now: datetime | None = None,
            list_zone: str = defaults.LIST_TIMEZONE) -> Subscriber:
    """Consent, recorded as confirmed_at (a new one each time someone comes back)."""
    subscriber = get_subscriber(session, subscriber_id)
    if subscriber.status in (SubscriberStatus.PENDING, SubscriberStatus.UNSUBSCRIBED):
        subscriber.status = SubscriberStatus.ACTIVE
        subscriber.confirmed_at = now or utcnow()
        subscriber.unsubscribed_at = None
        timing.reschedule(subscriber, list_zone, subscriber.confirmed_at)
        suppression.lift_erasure(session, subscriber.email)
        webhooks.emit(session, "subscriber.confirmed", webhooks.subscriber_data(subscriber),
                      subscriber.confirmed_at)
    return subscriber


def set_topics(session: Session, subscriber_id: int, slugs: list[str]) -> TopicChange:
    """Check and uncheck: the subscriber ends with exactly these topics."""
    subscriber = _lock(session, subscriber_id)
    return _replace_topics(session, subscriber, topics_by_slug(session, slugs))


def pause(
    session: Session, subscriber_id: int, choice: str, now: datetime | None = None
) -> Subscriber:
    if choice not in PAUSE_CHOICES:
        raise ValidationError("Choose how long to pause.", field="pause")
    subscriber = get_subscriber(session, subscriber_id)
    if subscriber.status not in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED):
        raise ValidationError("Only an active subscription can be paused.", field="pause")
    length = PAUSE_CHOICES[choice]
    now = now or utcnow()
    if subscriber.status == SubscriberStatus.ACTIVE and subscriber.cadence == Cadence.EDITION:
        # what they were told up to: the catch-up after the pause starts here (a daily or
        # weekly reader's last briefing already says it, and stays put while paused)
        subscriber.last_briefing_at = now
    subscriber.status = SubscriberStatus.PAUSED
    subscriber.paused_until = now + length if length else None
    return subscriber


def resume(session: Session, subscriber_id: int, now: datetime | None = None,
           list_zone: str = defaults.LIST_TIMEZONE) -> Subscriber:
    subscriber = get_subscriber(session, subscriber_id)
    if subscriber.status == SubscriberStatus.PAUSED:
        _back_from_pause(subscriber, now or utcnow(), list_zone)
    return subscriber


def _back_from_pause(subscriber: Subscriber, now: datetime, list_zone: str) -> None:
    """Active again. A reader on the edition cadence is due a one-off catch-up briefing at
    the next tick (delivery/briefings: what their topics published while they were paused
    and no edition brought them); daily and weekly readers catch up at their next slot,
    the first one after `now` (timing.reschedule)."""
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.paused_until = None
    if subscriber.cadence == Cadence.EDITION:
        if subscriber.last_briefing_at is not None:
            subscriber.next_briefing_at = now
    else:
        timing.reschedule(subscriber, list_zone, now)


def unsubscribe(session: Session, subscriber_id: int, now: datetime | None = None,
                edition_id: int | None = None) -> Subscriber:
    """Immediate and idempotent; topics are kept so 'resubscribe' can undo it. `edition_id`:
    the edition whose link they used (checked by the caller: they received it)."""
    subscriber = get_subscriber(session, subscriber_id)
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = now or utcnow()
        subscriber.unsubscribed_edition_id = edition_id
        subscriber.next_briefing_at = None
        webhooks.emit(session, "subscriber.unsubscribed", webhooks.subscriber_data(subscriber),
                      subscriber.unsubscribed_at)
    return subscriber


def resubscribe(session: Session, subscriber_id: int,
                list_zone: str = defaults.LIST_TIMEZONE) -> Subscriber:
    """Undo an unsubscribe from the page shown right after it (the address was confirmed)."""
    subscriber = get_subscriber(session, subscriber_id)
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED and subscriber.confirmed_at:
        subscriber.status = SubscriberStatus.ACTIVE
        subscriber.unsubscribed_at = None
        subscriber.unsubscribed_edition_id = None
        timing.reschedule(subscriber, list_zone)
    return subscriber


def export_data(session: Session, subscriber_id: int) -> dict[str, Any]:
    subscriber = get_subscriber(session, subscriber_id)
    topics = session.scalars(
        select(Topic).join(Subscription).where(Subscription.subscriber_id == subscriber.id)
    )

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "topics": [{"slug": t.slug, "name": t.name} for t in topics],
        "created_at": iso(subscriber.created_at),
        "confirmed_at": iso(subscriber.confirmed_at),
        "unsubscribed_at": iso(subscriber.unsubscribed_at),
        "paused_until": iso(subscriber.paused_until),
        "timezone": subscriber.timezone,  # null: the list's time zone
        "cadence": subscriber.cadence,
        "briefing_hour": subscriber.briefing_hour,
        "briefing_weekday": subscriber.briefing_weekday,  # 0 = Monday
        "last_briefing_at": iso(subscriber.last_briefing_at),
        "next_briefing_at": iso(subscriber.next_briefing_at),
        **retention.activity(session, subscriber),
        "clicks": reader_clicks(session, subscriber.id),
        "opens": reader_opens(session, subscriber.id),
    }


def erase(session: Session, subscriber_id: int) -> None:
    """Delete the person; keep only a keyed hash so an import cannot re-add them by mistake."""
    subscriber = get_subscriber(session, subscriber_id)
    suppression.suppress(session, subscriber.email, reason=suppression.ERASED)
    webhooks.emit(session, "subscriber.erased", webhooks.subscriber_data(subscriber))
    session.execute(delete(Click).where(Click.subscriber_id == subscriber.id))
    session.execute(delete(Open).where(Open.subscriber_id == subscriber.id))
    session.delete(subscriber)
    session.flush()


def suppress(session: Session, address: str, reason: str) -> None:
    suppression.suppress(session, address, reason)


def resume_due_pauses(session: Session, now: datetime | None = None,
                      list_zone: str = defaults.LIST_TIMEZONE) -> int:
    """Paused-for-N-weeks subscribers become active again when their pause ends (their
    next briefing: the first slot after now)."""
    now = now or utcnow()
    due = session.scalars(
        select(Subscriber).where(
            Subscriber.status == SubscriberStatus.PAUSED,
            Subscriber.paused_until.is_not(None),
            Subscriber.paused_until <= now,
        )
    ).all()
    for subscriber in due:
        _back_from_pause(subscriber, now, list_zone)
    return len(due)


def count_audience(session: Session, topic_ids: Any) -> int:
    """How many readers follow at least one of these topics."""
    reach = audience(topic_ids).subquery()
    return int(session.scalar(select(func.count(func.distinct(reach.c.subscriber_id)))) or 0)


def count_by_topic(session: Session, *, editions: bool = False) -> dict[int, int]:
    """Readers per topic: all of them (the dashboard's counts), or with `editions` only
    those an edition reaches (an unsent edition's estimate)."""
    reach = audience(editions=editions).subquery()
    rows = session.execute(
        select(reach.c.topic_id, func.count()).group_by(reach.c.topic_id))
    return {tid: n for tid, n in rows}




def mark_bounced(session: Session, subscriber_id: int, reason: str) -> Subscriber | None:
    """The address does not work: stop mailing it. People who already left stay as they are."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return None
    subscriber.bounce_reason = reason[:500]
    if subscriber.status in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED,
                             SubscriberStatus.PENDING):
        subscriber.status = SubscriberStatus.BOUNCED
        webhooks.emit(session, "subscriber.bounced",
                      {**webhooks.subscriber_data(subscriber), "reason": subscriber.bounce_reason})
    return subscriber


def complain(session: Session, subscriber_id: int, now: datetime | None = None) -> Subscriber | None:
    """A spam complaint: unsubscribe at once and never mail the address again."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return None
    unsubscribe(session, subscriber_id, now)
    suppress(session, subscriber.email, reason="complaint")
    webhooks.emit(session, "subscriber.complained", webhooks.subscriber_data(subscriber), now)
    return subscriber


class Recipient(NamedTuple):
    email: str
    status: str
    token_version: int


def addresses(session: Session, subscriber_ids: list[int]) -> dict[int, Recipient]:
    """subscriber id → (email, status, token_version), read at send time so late
    unsubscribes (and revoked links) are honoured."""
    rows = session.execute(
        select(Subscriber.id, Subscriber.email, Subscriber.status, Subscriber.token_version)
        .where(Subscriber.id.in_(subscriber_ids))
    )
    return {sid: Recipient(email, status, version) for sid, email, status, version in rows}
