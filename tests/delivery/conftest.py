"""Fixtures for delivery tests; the helpers they build on live in tests/support/delivery.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from newsletter.models import Topic
from newsletter.runtime import Runtime
from tests.factories import make_topic
from tests.support.delivery import Sender, bulk_subscribers, scheduled_edition, start


@pytest.fixture
def sender(runtime: Runtime, smtp) -> Sender:  # noqa: ANN001
    return Sender(runtime, smtp.url)


@pytest.fixture
def topics(db: Session) -> list[Topic]:
    made = [make_topic(db, slug) for slug in ("world", "climate", "tech")]
    db.commit()
    return made


@pytest.fixture
def edition_factory(db: Session, runtime: Runtime, topics: list[Topic]
                    ) -> Callable[..., tuple[int, list[str]]]:
    """make(count) → (started edition id, recipient addresses)."""

    def make(count: int, *, subject: str = "Today", prefix: str = "reader",
             begin: bool = True) -> tuple[int, list[str]]:
        emails = bulk_subscribers(db, count, topics, prefix)
        edition_id = scheduled_edition(db, topics, subject)
        if begin:
            assert start(runtime, edition_id) == count
        return edition_id, emails

    return make
