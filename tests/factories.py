"""Test data with sensible defaults: make_x(session, **overrides), never copied setup."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from newsletter.accounts.service import create_editor, create_token
from newsletter.editorial.topics import create_topic
from newsletter.editorial.updates import SourceInput, UpdateInput, create_update
from newsletter.models import Article, Editor, Subscriber, Subscription, Topic, TopicUpdate, utcnow
from tests.support.admin import PASSWORD

_seq = itertools.count(1)


def make_topic(session: Session, slug: str | None = None, **overrides: Any) -> Topic:
    n = next(_seq)
    slug = slug or f"topic-{n}"
    return create_topic(session, slug, overrides.get("name", slug.replace("-", " ").title()),
                        overrides.get("description", f"All about {slug}."))


def make_subscriber(session: Session, email: str | None = None, topics: list[Topic] | None = None,
                    status: str = "active", **overrides: Any) -> Subscriber:
    email = email or f"reader{next(_seq)}@example.com"
    now = utcnow()
    overrides.setdefault("confirmed_at", now if status != "pending" else None)
    subscriber = Subscriber(email=email, email_key=email.lower(), status=status, **overrides)
    subscriber.subscriptions = [Subscription(topic_id=t.id) for t in topics or []]
    session.add(subscriber)
    session.flush()
    return subscriber


def make_update(session: Session, topic: Topic, headline: str | None = None,
                **overrides: Any) -> TopicUpdate:
    headline = headline or f"What changed in {topic.name} today"
    data = UpdateInput(
        headline=headline,
        lede=overrides.pop("lede", f"The latest on {topic.name}, in a few lines."),
        bullets=overrides.pop("bullets", ["First development.", "Second development."]),
        background=overrides.pop("background", ["How we got here."]),
        sources=overrides.pop("sources", [
            SourceInput(f"https://news.example/{topic.slug}/1", f"{headline}: report",
                        "Financial Times", None, 3),
            SourceInput(f"https://news.example/{topic.slug}/2", "Analysis", "The Washington Post",
                        None, 5),
        ]),
        featured=overrides.pop("featured", 0),
        **overrides,
    )
    return create_update(session, topic.slug, data)


def make_editor(session: Session, email: str | None = None, password: str = PASSWORD,
                role: str = "editor", name: str = "Test Editor") -> Editor:
    return create_editor(session, email or f"editor{next(_seq)}@example.com", password,
                         name=name, role=role)


def make_token(session: Session, editor: Editor | None = None) -> str:
    return create_token(session, editor or make_editor(session))


SEED_ARTICLES = [
    ("France 24", "Blinken, Lavrov to hold fresh talks on Ukraine crisis as UK’s Johnson heads to Kyiv", 3),
    ("Financial Times", "US and Russia clash at the UN over Ukraine", 5),
    ("The Washington Post", "Diplomacy continues behind the scenes", 6),
    ("The New York Times", "What Russia wants from NATO", 7),
    ("Reuters", "Troops remain massed on the border", 2),
]


def make_inbox(session: Session, topic: Topic,
               articles: list[tuple[str, str, int]] = SEED_ARTICLES) -> list[Article]:
    """Articles a feed brought in for this topic (newest first in the inbox)."""
    now = utcnow()
    rows = []
    for i, (outlet, title, minutes) in enumerate(articles):
        url = f"https://news.example/{topic.slug}/{i}"
        rows.append(Article(
            topic_id=topic.id, guid=url, url=url, canonical_url=url, title=title, outlet=outlet,
            summary="", image_url=f"https://img.example/{topic.slug}-{i}.jpg",
            reading_minutes=minutes, published_at=now - timedelta(hours=i),
        ))
    session.add_all(rows)
    session.flush()
    return rows
