"""Seed-sized topic updates (the format of shared/seed/topic-page-example.txt), for size and
speed checks: a long lede, four bullets, five background points, four outlets, a featured card."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from newsletter.editorial.updates import SourceInput, UpdateInput, create_update
from newsletter.models import Topic, TopicUpdate

BULLETS = [
    "The US and Russia faced off in the United Nations on Monday, with both sides accusing each "
    "other of ramping up tensions over Ukraine.",
    "Russia’s UN diplomat accused the US of “whipping up hysterics” even as some 100,000 Russian "
    "troops remain amassed on Ukraine’s border. The US accused Russia of endangering peace.",
    "But amid the impassioned war of words, diplomatic channels remained open behind the scenes, "
    "with Russia and the US exchanging written correspondence on Russian security demands.",
    "US Secretary of State Antony Blinken and Russian Foreign Minister Sergey Lavrov are scheduled "
    "to talk over the phone today even as fears of an imminent Russian invasion remain high.",
]
BACKGROUND = [
    "The Kremlin wants NATO to cease military activity in Eastern Europe and to restore a Cold "
    "War-era arrangement that ensures Russia's sway over former Soviet Bloc nations.",
    "The US and NATO have flatly refused, and say Eastern European countries should be free to "
    "dictate their own fate. But there’s room to work with one Russian demand: that Ukraine not "
    "join NATO.",
    "NATO promised Ukraine and Georgia in 2008 that they could join the alliance, though no date "
    "was given as to when. US President Joe Biden recently suggested membership remained a long "
    "way off.",
    "But it’s not at all clear the Kremlin would be satisfied with small compromises. Putin’s "
    "greater goal is to remake Europe’s security architecture and tip the balance of power toward "
    "Russia.",
    "Russia has been building-up its military for years. Western leaders now fear that Putin will "
    "put it to use in order to accomplish his geo-strategic goals.",
]
OUTLETS = ["France 24", "Financial Times", "The Washington Post", "The New York Times"]


def update_input(topic_name: str) -> UpdateInput:
    slug = topic_name.lower()
    return UpdateInput(
        headline=f"Can Diplomacy Still Avert War? The {topic_name} view",
        lede="As Russian forces prepare for a potential invasion of Ukraine, a diplomatic "
        "resolution looks remote—but talks continue this week.",
        bullets=list(BULLETS),
        background=list(BACKGROUND),
        sources=[
            SourceInput(
                f"https://news.example/{slug}/{i}",
                "Blinken, Lavrov to hold fresh talks on Ukraine crisis as UK’s Johnson heads to Kyiv",
                outlet, f"https://img.news.example/{slug}/{i}.jpg", 3,
            )
            for i, outlet in enumerate(OUTLETS)
        ],
        featured=0,
    )


def make_realistic_update(session: Session, topic: Topic) -> TopicUpdate:
    update = create_update(session, topic.slug, update_input(topic.name))
    update.curator_name = "informed"
    update.curator_image_url = "https://img.news.example/curators/informed.png"
    return update


def item_context(topic_name: str, index: int = 0) -> dict[str, Any]:
    """The same content as plain template context, for render tests without a database."""
    data = update_input(topic_name)
    return {
        "topic_slug": topic_name.lower(),
        "topic_name": topic_name,
        "headline": data.headline,
        "lede": data.lede,
        "bullets": data.bullets,
        "background": data.background,
        "outlets": [s.outlet for s in data.sources],
        "article_count": len(data.sources),
        "curator_name": "informed",
        "curator_image_url": "https://img.news.example/curators/informed.png",
        "featured": {"outlet": data.sources[0].outlet, "title": data.sources[0].title,
                     "url": data.sources[0].url, "image_url": data.sources[0].image_url,
                     "reading_minutes": 3},
    }
