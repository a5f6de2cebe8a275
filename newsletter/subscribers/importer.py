"""CSV import of subscribers (columns: email, topics as slugs separated by ';' or '|',
and with a header row, an optional timezone: an IANA name, empty for the list's zone).

Every row is checked first; if any row is bad nothing is written and the report lists
the bad rows by line number. Suppressed addresses are never added back, addresses we
already have are left as their owners set them, and the writes are bulk statements
(INSERT … ON CONFLICT DO NOTHING: on PostgreSQL fed by `unnest` of column arrays, elsewhere
executemany), so 100k rows take seconds, not minutes (bench/import.py).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Connection, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from ..errors import ValidationError
from ..models import Subscriber, SubscriberStatus, Subscription, Topic, utcnow
from . import zones
from .addresses import email_key, normalize_email
from .suppression import suppressed_among

IMPORT_STATUSES = (SubscriberStatus.ACTIVE, SubscriberStatus.PENDING)
CHUNK = 5000
BIG_CHUNK = 50_000
MAX_ROWS = 1_000_000
MAX_REPORTED = 200
_SPLIT = re.compile(r"[;|]")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
csv.field_size_limit(64 * 1024)


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    existing: int = 0
    suppressed: int = 0
    duplicates: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)
    confirmations_queued: int = 0

    @property
    def created(self) -> int:
        return len(self.new_ids)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(RowError(line, message))


def _columns(header: list[str]) -> tuple[int, int, int] | None:
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    if "email" not in names:
        return None
    return (names.index("email"), names.index("topics") if "topics" in names else -1,
            names.index("timezone") if "timezone" in names else -1)


def read_rows(lines: Iterable[str], report: ImportReport
              ) -> Iterator[tuple[int, str, str, str]]:
    """(line number, email cell, topics cell, timezone cell); a header row is optional
    (without one the columns are email, topics and no zone)."""
    reader = csv.reader(lines)
    email_col, topics_col, zone_col = 0, 1, -1
    first = True
    try:
        for row in reader:
            line = reader.line_num
            if first:
                first = False
                found = _columns(row)
                if found:
                    email_col, topics_col, zone_col = found
                    continue
            if not row or not any(cell.strip() for cell in row):
                continue
            report.rows += 1
            if report.rows > MAX_ROWS:
                raise ValidationError(f"A file holds at most {MAX_ROWS:,} rows; split it.")
            email = row[email_col] if email_col < len(row) else ""
            topics = row[topics_col] if 0 <= topics_col < len(row) else ""
            zone = row[zone_col] if 0 <= zone_col < len(row) else ""
            yield line, email, topics, zone
    except csv.Error as exc:
        report.add_error(reader.line_num, f"the file is not valid CSV: {exc}")


@lru_cache(maxsize=65536)
def _domain(domain: str) -> str:
    """A domain checked by the full validator once, however many rows use it."""
    return normalize_email(f"x@{domain}").rsplit("@", 1)[1]


def fast_normalize(raw: str) -> str:
    """normalize_email's answer for a plain ASCII address, validating each domain once.

    Anything unusual (quotes, non-ASCII, odd lengths) goes through normalize_email itself,
    which also gives the readable error message.
    """
    value = raw.strip()
    local, at, domain = value.rpartition("@")
    if at and value.isascii() and len(local) <= 64 and len(value) <= 254 \
            and _PLAIN_LOCAL.fullmatch(local):
        try:
            return f"{local}@{_domain(domain)}"
        except ValidationError:
            pass
    return normalize_email(value)


def _clean_cell(value: str) -> str:
    value = value.strip()
    return value[1:] if value.startswith("'") else value  # our export guards formulas with '


Person = tuple[str, set[int], str | None]  # address, topic ids, zone (None: the list's)


def parse(session: Session, lines: Iterable[str], report: ImportReport) -> dict[str, Person]:
    """email key → (address, topic ids, zone), checking every row; errors go into the report."""
    topics = {t.slug: t.id for t in session.scalars(select(Topic).where(Topic.archived_at.is_(None)))}
    people: dict[str, Person] = {}
    for line, raw_email, raw_topics, raw_zone in read_rows(lines, report):
        try:
            address = fast_normalize(_clean_cell(raw_email))
        except ValidationError as exc:
            shown = raw_email.strip()[:60]
            report.add_error(line, f"{exc.message} ({shown!r})" if shown else "no email address")
            continue
        slugs = [s.strip().lower() for s in _SPLIT.split(_clean_cell(raw_topics)) if s.strip()]
        if not slugs:
            report.add_error(line, f"{address}: no topics (give slugs separated by ';' or '|')")
            continue
        unknown = [s for s in slugs if s not in topics]
        if unknown:
            report.add_error(line, f"{address}: unknown topic {', '.join(u[:64] for u in unknown[:3])}")
            continue
        zone = None
        if raw_zone.strip():
            zone = zones.canonical(_clean_cell(raw_zone))
            if zone is None:
                report.add_error(line, f"{address}: unknown time zone {raw_zone.strip()[:64]!r}"
                                 " (an IANA name such as Europe/Berlin, or empty)")
                continue
        key = email_key(address)
        if key in people:
            report.duplicates += 1
            people[key][1].update(topics[s] for s in slugs)
            if zone and not people[key][2]:
                people[key] = (people[key][0], people[key][1], zone)
        else:
            people[key] = (address, {topics[s] for s in slugs}, zone)
    return people


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:  # type: ignore[type-arg]
    for start in range(0, len(items), size):
        yield items[start:start + size]


def import_subscribers(session: Session, lines: Iterable[str], status: str,
                       now: datetime | None = None) -> ImportReport:
    """Check the whole file, then insert in bulk in the caller's transaction.

    `status` is 'active' (the editor confirms these people consented) or 'pending' (they
    stay unconfirmed and get nothing until they confirm through the sign-up form).
    """
    if status not in IMPORT_STATUSES:
        raise ValidationError("Import as active or pending.", field="status")
    now = now or utcnow()
    report = ImportReport()
    people = parse(session, lines, report)
    if not report.ok:
        return report
    if not people:
        raise ValidationError("The file has no subscriber rows.", field="file")

    keys = list(people)
    suppressed = suppressed_among(session, keys)
    report.suppressed = len(suppressed)

    wanted = [k for k in keys if k not in suppressed]
    confirmed = now if status == SubscriberStatus.ACTIVE else None
    writer = _PostgresWriter if session.bind.dialect.name == "postgresql" else _PortableWriter
    new_ids = writer.add_people(session.connection(),
                                [(people[k][0], k, people[k][2]) for k in wanted],
                                status, now, confirmed)
    report.new_ids = list(new_ids.values())
    report.existing = len(wanted) - report.created
    writer.add_links(session.connection(),
                     [(sid, tid) for key, sid in new_ids.items() for tid in people[key][1]], now)
    return report


class _PostgresWriter:
    """PostgreSQL: one array parameter per column and `unnest`, so each chunk is one short
    statement (INSERT … SELECT … ON CONFLICT DO NOTHING) however many rows it carries."""

    PEOPLE = text(
        "INSERT INTO subscriber (email, email_key, timezone, status, created_at, updated_at, "
        "confirmed_at) "
        "SELECT e, k, z, CAST(:status AS varchar), CAST(:now AS timestamptz), "
        "CAST(:now AS timestamptz), CAST(:confirmed AS timestamptz) "
        "FROM unnest(CAST(:emails AS text[]), CAST(:keys AS text[]), CAST(:zones AS text[])) "
        "AS t(e, k, z) "
        "ON CONFLICT (email_key) DO NOTHING RETURNING id, email_key"
    )
    LINKS = text(
        "INSERT INTO subscription (subscriber_id, topic_id, created_at) "
        "SELECT s, t, CAST(:now AS timestamptz) "
        "FROM unnest(CAST(:sids AS integer[]), CAST(:tids AS integer[])) AS x(s, t) "
        "ON CONFLICT DO NOTHING"
    )

    @classmethod
    def add_people(cls, conn: Connection, people: list[tuple[str, str, str | None]],
                   status: str, now: datetime, confirmed: datetime | None) -> dict[str, int]:
        ids: dict[str, int] = {}
        for chunk in _chunks(people, BIG_CHUNK):
            result = conn.execute(cls.PEOPLE, {
                "emails": [p[0] for p in chunk], "keys": [p[1] for p in chunk],
                "zones": [p[2] for p in chunk],
                "status": str(status), "now": now, "confirmed": confirmed})
            ids.update({key: sid for sid, key in result})
        return ids

    @classmethod
    def add_links(cls, conn: Connection, links: list[tuple[int, int]], now: datetime) -> None:
        for chunk in _chunks(links, BIG_CHUNK):
            conn.execute(cls.LINKS, {"sids": [c[0] for c in chunk], "tids": [c[1] for c in chunk],
                                     "now": now})


class _PortableWriter:
    """Any other database (SQLite for `make run`): one compiled INSERT … ON CONFLICT DO
    NOTHING, executemany, which SQLAlchemy sends as multi-row VALUES batches."""

    @staticmethod
    def add_people(conn: Connection, people: list[tuple[str, str, str | None]], status: str,
                   now: datetime, confirmed: datetime | None) -> dict[str, int]:
        table = Subscriber.__table__
        stmt = (sqlite.insert(table).on_conflict_do_nothing(index_elements=["email_key"])
                .returning(table.c.id, table.c.email_key))
        ids: dict[str, int] = {}
        for chunk in _chunks(people):
            rows = [{"email": email, "email_key": key, "timezone": zone, "status": status,
                     "created_at": now, "updated_at": now, "confirmed_at": confirmed}
                    for email, key, zone in chunk]
            ids.update({key: sid for sid, key in conn.execute(stmt, rows)})
        return ids

    @staticmethod
    def add_links(conn: Connection, links: list[tuple[int, int]], now: datetime) -> None:
        table = Subscription.__table__
        stmt = sqlite.insert(table).on_conflict_do_nothing().returning(table.c.subscriber_id)
        for chunk in _chunks(links):
            conn.execute(stmt, [{"subscriber_id": s, "topic_id": t, "created_at": now}
                                for s, t in chunk]).close()
