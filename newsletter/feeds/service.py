"""One poll of one feed, start to finish, with the outcome written on the Feed.

poll_feed owns its transactions: it reads the feed, ends the transaction before any
network I/O (no row or connection is held while a slow server answers), then writes the
articles and the feed's new state in a second one. A broken feed is recorded, never raised.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from ..config import Settings
from ..errors import NotFound
from ..models import Feed, FeedStatus, utcnow
from . import grouping
from .fetch import FetchResult, HostSlots, fetch
from .parse import NotAFeed, parse_feed
from .settings import FeedSettings
from .store import insert_new, store_entries

log = logging.getLogger(__name__)
DISABLED = "disabled"


@dataclass
class PollResult:
    feed_id: int
    status: str
    new: int = 0
    updated: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _feed_settings(settings: Settings | FeedSettings) -> FeedSettings:
    return settings if isinstance(settings, FeedSettings) else FeedSettings.from_settings(settings)


def backoff_seconds(feed: Feed, fs: FeedSettings, retry_after: int | None = None) -> int:
    """Twice the poll interval after one failure, doubling each time, capped; never sooner
    than the server's Retry-After."""
    base = max(60, feed.poll_minutes * 60)
    delay = min(base * 2 ** min(feed.failures, 20), fs.max_backoff_seconds)
    if retry_after is not None:
        delay = max(delay, min(retry_after, fs.max_retry_after_seconds))
    return int(delay)


def _failed(feed: Feed, fs: FeedSettings, now: datetime, error: str,
            retry_after: int | None = None) -> None:
    feed.failures += 1
    feed.status = FeedStatus.ERROR
    feed.last_error = error[:2000]
    feed.last_fetched_at = now
    feed.next_poll_at = now + timedelta(seconds=backoff_seconds(feed, fs, retry_after))


def _succeeded(feed: Feed, now: datetime, status: FeedStatus, fetched: FetchResult) -> None:
    feed.failures = 0
    feed.status = status
    feed.last_fetched_at = now
    feed.next_poll_at = now + timedelta(minutes=feed.poll_minutes)
    if fetched.etag or status == FeedStatus.OK:
        feed.etag = (fetched.etag or None) and fetched.etag[:500]
    if fetched.last_modified or status == FeedStatus.OK:
        feed.last_modified = (fetched.last_modified or None) and fetched.last_modified[:100]


def poll_feed(session: Session, feed_id: int, settings: Settings | FeedSettings, *,
              now: datetime | None = None, client: httpx.Client | None = None,
              hosts: HostSlots | None = None) -> PollResult:
    """Fetch, parse, store and group one feed; returns what happened (never raises for the feed).

    `hosts` bounds the fetches to one host when a job polls several feeds at once.
    """
    fs = _feed_settings(settings)
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise NotFound(f"No feed {feed_id}.")
    if feed.disabled:
        return PollResult(feed_id, DISABLED, error=feed.last_error or "This feed is disabled.")
    url, etag, last_modified = feed.url, feed.etag, feed.last_modified
    session.commit()  # no transaction stays open while we wait on the network
    try:
        with hosts.slot(url) if hosts is not None else nullcontext():
            fetched = fetch(url, fs, etag=etag, last_modified=last_modified, client=client)
    except Exception as exc:  # fetch maps network trouble itself; this is the last resort
        log.exception("fetch of feed %s failed", feed_id)
        fetched = FetchResult(error=f"Could not fetch: {type(exc).__name__}.")
    now = now or utcnow()
    try:
        result = _record(session, feed_id, fs, fetched, now)
        session.commit()
        return result
    except Exception as exc:  # a bug or a database hiccup must not take the worker down
        session.rollback()
        log.exception("poll of feed %s failed", feed_id)
        feed = session.get(Feed, feed_id)
        if feed is None:
            raise
        message = f"Internal error while storing entries: {type(exc).__name__}."
        _failed(feed, fs, now, message)
        session.commit()
        return PollResult(feed_id, FeedStatus.ERROR, error=message)


def _record(session: Session, feed_id: int, fs: FeedSettings, fetched: FetchResult,
            now: datetime) -> PollResult:
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise NotFound(f"No feed {feed_id}.")
    if fetched.not_modified:
        _succeeded(feed, now, FeedStatus.NOT_MODIFIED, fetched)
        feed.last_error = None
        return PollResult(feed_id, FeedStatus.NOT_MODIFIED)
    if fetched.gone:
        feed.status = FeedStatus.GONE
        feed.disabled = True
        feed.last_error = fetched.error
        feed.last_fetched_at = now
        feed.next_poll_at = None
        return PollResult(feed_id, FeedStatus.GONE, error=fetched.error)
    if fetched.error or fetched.content is None:
        error = fetched.error or "Empty response."
        _failed(feed, fs, now, error, fetched.retry_after)
        return PollResult(feed_id, FeedStatus.ERROR, error=error)
    try:
        parsed = parse_feed(fetched.content, content_type=fetched.content_type,
                            base_url=fetched.final_url or feed.url)
    except NotAFeed as exc:
        _failed(feed, fs, now, str(exc))
        return PollResult(feed_id, FeedStatus.ERROR, error=str(exc))
    stored = store_entries(session, feed, parsed, now)
    # place new articles in stories before inserting them: one INSERT with story_id set,
    # no UPDATE pass, and the topic lock is taken before this poll writes any article
    grouping.assign(session, feed.topic_id, stored.new, now=now)
    insert_new(session, stored)
    # the feed's changes last, so they go out in one UPDATE at the commit (set before the
    # articles, an autoflush would send the title in an UPDATE of its own); store_entries
    # names the outlet from the parsed title when the feed has none, as it would from this
    if not feed.title and parsed.title:
        feed.title = parsed.title[:300]
    if parsed.site_url and not feed.site_url:
        feed.site_url = parsed.site_url
    _succeeded(feed, now, FeedStatus.OK, fetched)
    feed.entries_found = len(parsed.entries)
    feed.last_error = f"Warning: {parsed.warning}" if parsed.warning else None
    return PollResult(feed_id, FeedStatus.OK, new=len(stored.new), updated=stored.updated)
