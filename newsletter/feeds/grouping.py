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
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from itertools import chain
from operator import itemgetter

from sqlalchemy import Select, bindparam, case, func, inspect, or_, select
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


def _stem(word: str) -> str | None:
    word = word.strip("'’-")
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) < 3 or word in STOPWORDS or (word.isdigit() and len(word) != 4):
        return None  # short words and numbers other than years say little about the event
    return word[:STEM]


_STEMS: dict[str, str | None] = {}  # word -> _stem(word): words repeat, the work need not
_STEMS_MAX = 100_000


def tokens(text: str) -> list[str]:
    stems = _STEMS
    if len(stems) > _STEMS_MAX:
        stems.clear()  # a bound on memory; a worker's vocabulary refills it quickly
    out = []
    for word in _WORD.findall(text.lower()):
        try:
            stem = stems[word]
        except KeyError:
            stem = stems[word] = _stem(word)
        if stem is not None:
            out.append(stem)
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
    """IDF over a corpus of term counts; turns counts into unit TF-IDF vectors.

    A term's IDF is worked out the first time a vector needs it (most terms of the recent
    stories never are), with the same formula and so the same float as computing them all.
    """

    def __init__(self, corpus: Iterable[Mapping[str, object]]) -> None:
        """`corpus`: each document's terms (the keys; a Counter or a dict of its terms)."""
        df: Counter[str] = Counter()
        n = 0
        for doc in corpus:
            n += 1
            df.update(doc.keys())
        self.df = df
        self.n = n
        self.idf: dict[str, float] = {}
        self.default_idf = math.log(1 + n) + 1.0

    def weight(self, term: str) -> float:
        idf = self.idf.get(term)
        if idf is None:
            count = self.df.get(term)
            idf = self.default_idf if count is None else math.log((1 + self.n) / (1 + count)) + 1.0
            self.idf[term] = idf
        return idf

    def vector(self, counts: Counter[str], size: int = 0) -> Vector:
        idf = self.idf
        weight = self.weight
        vec = {}
        for t, c in counts.items():
            w = idf.get(t)
            vec[t] = _TF[c] * (weight(t) if w is None else w) if c < _TF_CACHED else \
                (1 + math.log(c)) * (weight(t) if w is None else w)
        return normalize(top_terms(vec, size or VECTOR_TERMS))


_TF_CACHED = 64
_TF = [0.0] + [1 + math.log(c) for c in range(1, _TF_CACHED)]  # the same floats as computed


def top_terms(vec: Vector, n: int) -> Vector:
    """The strongest terms only: they carry the similarity and keep every comparison short."""
    if len(vec) <= n:
        return vec
    return dict(sorted(vec.items(), key=itemgetter(1), reverse=True)[:n])


def normalize(vec: Vector) -> Vector:
    norm = math.sqrt(sum([w * w for w in vec.values()]))
    return {t: w / norm for t, w in vec.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    get = b.get
    return sum([w * get(t, 0.0) for t, w in a.items()])


StoryRef = int | Story  # an existing story's id, or a Story created in this run


class Clusters:
    """Story centroids with an inverted index, so each article is compared to few stories.

    Existing stories are indexed by their raw terms and only turned into TF-IDF centroids
    when an article actually shares a strong term with them (most never are). A story's
    centroid is likewise recomputed from its sum only when it is next compared, not at every
    article it gains: the same values, computed once.
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.sums: dict[StoryRef, Vector] = {}
        self.centroids: dict[StoryRef, Vector] = {}
        self.stale: set[StoryRef] = set()
        self.index: dict[str, set[StoryRef]] = {}
        self.lazy: dict[StoryRef, tuple[Counter[str], int]] = {}

    def add_story(self, ref: StoryRef, merged: Counter[str], weight: int) -> None:
        self.lazy[ref] = (merged, weight)
        index = self.index
        for t in merged:
            posting = index.get(t)
            if posting is None:
                index[t] = {ref}
            else:
                posting.add(ref)

    def centroid(self, ref: StoryRef) -> Vector:
        if ref in self.lazy:
            merged, weight = self.lazy.pop(ref)
            self.add(ref, self.model.vector(merged, 2 * VECTOR_TERMS), weight)
        if ref in self.stale:
            self.stale.discard(ref)
            self.centroids[ref] = normalize(top_terms(self.sums[ref], 2 * VECTOR_TERMS))
        return self.centroids[ref]

    def add(self, ref: StoryRef, vec: Vector, weight: float = 1.0) -> None:
        """Add an article's vector (or a story's, weighted by its article count)."""
        if ref in self.lazy:
            self.centroid(ref)
        total = self.sums.setdefault(ref, {})
        index = self.index
        for t, w in vec.items():
            total[t] = total.get(t, 0.0) + w * weight
            posting = index.get(t)
            if posting is None:
                index[t] = {ref}
            else:
                posting.add(ref)
        self.stale.add(ref)

    def best(self, vec: Vector) -> tuple[StoryRef | None, float]:
        """Candidates share one of the article's strongest terms; a story sharing none of
        them cannot reach the threshold anyway."""
        candidates: set[StoryRef] = set()
        crowded = max(8, (len(self.sums) + len(self.lazy)) // 5)  # in a fifth of all stories
        empty: set[StoryRef] = set()
        for t in sorted(vec, key=vec.__getitem__, reverse=True)[:CANDIDATE_TERMS]:
            posting = self.index.get(t, empty)
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
    session.execute(_LOCK_TOPIC, {"topic_id": topic_id})


_LOCK_TOPIC = select(Topic.id).where(Topic.id == bindparam("topic_id")).with_for_update(
    key_share=True)


def _recent_statement() -> Select[tuple[int, str, str | None, str | None]]:
    """Built once (every poll runs it): the latest PER_STORY articles of each of the topic's
    MAX_STORIES most recent stories, first seen since `since`."""
    topic_id = bindparam("topic_id")
    recent_stories = select(Story.id).where(Story.topic_id == topic_id).order_by(
        Story.id.desc()).limit(MAX_STORIES).scalar_subquery()
    rank = func.row_number().over(partition_by=Article.story_id,
                                  order_by=(Article.published_at.desc(), Article.id.desc()))
    unstored = or_(Article.terms.is_(None), Article.terms == "")
    inner = select(Article.story_id, Article.terms,
                   case((unstored, Article.title)).label("title"),
                   case((unstored, Article.summary)).label("summary"),
                   rank.label("rank")).where(
        Article.topic_id == topic_id, Article.story_id.in_(recent_stories),
        Article.first_seen_at >= bindparam("since", type_=Article.first_seen_at.type)).subquery()
    return select(inner.c.story_id, inner.c.terms, inner.c.title, inner.c.summary).where(
        inner.c.rank <= PER_STORY)


_RECENT = _recent_statement()


def _recent(session: Session, topic_id: int, since: datetime) -> dict[int, list[list[str]]]:
    """The terms of the latest few articles of each of the topic's recent stories.

    Only the stored terms are read; title and summary only for a row stored without terms.
    """
    stories: dict[int, list[list[str]]] = {}
    for story_id, stored, title, summary in session.execute(
            _RECENT, {"topic_id": topic_id, "since": since}):
        docs = stories.get(story_id)
        if docs is None:
            docs = stories[story_id] = []
        docs.append((stored or terms_text(title or "", summary or "")).split())
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
    model = Model([dict.fromkeys(doc) for docs in placed.values() for doc in docs]
                  + list(fresh.values()))
    clusters = Clusters(model)
    for story_id, docs in placed.items():
        # the story's term counts: the same counts, in the same order, as adding up its
        # articles' Counters one by one, but counted in C in one pass
        clusters.add_story(story_id, Counter(chain.from_iterable(docs)), len(docs))
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
