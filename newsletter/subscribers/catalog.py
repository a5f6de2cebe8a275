"""The topics on the sign-up page, with each one's latest headline, cached per process.

The page is the front door during a burst: its data is read once per CACHE_SECONDS per web
process (an index probe per topic, however many updates were ever published), and the
POST checks the chosen slugs against the same list, so neither touches the database.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..editorial.topics import list_topics
from ..models import TopicUpdate, UpdateStatus


@dataclass(frozen=True)
class TopicCard:
    slug: str
    name: str
    description: str
    latest: str | None  # headline of the latest published update


def load_cards(session: Session) -> list[TopicCard]:
    """Live topics in page order, each with its latest published headline."""
    cards = []
    for topic in list_topics(session):
        latest = session.scalar(
            select(TopicUpdate.headline)
            .where(TopicUpdate.topic_id == topic.id, TopicUpdate.status == UpdateStatus.PUBLISHED)
            .order_by(TopicUpdate.created_at.desc()).limit(1))
        cards.append(TopicCard(topic.slug, topic.name, topic.description, latest))
    return cards


class CardCache:
    """load_cards at most once per `seconds` (0: every time) for this process."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._value: tuple[float, list[TopicCard]] | None = None

    def get(self, session_factory, needed: list[str] | None = None  # noqa: ANN001 - a sessionmaker
            ) -> list[TopicCard]:
        """The cached cards; read again at once when `needed` names a slug they lack, so a
        topic added since the cache was filled (by another process) is never refused."""
        value = self._value
        if (value is not None and time.monotonic() - value[0] < self.seconds
                and not set(needed or ()) - {card.slug for card in value[1]}):
            return value[1]
        with self._lock, session_factory() as session:
            cards = load_cards(session)
        self._value = (time.monotonic(), cards)
        return cards
