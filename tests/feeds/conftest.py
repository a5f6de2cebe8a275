"""Fixtures for feed tests: a local feed server and settings with small limits."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from newsletter.config import Settings
from newsletter.feeds.settings import FeedSettings
from tests.factories import make_topic

from .server import FeedServer

SMALL_LIMITS = {
    "feeds_connect_timeout": 2.0,
    "feeds_read_timeout": 0.5,
    "feeds_total_timeout": 3.0,
    "feeds_max_bytes": 256 * 1024,
}


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings (private addresses allowed) with test-sized fetch limits."""
    return dataclasses.replace(settings, **SMALL_LIMITS)


@pytest.fixture
def feed_settings(settings: Settings) -> FeedSettings:
    return FeedSettings.from_settings(settings)


@pytest.fixture
def topic(db):
    topic = make_topic(db, "climate")
    db.commit()
    return topic
