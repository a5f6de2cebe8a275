"""A reader back from a pause gets what they missed on their next briefing: a daily reader
at their next slot (their last briefing stayed put while paused), a reader of editions at
the next tick, as a one-off catch-up of what no edition brought them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from newsletter.editorial.editions import create_edition
from newsletter.subscribers import service
from tests.factories import make_subscriber, make_topic
from tests.support.briefings import Clock, publish, reader, subscriber_state
from tests.support.delivery import Sender, start

MORNING = datetime(2026, 6, 1, 7, tzinfo=UTC)


def h2s(message) -> list[str]:  # noqa: ANN001
    return re.findall(r"<h2[^>]*>(.*?)</h2>", message.get_body(("html",)).get_content())


def test_a_daily_reader_back_from_a_week_away_gets_the_week_at_their_next_slot(db, runtime, smtp):
    world, climate = make_topic(db, "world"), make_topic(db, "climate")
    ann = reader(db, "ann@example.com", [world, climate], since=MORNING - timedelta(days=1))
    publish(db, world, "Before the pause", MORNING - timedelta(hours=3))
    db.commit()
    clock = Clock(runtime, smtp)
    clock.tick(MORNING)
    service.pause(db, ann.id, "1", now=MORNING + timedelta(hours=1))
    db.commit()
    for day in range(1, 8):  # the pause ends at day 7, 08:00
        publish(db, world, f"World day {day}", MORNING + timedelta(days=day, hours=-2))
        db.commit()
        clock.tick(MORNING + timedelta(days=day))
    publish(db, climate, "Climate while away", MORNING + timedelta(days=3))
    db.commit()
    assert len(smtp.inbox("ann@example.com")) == 1  # nothing while paused
    paused = subscriber_state(runtime, "ann@example.com")
    assert paused.last_briefing_at == MORNING  # stays put
    assert paused.next_briefing_at == MORNING + timedelta(days=8)  # moved on meanwhile

    clock.tick(MORNING + timedelta(days=7, hours=1))  # the pause ends after her slot
    assert len(smtp.inbox("ann@example.com")) == 1
    clock.tick(MORNING + timedelta(days=8))

    first, catch_up = smtp.inbox("ann@example.com")
    assert h2s(first) == ["Before the pause"]
    assert h2s(catch_up) == ["Climate while away", "World day 7"]
    assert "6 earlier updates on this topic" in catch_up.get_body(("plain",)).get_content()
    assert clock.arrivals["ann@example.com"] == [MORNING, MORNING + timedelta(days=8)]


def test_a_reader_of_editions_back_from_a_pause_gets_what_no_edition_brought_them(
        db, runtime, smtp):
    world, tech = make_topic(db, "world"), make_topic(db, "tech")
    bob = make_subscriber(db, "bob@example.com", [world, tech])
    db.commit()
    sender = Sender(runtime, smtp.url)

    def send(update_id: int) -> None:
        edition = create_edition(db, "Today", [update_id], MORNING)
        db.commit()
        start(runtime, edition.id)
        sender.drain(edition.id)

    got = publish(db, world, "Received before the pause", MORNING)
    send(got.id)
    service.pause(db, bob.id, "indefinite", now=MORNING + timedelta(hours=1))
    db.commit()
    missed = publish(db, world, "Sent while paused", MORNING + timedelta(hours=2))
    send(missed.id)  # Bob is not in it
    publish(db, world, "Never in an edition", MORNING + timedelta(hours=3))
    publish(db, tech, "Tech while paused", MORNING + timedelta(hours=4))
    db.commit()
    assert len(smtp.inbox("bob@example.com")) == 1

    back = MORNING + timedelta(hours=5)
    service.resume(db, bob.id, now=back)
    db.commit()
    clock = Clock(runtime, smtp)
    clock.tick(back + timedelta(minutes=1))
    clock.tick(back + timedelta(days=1))  # a one-off: nothing more

    edition, catch_up = smtp.inbox("bob@example.com")
    assert h2s(catch_up) == ["Tech while paused", "Never in an edition"]
    text = catch_up.get_body(("plain",)).get_content()
    assert "1 earlier update on this topic" in text  # "Sent while paused"
    assert "Received before the pause" not in text
    state = subscriber_state(runtime, "bob@example.com")
    assert state.next_briefing_at is None and state.cadence == "edition"


def test_what_one_reader_got_in_an_edition_is_still_missed_by_another(db, runtime, smtp):
    world = make_topic(db, "world")
    bob = make_subscriber(db, "bob@example.com", [world])
    cat = make_subscriber(db, "cat@example.com", [world])
    db.commit()
    for row in (bob, cat):
        service.pause(db, row.id, "indefinite", now=MORNING)
    update = publish(db, world, "While both were away", MORNING + timedelta(hours=1))
    service.resume(db, cat.id, now=MORNING + timedelta(hours=2))
    edition = create_edition(db, "Today", [update.id], MORNING)
    db.commit()
    start(runtime, edition.id)  # Cat is back in time for it, Bob is not
    Sender(runtime, smtp.url).drain(edition.id)
    service.resume(db, bob.id, now=MORNING + timedelta(hours=3))
    db.commit()

    Clock(runtime, smtp).tick(MORNING + timedelta(hours=3, minutes=1))

    assert len(smtp.inbox("cat@example.com")) == 1  # the edition; no catch-up repeats it
    [catch_up] = smtp.inbox("bob@example.com")
    assert h2s(catch_up) == ["While both were away"]
