"""An edition's figures for editors and the API: what it reached and what readers did.

Human and machine clicks are counted apart; the per-topic and per-link figures count human
clicks only (a scanner opening every link would otherwise make every link look popular).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..lookup import get_or_404
from ..models import (
    BounceKind,
    BounceRecord,
    Click,
    ClickKind,
    DeliveryStatus,
    Edition,
    Open,
    Subscriber,
)
from ..models.delivery import copies

UNSUBSCRIBE_WINDOW = timedelta(days=7)  # without a link to tell, this soon after is its doing


def edition_stats(session: Session, edition_id: int) -> dict[str, Any]:
    edition = get_or_404(session, Edition, edition_id, f"No edition {edition_id}.")
    c = copies()  # archived editions' copies too
    delivered = session.scalar(select(func.count()).select_from(c).where(
        c.c.edition_id == edition.id, c.c.status == DeliveryStatus.SENT)) or 0
    kinds = dict(session.execute(
        select(Click.kind, func.count()).where(Click.edition_id == edition.id)
        .group_by(Click.kind)).all())
    opens = dict(session.execute(
        select(Open.kind, func.count()).where(Open.edition_id == edition.id)
        .group_by(Open.kind)).all())
    human = (Click.edition_id == edition.id, Click.kind == ClickKind.HUMAN)
    topics = session.execute(
        select(Click.topic_slug, func.count(), func.count(func.distinct(Click.subscriber_id)))
        .where(*human).group_by(Click.topic_slug).order_by(func.count().desc())).all()
    links = session.execute(
        select(Click.url, func.count(), func.count(func.distinct(Click.subscriber_id)))
        .where(*human).group_by(Click.url).order_by(func.count().desc())).all()
    exact, estimated = _unsubscribes(session, edition.id)
    complaints = session.scalar(
        select(func.count(func.distinct(BounceRecord.subscriber_id)))
        .where(BounceRecord.edition_id == edition.id,
               BounceRecord.kind == BounceKind.COMPLAINT)) or 0

    def rate(readers: int) -> float:
        return round(readers / delivered, 4) if delivered else 0.0

    return {
        "id": edition.id,
        "delivered": delivered,
        "opens_human": opens.get(ClickKind.HUMAN, 0),
        "opens_machine": opens.get(ClickKind.MACHINE, 0),
        "clicks_human": kinds.get(ClickKind.HUMAN, 0),
        "clicks_machine": kinds.get(ClickKind.MACHINE, 0),
        "unsubscribes": exact + estimated,
        "unsubscribes_via_edition": exact,  # used this edition's unsubscribe link or header
        "unsubscribes_estimated": estimated,  # left another way within the window after it
        "complaints": complaints,
        "topics": [{"slug": slug, "clicks": n, "readers": r, "click_rate": rate(r)}
                   for slug, n, r in topics],
        "links": [{"url": url, "clicks": n, "readers": r, "click_rate": rate(r)}
                  for url, n, r in links],
    }


def _unsubscribes(session: Session, edition_id: int) -> tuple[int, int]:
    """(exact, estimated): readers who left through this edition's own unsubscribe link or
    List-Unsubscribe header, and readers of it who left some other way (the site, another
    client) within `UNSUBSCRIBE_WINDOW` of their copy. Leaving through another edition's
    link counts for that one. Compared here, not in SQL, since SQLite has no interval
    arithmetic; only leavers are read."""
    exact = session.scalar(select(func.count()).select_from(Subscriber).where(
        Subscriber.unsubscribed_edition_id == edition_id,
        Subscriber.unsubscribed_at.is_not(None))) or 0
    c = copies()
    rows = session.execute(
        select(c.c.sent_at, Subscriber.unsubscribed_at)
        .join(Subscriber, Subscriber.id == c.c.subscriber_id)
        .where(c.c.edition_id == edition_id, c.c.sent_at.is_not(None),
               Subscriber.unsubscribed_at.is_not(None),
               Subscriber.unsubscribed_edition_id.is_(None))).all()
    return exact, sum(1 for sent, gone in rows if sent <= gone <= sent + UNSUBSCRIBE_WINDOW)


def reader_opens(session: Session, subscriber_id: int) -> list[dict[str, Any]]:
    """A reader's recorded opens, for their data export."""
    return [{"edition_id": o.edition_id, "opened_at": o.opened_at.isoformat(), "kind": o.kind}
            for o in session.scalars(select(Open).where(Open.subscriber_id == subscriber_id)
                                     .order_by(Open.opened_at, Open.id))]


def reader_clicks(session: Session, subscriber_id: int) -> list[dict[str, Any]]:
    """A reader's own clicks, for their data export."""
    return [{"edition_id": c.edition_id, "topic": c.topic_slug, "url": c.url,
             "clicked_at": c.clicked_at.isoformat(), "kind": c.kind}
            for c in session.scalars(select(Click).where(Click.subscriber_id == subscriber_id)
                                     .order_by(Click.clicked_at, Click.id))]
