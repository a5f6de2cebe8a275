"""Delivery test helpers: bulk subscribers, a started edition, and direct batch sends.

Tests call the real `send_batch` in-process (what the RQ job does) so they can choose the
clock, the batch size and the failure window without environment juggling.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from newsletter.delivery import lifecycle
from newsletter.delivery.sender import BatchResult, send_batch
from newsletter.delivery.settings import SendSettings
from newsletter.editorial.editions import create_edition
from newsletter.mail.copies import Identity
from newsletter.mail.postman import Postman
from newsletter.mail.transport import SMTPTransport, Transport
from newsletter.models import Delivery, Subscriber, Subscription, Topic, utcnow
from newsletter.runtime import Runtime
from newsletter.subscribers.links import Links
from tests.factories import make_update


def bulk_subscribers(session: Session, count: int, topics: list[Topic], prefix: str = "reader"
                     ) -> list[str]:
    """`count` active subscribers, the i-th following topics[i % len(topics)]; their addresses."""
    now = utcnow()
    emails = [f"{prefix}{i}@example.com" for i in range(count)]
    ids = session.scalars(
        insert(Subscriber).returning(Subscriber.id, sort_by_parameter_order=True),
        [{"email": e, "email_key": e, "status": "active", "confirmed_at": now} for e in emails],
    ).all()
    session.execute(insert(Subscription), [
        {"subscriber_id": sid, "topic_id": topics[i % len(topics)].id} for i, sid in enumerate(ids)
    ])
    session.flush()
    return emails


def scheduled_edition(session: Session, topics: list[Topic], subject: str = "Today") -> int:
    updates = [make_update(session, t) for t in topics]
    edition = create_edition(session, subject, [u.id for u in updates], utcnow())
    session.commit()
    return edition.id


def start(runtime: Runtime, edition_id: int) -> int:
    with runtime.session() as session:
        return lifecycle.start(session, edition_id, list_name=runtime.settings.list_name,
                              base_url=runtime.settings.base_url)


def statuses(runtime: Runtime, edition_id: int) -> dict[str, int]:
    with runtime.Session() as session:
        return dict(session.execute(
            select(Delivery.status, func.count()).where(Delivery.edition_id == edition_id)
            .group_by(Delivery.status)).all())


def delivery_of(runtime: Runtime, edition_id: int, email: str) -> Delivery:
    with runtime.Session() as session:
        return session.scalars(select(Delivery).join(Subscriber).where(
            Delivery.edition_id == edition_id, Subscriber.email == email)).one()


class Sender:
    """Calls send_batch like send_batch_job does, with test-chosen settings and clock."""

    def __init__(self, runtime: Runtime, smtp_url: str) -> None:
        self.runtime = runtime
        self.smtp_url = smtp_url
        # flush points counted in outcomes only, so a test can say where a batch stops; the
        # age trigger (flush_seconds) has tests of its own with a timer they move
        self.settings = dataclasses.replace(SendSettings.from_settings(runtime.settings),
                                            retry_delays=(60, 300), flush_seconds=3600.0)
        self.timer: Callable[[], float] | None = None
        self.now: datetime | None = None

    def configure(self, **changes: Any) -> Sender:
        self.settings = dataclasses.replace(self.settings, **changes)
        return self

    def clock(self) -> datetime:
        return self.now or utcnow()

    def transport(self) -> Transport:
        return SMTPTransport(self.smtp_url, timeout=10)

    def postman(self, transport: Transport | None = None) -> Postman:
        """The service's postman (runtime settings) over this sink or the given transport."""
        return Postman.from_settings(self.runtime.settings, self.runtime.redis,
                                     transport=transport or self.transport())

    def batch(self, edition_id: int, transport: Transport | None = None) -> BatchResult:
        return send_batch(
            self.runtime.Session, self.runtime.redis, edition_id, self.postman(transport),
            Identity.from_settings(self.runtime.settings), Links.from_settings(self.runtime.settings),
            self.settings, clock=self.clock, editions=self.runtime.prepared_editions,
            timer=self.timer or time.monotonic,
        )

    def drain(self, edition_id: int, limit: int = 1000) -> list[BatchResult]:
        results = []
        for _ in range(limit):
            result = self.batch(edition_id)
            results.append(result)
            if not result.claimed or result.stopped:
                break
        return results


def tick_and_archive(runtime: Runtime, now: datetime) -> int:
    """The tick at `now`, then the archive run it queued, performed here as a worker would
    (other queued jobs stay queued): how many copies moved."""
    from newsletter.delivery.archive_job import archive_job
    from newsletter.jobs import tick

    if not tick(now=now)["archive_queued"]:
        return 0
    moved = 0
    for job in runtime.queue.get_jobs():
        if job.func_name.endswith(archive_job.__name__):
            runtime.queue.remove(job)
            moved += job.perform()["moved"]
    return moved
