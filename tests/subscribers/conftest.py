"""Fixtures shared by the reader-facing tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from newsletter.models import Subscriber
from tests.factories import make_subscriber, make_topic


@pytest.fixture
def reader(db: Session) -> Subscriber:
    """An active reader of "World", with "Climate" on offer but not chosen (a test module
    may define its own `reader`)."""
    world = make_topic(db, "world", name="World")
    make_topic(db, "climate", name="Climate")
    row = make_subscriber(db, "reader@example.com", [world])
    db.commit()
    return row
