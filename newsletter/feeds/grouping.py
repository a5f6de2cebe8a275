"""Story grouping: near-duplicate articles within a topic become one Story.

TF-IDF over titles (counted twice) and summaries, cosine against each story's centroid,
pure Python. Stable by construction: an article is placed once, when it arrives, in the
best existing story above THRESHOLD or in a new one; later arrivals never move it. Editors
split and merge; both lock the stories involved so `regroup` leaves them alone.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from ..errors import NotFound, ValidationError
from ..lookup import get_or_404
from ..models import Article, Story, Topic, utcnow

THRESHOLD = 0.3
WINDOW = timedelta(days=7)  # stories older than this no longer attract new articles
MAX_STORIES = 300  # most recent stories of a topic that new articles are compared with
PER_STORY = 4  # a story's centroid is built from its latest articles
SUMMARY_CHARS = 800
SUMMARY_TOKENS = 40
CANDIDATE_TERMS = 10
VECTOR_TERMS = 24
_TAG = re.compile(r"<[^>]*>")
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


def terms_text(title: str, summary: str) -> str:
    """The tokens grouping compares, space-separated; stored on the Article at ingest.

    Title tokens count twice (the title says what the story is), then the summary's lead.
    Summaries are stored sanitized, so dropping tags with a regex is enough for counting words.
    """
    head = tokens(title)
    body = tokens(html.unescape(_TAG.sub(" ", summary[:SUMMARY_CHARS])))[:SUMMARY_TOKENS]
    return " ".join(head + head + body)


def terms(title: str, summary: str, stored: str | None = None) -> Counter[str]:
    return Counter((stored or terms_text(title, summary)).split())


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

    def vector(self, counts: Counter[str], size: int = 0) -> Vector:
        vec = {t: (1 + math.log(c)) * self.idf.get(t, self.default_idf) for t, c in counts.items()}
        return normalize(top_terms(vec, size or VECTOR_TERMS))


def top_terms(vec: Vector, n: int) -> Vector:
    """The strongest terms only: they carry the similarity and keep every comparison short."""
    if len(vec) <= n:
        return vec
    return dict(sorted(vec.items(), key=lambda item: item[1], reverse=True)[:n])


def normalize(vec: Vector) -> Vector:
    norm = math.sqrt(sum(w * w for w in vec.values()))
    return {t: w / norm for t, w in vec.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


StoryRef = int | Story  # an existing story's id, or a Story created in this run


class Clusters:
    """Story centroids with an inverted index, so each article is compared to few stories.

    Existing stories are indexed by their raw terms and only turned into TF-IDF centroids
    when an article actually shares a strong term with them (most never are).
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.sums: dict[StoryRef, Vector] = {}
        self.centroids: dict[StoryRef, Vector] = {}
        self.index: dict[str, set[StoryRef]] = {}
        self.lazy: dict[StoryRef, tuple[Counter[str], int]] = {}

    def add_story(self, ref: StoryRef, merged: Counter[str], weight: int) -> None:
        self.lazy[ref] = (merged, weight)
        for t in merged:
            self.index.setdefault(t, set()).add(ref)

    def centroid(self, ref: StoryRef) -> Vector:
        if ref in self.lazy:
            merged, weight = self.lazy.pop(ref)
            self.add(ref, self.model.vector(merged, 2 * VECTOR_TERMS), weight)
        return self.centroids[ref]

    def add(self, ref: StoryRef, vec: Vector, weight: float = 1.0) -> None:
        """Add an article's vector (or a story's, weighted by its article count)."""
        if ref in self.lazy:
            self.centroid(ref)
        total = self.sums.setdefault(ref, {})
        for t, w in vec.items():
            total[t] = total.get(t, 0.0) + w * weight
            self.index.setdefault(t, set()).add(ref)
        self.centroids[ref] = normalize(top_terms(total, 2 * VECTOR_TERMS))

    def best(self, vec: Vector) -> tuple[StoryRef | None, float]:
        """Candidates share one of the article's strongest terms; a story sharing none of
        them cannot reach the threshold anyway."""
        candidates: set[StoryRef] = set()
        crowded = max(8, (len(self.sums) + len(self.lazy)) // 5)  # in a fifth of all stories
        for t in sorted(vec, key=vec.__getitem__, reverse=True)[:CANDIDATE_TERMS]:
            posting = self.index.get(t, set())
            if len(posting) <= crowded:
                candidates |= posting
        best_ref, best_score = None, 0.0
        for ref in candidates:
            score = cosine(vec, self.centroid(ref))
            if score > best_score:
                best_ref, best_score = ref, score
        return best_ref, best_score


def _lock_topic(session: Session, topic_id: int) -> None:
    """Serialize grouping per topic so two concurrent polls cannot open twin stories.

    FOR NO KEY UPDATE, not FOR UPDATE: every article insert holds a KEY SHARE lock on its
    topic row (the foreign key), and FOR UPDATE would wait on those, so two polls that had
    both inserted articles would deadlock on each other. SQLite ignores the clause; its
    single writer serializes anyway.
    """
    session.execute(select(Topic.id).where(Topic.id == topic_id).with_for_update(key_share=True))


def _recent(session: Session, topic_id: int, since: datetime) -> dict[int, list[Counter[str]]]:
    """Term counts of the latest few articles of each of the topic's recent stories."""
    recent_stories = select(Story.id).where(Story.topic_id == topic_id).order_by(
        Story.id.desc()).limit(MAX_STORIES).scalar_subquery()
    rank = func.row_number().over(partition_by=Article.story_id,
                                  order_by=(Article.published_at.desc(), Article.id.desc()))
    inner = select(Article.story_id, Article.terms, Article.title, Article.summary,
                   rank.label("rank")).where(
        Article.topic_id == topic_id, Article.story_id.in_(recent_stories),
        Article.first_seen_at >= since).subquery()
    stories: dict[int, list[Counter[str]]] = {}
    for story_id, stored, title, summary in session.execute(
            select(inner.c.story_id, inner.c.terms, inner.c.title, inner.c.summary)
            .where(inner.c.rank <= PER_STORY)):
        stories.setdefault(story_id, []).append(terms(title, summary, stored))
    return stories


def assign(session: Session, topic_id: int, articles: list[Article], *,
           now: datetime | None = None, threshold: float = THRESHOLD) -> list[Story]:
    """Place each new article in the best recent story above threshold, else a new story."""
    pending = [a for a in articles if a.story_id is None]
    if not pending:
        return []
    now = now or utcnow()
    _lock_topic(session, topic_id)
    placed = _recent(session, topic_id, now - WINDOW)
    fresh = {id(a): terms(a.title, a.summary, a.terms) for a in pending}
    model = Model([c for docs in placed.values() for c in docs] + list(fresh.values()))
    clusters = Clusters(model)
    for story_id, docs in placed.items():
        merged: Counter[str] = Counter()
        for doc in docs:
            merged.update(doc)
        clusters.add_story(story_id, merged, len(docs))
    created: list[Story] = []
    joins: list[tuple[Article, StoryRef]] = []
    for article in sorted(pending, key=lambda a: (a.published_at, a.id or 0)):
        vec = model.vector(fresh[id(article)])
        ref, score = clusters.best(vec)
        if ref is None or score < threshold:
            ref = Story(topic_id=topic_id, headline=article.title[:500])
            created.append(ref)
        joins.append((article, ref))
        clusters.add(ref, vec)
    # ids, not relationship appends: no per-article cascade walk over story.articles
    session.add_all(created)
    session.flush()
    for article, ref in joins:
        article.story_id = ref.id if isinstance(ref, Story) else ref
    if any(inspect(a).persistent for a, _ in joins):
        session.flush()
    return created


def _story(session: Session, story_id: int) -> Story:
    return get_or_404(session, Story, story_id, f"No story {story_id}.")


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
