"""Briefing test helpers: readers on a cadence in a zone, updates published at a chosen
moment, and a tick at a fake time whose digests are sent through the real batch path."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.jobs import tick
from newsletter.models import Edition, Subscriber, Topic, TopicUpdate
from newsletter.runtime import Runtime
from newsletter.subscribers.reader_time import next_briefing_at, zone_of
from tests.factories import make_subscriber, make_update
from tests.support.delivery import Sender
from tests.support.smtp import SmtpSink


def reader(session: Session, email: str, topics: list[Topic], *, cadence: str = "daily",
           zone: str | None = "UTC", hour: int = 7, weekday: int | None = None,
           since: datetime, status: str = "active") -> Subscriber:
    """A confirmed reader whose last briefing was at `since` and whose next slot follows it."""
    slot = next_briefing_at(cadence, hour, weekday, zone_of(zone, "UTC"), since)
    return make_subscriber(session, email, topics, status=status, cadence=cadence,
                           timezone=zone, briefing_hour=hour, briefing_weekday=weekday,
                           last_briefing_at=since, next_briefing_at=slot, confirmed_at=since)


def publish(session: Session, topic: Topic, headline: str, at: datetime) -> TopicUpdate:
    update = make_update(session, topic, headline)
    update.published_at = update.created_at = at
    session.flush()
    return update


def editions_of_kind(runtime: Runtime, kind: str) -> list[int]:
    with runtime.Session() as s:
        return list(s.scalars(select(Edition.id).where(Edition.kind == kind).order_by(Edition.id)))


class Clock:
    """Ticks at fake moments; each tick's new briefing editions are drained into the sink."""

    def __init__(self, runtime: Runtime, smtp: SmtpSink) -> None:
        self.runtime = runtime
        self.smtp = smtp
        self.sender = Sender(runtime, smtp.url)
        self.seen: set[int] = set()
        self.arrivals: dict[str, list[datetime]] = defaultdict(list)

    def tick(self, now: datetime) -> list[int]:
        self.sender.now = now
        before = len(self.smtp.messages)
        tick(now)
        new = []
        with self.runtime.Session() as s:
            ids = s.scalars(select(Edition.id).where(Edition.kind != "edition")).all()
        for edition_id in ids:
            if edition_id not in self.seen:
                self.seen.add(edition_id)
                new.append(edition_id)
                self.sender.drain(edition_id)
        for received in self.smtp.messages[before:]:
            for rcpt in received.rcpt_tos:
                self.arrivals[rcpt].append(now)
        return new


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def subscriber_state(runtime: Runtime, email: str) -> Subscriber:
    with runtime.Session() as s:
        found = s.scalar(select(Subscriber).where(Subscriber.email == email))
        assert found is not None
        s.expunge(found)
        return found
