"""What a poll stores is pinned: the corpus polled twice must give golden/polls.json exactly.

The golden file was written by the poll path before it was made faster (main at 70aff8a), so
this compares the new code path with the old one on every stored column that matters (url,
canonical URL, title, outlet, sanitized summary, image, reading time, content hash, terms,
dates) and on story grouping (which articles share a story, and its headline), plus what
each poll reported. A deliberate change of stored output rewrites the file with

    FEEDS_GOLDEN_WRITE=1 .venv/bin/python -m pytest tests/feeds/test_stored_output_is_pinned.py

and the diff of golden/polls.json is the review of that change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from newsletter.feeds.catalog import add_feed
from newsletter.feeds.fetch import FetchResult
from newsletter.feeds.service import _record
from newsletter.migrate import upgrade
from newsletter.models import Article, Feed, Story, Topic
from tests.factories import make_topic

from .corpus import ROUND_NOW, corpus

GOLDEN = Path(__file__).parent / "golden" / "polls.json"


def _when(value, rounds: dict) -> str | None:  # noqa: ANN001
    return rounds.get(value, value.isoformat()) if value is not None else None


def _snapshot(db, keys: dict[int, str]) -> dict[str, object]:  # noqa: ANN001
    rounds = {now: f"round {r}" for r, now in ROUND_NOW.items()}
    rows = list(db.scalars(select(Article)))
    topics = dict(db.execute(select(Topic.id, Topic.slug)).all())
    name = {a.id: f"{keys[a.feed_id]}/{a.guid}" for a in rows}
    members: dict[int, list[str]] = {}
    for a in rows:
        members.setdefault(a.story_id, []).append(name[a.id])
    stories = {s.id: s for s in db.scalars(select(Story))}
    articles = []
    for a in sorted(rows, key=lambda a: name[a.id]):
        articles.append({
            "article": name[a.id], "topic": topics[a.topic_id], "url": a.url,
            "canonical_url": a.canonical_url, "title": a.title, "outlet": a.outlet,
            "summary": a.summary, "image_url": a.image_url, "reading_minutes": a.reading_minutes,
            "content_hash": a.content_hash, "terms": a.terms,
            "published_at": _when(a.published_at, rounds),
            "first_seen_at": _when(a.first_seen_at, rounds),
            "updated_at": _when(a.updated_at, rounds),
            "story": min(members[a.story_id]) if a.story_id is not None else None,
        })
    groups = sorted(({"headline": stories[sid].headline, "articles": sorted(m)}
                     for sid, m in members.items() if sid is not None),
                    key=lambda g: g["articles"])
    return {"articles": articles, "stories": groups}


def _poll_corpus(db, feed_settings) -> dict[str, object]:  # noqa: ANN001
    """Both rounds of the corpus through the poll path after the fetch, as poll_feed runs it."""
    feeds = corpus()
    for topic in sorted({f.topic for f in feeds}):
        make_topic(db, topic)
    ids: dict[str, int] = {}
    for f in feeds:
        ids[f.key] = add_feed(db, f.topic, f"https://{f.key}.feeds.test/feed.xml", 30).id
    db.commit()
    polls = []
    for round_, now in ROUND_NOW.items():
        for f in feeds:
            fetched = FetchResult(status_code=200, content=f.rounds[round_],
                                  content_type=f.content_type,
                                  final_url=f"https://{f.key}.feeds.test/feed.xml")
            result = _record(db, ids[f.key], feed_settings, fetched, now)
            db.commit()
            feed = db.get(Feed, ids[f.key])
            polls.append({"round": round_, "feed": f.key, "status": result.status,
                          "new": result.new, "updated": result.updated, "error": result.error,
                          "title": feed.title, "site_url": feed.site_url,
                          "entries_found": feed.entries_found, "last_error": feed.last_error})
    db.expire_all()
    return {"polls": polls, **_snapshot(db, {v: k for k, v in ids.items()})}


def _assert_golden(got: dict[str, object]) -> None:
    want = json.loads(GOLDEN.read_text())
    assert got["polls"] == want["polls"]
    assert len(got["articles"]) == len(want["articles"])  # type: ignore[arg-type]
    for mine, theirs in zip(got["articles"], want["articles"], strict=True):  # type: ignore[call-overload]
        assert mine == theirs
    assert got["stories"] == want["stories"]


def test_polling_the_corpus_stores_what_the_golden_file_says(db, feed_settings):
    got = _poll_corpus(db, feed_settings)
    if os.environ.get("FEEDS_GOLDEN_WRITE"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    _assert_golden(got)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Session]:
    """The `make run` database: SQLite, where the lookups bind expanding IN lists and the
    insert is SQLAlchemy's multi-row VALUES instead of PostgreSQL's arrays and JSON."""
    url = f"sqlite:///{tmp_path / 'feeds.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def test_sqlite_stores_the_same_as_postgresql(sqlite_db, feed_settings):
    _assert_golden(_poll_corpus(sqlite_db, feed_settings))
