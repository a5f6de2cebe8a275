"""Topics: the things subscribers choose and editors write about."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound, ValidationError
from ..models import Topic, utcnow
from .text import clean_text

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def list_topics(session: Session, include_archived: bool = False) -> list[Topic]:
    query = select(Topic).order_by(Topic.position, Topic.name)
    if not include_archived:
        query = query.where(Topic.archived_at.is_(None))
    return list(session.scalars(query))


def get_topic(session: Session, slug: str) -> Topic:
    if not isinstance(slug, str) or len(slug) > 64 or "\x00" in slug:
        raise NotFound("No such topic.")
    topic = session.scalar(select(Topic).where(Topic.slug == slug))
    if topic is None:
        raise NotFound(f"No topic '{slug[:64]}'.")
    return topic


def find_topic(session: Session, slug: str) -> Topic | None:
    """The topic with this slug, or None (for callers that answer a missing one themselves)."""
    try:
        return get_topic(session, slug)
    except NotFound:
        return None


def slug_of(session: Session, topic_id: int) -> str:
    """The topic's slug, "" when it is gone (a page to go back to after acting on a feed)."""
    topic = session.get(Topic, topic_id)
    return topic.slug if topic else ""


def create_topic(session: Session, slug: str, name: str, description: str = "",
                 public: bool = True) -> Topic:
    slug = clean_text(slug, "slug", max_len=64).lower()
    if not SLUG.match(slug):
        raise ValidationError("Slug: lowercase letters, digits and single dashes.", field="slug")
    topic = Topic(
        slug=slug,
        name=clean_text(name, "name", max_len=120),
        description=clean_text(description, "description", max_len=500, required=False),
        public=public,
    )
    if session.scalar(select(Topic.id).where(Topic.slug == slug)) is not None:
        raise Conflict(f"A topic with slug '{slug}' already exists.", field="slug")
    session.add(topic)
    session.flush()
    return topic


def update_topic(session: Session, slug: str, name: str, description: str,
                 public: bool | None = None) -> Topic:
    """`public`: whether the topic has a page on the public site (None leaves it as it is)."""
    topic = get_topic(session, slug)
    if public is not None:
        topic.public = public
    topic.name = clean_text(name, "name", max_len=120)
    topic.description = clean_text(description, "description", max_len=500, required=False)
    return topic


def archive_topic(session: Session, slug: str) -> Topic:
    topic = get_topic(session, slug)
    topic.archived_at = topic.archived_at or utcnow()
    return topic


def restore_topic(session: Session, slug: str) -> Topic:
    """Undo an archive: the topic shows on the sign-up page again."""
    topic = get_topic(session, slug)
    topic.archived_at = None
    return topic
