"""What the public site shows: only published updates of public, live topics, and sent public
editions. Every page is a fixed number of queries, whatever the number of updates or sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from ..errors import NotFound
from ..models import (
    Edition,
    EditionItem,
    EditionStatus,
    Topic,
    TopicUpdate,
    UpdateStatus,
)

TIMELINE = 20  # earlier updates shown under the latest one
ARCHIVE_PAGE = 30


def visible_topics() -> Select[tuple[Topic]]:
    return select(Topic).where(Topic.public.is_(True), Topic.archived_at.is_(None))


def published() -> Select[tuple[TopicUpdate]]:
    """Published updates of visible topics, newest first, with their topic and sources."""
    return (
        select(TopicUpdate)
        .join(TopicUpdate.topic)
        .where(TopicUpdate.status == UpdateStatus.PUBLISHED, Topic.public.is_(True),
               Topic.archived_at.is_(None))
        .options(contains_eager(TopicUpdate.topic), selectinload(TopicUpdate.sources))
        .order_by(TopicUpdate.published_at.desc(), TopicUpdate.id.desc())
    )


def public_editions() -> Select[tuple[Edition]]:
    return select(Edition).where(Edition.public.is_(True), Edition.status == EditionStatus.SENT)


@dataclass(frozen=True)
class TopicPage:
    topic: Topic
    updates: list[TopicUpdate]  # newest first; the first is the page's lead

    @property
    def latest(self) -> TopicUpdate | None:
        return self.updates[0] if self.updates else None

    @property
    def earlier(self) -> list[TopicUpdate]:
        return self.updates[1:]

    @property
    def modified(self) -> datetime:
        return max([self.topic.created_at, *(u.published_at or u.created_at for u in self.updates)])


def get_visible_topic(session: Session, slug: str) -> Topic:
    if not isinstance(slug, str) or len(slug) > 64 or "\x00" in slug:
        raise NotFound("No such topic.")
    topic = session.scalar(visible_topics().where(Topic.slug == slug))
    if topic is None:
        raise NotFound("No such topic.")
    return topic


def topic_page(session: Session, slug: str, limit: int = TIMELINE + 1) -> TopicPage:
    """Three queries: the topic, its latest published updates, and their sources."""
    topic = get_visible_topic(session, slug)
    updates = list(session.scalars(published().where(TopicUpdate.topic_id == topic.id).limit(limit)))
    return TopicPage(topic, updates)


@dataclass(frozen=True)
class TopicCard:
    topic: Topic
    latest: TopicUpdate | None


def home_cards(session: Session) -> list[TopicCard]:
    """Each visible topic with its latest published update: two queries."""
    topics = list(session.scalars(visible_topics().order_by(Topic.position, Topic.name)))
    newest = (
        select(TopicUpdate.topic_id, func.max(TopicUpdate.id).label("id"))
        .where(TopicUpdate.status == UpdateStatus.PUBLISHED,
               TopicUpdate.published_at == select(func.max(TopicUpdate.published_at))
               .where(TopicUpdate.status == UpdateStatus.PUBLISHED)
               .where(TopicUpdate.topic_id == Topic.id).correlate(Topic).scalar_subquery())
        .join(Topic, Topic.id == TopicUpdate.topic_id)
        .group_by(TopicUpdate.topic_id)
        .subquery()
    )
    latest = {u.topic_id: u for u in session.scalars(
        select(TopicUpdate).join(newest, and_(newest.c.id == TopicUpdate.id)))}
    return [TopicCard(t, latest.get(t.id)) for t in topics]


def archive_page(session: Session, page: int = 1) -> tuple[list[Edition], bool]:
    """Sent public editions, newest first, and whether an older page exists."""
    rows = list(session.scalars(
        public_editions().order_by(Edition.send_at.desc(), Edition.id.desc())
        .offset((page - 1) * ARCHIVE_PAGE).limit(ARCHIVE_PAGE + 1)
    ))
    return rows[:ARCHIVE_PAGE], len(rows) > ARCHIVE_PAGE


@dataclass(frozen=True)
class EditionPage:
    edition: Edition
    updates: list[TopicUpdate]

    @property
    def modified(self) -> datetime:
        return self.edition.finished_at or self.edition.send_at


def edition_updates(session: Session, edition_id: int, mask: int | None = None) -> list[TopicUpdate]:
    """The edition's updates in editorial order. Without `mask`: what the public may see.
    With `mask`: exactly the items a reader's copy carried (bit i = item position i, as in
    the delivery ledger), whatever the topic's public flag, since it is their own copy."""
    query = (
        select(TopicUpdate, EditionItem.position)
        .join(EditionItem, EditionItem.update_id == TopicUpdate.id)
        .join(TopicUpdate.topic)
        .where(EditionItem.edition_id == edition_id, TopicUpdate.status == UpdateStatus.PUBLISHED)
        .options(contains_eager(TopicUpdate.topic), selectinload(TopicUpdate.sources))
        .order_by(EditionItem.position)
    )
    if mask is None:
        query = query.where(Topic.public.is_(True), Topic.archived_at.is_(None))
    rows = session.execute(query).all()
    return [u for u, position in rows if mask is None or mask >> position & 1]


def edition_page(session: Session, edition_id: int) -> EditionPage:
    edition = session.scalar(public_editions().where(Edition.id == edition_id))
    if edition is None:
        raise NotFound("No such edition.")
    return EditionPage(edition, edition_updates(session, edition_id))


def web_copy_page(session: Session, edition_id: int, mask: int) -> EditionPage:
    """A reader's "View in browser" copy: any edition that has started sending."""
    edition = session.get(Edition, edition_id)
    if edition is None or edition.status == EditionStatus.SCHEDULED:
        raise NotFound("No such edition.")
    return EditionPage(edition, edition_updates(session, edition_id, mask))


FEED_EDITIONS = 20


def archive_feed_entries(session: Session) -> list[tuple[Edition, list[TopicUpdate]]]:
    """The newest public editions with their visible updates: three queries in all."""
    editions = list(session.scalars(
        public_editions().order_by(Edition.send_at.desc(), Edition.id.desc()).limit(FEED_EDITIONS)))
    by_edition: dict[int, list[TopicUpdate]] = {e.id: [] for e in editions}
    if editions:
        rows = session.execute(
            published().add_columns(EditionItem.edition_id)
            .join(EditionItem, EditionItem.update_id == TopicUpdate.id)
            .where(EditionItem.edition_id.in_(by_edition))
            .order_by(None).order_by(EditionItem.edition_id, EditionItem.position)
        ).all()
        for update, edition_id in rows:
            by_edition[edition_id].append(update)
    return [(e, by_edition[e.id]) for e in editions]


def sitemap_entries(session: Session) -> tuple[list[tuple[str, datetime | None]],
                                               list[tuple[int, datetime]]]:
    """(topic slug, last update) and (edition id, sent) for sitemap.xml: two queries."""
    topics = session.execute(
        select(Topic.slug, func.max(TopicUpdate.published_at))
        .outerjoin(TopicUpdate, and_(TopicUpdate.topic_id == Topic.id,
                                     TopicUpdate.status == UpdateStatus.PUBLISHED))
        .where(Topic.public.is_(True), Topic.archived_at.is_(None))
        .group_by(Topic.id, Topic.slug, Topic.position, Topic.name)
        .order_by(Topic.position, Topic.name)
    ).all()
    editions = session.execute(
        select(Edition.id, Edition.send_at).where(Edition.public.is_(True),
                                                  Edition.status == EditionStatus.SENT)
        .order_by(Edition.send_at.desc()).limit(5000)
    ).all()
    return [(s, d) for s, d in topics], [(i, d) for i, d in editions]
