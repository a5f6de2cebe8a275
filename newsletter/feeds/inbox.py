"""What editors read: a topic's recent articles and its stories with counts and outlets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..editorial.topics import get_topic
from ..models import Article, Story

MAX_LIMIT = 500


@dataclass
class StoryView:
    id: int
    headline: str
    locked: bool
    latest: datetime | None
    articles: list[Article] = field(default_factory=list)

    @property
    def article_count(self) -> int:
        return len(self.articles)

    @property
    def outlets(self) -> list[str]:
        seen: list[str] = []
        for article in self.articles:
            if article.outlet and article.outlet not in seen:
                seen.append(article.outlet)
        return seen


def clamp_limit(value: object, default: int = 100) -> int:
    try:
        limit = int(value) if value not in (None, "") else default  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default
    return max(1, min(limit, MAX_LIMIT))


def recent_articles(session: Session, topic_slug: str, limit: int = 100) -> list[Article]:
    topic = get_topic(session, topic_slug)
    return list(session.scalars(select(Article).where(Article.topic_id == topic.id)
                                .order_by(Article.published_at.desc(), Article.id.desc())
                                .limit(limit)))


def loose_articles(session: Session, topic_id: int, limit: int = 100) -> list[Article]:
    """A topic's newest articles that belong to no story yet."""
    return list(session.scalars(select(Article).where(
        Article.topic_id == topic_id, Article.story_id.is_(None)).order_by(
        Article.published_at.desc()).limit(limit)))


def story_article_ids(session: Session, topic_id: int, story_id: int, limit: int = 50) -> set[int]:
    """The articles of one of the topic's stories (an editor picks a story in the inbox)."""
    return set(session.scalars(select(Article.id).where(
        Article.story_id == story_id, Article.topic_id == topic_id).limit(limit)))


def stories(session: Session, topic_slug: str, limit: int = 50) -> list[StoryView]:
    """Stories by latest article, each with its articles oldest first (first outlet leads)."""
    topic = get_topic(session, topic_slug)
    latest = func.max(Article.published_at).label("latest")
    rows = session.execute(
        select(Story, latest).join(Article, Article.story_id == Story.id)
        .where(Story.topic_id == topic.id).group_by(Story.id)
        .order_by(latest.desc(), Story.id.desc()).limit(limit)
    ).all()
    views = {story.id: StoryView(story.id, story.headline, story.locked, when)
             for story, when in rows}
    if views:
        for article in session.scalars(select(Article).where(Article.story_id.in_(views))
                                       .order_by(Article.published_at, Article.id)):
            views[article.story_id].articles.append(article)  # type: ignore[index]
    return list(views.values())
