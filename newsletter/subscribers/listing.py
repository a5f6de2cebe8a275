"""Finding subscribers for the editors' list page and streaming them out as CSV.

The export has the import's columns first (email, topics), so a file can go out and
back in; cells that a spreadsheet would run as a formula get a leading quote, which
the importer strips again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ValidationError
from ..models import Subscriber, SubscriberStatus, Subscription, Topic

COLUMNS = ["email", "topics", "status", "created_at", "confirmed_at"]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Filter:
    query: str = ""
    status: str = ""

    def __post_init__(self) -> None:
        if self.status and self.status not in set(SubscriberStatus):
            raise ValidationError("Unknown status filter.", field="status")
        if len(self.query) > 254 or "\x00" in self.query:
            raise ValidationError("Search text is too long or malformed.", field="q")

    def apply(self, stmt: Select) -> Select:  # type: ignore[type-arg]
        if self.query.strip():
            needle = self.query.strip().lower().replace("\\", "\\\\").replace("%", "\\%") \
                .replace("_", "\\_")
            stmt = stmt.where(Subscriber.email_key.like(f"%{needle}%", escape="\\"))
        if self.status:
            stmt = stmt.where(Subscriber.status == self.status)
        return stmt


@dataclass(frozen=True)
class Row:
    id: int
    email: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None
    topics: list[str]


def search(session: Session, flt: Filter, page: int = 1, per_page: int = 50) -> tuple[list[Row], int]:
    total = int(session.scalar(flt.apply(select(func.count()).select_from(Subscriber))) or 0)
    subs = list(session.execute(flt.apply(
        select(Subscriber.id, Subscriber.email, Subscriber.status, Subscriber.created_at,
               Subscriber.confirmed_at)
    ).order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    topics: dict[int, list[str]] = {}
    if subs:
        for sid, slug in session.execute(
            select(Subscription.subscriber_id, Topic.slug).join(Topic)
            .where(Subscription.subscriber_id.in_([s.id for s in subs])).order_by(Topic.slug)
        ):
            topics.setdefault(sid, []).append(slug)
    return [Row(*s, topics=topics.get(s.id, [])) for s in subs], total


def counts_by_status(session: Session) -> dict[str, int]:
    return {s: n for s, n in session.execute(
        select(Subscriber.status, func.count()).group_by(Subscriber.status))}


def topic_counts(session: Session) -> list[tuple[Topic, dict[str, int]]]:
    """Per topic: subscribers by status (active ones are who an edition reaches)."""
    rows = session.execute(
        select(Subscription.topic_id, Subscriber.status, func.count())
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .group_by(Subscription.topic_id, Subscriber.status)
    )
    by_topic: dict[int, dict[str, int]] = {}
    for tid, status, n in rows:
        by_topic.setdefault(tid, {})[status] = n
    topics = session.scalars(select(Topic).order_by(Topic.position, Topic.name))
    return [(t, by_topic.get(t.id, {})) for t in topics]


def _safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value


def stream_csv(session_factory: sessionmaker, flt: Filter, chunk: int = 2000) -> Iterator[str]:
    """CSV text in pieces, read with a server-side cursor: memory stays flat for any size."""
    agg = func.string_agg if session_factory.kw["bind"].dialect.name == "postgresql" \
        else func.group_concat
    topics = (
        select(agg(Topic.slug, ";"))
        .select_from(Subscription).join(Topic, Topic.id == Subscription.topic_id)
        .where(Subscription.subscriber_id == Subscriber.id)
        .scalar_subquery()
    )
    stmt = flt.apply(select(Subscriber.email, topics, Subscriber.status, Subscriber.created_at,
                            Subscriber.confirmed_at)).order_by(Subscriber.id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    with session_factory() as session:
        result = session.execute(stmt.execution_options(yield_per=chunk))
        for n, (email, slugs, status, created, confirmed) in enumerate(result, start=1):
            writer.writerow([_safe(email), _safe(slugs or ""), status, created.isoformat(),
                             confirmed.isoformat() if confirmed else ""])
            if n % chunk == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()
