"""Upsert parsed entries as Articles: one per (feed, guid) and one per canonical URL in a topic.

Publishers rotate GUIDs, add tracking parameters and edit entries; the lookups below find
the existing article in each case and update it in place instead of adding a twin.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Select, Text, and_, any_, bindparam, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Article, Feed
from .grouping import terms_text
from .parse import Entry, ParsedFeed

FUTURE_SLACK = timedelta(days=1)
_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_TEXT_ARRAY = postgresql.ARRAY(Text)
_COLUMNS = [c for c in Article.__table__.columns if c.key != "id"]
# Unbounded types: the INSERT's own assignment cast still refuses an over-long value (an
# explicit cast to VARCHAR(n) would silently cut it).
_PG_TYPE = {"INTEGER": "integer", "TEXT": "text", "TIMESTAMP WITH TIME ZONE": "timestamptz"}


def _pg_type(column: Column[object]) -> str:
    name = column.type.compile(dialect=postgresql.dialect())
    return _PG_TYPE["TEXT" if name.startswith("VARCHAR") else name]


_PG_INSERT = text(
    f"INSERT INTO article ({', '.join(c.name for c in _COLUMNS)}) "
    f"SELECT {', '.join(c.name for c in _COLUMNS)} FROM json_to_recordset(CAST(:rows AS json)) "
    f"AS r({', '.join(f'{c.name} {_pg_type(c)}' for c in _COLUMNS)}) "
    "ON CONFLICT DO NOTHING RETURNING guid")
_KEYS = [c.key for c in _COLUMNS]
_DATETIMES = {c.key for c in _COLUMNS if _pg_type(c) == "timestamptz"}


def _json_rows(articles: list[Article]) -> str:
    """The rows as one JSON text: json.dumps encodes it in C, where binding one array per
    column went through psycopg's Python list dumper element by element. Times are sent as
    ISO 8601 in UTC (what UTCDateTime binds), exact to the microsecond."""
    rows = []
    for article in articles:
        row = {}
        for key in _KEYS:
            value = getattr(article, key)
            if key in _DATETIMES and value is not None:
                if value.tzinfo is None:
                    raise ValueError("naive datetime given; store UTC-aware datetimes only")
                value = value.astimezone(UTC).isoformat()
            row[key] = value
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


@dataclass
class StoreResult:
    new: list[Article] = field(default_factory=list)  # built by store_entries, inserted by insert_new
    updated: int = 0
    duplicates: int = 0


def _published(entry: Entry, now: datetime) -> datetime:
    """The feed's date in UTC; first-seen time when missing or implausibly in the future."""
    if entry.published_at is None or entry.published_at > now + FUTURE_SLACK:
        return now
    return entry.published_at


def _unique(entries: list[Entry]) -> list[Entry]:
    seen_guid: set[str] = set()
    seen_url: set[str] = set()
    out = []
    for entry in entries:
        if entry.guid in seen_guid or entry.canonical_url in seen_url:
            continue
        seen_guid.add(entry.guid)
        seen_url.add(entry.canonical_url)
        out.append(entry)
    return out


def _apply(article: Article, entry: Entry, outlet: str, now: datetime) -> None:
    article.url = entry.url
    article.title = entry.title
    article.summary = entry.summary
    article.image_url = entry.image_url
    article.reading_minutes = entry.reading_minutes
    article.content_hash = entry.content_hash
    article.terms = terms_text(entry.title, entry.summary)
    article.outlet = outlet[:200]
    if entry.published_at is not None:
        article.published_at = _published(entry, now)
    article.updated_at = now


def _existing_statement(arrays: bool) -> Select[tuple[Article]]:
    if arrays:
        guid_match = Article.guid == any_(bindparam("guids", type_=_TEXT_ARRAY))
        url_match = Article.canonical_url == any_(bindparam("urls", type_=_TEXT_ARRAY))
    else:
        guid_match = Article.guid.in_(bindparam("guids", expanding=True))
        url_match = Article.canonical_url.in_(bindparam("urls", expanding=True))
    return select(Article).where(or_(
        and_(Article.feed_id == bindparam("feed_id"), guid_match),
        and_(Article.topic_id == bindparam("topic_id"), url_match)))


_EXISTING = {True: _existing_statement(True), False: _existing_statement(False)}


def _existing(session: Session, feed: Feed, entries: list[Entry]
              ) -> tuple[dict[str, Article], dict[str, Article]]:
    """The feed's articles with these GUIDs, and the topic's with these canonical URLs.

    One statement for both, built once. On PostgreSQL the lists are bound as two arrays
    (`= ANY`), so the SQL text is the same for every poll: SQLAlchemy's and psycopg's caches
    hit and the server can reuse its plan, where an expanded IN list is new text per length.
    """
    guids = [e.guid for e in entries]
    urls = [e.canonical_url for e in entries]
    statement = _EXISTING[session.get_bind().dialect.name == "postgresql"]
    rows = session.scalars(statement, {"feed_id": feed.id, "topic_id": feed.topic_id,
                                       "guids": guids, "urls": urls})
    wanted_guids, wanted_urls = set(guids), set(urls)
    by_guid: dict[str, Article] = {}
    by_url: dict[str, Article] = {}
    for article in rows:
        if article.feed_id == feed.id and article.guid in wanted_guids:
            by_guid[article.guid] = article
        if article.topic_id == feed.topic_id and article.canonical_url in wanted_urls:
            by_url[article.canonical_url] = article
    return by_guid, by_url


def store_entries(session: Session, feed: Feed, parsed: ParsedFeed, now: datetime) -> StoreResult:
    result = StoreResult()
    entries = _unique(parsed.entries)
    if not entries:
        return result
    outlet = feed.title or parsed.outlet
    by_guid, by_url = _existing(session, feed, entries)
    fresh: list[dict[str, object]] = []
    for entry in entries:
        article = by_guid.get(entry.guid) or by_url.get(entry.canonical_url)
        if article is None:
            fresh.append(dict(
                feed_id=feed.id, topic_id=feed.topic_id, guid=entry.guid, url=entry.url,
                canonical_url=entry.canonical_url, title=entry.title, outlet=outlet[:200],
                summary=entry.summary, image_url=entry.image_url,
                reading_minutes=entry.reading_minutes, content_hash=entry.content_hash,
                published_at=_published(entry, now), first_seen_at=now,
                terms=terms_text(entry.title, entry.summary),
            ))
            continue
        if article.feed_id not in (feed.id, None):
            result.duplicates += 1  # the same story carried by another feed of this topic
            continue
        changed = article.content_hash != entry.content_hash or article.url != entry.url
        if article.guid != entry.guid and entry.guid not in by_guid:
            article.guid = entry.guid  # rotated GUID: follow it so the next poll finds it directly
            by_guid[entry.guid] = article
        if entry.canonical_url != article.canonical_url and entry.canonical_url not in by_url:
            article.canonical_url = entry.canonical_url
            by_url[entry.canonical_url] = article
        if changed:
            _apply(article, entry, outlet, now)
            result.updated += 1
    session.flush()
    result.new = [Article(**values) for values in fresh]
    return result


def insert_new(session: Session, result: StoreResult) -> None:
    """Insert the new articles (already placed in stories) in one statement.

    ON CONFLICT DO NOTHING: when another poll of this topic won a race for a URL (or a GUID),
    its row stays and ours is counted as a duplicate, with no savepoint and no retry row by
    row. On PostgreSQL the rows go as one JSON parameter into `INSERT … SELECT … FROM
    json_to_recordset(…)`: the same short SQL text whatever the number of rows (multi-row
    VALUES pages were new text for each length, which psycopg re-parsed and the server
    re-planned every poll), rows inserted in list order as before. SQLite gets SQLAlchemy's
    multi-row VALUES. Dialects without the clause fall back to one ORM flush, then row by row on a conflict.
    """
    if not result.new:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in _UPSERT:
        _insert_new_orm(session, result)
        return
    if dialect == "postgresql":
        inserted = set(session.scalars(_PG_INSERT, {"rows": _json_rows(result.new)}))
    else:
        columns = [c.key for c in _COLUMNS]
        rows = [{c: getattr(a, c) for c in columns} for a in result.new]
        statement = _UPSERT[dialect](Article).on_conflict_do_nothing().returning(Article.guid)
        inserted = set(session.scalars(statement, rows))
    kept = [a for a in result.new if a.guid in inserted]  # guids are unique within a poll
    result.duplicates += len(result.new) - len(kept)
    result.new = kept


def _insert_new_orm(session: Session, result: StoreResult) -> None:
    columns = [c.key for c in Article.__table__.columns if c.key != "id"]
    values = [{c: getattr(a, c) for c in columns} for a in result.new]
    try:
        with session.begin_nested():
            session.add_all(result.new)
        return
    except IntegrityError:
        pass
    inserted = []
    for row in values:
        try:
            with session.begin_nested():
                article = Article(**row)
                session.add(article)
            inserted.append(article)
        except IntegrityError:
            result.duplicates += 1
    result.new = inserted
