"""Small steps most feed tests share: add a feed for a served path, poll it, read articles."""

from __future__ import annotations

from sqlalchemy import select

from newsletter.feeds.catalog import add_feed
from newsletter.feeds.service import PollResult, poll_feed
from newsletter.models import Article, Feed


def feed_for(db, url: str, topic: str = "climate", poll_minutes: int = 30) -> Feed:
    feed = add_feed(db, topic, url, poll_minutes, allow_private=True)
    db.commit()
    return feed


def poll(db, feed: Feed, settings, **kwargs) -> PollResult:
    result = poll_feed(db, feed.id, settings, **kwargs)
    db.expire_all()
    return result


def articles(db, feed: Feed | None = None) -> list[Article]:
    query = select(Article).order_by(Article.id)
    if feed is not None:
        query = query.where(Article.feed_id == feed.id)
    db.expire_all()
    return list(db.scalars(query))
