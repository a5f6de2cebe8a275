"""Demo content: a few topics, feed-free articles and the example update from the seed page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .editorial.updates import SourceInput, UpdateInput, create_update
from .models import Article, Topic, utcnow

TOPICS = [
    ("ukraine", "Russia and Ukraine", "Diplomacy, the front line and what it means for Europe."),
    ("climate", "Climate", "Policy, science and the energy transition."),
    ("ai", "Artificial intelligence", "Models, rules and the companies behind them."),
    ("markets", "Markets", "Rates, inflation and what moves money."),
    ("health", "Health", "Medicine, public health and the systems that deliver care."),
]

UKRAINE = UpdateInput(
    headline="Can Diplomacy Still Avert War in Ukraine?",
    lede="As Russian forces prepare for a potential invasion of Ukraine, a diplomatic "
         "resolution looks remote—but talks continue this week.",
    bullets=[
        "The US and Russia faced off in the United Nations on Monday, with both sides accusing "
        "each other of ramping up tensions over Ukraine.",
        "Russia’s UN diplomat accused the US of “whipping up hysterics” even as some 100,000 "
        "Russian troops remain amassed on Ukraine’s border. The US accused Russia of "
        "endangering peace.",
        "But amid the impassioned war of words, diplomatic channels remained open behind the "
        "scenes, with Russia and the US exchanging written correspondence on Russian security "
        "demands.",
        "US Secretary of State Antony Blinken and Russian Foreign Minister Sergey Lavrov are "
        "scheduled to talk over the phone today even as fears of an imminent Russian invasion "
        "of Ukraine remain high.",
    ],
    background=[
        "The Kremlin wants NATO to cease military activity in Eastern Europe and to restore a "
        "Cold War-era arrangement that ensures Russia's sway over former Soviet Bloc nations.",
        "The US and NATO have flatly refused, and say Eastern European countries should be free "
        "to dictate their own fate. But there’s room to work with one Russian demand: that "
        "Ukraine not join NATO.",
        "NATO promised Ukraine and Georgia in 2008 that they could join the alliance, though no "
        "date was given as to when. US President Joe Biden recently suggested membership "
        "remained a long way off.",
        "But it’s not at all clear the Kremlin would be satisfied with small compromises. "
        "Putin’s greater goal is to remake Europe’s security architecture and tip the balance "
        "of power toward Russia.",
        "Russia has been building-up its military for years. Western leaders now fear that "
        "Putin will put it to use in order to accomplish his geo-strategic goals.",
    ],
    sources=[
        SourceInput("https://www.france24.com/en/europe/blinken-lavrov-talks",
                    "Blinken, Lavrov to hold fresh talks on Ukraine crisis as UK’s Johnson heads "
                    "to Kyiv", "France 24", None, 3),
        SourceInput("https://www.ft.com/content/ukraine-un", "US and Russia clash at the UN",
                    "Financial Times", None, 5),
        SourceInput("https://www.washingtonpost.com/world/ukraine-diplomacy",
                    "Diplomacy continues behind the scenes", "The Washington Post", None, 6),
        SourceInput("https://www.nytimes.com/ukraine-russia-talks",
                    "Written replies on security demands", "The New York Times", None, 4),
    ],
    featured=0,
    article_count=4,
)

OTHERS = {
    "climate": ("Countries agree on a timetable to phase down coal",
                "Negotiators closed the summit with a deal that sets dates but leaves gaps.",
                "Climate Desk"),
    "ai": ("New rules for general-purpose AI models take effect",
           "Providers must now publish summaries of training data and test for serious risks.",
           "Tech Review"),
    "markets": ("Central bank holds rates, signals cuts next year",
                "Inflation is cooling faster than expected, but policymakers want more proof.",
                "Market Wire"),
    "health": ("A cheaper test for early heart failure passes its big trial",
               "The blood test could let family doctors spot the condition years earlier.",
               "Health Report"),
}


def load_demo(session: Session) -> int:
    """Idempotent: topics that already exist are left as they are."""
    existing = set(session.scalars(select(Topic.slug)))
    created = 0
    for position, (slug, name, description) in enumerate(TOPICS):
        if slug in existing:
            continue
        session.add(Topic(slug=slug, name=name, description=description, position=position))
        created += 1
    session.flush()
    if "ukraine" not in existing:
        create_update(session, "ukraine", UKRAINE)
    now = utcnow()
    for slug, (headline, lede, outlet) in OTHERS.items():
        if slug in existing:
            continue
        topic = session.scalar(select(Topic).where(Topic.slug == slug))
        url = f"https://example.org/{slug}/lead-story"
        create_update(session, slug, UpdateInput(
            headline=headline, lede=lede,
            bullets=["What happened, in one line.", "Why it matters, in another."],
            background=["How we got here."],
            sources=[SourceInput(url, headline, outlet, None, 4)], featured=0,
        ))
        for i in range(3):
            session.add(Article(
                topic_id=topic.id, guid=f"demo-{slug}-{i}", url=f"{url}?part={i}",
                canonical_url=f"{url}?part={i}", title=f"{headline} (part {i + 1})",
                outlet=outlet, summary=lede, reading_minutes=3 + i,
                published_at=now - timedelta(hours=i), first_seen_at=now,
            ))
    session.flush()
    return created
