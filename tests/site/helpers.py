"""Shared set-ups for public site tests: topics with published, draft and older updates."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from newsletter.editorial.updates import SourceInput
from newsletter.models import Edition, EditionItem, EditionStatus, Topic, TopicUpdate, utcnow
from tests.factories import make_topic, make_update

SEED_SOURCES = [
    SourceInput("https://www.france24.com/ukraine", "Blinken, Lavrov to hold fresh talks",
                "France 24", "https://img.example/talks.jpg", 3),
    SourceInput("https://www.ft.com/ukraine-un", "US and Russia clash at the UN",
                "Financial Times", None, 5),
    SourceInput("https://www.washingtonpost.com/ukraine", "Diplomacy behind the scenes",
                "The Washington Post", None, 6),
    SourceInput("https://www.nytimes.com/ukraine", "Written replies on security demands",
                "The New York Times", None, 4),
]


def seed_topic(session: Session, slug: str = "ukraine", older: int = 1) -> tuple[Topic, TopicUpdate]:
    """A topic whose latest update is the seed page, with `older` earlier updates before it."""
    topic = make_topic(session, slug, name="Russia and Ukraine",
                       description="Diplomacy and the front line.")
    start = utcnow() - timedelta(days=older + 1)
    for i in range(older):
        update = make_update(session, topic, f"Earlier update number {i + 1}")
        update.published_at = start + timedelta(days=i)
    latest = make_update(
        session, topic, "Can Diplomacy Still Avert War in Ukraine?",
        lede="A diplomatic resolution looks remote—but talks continue this week.",
        bullets=["The US and Russia faced off in the United Nations on Monday."],
        background=["The Kremlin wants NATO to cease military activity in Eastern Europe.",
                    "The US and NATO have flatly refused."],
        sources=SEED_SOURCES, featured=0, article_count=4,
    )
    latest.curator_name = "informed"
    session.flush()
    return topic, latest


def sent_edition(session: Session, updates: list[TopicUpdate], subject: str = "Morning briefing",
                 public: bool = True, status: str = EditionStatus.SENT) -> Edition:
    now = utcnow()
    edition = Edition(subject=subject, send_at=now, status=status, public=public,
                      finished_at=now if status == EditionStatus.SENT else None)
    edition.items = [EditionItem(update_id=u.id, position=i) for i, u in enumerate(updates)]
    session.add(edition)
    session.flush()
    return edition
