"""A runtime with VERP on, and a sent edition whose copies can come back."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from newsletter.bounces.verp import Verp
from newsletter.models import Delivery, Subscriber
from newsletter.runtime import Runtime
from tests.factories import make_token, make_topic
from tests.support.delivery import Sender, bulk_subscribers, scheduled_edition, start

ENVELOPE = "bounces@news.example.test"


@pytest.fixture
def verp_runtime(runtime: Runtime) -> Runtime:
    runtime.settings = dataclasses.replace(runtime.settings, envelope_from=ENVELOPE)
    return runtime


@pytest.fixture
def verp(verp_runtime: Runtime) -> Verp:
    return Verp(ENVELOPE, verp_runtime.settings.secret_key)


@dataclass
class SentEdition:
    edition_id: int
    emails: list[str]
    subscriber_ids: dict[str, int]
    message_ids: dict[str, str]


@pytest.fixture
def send_edition(db, verp_runtime, smtp) -> Callable[..., SentEdition]:
    """Send a real edition through the SMTP sink to `count` readers; what went out."""

    def send(count: int = 3, prefix: str = "reader") -> SentEdition:
        topics = [make_topic(db)]
        emails = bulk_subscribers(db, count, topics, prefix)
        edition_id = scheduled_edition(db, topics)
        start(verp_runtime, edition_id)
        Sender(verp_runtime, smtp.url).drain(edition_id)
        db.expire_all()
        ids = dict(db.execute(select(Subscriber.email, Subscriber.id)
                              .where(Subscriber.email.in_(emails))).all())
        mids = dict(db.execute(select(Subscriber.email, Delivery.message_id)
                               .join(Delivery, Delivery.subscriber_id == Subscriber.id)
                               .where(Delivery.edition_id == edition_id)).all())
        return SentEdition(edition_id, emails, ids, mids)

    return send


@pytest.fixture
def auth(db) -> dict[str, str]:
    token = make_token(db)
    db.commit()
    return {"Authorization": f"Bearer {token}"}
