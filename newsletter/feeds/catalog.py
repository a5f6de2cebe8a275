"""Adding, finding and listing feeds: the editor-facing side of the Feed table."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..editorial.text import clean_text
from ..editorial.topics import get_topic
from ..errors import Conflict, ValidationError
from ..lookup import get_or_404
from ..models import Article, Feed, FeedStatus, utcnow
from ..urls import normalize_url
from .ssrf import UnsafeURL, check_url

MIN_POLL_MINUTES = 1
MAX_POLL_MINUTES = 7 * 24 * 60
DEFAULT_POLL_MINUTES = 30


def clean_poll_minutes(value: object) -> int:
    if value is None or value == "":
        return DEFAULT_POLL_MINUTES
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError("poll_minutes must be a whole number of minutes.", field="poll_minutes")
    try:
        minutes = int(value)
    except ValueError as exc:
        raise ValidationError("poll_minutes must be a whole number of minutes.",
                              field="poll_minutes") from exc
    if not MIN_POLL_MINUTES <= minutes <= MAX_POLL_MINUTES:
        raise ValidationError(
            f"poll_minutes must be between {MIN_POLL_MINUTES} and {MAX_POLL_MINUTES}.",
            field="poll_minutes")
    return minutes


def clean_feed_url(value: object, allow_private: bool) -> str:
    """An http(s) URL whose host is not private (unless allowed). Unresolvable hosts pass:
    the fetch checks again on every connection and records the error."""
    url = clean_text(value, "url", max_len=2000)
    try:
        check_url(url, allow_private, resolve_host=False)
        clean = normalize_url(url)
        if clean is None:
            raise ValidationError("url must be an absolute http(s) URL.", field="url")
        url = clean
        check_url(url, allow_private)
    except UnsafeURL as exc:
        if "resolve" not in str(exc):
            raise ValidationError(str(exc), field="url") from exc
    return url


def add_feed(session: Session, topic_slug: str, url: object, poll_minutes: object = None, *,
             allow_private: bool = False, title: str = "") -> Feed:
    topic = get_topic(session, topic_slug)
    clean = clean_feed_url(url, allow_private)
    minutes = clean_poll_minutes(poll_minutes)
    exists = session.scalar(select(Feed.id).where(Feed.topic_id == topic.id, Feed.url == clean))
    if exists is not None:
        raise Conflict("This topic already has that feed.", field="url")
    feed = Feed(topic_id=topic.id, url=clean, poll_minutes=minutes, status=FeedStatus.NEW,
                title=clean_text(title, "title", max_len=300, required=False),
                next_poll_at=utcnow())
    session.add(feed)
    session.flush()
    return feed


def get_feed(session: Session, feed_id: int) -> Feed:
    return get_or_404(session, Feed, feed_id, f"No feed {feed_id}.")


def list_feeds(session: Session, topic_slug: str) -> list[Feed]:
    topic = get_topic(session, topic_slug)
    return list(session.scalars(select(Feed).where(Feed.topic_id == topic.id).order_by(Feed.id)))


def articles_per_feed(session: Session, topic_id: int) -> dict[int, int]:
    """How many articles each of a topic's feeds brought in (feed id -> count)."""
    return dict(session.execute(select(Article.feed_id, func.count()).where(  # type: ignore[arg-type]
        Article.topic_id == topic_id).group_by(Article.feed_id)).all())


def feeds_per_topic(session: Session, failing: bool = False) -> dict[int, int]:
    """Feeds per topic id; with `failing`, only those whose last polls failed."""
    query = select(Feed.topic_id, func.count()).group_by(Feed.topic_id)
    if failing:
        query = query.where(Feed.failures > 0)
    return dict(session.execute(query).all())  # type: ignore[arg-type]


def enable_feed(session: Session, feed_id: int) -> Feed:
    """Give a disabled (e.g. 410 Gone) feed another chance, from a clean slate."""
    feed = get_feed(session, feed_id)
    feed.disabled = False
    feed.failures = 0
    feed.status = FeedStatus.NEW
    feed.next_poll_at = utcnow()
    return feed


def delete_feed(session: Session, feed_id: int) -> None:
    """Articles stay (feed_id becomes NULL): they may already be in updates."""
    session.delete(get_feed(session, feed_id))
    session.flush()
