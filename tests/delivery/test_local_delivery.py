"""Local delivery: a fake clock drives the tick through a whole day of waves across zones.

Each reader must get exactly one copy (counted by the SMTP sink, per reader) and none before
their own clock shows the edition's local time; later waves wait while the edition is
paused; late readers are sent at once or skipped as the editor chose. The whole chain runs
for real (tick, RQ jobs in-process, PostgreSQL, SMTP sink): only "now" is the test's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from newsletter.delivery import lifecycle
from newsletter.delivery.jobs import resume_edition
from newsletter.editorial import scheduling
from newsletter.jobs import tick
from newsletter.models import Delivery, Edition, Subscriber
from newsletter.runtime import Runtime
from tests.factories import make_editor, make_subscriber, make_topic, make_update
from tests.support.admin import Browser, log_in
from tests.support.delivery import statuses

DAY = "2027-03-14"  # New York springs forward at 02:00 that morning: EST -5 → EDT -4
LOCAL_TIME = "07:00"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# each reader's zone, and the UTC moment their clock shows 07:00 on 14 March 2027, worked
# out by hand from the offsets in force that day (not by the code under test)
READERS = {
    "kiritimati@example.com": ("Pacific/Kiritimati", utc("2027-03-13 17:00")),  # +14
    "chatham@example.com": ("Pacific/Chatham", utc("2027-03-13 17:15")),  # +13:45 (summer)
    "adelaide@example.com": ("Australia/Adelaide", utc("2027-03-13 20:30")),  # +10:30 (ACDT)
    "kathmandu@example.com": ("Asia/Kathmandu", utc("2027-03-14 01:15")),  # +5:45
    "kolkata@example.com": ("Asia/Kolkata", utc("2027-03-14 01:30")),  # +5:30
    "paris@example.com": ("Europe/Paris", utc("2027-03-14 06:00")),  # +1, one wave with Berlin
    "berlin@example.com": ("Europe/Berlin", utc("2027-03-14 06:00")),
    "nozone@example.com": (None, utc("2027-03-14 07:00")),  # the list's zone (UTC)
    "newyork@example.com": ("America/New_York", utc("2027-03-14 11:00")),  # -4 after the change
    "pagopago@example.com": ("Pacific/Pago_Pago", utc("2027-03-14 18:00")),  # -11
}


class FakeClock:
    def __init__(self, runtime: Runtime, now: datetime) -> None:
        self.runtime, self.now = runtime, now
        runtime.clock = lambda: self.now

    def tick(self, now: datetime, work) -> None:  # noqa: ANN001
        self.now = now
        tick(now=now)
        work()


@pytest.fixture
def clock(runtime: Runtime) -> Iterator[FakeClock]:
    fake = FakeClock(runtime, utc("2027-03-13 12:00"))
    yield fake
    runtime.clock = lambda: datetime.now(UTC)


@pytest.fixture
def readers(db) -> list[int]:
    world = make_topic(db, "world", name="World")
    update = make_update(db, world, "The morning's news")
    for email, (zone, _) in READERS.items():
        make_subscriber(db, email, [world], timezone=zone)
    db.commit()
    return [update.id]


def schedule(db, runtime: Runtime, clock: FakeClock, update_ids: list[int],
             late_readers: str = "send_now") -> Edition:
    plan = scheduling.plan_edition(
        db, update_ids=update_ids, send_at=DAY, timezone="Europe/Berlin", delivery="local",
        local_time=LOCAL_TIME, late_readers=late_readers, list_timezone="UTC", now=clock.now)
    return scheduling.schedule_edition(db, runtime, plan)


def received(smtp) -> dict[str, int]:  # noqa: ANN001
    counts = {email: 0 for email in READERS}
    for message in smtp.messages:
        for rcpt in message.rcpt_tos:
            counts[rcpt] = counts.get(rcpt, 0) + 1
    return counts


def edition_status(runtime: Runtime, edition_id: int) -> str:
    with runtime.Session() as s:
        return s.get(Edition, edition_id).status


def test_each_reader_gets_one_copy_when_their_clock_shows_the_local_time(
        db, runtime, smtp, work, clock, readers):
    edition = schedule(db, runtime, clock, readers)
    assert edition.starts_at == utc("2027-03-13 17:00")  # the first wave: Kiritimati
    moments = sorted({m for _, m in READERS.values()})
    # every hour of the day, plus a minute before and at each reader's moment
    times = {utc("2027-03-13 12:00") + timedelta(hours=h) for h in range(37)}
    times |= {m - timedelta(minutes=1) for m in moments} | set(moments)
    for now in sorted(times):
        clock.tick(now, work)
        got = received(smtp)
        for email, (_, moment) in READERS.items():
            assert got[email] == (1 if moment <= now else 0), (email, now, got[email])
        status = edition_status(runtime, edition.id)
        if now < moments[0]:
            assert status == "scheduled", now
        elif now < moments[-1]:
            assert status == "sending", now  # later waves hold it open
    assert edition_status(runtime, edition.id) == "sent"
    assert received(smtp) == dict.fromkeys(READERS, 1)
    with runtime.Session() as s:
        sent_at = dict(s.execute(select(Subscriber.email, Delivery.sent_at).join(
            Subscriber, Subscriber.id == Delivery.subscriber_id)).all())
    for email, (_, moment) in READERS.items():
        assert moment <= sent_at[email] < moment + timedelta(hours=1), email


def test_the_edition_page_shows_the_waves_with_their_counts(
        app, db, runtime, smtp, work, clock, readers):
    make_editor(db, "desk@newsroom.example")
    db.commit()
    client = app.test_client()
    log_in(client, "desk@newsroom.example")
    as_editor = Browser(client)
    edition = schedule(db, runtime, clock, readers)
    clock.tick(utc("2027-03-14 06:30"), work)  # up to and including Paris/Berlin
    html = as_editor.get(f"/admin/editions/{edition.id}").get_data(as_text=True)
    assert 'id="waves"' in html
    assert html.count('<tr class="wave') == 9  # ten readers, Paris and Berlin in one wave
    assert "Europe/Berlin, Europe/Paris" in html
    assert 'data-moment="2027-03-14T06:00:00+00:00"' in html
    row = html.split('data-moment="2027-03-14T11:00:00+00:00"')[1].split("</tr>")[0]
    assert 'data-wave="sent">0<' in row and 'data-wave="pending">1<' in row
    row = html.split('data-moment="2027-03-14T06:00:00+00:00"')[1].split("</tr>")[0]
    assert 'data-wave="readers">2<' in row and 'data-wave="sent">2<' in row


def test_readers_whose_moment_passed_at_confirmation_can_be_skipped(
        db, runtime, smtp, work, clock, readers):
    clock.now = utc("2027-03-13 18:00")  # Kiritimati's and Chatham's 07:00 are past
    edition = schedule(db, runtime, clock, readers, late_readers="skip")
    assert edition.starts_at == utc("2027-03-13 20:30")  # the first wave still to come
    for now in (utc("2027-03-13 18:00"), utc("2027-03-13 20:30"), utc("2027-03-14 18:00")):
        clock.tick(now, work)
    got = received(smtp)
    assert got.pop("kiritimati@example.com") == 0 and got.pop("chatham@example.com") == 0
    assert set(got.values()) == {1}
    assert statuses(runtime, edition.id) == {"sent": 8, "skipped": 2}
    assert edition_status(runtime, edition.id) == "sent"
    with runtime.Session() as s:
        data = lifecycle.ledger.counts(s, edition.id).as_dict()
    assert data["total"] == 8 and data["skipped"] == 2 and data["pending"] == 0


def test_late_readers_can_be_sent_at_once(db, runtime, smtp, work, clock, readers):
    clock.now = utc("2027-03-13 18:00")
    edition = schedule(db, runtime, clock, readers, late_readers="send_now")
    assert edition.starts_at == utc("2027-03-13 18:00")
    clock.tick(utc("2027-03-13 18:00"), work)
    got = received(smtp)
    assert got["kiritimati@example.com"] == 1 and got["chatham@example.com"] == 1
    assert got["adelaide@example.com"] == 0
    clock.tick(utc("2027-03-14 18:00"), work)
    assert received(smtp) == dict.fromkeys(READERS, 1)


def test_a_pause_between_waves_holds_the_later_waves_until_resumed(
        db, runtime, smtp, work, clock, readers):
    edition = schedule(db, runtime, clock, readers)
    clock.tick(utc("2027-03-13 21:00"), work)  # Kiritimati, Chatham, Adelaide
    assert sum(received(smtp).values()) == 3
    with runtime.session() as s:
        lifecycle.pause(s, edition.id, reason="checking a fact")
    clock.tick(utc("2027-03-14 12:00"), work)  # Kathmandu … New York are due, but paused
    assert sum(received(smtp).values()) == 3
    assert edition_status(runtime, edition.id) == "paused"
    resume_edition(runtime, edition.id)
    work()
    got = received(smtp)
    assert got["newyork@example.com"] == 1 and got["pagopago@example.com"] == 0
    clock.tick(utc("2027-03-14 18:00"), work)
    assert received(smtp) == dict.fromkeys(READERS, 1)
    assert edition_status(runtime, edition.id) == "sent"


def test_a_cancel_between_waves_sends_no_later_wave(db, runtime, smtp, work, clock, readers):
    edition = schedule(db, runtime, clock, readers)
    clock.tick(utc("2027-03-14 02:00"), work)  # up to Kolkata
    assert sum(received(smtp).values()) == 5
    with runtime.session() as s:
        lifecycle.cancel(s, edition.id, now=clock.now)
    clock.tick(utc("2027-03-14 20:00"), work)
    assert sum(received(smtp).values()) == 5
    assert statuses(runtime, edition.id) == {"sent": 5, "cancelled": 5}


@pytest.mark.embedded
def test_local_delivery_on_the_embedded_defaults(embedded_app) -> None:
    """SQLite, embedded Redis and the .eml outbox: the same waves, one copy each."""
    import email as email_lib
    from email import policy

    from newsletter.runtime import WORKER_CLASS

    runtime = embedded_app.extensions["newsletter"]

    def work() -> None:
        WORKER_CLASS(runtime.queues, connection=runtime.redis).work(
            burst=True, logging_level="WARNING")

    def outbox() -> dict[str, int]:
        counts = dict.fromkeys(READERS, 0)
        for path in runtime.settings.outbox.glob("*.eml"):
            message = email_lib.message_from_bytes(path.read_bytes(), policy=policy.default)
            counts[message["To"]] = counts.get(message["To"], 0) + 1
        return counts

    fake = FakeClock(runtime, utc("2027-03-13 18:00"))  # Kiritimati and Chatham are late
    try:
        with runtime.Session() as db:
            world = make_topic(db, "world")
            update = make_update(db, world)
            for email, (zone, _) in READERS.items():
                make_subscriber(db, email, [world], timezone=zone)
            db.commit()
            edition = schedule(db, runtime, fake, [update.id], late_readers="skip")
        for now in sorted({m for _, m in READERS.values()} | {utc("2027-03-13 18:00")}):
            fake.tick(now, work)
            got = outbox()
            for email, (_, moment) in READERS.items():
                expected = 1 if utc("2027-03-13 18:00") <= moment <= now else 0
                assert got[email] == expected, (email, now)
        assert statuses(runtime, edition.id) == {"sent": 8, "skipped": 2}
        assert edition_status(runtime, edition.id) == "sent"
    finally:
        runtime.clock = lambda: datetime.now(UTC)
