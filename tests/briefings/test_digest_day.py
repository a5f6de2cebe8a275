"""A fake clock drives the tick through whole days: every daily reader gets exactly one
briefing at their own hour, in zones with :30 and :45 offsets and across both DST changes,
weekly readers only on their weekday; nobody twice, nobody skipped. Asserted on the
messages the SMTP sink received for each reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_topic
from tests.support.briefings import Clock, publish, reader, subscriber_state

T = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731

# (address, zone, hour, weekday or None for daily) → the UTC moment of their briefing
SPRING = {  # 2026-03-08: New York and St John's move their clocks forward at 02:00
    ("kolkata@example.com", "Asia/Kolkata", 7, None): T(2026, 3, 8, 1, 30),
    ("kathmandu@example.com", "Asia/Kathmandu", 7, None): T(2026, 3, 8, 1, 15),
    ("stjohns@example.com", "America/St_Johns", 7, None): T(2026, 3, 8, 9, 30),  # NDT −2:30
    ("newyork@example.com", "America/New_York", 7, None): T(2026, 3, 8, 11, 0),  # EDT
    ("gap@example.com", "America/New_York", 2, None): T(2026, 3, 8, 7, 0),  # 02:00 never shows
    ("midnight@example.com", "UTC", 0, None): T(2026, 3, 8, 0, 0),
    ("listzone@example.com", None, 23, None): T(2026, 3, 8, 23, 0),  # the list's zone (UTC)
    ("sunday@example.com", "Europe/Berlin", 9, 6): T(2026, 3, 8, 8, 0),
    ("monday@example.com", "Europe/Berlin", 9, 0): None,  # not this Sunday
}


def ticks(start: datetime, end: datetime, every: timedelta = timedelta(minutes=15)):
    moment = start
    while moment < end:
        yield moment
        moment += every


def run_day(db, runtime, smtp, readers, day_start, day_end, since):  # noqa: ANN001, ANN201
    world, climate = make_topic(db, "world"), make_topic(db, "climate")
    publish(db, world, "Talks resume in Geneva", since + timedelta(minutes=10))
    publish(db, climate, "Record heat strains the grid", since + timedelta(minutes=15))
    for (email, zone, hour, weekday) in readers:
        reader(db, email, [world, climate], cadence="weekly" if weekday is not None else "daily",
               zone=zone, hour=hour, weekday=weekday, since=since)
    db.commit()
    clock = Clock(runtime, smtp)
    for now in ticks(day_start, day_end):
        clock.tick(now)
    return clock


@pytest.mark.slow
def test_a_spring_dst_day_brings_each_reader_one_briefing_at_their_own_hour(db, runtime, smtp):
    clock = run_day(db, runtime, smtp, SPRING, T(2026, 3, 8), T(2026, 3, 9),
                    T(2026, 3, 7, 23, 30))

    for (email, _zone, _hour, _weekday), due in SPRING.items():
        assert clock.arrivals.get(email, []) == ([due] if due else []), email
        for message in smtp.inbox(email):
            assert message["Subject"] == "Your briefing: Climate and World"
            text = message.get_body(("plain",)).get_content()
            assert "Talks resume in Geneva" in text and "Record heat strains the grid" in text
            assert "earlier update" not in text
    # and each has moved on to tomorrow's slot (New York: 07:00 EDT = 11:00 UTC)
    assert subscriber_state(runtime, "newyork@example.com").next_briefing_at == T(2026, 3, 9, 11)
    assert subscriber_state(runtime, "gap@example.com").next_briefing_at == T(2026, 3, 9, 6)
    assert subscriber_state(runtime, "stjohns@example.com").next_briefing_at == \
        T(2026, 3, 9, 9, 30)
    assert subscriber_state(runtime, "sunday@example.com").next_briefing_at == T(2026, 3, 15, 8)
    assert subscriber_state(runtime, "monday@example.com").next_briefing_at == T(2026, 3, 9, 8)


AUTUMN = {  # 2026-11-01: New York's 01:00–02:00 happens twice (EDT, then EST)
    ("twice@example.com", "America/New_York", 1, None): T(2026, 11, 1, 5, 0),  # first 01:00
    ("after@example.com", "America/New_York", 3, None): T(2026, 11, 1, 8, 0),  # EST
    ("stjohns@example.com", "America/St_Johns", 1, None): T(2026, 11, 1, 3, 30),  # NDT
}


@pytest.mark.slow
def test_the_autumn_hour_that_happens_twice_brings_one_briefing(db, runtime, smtp):
    clock = run_day(db, runtime, smtp, AUTUMN, T(2026, 11, 1, 0), T(2026, 11, 1, 12),
                    T(2026, 10, 31, 12))

    for (email, *_), due in AUTUMN.items():
        assert clock.arrivals.get(email, []) == [due], email
    assert subscriber_state(runtime, "twice@example.com").next_briefing_at == T(2026, 11, 2, 6)
