"""Briefings the service builds itself: daily/weekly digests, catch-ups and welcomes.

They are editions like any other (`Edition.kind` digest or welcome, not public, not in the
editors' list) and go through the same engine: each update's block is rendered once per
briefing edition, one INSERT … SELECT writes a delivery row per reader with that reader's
items as a bit mask, and the batch jobs claim, stamp and send them.

Items and the 63-bit mask. A briefing edition's items are, per topic (in the site's
order), that topic's latest published update (its block) followed by one small item per
distinct "N earlier updates on this topic" line its readers need. A reader's mask is the
block of each of their topics with news plus the one line with their own N: the line is
rendered once per (topic, N), never per reader. When a tick's topics and lines need more
than 63 bits, the topics are split over several briefing editions (a topic's block and
its lines always stay together); a reader whose topics fall in two of them gets two
emails that hour. A single topic needing more than 63 distinct lines (absurd) keeps the
first 62 and the other readers of it get the block without a line.

Who is due is one index range: `cadence, next_briefing_at <= now` (ix_subscriber_briefing_due).
Daily and weekly readers are due at their slot; a reader on the `edition` cadence is due
only when a one-off catch-up was asked for (back from a pause: `resume` sets
next_briefing_at = now), and then gets the updates on their topics published since their
pause (last_briefing_at) that no edition brought them. After the fan-out every due reader
moves to their next slot (`reader_time.next_briefing_at`, none for the edition cadence)
and active ones have been told up to the cut-off (last_briefing_at); paused, unsubscribed
or bounced readers only move on, so a pause keeps last_briefing_at and the first
briefing after it catches up by itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, selectinload

from ..mail.edition import render_items, update_context
from ..models import (
    Cadence,
    Edition,
    EditionItem,
    EditionKind,
    EditionStatus,
    Subscriber,
    SubscriberStatus,
    Subscription,
    Topic,
    TopicUpdate,
    UpdateStatus,
)
from ..subscribers.reader_time import next_briefing_at, zone_of
from . import ledger

MAX_BITS = 63  # Delivery.topics_mask is a signed 64-bit integer: bits 0..62
# transaction-scoped PostgreSQL advisory locks: one builder of each kind at a time
DIGEST_LOCK = 0x6E6C_6469  # "nldi"
WELCOME_LOCK = 0x6E6C_7765  # "nlwe"
BRIEFING_CADENCES = (Cadence.DAILY, Cadence.WEEKLY)


@dataclass(frozen=True)
class Piece:
    """One item of a briefing edition: a topic's block (earlier == 0) or its line
    "N earlier updates on this topic" (earlier == N)."""

    topic_id: int
    earlier: int = 0


@dataclass
class Plan:
    """The items of one briefing edition, in order; an item's index is its bit."""

    pieces: list[Piece] = field(default_factory=list)

    def bit(self, piece: Piece) -> int:
        return 1 << self.pieces.index(piece)

    @property
    def topic_ids(self) -> list[int]:
        return [p.topic_id for p in self.pieces if not p.earlier]


@dataclass(frozen=True)
class Built:
    """A briefing edition written to the ledger: the caller enqueues its batches after commit."""

    edition_id: int
    total: int


@dataclass(frozen=True)
class Rendering:
    """What rendering needs beyond the edition (the same arguments lifecycle.start takes)."""

    list_name: str
    base_url: str
    track: Callable[[int, int], str] | None = None
    pixel: Callable[[int], str] | None = None


def plan_items(topics: Iterable[tuple[int, Iterable[int]]]) -> list[Plan]:
    """Topics in order, each with the counts N of earlier updates its readers need a line
    for, laid out as items within MAX_BITS per briefing edition."""
    plans = [Plan()]
    for topic_id, counts in topics:
        lines = sorted(set(c for c in counts if c > 0))[: MAX_BITS - 1]
        need = 1 + len(lines)
        if len(plans[-1].pieces) + need > MAX_BITS:
            plans.append(Plan())
        plans[-1].pieces += [Piece(topic_id), *(Piece(topic_id, n) for n in lines)]
    return [p for p in plans if p.pieces]


def _lock(session: Session, key: int) -> bool:
    """One builder at a time across workers (released with the transaction, even by a
    crash); SQLite has a single writer anyway."""
    if session.bind.dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}))


def _is_due(now: datetime) -> ColumnElement[bool]:
    """The index range of readers whose briefing (or one-off catch-up) is due."""
    return and_(Subscriber.cadence.in_([c.value for c in Cadence]),
                Subscriber.next_briefing_at <= now)


def _since() -> ColumnElement[datetime]:
    """What a reader has already been told up to."""
    return func.coalesce(Subscriber.last_briefing_at, Subscriber.confirmed_at,
                         Subscriber.created_at)


def news(now: datetime, materialize: bool = False) -> Select[tuple[int, int, int]]:
    """(subscriber id, topic id, n): for each active due reader and each of their live topics,
    how many updates were published after their last briefing up to `now`. A reader on the
    edition cadence (a catch-up) counts only updates no edition or briefing brought them.

    The due readers come first, from their index range (`materialize`, on PostgreSQL: else
    the planner may start from every subscription of the topics and probe each reader).
    """
    due = (select(Subscriber.id, Subscriber.cadence, _since().label("since"))
           .where(_is_due(now), Subscriber.status == SubscriberStatus.ACTIVE).cte("due"))
    if materialize:
        due = due.prefix_with("MATERIALIZED")
    return (
        select(Subscription.subscriber_id, Subscription.topic_id,
               func.count(TopicUpdate.id).label("n"))
        .select_from(due)
        .join(Subscription, Subscription.subscriber_id == due.c.id)
        .join(Topic, and_(Topic.id == Subscription.topic_id, Topic.archived_at.is_(None)))
        .join(TopicUpdate, and_(TopicUpdate.topic_id == Subscription.topic_id,
                                TopicUpdate.status == UpdateStatus.PUBLISHED,
                                TopicUpdate.published_at > due.c.since,
                                TopicUpdate.published_at <= now))
        .where(or_(due.c.cadence != Cadence.EDITION, ~ledger.received(TopicUpdate.id, due.c.id)))
        .group_by(Subscription.subscriber_id, Subscription.topic_id)
    )


def latest_updates(session: Session, topic_ids: list[int], now: datetime
                   ) -> dict[int, TopicUpdate]:
    """topic id → its latest update published up to `now` (sources and topic loaded)."""
    if not topic_ids:
        return {}
    ranked = (
        select(TopicUpdate.id, func.row_number().over(
            partition_by=TopicUpdate.topic_id,
            order_by=(TopicUpdate.published_at.desc(), TopicUpdate.id.desc())).label("rank"))
        .where(TopicUpdate.topic_id.in_(topic_ids), TopicUpdate.status == UpdateStatus.PUBLISHED,
               TopicUpdate.published_at <= now)
        .subquery()
    )
    rows = session.scalars(
        select(TopicUpdate).join(ranked, and_(ranked.c.id == TopicUpdate.id, ranked.c.rank == 1))
        .options(selectinload(TopicUpdate.sources), selectinload(TopicUpdate.topic))
    )
    return {u.topic_id: u for u in rows}


def _ordered_topics(session: Session, topic_ids: Iterable[int]) -> list[int]:
    """The site's topic order, as editions and sign-up pages show them."""
    ids = list(topic_ids)
    if not ids:
        return []
    return list(session.scalars(select(Topic.id).where(Topic.id.in_(ids))
                                .order_by(Topic.position, Topic.name, Topic.id)))


def _start(session: Session, kind: str, plan: Plan, updates: dict[int, TopicUpdate],
           now: datetime, rendering: Rendering, kicker: str) -> Edition:
    """The briefing edition, already sending: items at their bits, rendered once."""
    edition = Edition(subject=f"{kind.title()} briefing, {now:%Y-%m-%d %H:%M} UTC",
                      auto_subject=True, send_at=now, timezone="UTC", kind=kind,
                      status=EditionStatus.SENDING, started_at=now, public=False)
    session.add(edition)
    session.flush()
    items = []
    for position, piece in enumerate(plan.pieces):
        item = updates[piece.topic_id]
        if piece.earlier:
            items.append({"earlier": piece.earlier, "headline": "", "topic_name": "",
                          "lede": "", "topic_slug": item.topic.slug})
        else:
            session.add(EditionItem(edition_id=edition.id, update_id=item.id, position=position))
            items.append(update_context(item))
    track = rendering.track
    rendered = render_items(
        None, items, list_name=rendering.list_name, base_url=rendering.base_url, kicker=kicker,
        track=(lambda n: track(edition.id, n)) if track else None,
        open_pixel=rendering.pixel(edition.id) if rendering.pixel else "", kind=kind,
    ).to_dict()
    rendered["nonce"] = secrets.token_hex(6)
    edition.rendered = rendered
    return edition


def _finish_start(session: Session, edition: Edition, total: int, now: datetime) -> Built:
    edition.total = total
    if total == 0:
        edition.status = EditionStatus.SENT
        edition.finished_at = now
    session.flush()
    return Built(edition.id, total)


def build_digests(session: Session, now: datetime, rendering: Rendering,
                  default_zone: str) -> list[Built]:
    """Everyone whose briefing is due at `now`: their digest(s) fanned out, then every due
    reader moved on to their next slot. Runs in the caller's transaction, so a crash or a
    failed render leaves nobody advanced and the next tick does it again."""
    if not _lock(session, DIGEST_LOCK):
        return []
    found = news(now, session.bind.dialect.name == "postgresql").subquery()
    needed: dict[int, set[int]] = {}
    for topic_id, n in session.execute(select(found.c.topic_id, found.c.n).distinct()):
        needed.setdefault(topic_id, set()).add(int(n) - 1)
    built = []
    if needed:
        updates = latest_updates(session, list(needed), now)
        order = [t for t in _ordered_topics(session, needed) if t in updates]
        for plan in plan_items((t, needed[t]) for t in order):
            edition = _start(session, EditionKind.DIGEST, plan, updates, now, rendering,
                             kicker="Since your last briefing")
            bits = case(*(
                (and_(found.c.topic_id == p.topic_id, found.c.n == p.earlier + 1),
                 literal(plan.bit(Piece(p.topic_id)) | (plan.bit(p) if p.earlier else 0)))
                for p in plan.pieces
            ), *(  # a topic's readers whose N got no line of its own: the block alone
                (found.c.topic_id == t, literal(plan.bit(Piece(t)))) for t in plan.topic_ids
            ), else_=0)
            masks = (select(found.c.subscriber_id, func.sum(bits))
                     .where(found.c.topic_id.in_(plan.topic_ids))
                     .group_by(found.c.subscriber_id))
            total = ledger.fan_out_masks(session, edition.id, masks)
            built.append(_finish_start(session, edition, total, now))
    advance(session, now, default_zone)
    return built


def advance(session: Session, now: datetime, default_zone: str) -> int:
    """Move every due reader to their next slot; active ones have been told up to `now`.

    One slot per (cadence, hour, weekday, zone) group, computed by reader_time, then one
    UPDATE joined to those slots (PostgreSQL) or one per group (SQLite, small lists).
    """
    told = case((Subscriber.status == SubscriberStatus.ACTIVE, now),
                else_=Subscriber.last_briefing_at)
    moved = session.execute(
        update(Subscriber).where(_is_due(now), Subscriber.cadence == Cadence.EDITION)
        .values(next_briefing_at=None, last_briefing_at=told)
        .execution_options(synchronize_session=False)).rowcount or 0
    groups = session.execute(
        select(Subscriber.cadence, Subscriber.briefing_hour,
               func.coalesce(Subscriber.briefing_weekday, -1), func.coalesce(Subscriber.timezone, ""))
        .where(_is_due(now), Subscriber.cadence.in_(BRIEFING_CADENCES)).distinct()
    ).all()
    slots = [(cadence, hour, weekday, zone,
              next_briefing_at(cadence, hour, None if weekday < 0 else weekday,
                               zone_of(zone or None, default_zone), now))
             for cadence, hour, weekday, zone in groups]
    if not slots:
        return moved
    if session.bind.dialect.name == "postgresql":
        result = session.execute(text(
            "UPDATE subscriber AS s SET next_briefing_at = v.slot,"
            " last_briefing_at = CASE WHEN s.status = :active THEN :now ELSE s.last_briefing_at END"
            " FROM unnest(CAST(:cadences AS text[]), CAST(:hours AS int[]),"
            " CAST(:weekdays AS int[]), CAST(:zones AS text[]), CAST(:slots AS timestamptz[]))"
            " AS v(cadence, hour, weekday, zone, slot)"
            " WHERE s.cadence = v.cadence AND s.briefing_hour = v.hour"
            " AND coalesce(s.briefing_weekday, -1) = v.weekday AND coalesce(s.timezone, '') = v.zone"
            " AND s.cadence IN ('daily', 'weekly') AND s.next_briefing_at <= :now"),
            {"active": SubscriberStatus.ACTIVE.value, "now": now,
             "cadences": [s[0] for s in slots], "hours": [s[1] for s in slots],
             "weekdays": [s[2] for s in slots], "zones": [s[3] for s in slots],
             "slots": [s[4] for s in slots]})
        return moved + (result.rowcount or 0)
    for cadence, hour, weekday, zone, slot in slots:
        moved += session.execute(
            update(Subscriber).where(
                _is_due(now), Subscriber.cadence == cadence, Subscriber.briefing_hour == hour,
                func.coalesce(Subscriber.briefing_weekday, -1) == weekday,
                func.coalesce(Subscriber.timezone, "") == zone)
            .values(next_briefing_at=slot, last_briefing_at=told)
            .execution_options(synchronize_session=False)).rowcount or 0
    return moved


def build_welcomes(session: Session, subscriber_ids: list[int], now: datetime,
                   rendering: Rendering) -> list[Built] | None:
    """One welcome briefing (or a few, past 63 topics) for all these newly confirmed readers:
    the latest published update of each topic they chose. Readers already welcomed since
    they last confirmed, or no longer active, are left out. None when another worker holds
    the welcome lock (the ids stay queued)."""
    if not _lock(session, WELCOME_LOCK):
        return None
    waiting = (Subscriber.id.in_(subscriber_ids), Subscriber.status == SubscriberStatus.ACTIVE,
               Subscriber.confirmed_at.is_not(None),
               or_(Subscriber.last_briefing_at.is_(None),
                   Subscriber.last_briefing_at < Subscriber.confirmed_at))
    due = select(Subscriber.id).where(*waiting)
    reach = (select(Subscription.subscriber_id, Subscription.topic_id)
             .join(Topic, and_(Topic.id == Subscription.topic_id, Topic.archived_at.is_(None)))
             .where(Subscription.subscriber_id.in_(due)).subquery())
    chosen = set(session.scalars(select(reach.c.topic_id).distinct()))
    updates = latest_updates(session, list(chosen), now)
    built = []
    order = [t for t in _ordered_topics(session, chosen) if t in updates]
    for plan in plan_items((t, ()) for t in order):
        edition = _start(session, EditionKind.WELCOME, plan, updates, now, rendering,
                         kicker="Welcome: the latest on the topics you chose")
        bits = case(*((reach.c.topic_id == t, literal(plan.bit(Piece(t))))
                       for t in plan.topic_ids), else_=0)
        masks = (select(reach.c.subscriber_id, func.sum(bits))
                 .where(reach.c.topic_id.in_(plan.topic_ids)).group_by(reach.c.subscriber_id))
        total = ledger.fan_out_masks(session, edition.id, masks)
        built.append(_finish_start(session, edition, total, now))
    session.execute(update(Subscriber).where(*waiting).values(last_briefing_at=now)
                    .execution_options(synchronize_session=False))
    return built
