""""Many links at once" is judged across drains: a scanner's burst that the tick happened to
store in two batches is machine as a whole, a person reading on over minutes stays human."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from newsletter.engagement.links import ClickRef
from newsletter.engagement.recording import drain, push
from newsletter.models import Click, Delivery, Subscriber, utcnow
from tests.support.engagement import send_edition


def _edition_read_an_hour_ago(runtime, db, work) -> tuple[int, int]:
    edition_id = send_edition(runtime, db, work, readers=("ana@example.com",),
                              slugs=("world", "science", "sport"))
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    return edition_id, db.scalar(select(Subscriber.id))


def _kinds(db) -> list[tuple[int, str]]:
    db.expire_all()
    return [(c.item, c.kind) for c in db.scalars(select(Click).order_by(Click.clicked_at))]


def test_a_burst_split_across_two_drains_is_machine_as_a_whole(runtime, db, work):
    edition_id, ana = _edition_read_an_hour_ago(runtime, db, work)
    at = utcnow()
    push(runtime.redis, ClickRef(edition_id, 0, ana), "human", at)
    assert drain(db, runtime.redis) == 1
    assert _kinds(db) == [(0, "human")]  # alone so far
    push(runtime.redis, ClickRef(edition_id, 1, ana), "human", at + timedelta(milliseconds=500))
    push(runtime.redis, ClickRef(edition_id, 2, ana), "human", at + timedelta(seconds=1))
    assert drain(db, runtime.redis) == 2
    assert _kinds(db) == [(0, "machine"), (1, "machine"), (2, "machine")]


def test_a_reader_opening_links_minutes_apart_over_several_drains_stays_human(runtime, db, work):
    edition_id, ana = _edition_read_an_hour_ago(runtime, db, work)
    at = utcnow() - timedelta(minutes=10)
    for item in range(3):
        push(runtime.redis, ClickRef(edition_id, item, ana), "human",
             at + timedelta(minutes=2 * item))
        assert drain(db, runtime.redis) == 1
    assert _kinds(db) == [(0, "human"), (1, "human"), (2, "human")]
