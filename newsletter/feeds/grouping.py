"""Story grouping: near-duplicate articles within a topic become one Story.

TF-IDF over titles (counted twice) and summaries, cosine against each story's centroid,
pure Python. Stable by construction: an article is placed once, when it arrives, in the
best existing story above THRESHOLD or in a new one; later arrivals never move it. Editors
split and merge; both lock the stories involved so `regroup` leaves them alone.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFound, ValidationError
from ..models import Article, Story, Topic, utcnow
from .sanitize import plain_text

THRESHOLD = 0.3
WINDOW = timedelta(days=7)  # stories older than this no longer attract new articles
MAX_STORIES = 500
_WORD = re.compile(r"\w[\w'’-]*", re.UNICODE)
STEM = 6  # crude but language-agnostic: evacuated/evacuation, wildfire/wildfires share a stem
_STOPWORDS_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours new says said say will its it's
after amid over into one two three first last year years week today yesterday news report
reports update live latest according
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
Vector = dict[str, float]


def tokens(text: str) -> list[str]:
    out = []
    for word in _WORD.findall(text.lower()):
        word = word.strip("'’-")
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        if len(word) < 3 or word in STOPWORDS or (word.isdigit() and len(word) != 4):
            continue  # short words and numbers other than years say little about the event
        out.append(word[:STEM])
    return out


def terms(title: str, summary: str) -> Counter[str]:
    counts = Counter(tokens(title))
    counts.update(counts)  # the title counts twice: it says what the story is
    counts.update(tokens(plain_text(summary)))
    return counts


class Model:
    """IDF over a corpus of term counts; turns counts into unit TF-IDF vectors."""

    def __init__(self, corpus: Iterable[Counter[str]]) -> None:
        df: Counter[str] = Counter()
        n = 0
        for doc in corpus:
            n += 1
            df.update(doc.keys())
        self.idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
        self.default_idf = math.log(1 + n) + 1.0

    def vector(self, counts: Counter[str]) -> Vector:
        vec = {t: (1 + math.log(c)) * self.idf.get(t, self.default_idf) for t, c in counts.items()}
        return normalize(vec)


def normalize(vec: Vector) -> Vector:
    norm = math.sqrt(sum(w * w for w in vec.values()))
    return {t: w / norm for t, w in vec.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


class Clusters:
    """Story centroids with an inverted index, so each article is compared to few stories."""

    def __init__(self) -> None:
        self.sums: dict[int, Vector] = {}
        self.centroids: dict[int, Vector] = {}
        self.index: dict[str, set[int]] = {}
        self.stories: dict[int, Story] = {}

    def add(self, story: Story, vec: Vector) -> None:
        key = id(story)
        self.stories[key] = story
        total = self.sums.setdefault(key, {})
        for t, w in vec.items():
            total[t] = total.get(t, 0.0) + w
            self.index.setdefault(t, set()).add(key)
        self.centroids[key] = normalize(total)

    def best(self, vec: Vector) -> tuple[Story | None, float]:
        candidates: set[int] = set()
        for t in vec:
            candidates |= self.index.get(t, set())
        best_key, best_score = None, 0.0
        for key in candidates:
            score = cosine(vec, self.centroids[key])
            if score > best_score:
                best_key, best_score = key, score
        return (self.stories[best_key] if best_key is not None else None), best_score


def _lock_topic(session: Session, topic_id: int) -> None:
    """Serialize grouping per topic so two concurrent polls cannot open twin stories."""
    session.execute(select(Topic.id).where(Topic.id == topic_id).with_for_update())


def _recent(session: Session, topic_id: int, since: datetime) -> list[Article]:
    recent_stories = select(Story.id).where(Story.topic_id == topic_id).order_by(
        Story.id.desc()).limit(MAX_STORIES)
    return list(session.scalars(select(Article).where(
        Article.topic_id == topic_id, Article.story_id.in_(recent_stories),
        Article.first_seen_at >= since)))


def assign(session: Session, topic_id: int, articles: list[Article], *,
           now: datetime | None = None, threshold: float = THRESHOLD) -> list[Story]:
    """Place each new article in the best recent story above threshold, else a new story."""
    pending = [a for a in articles if a.story_id is None]
    if not pending:
        return []
    now = now or utcnow()
    _lock_topic(session, topic_id)
    placed = _recent(session, topic_id, now - WINDOW)
    counts = {id(a): terms(a.title, a.summary) for a in placed + pending}
    model = Model(counts.values())
    stories = {s.id: s for s in session.scalars(select(Story).where(
        Story.id.in_({a.story_id for a in placed})))} if placed else {}
    clusters = Clusters()
    for article in placed:
        clusters.add(stories[article.story_id], model.vector(counts[id(article)]))  # type: ignore[index]
    created: list[Story] = []
    for article in sorted(pending, key=lambda a: (a.published_at, a.id or 0)):
        vec = model.vector(counts[id(article)])
        story, score = clusters.best(vec)
        if story is None or score < threshold:
            story = Story(topic_id=topic_id, headline=article.title[:500])
            session.add(story)
            created.append(story)
        article.story = story
        clusters.add(story, vec)
    session.flush()
    return created


def _story(session: Session, story_id: int) -> Story:
    story = session.get(Story, story_id)
    if story is None:
        raise NotFound(f"No story {story_id}.")
    return story


def split_article(session: Session, article_id: int) -> Story:
    """Move one article out of its story into a new story of its own (both locked)."""
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"No article {article_id}.")
    old = article.story
    story = Story(topic_id=article.topic_id, headline=article.title[:500], locked=True)
    session.add(story)
    article.story = story
    if old is not None:
        session.flush()
        rest = list(session.scalars(select(Article).where(Article.story_id == old.id)
                                    .order_by(Article.published_at)))
        if not rest:
            session.delete(old)
        else:
            old.locked = True
            if old.headline == article.title[:500]:
                old.headline = rest[0].title[:500]
    session.flush()
    return story


def merge_stories(session: Session, target_id: int, source_id: int) -> Story:
    """Move every article of source into target and drop source; target is locked."""
    if target_id == source_id:
        raise ValidationError("Choose two different stories to merge.", field="source")
    target, source = _story(session, target_id), _story(session, source_id)
    if target.topic_id != source.topic_id:
        raise ValidationError("Only stories of the same topic can be merged.", field="source")
    for article in list(session.scalars(select(Article).where(Article.story_id == source.id))):
        article.story = target
    session.flush()
    session.delete(source)
    target.locked = True
    session.flush()
    return target


def regroup(session: Session, topic_id: int, *, threshold: float = THRESHOLD) -> int:
    """Rebuild the unlocked stories of a topic from scratch; editor-locked ones stay as they are."""
    unlocked = list(session.scalars(select(Story).where(Story.topic_id == topic_id,
                                                        Story.locked.is_(False))))
    ids = [s.id for s in unlocked]
    articles = list(session.scalars(select(Article).where(Article.story_id.in_(ids)))) if ids else []
    articles += list(session.scalars(select(Article).where(Article.topic_id == topic_id,
                                                           Article.story_id.is_(None))))
    for article in articles:
        article.story = None
    session.flush()
    for story in unlocked:
        session.delete(story)
    session.flush()
    return len(assign(session, topic_id, articles, threshold=threshold))
