"""Demo content: five topics, each with a complete published update and a few inbox articles.

Every update is whole (lede, bullets, background, sources, a featured article with its
picture, a curator with a picture), because demo content can reach real inboxes once
SMTP_URL is set. Pictures are served by the app itself from /static/demo/.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    article_count=12,
)


def _source(url: str, title: str, outlet: str, minutes: int) -> SourceInput:
    return SourceInput(url, title, outlet, None, minutes)


OTHERS: dict[str, UpdateInput] = {
    "climate": UpdateInput(
        headline="Countries Agree on a Timetable to Phase Down Coal",
        lede="Negotiators closed the summit with a deal that sets dates for coal power for the "
             "first time, but leaves out oil and gas.",
        bullets=[
            "Rich economies pledged to stop building unabated coal plants by 2030 and to close "
            "existing ones by 2035; developing economies get until 2045.",
            "A fund for countries hit by floods and droughts received $9bn in new pledges, well "
            "short of the $100bn a year that poorer nations asked for.",
            "The final text 'calls on' rather than 'requires' countries to act, wording that "
            "India and China insisted on in the last hours of talks.",
        ],
        background=[
            "Coal still produces about a third of the world's electricity and is the single "
            "largest source of energy-related carbon emissions.",
            "Earlier summits only promised to 'phase down' coal without dates, which critics "
            "said let governments delay indefinitely.",
        ],
        sources=[
            _source("https://www.reuters.com/climate/coal-deal", "Summit ends with first coal "
                    "timetable", "Reuters", 4),
            _source("https://www.theguardian.com/environment/coal-phase-down",
                    "What the coal deal means for the 1.5C goal", "The Guardian", 6),
            _source("https://www.carbonbrief.org/analysis-coal-timetable",
                    "Analysis: how far the coal timetable cuts emissions", "Carbon Brief", 8),
        ],
        featured=1,
        article_count=9,
    ),
    "ai": UpdateInput(
        headline="New Rules for General-Purpose AI Models Take Effect",
        lede="Providers of large AI models must now publish summaries of their training data "
             "and test their systems for serious risks before release.",
        bullets=[
            "Companies offering general-purpose models in the EU have to document how they were "
            "trained and respect opt-outs from copyright holders.",
            "The most capable models face extra duties: adversarial testing, incident reporting "
            "and cybersecurity safeguards.",
            "Fines can reach 3% of global turnover, though enforcement by the new AI Office only "
            "starts next August.",
        ],
        background=[
            "The AI Act was agreed in 2023 after two years of negotiation and is the first broad "
            "law on artificial intelligence in a major economy.",
            "A voluntary code of practice, signed by most large providers, is meant to show how "
            "they can comply until formal standards are ready.",
        ],
        sources=[
            _source("https://www.ft.com/content/ai-act-general-purpose",
                    "EU starts enforcing rules on the largest AI models", "Financial Times", 5),
            _source("https://www.politico.eu/article/ai-act-code-of-practice",
                    "Who signed the AI code of practice, and who did not", "Politico Europe", 4),
            _source("https://www.technologyreview.com/ai-act-explained",
                    "The AI Act, explained in five questions", "MIT Technology Review", 7),
        ],
        featured=2,
        article_count=7,
    ),
    "markets": UpdateInput(
        headline="Central Bank Holds Rates but Signals Cuts Next Year",
        lede="Inflation is cooling faster than expected, but policymakers said they want more "
             "proof before lowering borrowing costs.",
        bullets=[
            "The benchmark rate stays at 4.5% for a third meeting in a row; two of nine members "
            "voted for a cut.",
            "New forecasts see inflation back at the 2% target by the end of next year, six "
            "months earlier than projected in the summer.",
            "Bond yields fell and the currency weakened after the decision as traders priced in "
            "three cuts next year.",
        ],
        background=[
            "Rates were raised fourteen times in a row from late 2021 to fight the fastest rise "
            "in prices in four decades.",
            "Mortgage holders coming off fixed deals face much higher payments, which has slowed "
            "spending and the housing market.",
        ],
        sources=[
            _source("https://www.bloomberg.com/news/rates-hold", "Central bank holds, opens "
                    "door to cuts", "Bloomberg", 4),
            _source("https://www.wsj.com/economy/central-bank-decision",
                    "What the rate decision means for borrowers", "The Wall Street Journal", 5),
            _source("https://www.economist.com/finance/inflation-cooling",
                    "Why inflation is falling faster than expected", "The Economist", 6),
        ],
        featured=0,
        article_count=11,
    ),
    "health": UpdateInput(
        headline="A Cheaper Test for Early Heart Failure Passes Its Big Trial",
        lede="A simple blood test could let family doctors spot heart failure years before "
             "patients reach hospital.",
        bullets=[
            "In a trial of 12,000 adults over 60, the test found four in five cases later "
            "confirmed by heart scans.",
            "It costs about a tenth of an echocardiogram and gives a result within a day.",
            "Regulators are expected to decide next spring whether it can be offered in primary "
            "care.",
        ],
        background=[
            "Heart failure affects more than 60 million people worldwide and is often diagnosed "
            "only after an emergency admission.",
            "Earlier treatment with existing drugs is known to slow the disease and cut hospital "
            "stays.",
        ],
        sources=[
            _source("https://www.nejm.org/doi/heart-failure-screening",
                    "Blood-based screening for heart failure in primary care", "NEJM", 12),
            _source("https://www.statnews.com/heart-failure-test",
                    "A cheap test could change how heart failure is found", "STAT", 5),
            _source("https://www.bbc.com/news/health-heart-test", "Blood test spots heart "
                    "failure early, trial finds", "BBC News", 3),
        ],
        featured=1,
        article_count=6,
    ),
}


@dataclass(frozen=True)
class Curator:
    name: str
    picture: str  # file in newsletter/static/demo/


CURATORS = {
    "ukraine": Curator("Maya Chen", "maya-chen.svg"),
    "climate": Curator("Lena Fischer", "lena-fischer.svg"),
    "ai": Curator("Maya Chen", "maya-chen.svg"),
    "markets": Curator("Tomas Okafor", "tomas-okafor.svg"),
    "health": Curator("Lena Fischer", "lena-fischer.svg"),
}


@dataclass
class DemoReport:
    """What `newsletter demo` loaded, so the command can say it (and what to open next)."""

    topics: list[str]
    updates: int = 0
    articles: int = 0

    @property
    def loaded(self) -> bool:
        return bool(self.topics)


def load_demo(session: Session, base_url: str = "") -> DemoReport:
    """Idempotent: topics that already exist are left as they are (and get no new update)."""
    existing = set(session.scalars(select(Topic.slug)))
    report = DemoReport(topics=[])
    for position, (slug, name, description) in enumerate(TOPICS):
        if slug in existing:
            continue
        session.add(Topic(slug=slug, name=name, description=description, position=position))
        report.topics.append(name)
    session.flush()
    static = f"{base_url.rstrip('/')}/static/demo"
    now = utcnow()
    for slug, data in [("ukraine", UKRAINE), *OTHERS.items()]:
        if slug in existing:
            continue
        featured = data.sources[data.featured or 0]
        sources = list(data.sources)
        sources[data.featured or 0] = replace(featured, image_url=f"{static}/{slug}.svg")
        update = create_update(session, slug, replace(data, sources=sources))
        curator = CURATORS[slug]
        update.curator_name = curator.name
        update.curator_image_url = f"{static}/{curator.picture}"
        report.updates += 1
        topic = session.scalar(select(Topic).where(Topic.slug == slug))
        for i, source in enumerate(data.sources):
            session.add(Article(
                topic_id=topic.id, guid=f"demo-{slug}-{i}", url=source.url,
                canonical_url=source.url, title=source.title, outlet=source.outlet,
                summary=data.lede, reading_minutes=source.reading_minutes,
                published_at=now - timedelta(hours=i + 1), first_seen_at=now,
            ))
            report.articles += 1
    session.flush()
    return report
